/* Trunks and routes for outbound calls. See pbx/trunkdir.h. */
#include "pbx/trunkdir.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "pbx/resolve.h"

#define PORT_SIP 5060u
#define PORT_SIPS 5061u

struct outbound {
	char ext[USERS_EXT_MAX + 1];
	char number[USERS_E164_STRLEN];
};

struct trunkdir {
	struct trunkdir_trunk *trunks;
	size_t ntrunks, usable;
	struct route_info *routes;
	size_t nroutes;
	struct outbound *outbound;
	size_t noutbound;
	struct did_info *dids;
	size_t ndids;
};

/* Grows *arr (of 'size' bytes each) to hold one more than *n. */
static int
grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n > SIZE_MAX / size - 1)
		return -ENOMEM;
	p = mem_realloc(*arr, (n + 1) * size);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	return 0;
}

int
trunkdir_resolve(const struct trunk_info *t, struct trunkdir_trunk *out)
{
	enum sip_txn_transport tp =
	    t->transport == TRUNK_TRANSPORT_TCP   ? SIP_TXN_TP_TCP
	    : t->transport == TRUNK_TRANSPORT_TLS ? SIP_TXN_TP_TLS
	                                          : SIP_TXN_TP_UDP;
	uint32_t port = t->port;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", t->name);
	snprintf(out->outbound_cid, sizeof(out->outbound_cid), "%s",
	    t->outbound_cid);
	out->channels = t->channels;
	if (port == 0 || port > TRUNKS_PORT_MAX)
		port =
		    t->transport == TRUNK_TRANSPORT_TLS ? PORT_SIPS : PORT_SIP;
	out->port = (uint16_t)port;
	/* A name waits for RFC 3263 (pbx/resolve.h); its peer keeps the
	 * transport. */
	if (resolve_literal(t->host, out->port, tp, &out->peer) &&
	    out->peer.addr.ss_family == AF_INET6)
		snprintf(out->uri_host, sizeof(out->uri_host), "[%s]", t->host);
	else
		snprintf(out->uri_host, sizeof(out->uri_host), "%s", t->host);
	snprintf(out->from_domain, sizeof(out->from_domain), "%s",
	    t->from_domain[0] != '\0' ? t->from_domain : out->uri_host);
	out->usable = out->peer.addr_len != 0;
	return out->usable ? 0 : -EAFNOSUPPORT;
}

static int
add_trunk(void *arg, const struct trunk_info *t)
{
	struct trunkdir *d = arg;
	struct trunkdir_trunk *e;
	int rc;

	if (!t->enabled)
		return 0;
	rc = grow((void **)&d->trunks, d->ntrunks, sizeof(*d->trunks));
	if (rc != 0)
		return rc;
	/* Counted at once, so trunkdir_free() frees a half-built one. */
	e = &d->trunks[d->ntrunks++];
	if (trunkdir_resolve(t, e) == 0)
		d->usable++;
	else
		log_info("trunk",
		    "msg=\"trunk host to resolve\" trunk=%s host=%s", t->name,
		    t->host);
	e->info = *t;
	rc = cidr_set_from_list(sv_cstr(t->acl), &e->acl);
	if (rc != 0)
		return rc;
	return 0;
}

static int
add_did(void *arg, const struct did_info *r)
{
	struct trunkdir *d = arg;
	int rc = grow((void **)&d->dids, d->ndids, sizeof(*d->dids));

	if (rc != 0)
		return rc;
	d->dids[d->ndids++] = *r;
	return 0;
}

static int
add_route(void *arg, const struct route_info *r)
{
	struct trunkdir *d = arg;
	int rc = grow((void **)&d->routes, d->nroutes, sizeof(*d->routes));

	if (rc != 0)
		return rc;
	d->routes[d->nroutes++] = *r;
	return 0;
}

static int
add_user(void *arg, const struct user_info *u)
{
	struct trunkdir *d = arg;
	struct outbound *o;
	int rc;

	if (!u->enabled || u->outbound_number[0] == '\0')
		return 0;
	rc = grow((void **)&d->outbound, d->noutbound, sizeof(*d->outbound));
	if (rc != 0)
		return rc;
	o = &d->outbound[d->noutbound++];
	snprintf(o->ext, sizeof(o->ext), "%s", u->ext);
	snprintf(o->number, sizeof(o->number), "%s", u->outbound_number);
	return 0;
}

/* The secrets of the trunks that have one, for the INVITE challenges
 * of their operators. */
static int
load_secrets(struct trunkdir *d, struct db *db, const struct keys *keys)
{
	struct buf b;
	int rc = 0;

	buf_init(&b, 0);
	for (size_t i = 0; rc == 0 && i < d->ntrunks; i++) {
		struct trunkdir_trunk *t = &d->trunks[i];

		if (!t->info.has_secret)
			continue;
		buf_reset(&b);
		rc = trunks_get_secret(db, keys, sv_cstr(t->name), &b);
		if (rc == 0 && b.len < sizeof(t->secret)) {
			memcpy(t->secret, b.data, b.len);
			t->secret[b.len] = '\0';
		}
	}
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	buf_release(&b);
	return rc;
}

int
trunkdir_load(struct trunkdir **out, struct db *db, const struct keys *keys)
{
	struct trunkdir *d = mem_calloc(1, sizeof(*d));
	int rc;

	if (d == NULL)
		return -ENOMEM;
	rc = trunks_list(db, add_trunk, d);
	if (rc == 0 && keys != NULL)
		rc = load_secrets(d, db, keys);
	if (rc == 0)
		rc = routes_list(db, add_route, d);
	if (rc == 0)
		rc = users_list(db, add_user, d);
	if (rc == 0)
		rc = dids_list(db, add_did, d);
	if (rc != 0) {
		trunkdir_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void
trunkdir_free(struct trunkdir *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->ntrunks; i++)
		cidr_set_free(d->trunks[i].acl);
	if (d->trunks != NULL)
		explicit_bzero(d->trunks, d->ntrunks * sizeof(*d->trunks));
	free(d->trunks);
	free(d->routes);
	free(d->dids);
	free(d->outbound);
	free(d);
}

size_t
trunkdir_trunks(const struct trunkdir *d)
{
	return d->ntrunks;
}

size_t
trunkdir_usable(const struct trunkdir *d)
{
	return d->usable;
}

size_t
trunkdir_routes(const struct trunkdir *d)
{
	return d->nroutes;
}

const struct trunkdir_trunk *
trunkdir_trunk(const struct trunkdir *d, struct sv name)
{
	for (size_t i = 0; i < d->ntrunks; i++) {
		if (sv_eq(sv_cstr(d->trunks[i].name), name))
			return &d->trunks[i];
	}
	return NULL;
}

const struct trunkdir_trunk *
trunkdir_trunk_at(const struct trunkdir *d, size_t i)
{
	return &d->trunks[i];
}

int
trunkdir_pick(
    const struct trunkdir *d, struct sv number, struct route_choice *out)
{
	return routes_pick(d->routes, d->nroutes, number, out);
}

struct sv
trunkdir_outbound_number(const struct trunkdir *d, struct sv ext)
{
	for (size_t i = 0; i < d->noutbound; i++) {
		if (sv_eq(sv_cstr(d->outbound[i].ext), ext))
			return sv_cstr(d->outbound[i].number);
	}
	return sv_make("", 0);
}

/* The address of a peer, for comparisons. */
static bool
peer_addr(const struct sockaddr_storage *ss, struct cidr_addr *out)
{
	return cidr_addr_from_sockaddr(ss, out) == 0;
}

const struct trunkdir_trunk *
trunkdir_from(const struct trunkdir *d, const struct sockaddr_storage *addr)
{
	struct cidr_addr a, p;

	if (d == NULL || !peer_addr(addr, &a))
		return NULL;
	for (size_t i = 0; i < d->ntrunks; i++) {
		const struct trunkdir_trunk *t = &d->trunks[i];

		if (t->acl != NULL
		        ? cidr_set_contains(t->acl, &a)
		        : t->usable && peer_addr(&t->peer.addr, &p) &&
		              cidr_addr_eq(&a, &p))
			return t;
	}
	return NULL;
}

void
trunkdir_policy(const struct trunkdir_trunk *t, struct callmedia_policy *out)
{
	struct sv rest = sv_cstr(t->info.codecs), item;
	bool last = rest.len == 0;

	memset(out, 0, sizeof(*out));
	while (!last && out->codec_count < USERS_CODECS_MAX) {
		if (!sv_split(&rest, ',', &item)) {
			item = rest;
			last = true;
		}
		if (item.len == 0 || item.len > USERS_CODEC_NAME_MAX)
			continue;
		memcpy(out->codecs[out->codec_count], item.p, item.len);
		out->views[out->codec_count] =
		    sv_make(out->codecs[out->codec_count], item.len);
		out->codec_count++;
	}
}

const struct did_info *
trunkdir_did(const struct trunkdir *d, struct sv e164)
{
	for (size_t i = 0; d != NULL && i < d->ndids; i++) {
		if (d->dids[i].enabled &&
		    sv_eq(sv_cstr(d->dids[i].number), e164))
			return &d->dids[i];
	}
	return NULL;
}

size_t
trunkdir_dids(const struct trunkdir *d)
{
	return d->ndids;
}

void
trunkdir_set_peer(struct trunkdir *d, size_t i, const struct sip_txn_peer *peer)
{
	struct trunkdir_trunk *t = &d->trunks[i];
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&peer->addr;
	const struct sockaddr_in6 *a6 =
	    (const struct sockaddr_in6 *)&peer->addr;

	t->peer = *peer;
	t->port = ntohs(
	    peer->addr.ss_family == AF_INET6 ? a6->sin6_port : a4->sin_port);
	if (!t->usable)
		d->usable++;
	t->usable = true;
}
