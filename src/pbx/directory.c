/* In-memory user directory: a sorted array searched by extension. */
#include "pbx/directory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pbx/offer.h"

struct directory {
	struct directory_user *entries;
	size_t n;
	size_t cap;
	struct db *db;
	const struct keys *keys;
};

/* Grows the array without leaving a copy of the HA1s behind, as
 * realloc() could. */
static int
grow(struct directory *d)
{
	size_t cap = d->cap != 0 ? d->cap * 2 : 64;
	struct directory_user *p;

	p = mem_calloc(cap, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	if (d->n > 0)
		memcpy(p, d->entries, d->n * sizeof(*p));
	if (d->entries != NULL)
		keys_wipe(d->entries, d->cap * sizeof(*d->entries));
	free(d->entries);
	d->entries = p;
	d->cap = cap;
	return 0;
}

/* Splits the stored codec list (store/users.h: already normalised). */
static int
parse_codecs(struct directory_user *e, const char *list)
{
	struct sv rest = sv_cstr(list), item;
	bool last = rest.len == 0;

	while (!last) {
		if (!sv_split(&rest, ',', &item)) {
			item = rest;
			last = true;
		}
		if (item.len == 0 || item.len > USERS_CODEC_NAME_MAX ||
		    e->codec_count == USERS_CODECS_MAX)
			return -EBADMSG;
		memcpy(e->codecs[e->codec_count], item.p, item.len);
		e->codecs[e->codec_count][item.len] = '\0';
		e->codec_count++;
	}
	return 0;
}

static int
add_user(void *arg, const struct user_info *u)
{
	struct directory *d = arg;
	struct directory_user *e;
	struct user_record rec;
	int rc;

	if (!u->enabled)
		return 0;
	if (d->n == d->cap) {
		rc = grow(d);
		if (rc != 0)
			return rc;
	}
	rc = users_get(d->db, d->keys, sv_cstr(u->ext), &rec);
	if (rc != 0)
		return rc;
	/* Counted at once, so directory_free() releases a half-built one. */
	e = &d->entries[d->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->ext, rec.info.ext, sizeof(e->ext));
	memcpy(e->display_name, rec.info.display_name, sizeof(e->display_name));
	memcpy(e->ha1.md5, rec.ha1_md5, sizeof(e->ha1.md5));
	memcpy(e->ha1.sha256, rec.ha1_sha256, sizeof(e->ha1.sha256));
	e->ha1.has_md5 = true;
	e->ha1.has_sha256 = true;
	e->srtp_required = rec.info.srtp_required;
	memcpy(e->alternate, rec.info.alternate, sizeof(e->alternate));
	rc = parse_codecs(e, rec.info.codecs);
	if (rc == 0)
		rc = cidr_set_from_list(sv_cstr(rec.info.acl), &e->acl);
	users_record_wipe(&rec);
	return rc;
}

static int
by_ext(const void *a, const void *b)
{
	return strcmp(((const struct directory_user *)a)->ext,
	    ((const struct directory_user *)b)->ext);
}

int
directory_load(struct directory **out, struct db *db, const struct keys *k)
{
	struct directory *d = mem_calloc(1, sizeof(*d));
	int rc;

	if (d == NULL)
		return -ENOMEM;
	d->db = db;
	d->keys = k;
	rc = users_list(db, add_user, d);
	if (rc != 0) {
		directory_free(d);
		return rc;
	}
	if (d->n > 1)
		qsort(d->entries, d->n, sizeof(*d->entries), by_ext);
	/* Views last: growing and sorting moved the entries. */
	for (size_t i = 0; i < d->n; i++) {
		struct directory_user *e = &d->entries[i];

		for (size_t j = 0; j < e->codec_count; j++)
			e->codec_names[j] = sv_cstr(e->codecs[j]);
	}
	*out = d;
	return 0;
}

void
directory_free(struct directory *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		cidr_set_free(d->entries[i].acl);
	if (d->entries != NULL)
		keys_wipe(d->entries, d->cap * sizeof(*d->entries));
	free(d->entries);
	free(d);
}

const struct directory_user *
directory_user(const struct directory *d, struct sv ext)
{
	size_t lo = 0, hi = d->n;

	if (ext.len == 0 || ext.len > USERS_EXT_MAX)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *e = d->entries[mid].ext;
		size_t elen = strlen(e);
		int c = memcmp(e, ext.p, elen < ext.len ? elen : ext.len);

		if (c == 0)
			c = (elen > ext.len) - (elen < ext.len);
		if (c == 0)
			return &d->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sip_auth_ha1 *
directory_find(const struct directory *d, struct sv ext)
{
	const struct directory_user *u = directory_user(d, ext);

	return u != NULL ? &u->ha1 : NULL;
}

size_t
directory_count(const struct directory *d)
{
	return d->n;
}

bool
directory_acl_allows(
    const struct directory_user *u, const struct sockaddr_storage *addr)
{
	struct cidr_addr a;

	if (u->acl == NULL)
		return true;
	if (cidr_addr_from_sockaddr(addr, &a) != 0)
		return false;
	return cidr_set_contains(u->acl, &a);
}

bool
directory_codec_allowed(const struct directory_user *u, struct sv name)
{
	if (u->codec_count == 0)
		return true;
	for (size_t i = 0; i < u->codec_count; i++)
		if (sv_ieq(u->codec_names[i], name))
			return true;
	return false;
}

void
directory_offer_policy(const struct directory_user *u, struct offer_policy *out)
{
	*out = (struct offer_policy){
	    .srtp_required = u->srtp_required,
	    .codecs = u->codec_count > 0 ? u->codec_names : NULL,
	    .codec_count = (unsigned)u->codec_count,
	};
}
