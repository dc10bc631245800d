/* The administration API: operator trunks (R-ADMIN-2, R-TRUNK-1). The
 * same store checks and audit entries as `rempart trunk ...`; a trunk's
 * secret is write-only: answers and audit entries only say whether
 * there is one. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/db.h"
#include "store/trunks.h"

int
api_member_sv(json_t *o, const char *name, struct sv *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	*out = sv_make(json_string_value(v), json_string_length(v));
	return 1;
}

int
api_member_u32(
    json_t *o, const char *name, uint32_t min, uint32_t max, uint32_t *out)
{
	json_t *v = json_object_get(o, name);
	json_int_t n;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return -EINVAL;
	n = json_integer_value(v);
	if (n < (json_int_t)min || n > (json_int_t)max)
		return -EINVAL;
	*out = (uint32_t)n;
	return 1;
}

int
api_member_bool(json_t *o, const char *name, bool *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return -EINVAL;
	*out = json_is_true(v);
	return 1;
}

/* What each field takes, for the 400 that names it. */
static const struct {
	const char *field, *rule;
} api_trunk_rules[] = {
    {"name", "1-32 lower-case letters, digits, '_' or '-'"},
    {"kind", "register or ip"},
    {"transport", "udp, tcp or tls"},
    {"host", "a host name or an IPv4 or IPv6 address"},
    {"port", "0-65535, 0 for the default"},
    {"username",
        "up to 64 letters, digits or -_.!~*'()&=+$,;?/; a registration "
        "trunk needs one"},
    {"auth_user", "up to 64 letters, digits or -_.!~*'()&=+$,;?/, or none"},
    {"realm", "up to 128 printable characters, no '\"' or '\\', or none"},
    {"from_domain", "a host name or an IP address, or none"},
    {"acl", "up to 32 IPv4 or IPv6 addresses or networks such as "
            "192.0.2.0/24, comma-separated; an IP trunk needs at least one"},
    {"channels", "1-10000 concurrent calls"},
    {"codecs", "up to 16 distinct codec names, comma-separated, or any"},
    {"outbound_cid", "an E.164 number such as +33123456789, or none"},
    {"expires", "60-3600 seconds"},
    {"secret",
        "1-128 printable characters without spaces; a registration trunk "
        "needs one"},
    {"enabled", "true or false"},
};

static enum MHD_Result
api_trunk_bad(struct MHD_Connection *c, const char *field)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(api_trunk_rules); i++)
		if (strcmp(api_trunk_rules[i].field, field) == 0)
			return api_bad_field(c, field, api_trunk_rules[i].rule);
	return api_bad_field(c, field, "see the trunk's rules");
}

/* The optional texts of a spec; 'none' is the word that clears one, as
 * on the command line (NULL: no such word). */
static const struct {
	const char *field;
	size_t offset;
	const char *none;
} api_trunk_texts[] = {
    {"host", offsetof(struct trunk_spec, host), NULL},
    {"username", offsetof(struct trunk_spec, username), NULL},
    {"auth_user", offsetof(struct trunk_spec, auth_user), "none"},
    {"realm", offsetof(struct trunk_spec, realm), "none"},
    {"from_domain", offsetof(struct trunk_spec, from_domain), "none"},
    {"acl", offsetof(struct trunk_spec, acl), "none"},
    {"codecs", offsetof(struct trunk_spec, codecs), "any"},
    {"outbound_cid", offsetof(struct trunk_spec, outbound_cid), "none"},
};

/* Overlays the members of 'o' on 's' (views into 'o'). Returns NULL, or
 * the member that is not of its type or range. */
static const char *
api_trunk_overlay(json_t *o, struct trunk_spec *s)
{
	struct sv v;
	int r;

	r = api_member_sv(o, "kind", &v);
	if (r < 0 || (r == 1 && trunks_kind_parse(v, &s->kind) != 0))
		return "kind";
	r = api_member_sv(o, "transport", &v);
	if (r < 0 || (r == 1 && trunks_transport_parse(v, &s->transport) != 0))
		return "transport";
	if (api_member_u32(o, "port", 0, TRUNKS_PORT_MAX, &s->port) < 0)
		return "port";
	if (api_member_u32(o, "channels", TRUNKS_CHANNELS_MIN,
	        TRUNKS_CHANNELS_MAX, &s->channels) < 0)
		return "channels";
	if (api_member_u32(o, "expires", TRUNKS_EXPIRES_MIN, TRUNKS_EXPIRES_MAX,
	        &s->expires_s) < 0)
		return "expires";
	for (size_t i = 0; i < RP_ARRAY_LEN(api_trunk_texts); i++) {
		struct sv *slot =
		    (struct sv *)(void *)((char *)s +
		                          api_trunk_texts[i].offset);

		r = api_member_sv(o, api_trunk_texts[i].field, &v);
		if (r < 0)
			return api_trunk_texts[i].field;
		if (r == 1 && api_trunk_texts[i].none != NULL &&
		    sv_eq(v, sv_cstr(api_trunk_texts[i].none)))
			v = SV("");
		if (r == 1)
			*slot = v;
	}
	return NULL;
}

/* The store's checks of the whole spec: NULL, or the bad field. */
static const char *
api_trunk_check(const struct trunk_spec *s)
{
	const char *field = NULL;

	if (trunks_spec_check(s, &field) == 0)
		return NULL;
	return field != NULL ? field : "name";
}

static json_t *
api_trunk_json(const struct trunk_info *t)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s,"
	                 "s:s,s:I,s:b,s:b,s:I,s:I}",
	    "name", t->name, "kind", trunks_kind_name(t->kind), "transport",
	    trunks_transport_name(t->transport), "host", t->host, "port",
	    (json_int_t)t->port, "username", t->username, "auth_user",
	    t->auth_user, "realm", t->realm, "from_domain", t->from_domain,
	    "acl", t->acl, "channels", (json_int_t)t->channels, "codecs",
	    t->codecs, "outbound_cid", t->outbound_cid, "expires",
	    (json_int_t)t->expires_s, "enabled", t->enabled, "secret_set",
	    t->has_secret, "created_at", (json_int_t)t->created_at,
	    "updated_at", (json_int_t)t->updated_at);
}

/* What the audit log keeps of a trunk, as `rempart trunk` writes it:
 * never the secret, only whether there is one. */
static json_t *
api_trunk_audit_json(const struct trunk_info *t)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s,"
	                 "s:I,s:b,s:s}",
	    "kind", trunks_kind_name(t->kind), "transport",
	    trunks_transport_name(t->transport), "host", t->host, "port",
	    (json_int_t)t->port, "username", t->username, "auth_user",
	    t->auth_user, "realm", t->realm, "from_domain", t->from_domain,
	    "acl", t->acl, "channels", (json_int_t)t->channels, "codecs",
	    t->codecs[0] != '\0' ? t->codecs : "any", "outbound_cid",
	    t->outbound_cid, "expires", (json_int_t)t->expires_s, "enabled",
	    t->enabled, "secret", t->has_secret ? "set" : "none");
}

static json_t *
api_trunk_row(const void *row)
{
	return api_trunk_json(row);
}

static int
api_trunk_cb(void *arg, const struct trunk_info *t)
{
	return api_walk_add(arg, api_trunk_row, t);
}

/* GET /api/v1/trunks: every trunk, by name, without its secret. */
static enum MHD_Result
api_trunks(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, 0};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = trunks_list(k->api->db, api_trunk_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "trunks", rc);
	}
	return api_page_send(k, &pg, w.total);
}

static enum MHD_Result
api_trunk_not_found(struct MHD_Connection *c)
{
	return api_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such trunk");
}

/* GET /api/v1/trunks/NAME. */
static enum MHD_Result
api_trunk(struct api_call *k)
{
	struct trunk_info t;
	int rc;

	if (!trunks_name_valid(k->tail))
		return api_bad_param(k->conn, "name", api_trunk_rules[0].rule);
	rc = trunks_get(k->api->db, k->tail, &t);
	if (rc == -ENOENT)
		return api_trunk_not_found(k->conn);
	if (rc != 0)
		return api_store_error(k->conn, "trunk", rc);
	return api_send(k->conn, MHD_HTTP_OK, api_trunk_json(&t), NULL, NULL);
}

/* A trunk change to write: its spec, the secret (SV_NULL keeps the
 * stored one), whether its fields change and the state to set (-1:
 * kept). */
struct api_trunk_change {
	struct trunk_spec s;
	struct sv secret;
	bool add, fields;
	int enable;
};

/* The audit state after a change: the whole trunk for a change of its
 * fields, its state alone for an enable or disable (as the CLI). */
static json_t *
api_trunk_after(const struct api_trunk_change *ch, const struct trunk_info *t)
{
	json_t *after;

	if (!ch->fields)
		return json_pack("{s:b}", "enabled", t->enabled);
	after = api_trunk_audit_json(t);
	if (after != NULL && !ch->add && ch->secret.len > 0 &&
	    json_object_set_new(
	        after, "credentials", json_string("replaced")) != 0) {
		json_decref(after);
		after = NULL;
	}
	return after;
}

/* Writes the change and its audit entry in one transaction; *t gets
 * the trunk as stored. Returns 0, a store error, or -EINVAL/-E2BIG
 * with *field naming the bad field. */
static int
api_trunk_store(struct api_call *k, const struct api_trunk_change *ch,
    struct trunk_info *t, const char **field)
{
	struct db *db = k->api->db;
	char name[TRUNKS_NAME_MAX + 1];
	int64_t now = (int64_t)time(NULL);
	json_t *before = NULL, *after;
	const char *action;
	int rc;

	snprintf(name, sizeof(name), "%.*s", (int)ch->s.name.len, ch->s.name.p);
	rc = db_tx_begin(db);
	if (rc != 0)
		return rc;
	if (!ch->add) {
		rc = trunks_get(db, ch->s.name, t);
		if (rc == 0) {
			before = ch->fields ? api_trunk_audit_json(t)
			                    : json_pack("{s:b}", "enabled",
			                          t->enabled);
			if (before == NULL)
				rc = -ENOMEM;
		}
	}
	if (rc == 0 && ch->fields)
		rc = ch->add ? trunks_add(db, k->api->keys, &ch->s, ch->secret,
		                   now, field)
		             : trunks_update(db, k->api->keys, &ch->s,
		                   ch->secret, now, field);
	if (rc == 0 && ch->enable >= 0)
		rc = trunks_set_enabled(db, ch->s.name, ch->enable == 1, now);
	if (rc == 0)
		rc = trunks_get(db, ch->s.name, t);
	if (rc == 0) {
		after = api_trunk_after(ch, t);
		if (ch->fields)
			action = ch->add ? "trunk.add" : "trunk.set";
		else
			action = t->enabled ? "trunk.enable" : "trunk.disable";
		if (after == NULL)
			rc = -ENOMEM;
		else
			rc = api_audit_change(k, action, name, before, after);
		before = NULL;
	}
	json_decref(before);
	return api_tx_end(k->api, rc);
}

/* Reads the secret and the state of the body into 'ch'. Returns NULL
 * or the bad member. */
static const char *
api_trunk_extras(json_t *o, struct api_trunk_change *ch)
{
	bool on = true;
	int r;

	r = api_member_sv(o, "secret", &ch->secret);
	if (r < 0 || (r == 1 && !trunks_secret_valid(ch->secret)))
		return "secret";
	r = api_member_bool(o, "enabled", &on);
	if (r < 0)
		return "enabled";
	ch->enable = r == 1 ? (on ? 1 : 0) : -1;
	return NULL;
}

/* Stores the change and answers it: 'status' and the trunk, or the
 * error. Takes 'o' (wiped: it may hold the secret). */
static enum MHD_Result
api_trunk_write(struct api_call *k, const struct api_trunk_change *ch,
    json_t *o, unsigned status)
{
	const char *field = NULL;
	struct trunk_info t;
	int rc;

	rc = api_trunk_store(k, ch, &t, &field);
	api_body_free(o);
	if (rc == -EEXIST)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "exists",
		    "that trunk already exists");
	if (rc == -ENOENT)
		return api_trunk_not_found(k->conn);
	if ((rc == -EINVAL || rc == -E2BIG) && field != NULL)
		return api_trunk_bad(k->conn, field);
	if (rc != 0)
		return api_store_error(k->conn, "trunks.write", rc);
	api_reload(k->api);
	return api_send(k->conn, status, api_trunk_json(&t), NULL, NULL);
}

#define API_TRUNK_MEMBERS                                                      \
	"kind", "transport", "host", "port", "username", "auth_user", "realm", \
	    "from_domain", "acl", "channels", "codecs", "outbound_cid",        \
	    "expires", "secret"

/* POST /api/v1/trunks {name, kind, host, ...}: as `rempart trunk add`. */
static enum MHD_Result
api_trunk_add(struct api_call *k)
{
	static const char *const members[] = {"name", API_TRUNK_MEMBERS, NULL};
	struct api_trunk_change ch = {
	    .s =
	        {
	            .transport = TRUNK_TRANSPORT_UDP,
	            .channels = TRUNKS_CHANNELS_DEFAULT,
	            .expires_s = TRUNKS_EXPIRES_DEFAULT,
	        },
	    .secret = SV_NULL,
	    .add = true,
	    .fields = true,
	    .enable = -1,
	};
	enum MHD_Result ret = MHD_NO;
	const char *bad = NULL;
	json_t *o;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members)) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes name, kind, transport, "
		    "host, port, username, auth_user, realm, from_domain, acl, "
		    "channels, codecs, outbound_cid, expires and secret");
	}
	if (api_member_sv(o, "name", &ch.s.name) != 1 ||
	    !trunks_name_valid(ch.s.name))
		bad = "name";
	else if (json_object_get(o, "kind") == NULL)
		bad = "kind";
	else if (json_object_get(o, "host") == NULL)
		bad = "host";
	if (bad == NULL)
		bad = api_trunk_overlay(o, &ch.s);
	if (bad == NULL)
		bad = api_trunk_check(&ch.s);
	if (bad == NULL)
		bad = api_trunk_extras(o, &ch);
	if (bad == NULL && ch.s.kind == TRUNK_KIND_REGISTER &&
	    ch.secret.len == 0)
		bad = "secret";
	if (bad != NULL) {
		api_body_free(o);
		return api_trunk_bad(k->conn, bad);
	}
	return api_trunk_write(k, &ch, o, MHD_HTTP_CREATED);
}

/* PATCH /api/v1/trunks/NAME {any field but the name, secret?,
 * enabled?}: as `rempart trunk set` (and enable, disable). A secret
 * replaces the stored one. */
static enum MHD_Result
api_trunk_patch(struct api_call *k)
{
	static const char *const members[] = {
	    API_TRUNK_MEMBERS, "enabled", NULL};
	struct api_trunk_change ch = {.secret = SV_NULL, .enable = -1};
	enum MHD_Result ret = MHD_NO;
	const char *bad = NULL;
	struct trunk_info old;
	json_t *o;
	int rc;

	if (!trunks_name_valid(k->tail))
		return api_bad_param(k->conn, "name", api_trunk_rules[0].rule);
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members) || json_object_size(o) == 0) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "the body takes one or more of kind, transport, host, "
		    "port, username, auth_user, realm, from_domain, acl, "
		    "channels, codecs, outbound_cid, expires, secret and "
		    "enabled");
	}
	rc = trunks_get(k->api->db, k->tail, &old);
	if (rc != 0) {
		api_body_free(o);
		return rc == -ENOENT ? api_trunk_not_found(k->conn)
		                     : api_store_error(k->conn, "trunk", rc);
	}
	/* A change starts from the stored trunk. */
	ch.s = (struct trunk_spec){
	    .name = k->tail,
	    .kind = old.kind,
	    .transport = old.transport,
	    .host = sv_cstr(old.host),
	    .port = old.port,
	    .username = sv_cstr(old.username),
	    .auth_user = sv_cstr(old.auth_user),
	    .realm = sv_cstr(old.realm),
	    .from_domain = sv_cstr(old.from_domain),
	    .acl = sv_cstr(old.acl),
	    .channels = old.channels,
	    .codecs = sv_cstr(old.codecs),
	    .outbound_cid = sv_cstr(old.outbound_cid),
	    .expires_s = old.expires_s,
	};
	ch.fields = json_object_size(o) >
	            (json_object_get(o, "enabled") != NULL ? 1u : 0u);
	bad = api_trunk_overlay(o, &ch.s);
	if (bad == NULL)
		bad = api_trunk_check(&ch.s);
	if (bad == NULL)
		bad = api_trunk_extras(o, &ch);
	if (bad != NULL) {
		api_body_free(o);
		return api_trunk_bad(k->conn, bad);
	}
	return api_trunk_write(k, &ch, o, MHD_HTTP_OK);
}

/* DELETE /api/v1/trunks/NAME: as `rempart trunk remove`; 409 while a
 * route names the trunk. */
static enum MHD_Result
api_trunk_remove(struct api_call *k)
{
	char name[TRUNKS_NAME_MAX + 1], route[ROUTES_NAME_MAX + 1] = "";
	char msg[128];
	json_t *before = NULL;
	struct trunk_info t;
	int rc;

	if (!trunks_name_valid(k->tail))
		return api_bad_param(k->conn, "name", api_trunk_rules[0].rule);
	snprintf(name, sizeof(name), "%.*s", (int)k->tail.len, k->tail.p);
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = trunks_get(k->api->db, k->tail, &t);
		if (rc == 0) {
			before = api_trunk_audit_json(&t);
			rc = before != NULL ? 0 : -ENOMEM;
		}
		if (rc == 0)
			rc = trunks_remove(k->api->db, k->tail, route);
		if (rc == 0) {
			rc = api_audit_change(
			    k, "trunk.remove", name, before, NULL);
			before = NULL;
		}
		rc = api_tx_end(k->api, rc);
	}
	json_decref(before);
	if (rc == -ENOENT)
		return api_trunk_not_found(k->conn);
	/* -EBUSY is also a busy store: the route's name tells them apart. */
	if (rc == -EBUSY && route[0] != '\0') {
		snprintf(msg, sizeof(msg),
		    "trunk %s is used by route %s; remove it from the route "
		    "first",
		    name, route);
		return api_error(k->conn, MHD_HTTP_CONFLICT, "in_use", msg);
	}
	if (rc != 0)
		return api_store_error(k->conn, "trunks.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "name", name, "removed", 1), NULL, NULL);
}

const struct api_route_def api_routes_trunks[] = {
    {"trunks", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_TRUNKS_READ,
        {"limit", "offset"}, api_trunks},
    {"trunks", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_TRUNKS_WRITE, {NULL},
        api_trunk_add},
    {"trunks/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, RBAC_TRUNKS_READ, {NULL},
        api_trunk},
    {"trunks/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_TRUNKS_WRITE,
        {NULL}, api_trunk_patch},
    {"trunks/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_TRUNKS_WRITE,
        {NULL}, api_trunk_remove},
    {.path = NULL},
};
