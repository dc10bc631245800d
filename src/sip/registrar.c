/* SIP registrar and location service (RFC 3261 §10.3). */
#include "sip/registrar.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "sip/build.h"
#include "sip/limits.h"

/* What a request does to an existing binding; reset after each request. */
enum plan {
	PLAN_KEEP,
	PLAN_UPDATE, /* replaced by a fresh block */
	PLAN_REMOVE, /* unregistered */
	PLAN_EVICT,  /* makes room for a new contact */
};

struct binding;

/* The bindings of one address-of-record. Exists only while it has at
 * least one binding. */
struct reg_aor {
	struct reg_aor *next; /* hash chain */
	struct binding *head; /* q descending, most recent first */
	size_t count;
	uint64_t hash;
	size_t name_len;
	char name[]; /* NUL-ended */
};

/* One binding in one block: the strings follow the struct. A refresh
 * puts a new block in place, so that a request can prepare every change
 * before making any (RFC 3261 §10.3 step 7: all or nothing). */
struct binding {
	struct binding *next;
	struct registrar *reg;
	struct reg_aor *aor; /* NULL until linked */
	struct loop_timer timer;
	struct sip_uri uri; /* views into 'contact' */
	struct sip_txn_peer peer;
	uint64_t expires_at_ms; /* loop clock */
	uint64_t expires_at_wall_s;
	uint64_t stamp; /* creation order: later is more recent */
	uint32_t cseq;
	uint16_t q;
	uint8_t plan; /* enum plan */
	struct sv contact;
	struct sv call_id;
	struct sv user_agent;
	char text[];
};

struct registrar {
	struct loop *loop;
	struct registrar_config cfg;
	struct registrar_hooks hooks;
	struct reg_aor **buckets;
	size_t mask; /* bucket count - 1 (a power of two) */
	size_t count;
	uint64_t next_stamp;
};

/* One Contact value of the request being processed. */
struct reg_contact {
	struct sip_addr addr;
	uint32_t expires_s;
	bool skip;             /* an equal URI follows in the request */
	struct binding *old;   /* the existing binding it matches */
	struct binding *fresh; /* the block that adds or refreshes it */
};

/* State of one registrar_handle() call. */
struct reg_req {
	struct registrar *reg;
	struct sip_msg *msg;
	const struct sip_txn_peer *from;
	uint64_t now_wall_s;
	char aor[REGISTRAR_AOR_MAX];
	size_t aor_len;
	uint64_t hash;
	struct reg_aor *entry; /* existing, or new and not yet linked */
	bool entry_new;
	struct sv call_id;
	uint32_t cseq;
	struct sv user_agent;
	bool star;
	bool has_expires;
	uint32_t expires_hdr;
	/* Result. */
	uint16_t status;
	const char *reason;
	/* Last: registrar_handle() clears what precedes it. */
	size_t n;
	struct reg_contact c[SIP_LIST_MAX];
};

void
registrar_config_default(struct registrar_config *cfg)
{
	cfg->default_expires_s = REGISTRAR_DEFAULT_EXPIRES_S;
	cfg->min_expires_s = REGISTRAR_MIN_EXPIRES_S;
	cfg->max_expires_s = REGISTRAR_MAX_EXPIRES_S;
	cfg->contacts_max = REGISTRAR_CONTACTS_MAX;
	cfg->bindings_max = REGISTRAR_BINDINGS_MAX;
}

static bool
config_ok(const struct registrar_config *c)
{
	return c->min_expires_s >= 1 &&
	       c->min_expires_s <= REGISTRAR_MIN_EXPIRES_LIMIT &&
	       c->min_expires_s <= c->default_expires_s &&
	       c->default_expires_s <= c->max_expires_s &&
	       c->max_expires_s <= REGISTRAR_EXPIRES_LIMIT &&
	       c->contacts_max >= 1 &&
	       c->contacts_max <= REGISTRAR_CONTACTS_LIMIT &&
	       c->bindings_max >= 1 &&
	       c->bindings_max <= REGISTRAR_BINDINGS_LIMIT;
}

/* FNV-1a. Keys are authenticated user names (or rows the server saved
 * itself), so a peer cannot choose colliding keys. */
static uint64_t
hash_key(struct sv key)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < key.len; i++) {
		h ^= (unsigned char)key.p[i];
		h *= 0x100000001b3u;
	}
	return h;
}

static struct reg_aor *
aor_find(const struct registrar *reg, struct sv key, uint64_t hash)
{
	struct reg_aor *a = reg->buckets[hash & reg->mask];

	for (; a != NULL; a = a->next)
		if (a->hash == hash &&
		    sv_eq(sv_make(a->name, a->name_len), key))
			return a;
	return NULL;
}

static struct reg_aor *
aor_alloc(struct sv key, uint64_t hash)
{
	struct reg_aor *a = mem_calloc(1, sizeof(*a) + key.len + 1);

	if (a == NULL)
		return NULL;
	if (key.len > 0)
		memcpy(a->name, key.p, key.len);
	a->name[key.len] = '\0';
	a->name_len = key.len;
	a->hash = hash;
	return a;
}

static void
aor_link(struct registrar *reg, struct reg_aor *a)
{
	struct reg_aor **head = &reg->buckets[a->hash & reg->mask];

	a->next = *head;
	*head = a;
}

static void
aor_unlink(struct registrar *reg, struct reg_aor *a)
{
	struct reg_aor **pp = &reg->buckets[a->hash & reg->mask];

	while (*pp != NULL && *pp != a)
		pp = &(*pp)->next;
	if (*pp == a)
		*pp = a->next;
}

/* Inserts b before the first binding whose q is not above its own: q
 * descending, the most recent first among equals. */
static void
aor_insert(struct reg_aor *a, struct binding *b)
{
	struct binding **pp = &a->head;

	while (*pp != NULL && (*pp)->q > b->q)
		pp = &(*pp)->next;
	b->next = *pp;
	*pp = b;
	b->aor = a;
	a->count++;
}

static void
aor_remove(struct reg_aor *a, struct binding *b)
{
	struct binding **pp = &a->head;

	while (*pp != NULL && *pp != b)
		pp = &(*pp)->next;
	if (*pp == b) {
		*pp = b->next;
		a->count--;
	}
	b->next = NULL;
}

static uint32_t
remaining_s(const struct registrar *reg, const struct binding *b)
{
	uint64_t now = loop_now_ms(reg->loop), s;

	if (b->expires_at_ms <= now)
		return 0;
	s = (b->expires_at_ms - now + 999) / 1000;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

static void
binding_view(const struct binding *b, const struct reg_aor *a,
    struct registrar_binding *out)
{
	out->aor = sv_make(a->name, a->name_len);
	out->contact = b->contact;
	out->q = b->q;
	out->cseq = b->cseq;
	out->call_id = b->call_id;
	out->user_agent = b->user_agent;
	out->expires_at_wall_s = b->expires_at_wall_s;
	out->expires_in_s = remaining_s(b->reg, b);
	out->peer = b->peer;
}

static void
hook_saved(struct registrar *reg, const struct binding *b)
{
	struct registrar_binding v;

	if (reg->hooks.saved == NULL)
		return;
	binding_view(b, b->aor, &v);
	reg->hooks.saved(reg->hooks.arg, &v);
}

static void
hook_removed(struct registrar *reg, const struct binding *b,
    const struct reg_aor *a, enum registrar_removal why)
{
	struct registrar_binding v;

	if (reg->hooks.removed == NULL)
		return;
	binding_view(b, a, &v);
	reg->hooks.removed(reg->hooks.arg, &v, why);
}

static void
binding_destroy(struct binding *b)
{
	if (b == NULL)
		return;
	loop_timer_stop(b->reg->loop, &b->timer);
	free(b);
}

/* Drops an AOR entry that has lost its last binding. */
static void
aor_release_if_empty(struct registrar *reg, struct reg_aor *a)
{
	if (a->count > 0)
		return;
	aor_unlink(reg, a);
	free(a);
}

/* The binding's timer: it has expired. */
static void
binding_expired(struct loop *l, void *arg)
{
	struct binding *b = arg;
	struct registrar *reg = b->reg;
	struct reg_aor *a = b->aor;

	(void)l;
	aor_remove(a, b);
	reg->count--;
	hook_removed(reg, b, a, REGISTRAR_REMOVAL_EXPIRED);
	free(b);
	aor_release_if_empty(reg, a);
}

/* Copies a User-Agent for display: cut to REGISTRAR_USER_AGENT_MAX bytes
 * (not inside a UTF-8 sequence), control bytes (folding included) turned
 * into spaces. */
static size_t
user_agent_len(struct sv ua)
{
	size_t n = ua.len;

	if (n <= REGISTRAR_USER_AGENT_MAX)
		return n;
	n = REGISTRAR_USER_AGENT_MAX;
	while (n > 0 && ((unsigned char)ua.p[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static void
copy_text(char **dst, struct sv src, struct sv *view)
{
	if (src.len > 0)
		memcpy(*dst, src.p, src.len);
	(*dst)[src.len] = '\0';
	*view = sv_make(*dst, src.len);
	*dst += src.len + 1;
}

struct binding_fields {
	struct sv contact;
	struct sv call_id;
	struct sv user_agent;
	uint16_t q;
	uint32_t cseq;
	const struct sip_txn_peer *peer;
	uint32_t expires_s;
	uint64_t expires_at_wall_s;
};

/* A new unlinked binding with its timer running (no callback can run
 * before the caller returns to the loop). Returns 0, -EINVAL (the
 * contact does not parse) or -ENOMEM. */
static int
binding_new(
    struct registrar *reg, const struct binding_fields *f, struct binding **out)
{
	struct sv ua = sv_head(f->user_agent, user_agent_len(f->user_agent));
	struct binding *b;
	char *p, *ua_text;
	int err;

	b = mem_alloc(
	    sizeof(*b) + f->contact.len + f->call_id.len + ua.len + 3);
	if (b == NULL)
		return -ENOMEM;
	memset(b, 0, sizeof(*b));
	p = b->text;
	copy_text(&p, f->contact, &b->contact);
	copy_text(&p, f->call_id, &b->call_id);
	ua_text = p;
	copy_text(&p, ua, &b->user_agent);
	for (size_t i = 0; i < ua.len; i++) {
		unsigned char c = (unsigned char)ua_text[i];

		if (c < 0x20 || c == 0x7f)
			ua_text[i] = ' ';
	}
	if (sip_uri_parse(b->contact, &b->uri) != 0) {
		free(b);
		return -EINVAL;
	}
	b->reg = reg;
	b->peer = *f->peer;
	b->q = f->q;
	b->cseq = f->cseq;
	b->expires_at_wall_s = f->expires_at_wall_s;
	b->stamp = ++reg->next_stamp;
	b->plan = PLAN_KEEP;
	loop_timer_init(&b->timer, binding_expired, b);
	err = loop_timer_start(
	    reg->loop, &b->timer, (uint64_t)f->expires_s * 1000u);
	if (err != 0) {
		free(b);
		return err;
	}
	b->expires_at_ms = b->timer.due_ms;
	*out = b;
	return 0;
}

int
registrar_new(struct registrar **out, struct loop *l,
    const struct registrar_config *cfg, const struct registrar_hooks *hooks)
{
	struct registrar *reg;
	size_t nb = 16;

	if (l == NULL)
		return -EINVAL;
	if (cfg != NULL && !config_ok(cfg))
		return -EINVAL;
	reg = mem_calloc(1, sizeof(*reg));
	if (reg == NULL)
		return -ENOMEM;
	reg->loop = l;
	if (cfg != NULL)
		reg->cfg = *cfg;
	else
		registrar_config_default(&reg->cfg);
	if (hooks != NULL)
		reg->hooks = *hooks;
	/* About one AOR per bucket when full, up to 64 Ki buckets. */
	while (nb < reg->cfg.bindings_max && nb < 65536)
		nb *= 2;
	reg->buckets = mem_calloc(nb, sizeof(*reg->buckets));
	if (reg->buckets == NULL) {
		free(reg);
		return -ENOMEM;
	}
	reg->mask = nb - 1;
	*out = reg;
	return 0;
}

void
registrar_free(struct registrar *reg)
{
	if (reg == NULL)
		return;
	for (size_t i = 0; i <= reg->mask; i++) {
		struct reg_aor *a = reg->buckets[i];

		while (a != NULL) {
			struct reg_aor *next_aor = a->next;
			struct binding *b = a->head;

			while (b != NULL) {
				struct binding *next = b->next;

				binding_destroy(b);
				b = next;
			}
			free(a);
			a = next_aor;
		}
	}
	free(reg->buckets);
	free(reg);
}

size_t
registrar_count(const struct registrar *reg)
{
	return reg->count;
}

int
registrar_lookup(const struct registrar *reg, struct sv aor,
    registrar_binding_cb cb, void *arg)
{
	const struct reg_aor *a = aor_find(reg, aor, hash_key(aor));
	int n = 0;

	if (a == NULL)
		return 0;
	for (const struct binding *b = a->head; b != NULL; b = b->next) {
		struct registrar_binding v;

		binding_view(b, a, &v);
		n++;
		if (!cb(arg, &v))
			break;
	}
	return n;
}

size_t
registrar_remove_aor(struct registrar *reg, struct sv aor)
{
	struct reg_aor *a = aor_find(reg, aor, hash_key(aor));
	size_t n = 0;

	if (a == NULL)
		return 0;
	while (a->head != NULL) {
		struct binding *b = a->head;

		aor_remove(a, b);
		reg->count--;
		hook_removed(reg, b, a, REGISTRAR_REMOVAL_ADMIN);
		binding_destroy(b);
		n++;
	}
	aor_release_if_empty(reg, a);
	return n;
}

static bool
contact_scheme_ok(const struct sip_uri *u)
{
	return u->scheme == SIP_URI_SIP || u->scheme == SIP_URI_SIPS;
}

int
registrar_restore(struct registrar *reg, const struct registrar_binding *b,
    uint64_t now_wall_s)
{
	struct binding_fields f;
	struct sip_uri uri;
	struct reg_aor *a;
	struct binding *nb;
	uint64_t hash, left;
	int err;

	if (b->aor.len == 0 || b->aor.len > REGISTRAR_AOR_MAX ||
	    b->contact.len == 0 || b->contact.len > REGISTRAR_URI_MAX ||
	    b->call_id.len == 0 || b->call_id.len > REGISTRAR_CALL_ID_MAX ||
	    b->q > 1000 || sip_uri_parse(b->contact, &uri) != 0 ||
	    !contact_scheme_ok(&uri))
		return -EINVAL;
	if (b->expires_at_wall_s <= now_wall_s)
		return -ETIMEDOUT;
	left = b->expires_at_wall_s - now_wall_s;
	if (left > reg->cfg.max_expires_s)
		left = reg->cfg.max_expires_s;
	hash = hash_key(b->aor);
	a = aor_find(reg, b->aor, hash);
	if (a != NULL) {
		for (const struct binding *o = a->head; o != NULL; o = o->next)
			if (sip_uri_equal(&o->uri, &uri))
				return -EEXIST;
		if (a->count >= reg->cfg.contacts_max)
			return -ENOSPC;
	}
	if (reg->count >= reg->cfg.bindings_max)
		return -ENOSPC;
	f = (struct binding_fields){
	    .contact = b->contact,
	    .call_id = b->call_id,
	    .user_agent = b->user_agent,
	    .q = b->q,
	    .cseq = b->cseq,
	    .peer = &b->peer,
	    .expires_s = (uint32_t)left,
	    .expires_at_wall_s = now_wall_s + left,
	};
	if (a == NULL) {
		a = aor_alloc(b->aor, hash);
		if (a == NULL)
			return -ENOMEM;
		err = binding_new(reg, &f, &nb);
		if (err != 0) {
			free(a);
			return err;
		}
		aor_link(reg, a);
	} else {
		err = binding_new(reg, &f, &nb);
		if (err != 0)
			return err;
	}
	aor_insert(a, nb);
	reg->count++;
	return 0;
}

/* Request processing. Each step returns 0 to go on, or sets the answer
 * and returns its status. */

static uint16_t
answer(struct reg_req *r, uint16_t status, const char *reason)
{
	r->status = status;
	r->reason = reason;
	return status;
}

/* §10.3 steps 4 and 5: the AOR and whether the user may change it. */
static uint16_t
step_aor(struct reg_req *r, struct sv auth_user)
{
	const struct sip_addr *to;
	const struct sip_uri *u;
	int err;

	if (sip_msg_to(r->msg, &to, NULL) != 0)
		return answer(r, 400, "Bad To");
	u = &to->uri;
	if ((u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS) ||
	    u->user.len == 0)
		return answer(r, 403, "");
	err = sip_uri_unescape(u->user, r->aor, sizeof(r->aor), &r->aor_len);
	if (err == -E2BIG)
		return answer(r, 403, "");
	if (err != 0 || r->aor_len == 0)
		return answer(r, 400, "Bad To");
	if (!sv_eq(sv_make(r->aor, r->aor_len), auth_user))
		return answer(r, 403, "");
	r->hash = hash_key(sv_make(r->aor, r->aor_len));
	r->entry = aor_find(r->reg, sv_make(r->aor, r->aor_len), r->hash);
	return 0;
}

static uint16_t
step_ids(struct reg_req *r)
{
	const struct sip_cseq *cseq;
	int err;

	if (sip_msg_call_id(r->msg, &r->call_id, NULL) != 0 ||
	    r->call_id.len == 0)
		return answer(r, 400, "Bad Call-ID");
	if (r->call_id.len > REGISTRAR_CALL_ID_MAX)
		return answer(r, 400, "Call-ID Too Long");
	if (sip_msg_cseq(r->msg, &cseq, NULL) != 0 ||
	    cseq->method != SIP_METHOD_REGISTER)
		return answer(r, 400, "Bad CSeq");
	r->cseq = cseq->seq;
	if (sip_msg_header(r->msg, SIP_HDR_USER_AGENT, &r->user_agent) != 0)
		r->user_agent = SV_NULL;
	err = sip_msg_expires(r->msg, &r->expires_hdr, NULL);
	if (err == 0)
		r->has_expires = true;
	else if (err != -ENOENT)
		return answer(r, 400, "Bad Expires");
	return 0;
}

/* §10.3 step 6 and the syntax of each Contact value. */
static uint16_t
step_contacts(struct reg_req *r)
{
	struct sip_hdr_iter it;
	struct sv v;
	int rc;

	sip_hdr_iter_init(&it, r->msg, SIP_HDR_CONTACT);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1) {
		struct reg_contact *c;

		if (r->n >= RP_ARRAY_LEN(r->c))
			return answer(r, 400, "Too Many Contacts");
		c = &r->c[r->n++];
		c->skip = false;
		c->old = NULL;
		c->fresh = NULL;
		c->expires_s = 0;
		if (sip_contact_parse(v, &c->addr) != 0)
			return answer(r, 400, "Bad Contact");
		if (c->addr.star) {
			r->star = true;
			continue;
		}
		if (!contact_scheme_ok(&c->addr.uri))
			return answer(r, 400, "Unsupported Contact Scheme");
		if (c->addr.uri.raw.len > REGISTRAR_URI_MAX)
			return answer(r, 400, "Contact Too Long");
	}
	if (rc == -E2BIG)
		return answer(r, 400, "Too Many Contacts");
	if (rc != 0)
		return answer(r, 400, "Bad Contact");
	/* §10.3 step 6: "*" only alone and with "Expires: 0". */
	if (r->star && (r->n != 1 || !r->has_expires || r->expires_hdr != 0))
		return answer(r, 400, "Invalid Wildcard Contact");
	return 0;
}

/* §10.3 step 7: a binding set by the same Call-ID may only be changed by
 * a higher CSeq; otherwise the whole request fails. */
static bool
out_of_order(const struct reg_req *r, const struct binding *b)
{
	return sv_eq(b->call_id, r->call_id) && r->cseq <= b->cseq;
}

/* §10.3 step 7: each contact's expiry and the binding it matches. */
static uint16_t
step_expiry(struct reg_req *r)
{
	const struct registrar_config *cfg = &r->reg->cfg;

	for (size_t i = 0; i < r->n; i++) {
		struct reg_contact *c = &r->c[i];
		uint32_t e = cfg->default_expires_s;

		if (c->addr.has_expires)
			e = c->addr.expires;
		else if (r->has_expires)
			e = r->expires_hdr;
		if (e != 0 && e < cfg->min_expires_s)
			return answer(r, 423, "");
		if (e > cfg->max_expires_s)
			e = cfg->max_expires_s;
		c->expires_s = e;
		/* The last of equal contacts in one request wins. */
		for (size_t j = 0; j < i; j++)
			if (!r->c[j].skip &&
			    sip_uri_equal(&r->c[j].addr.uri, &c->addr.uri))
				r->c[j].skip = true;
	}
	return 0;
}

static void
reset_plan(struct reg_req *r)
{
	if (r->entry != NULL)
		for (struct binding *b = r->entry->head; b != NULL; b = b->next)
			b->plan = PLAN_KEEP;
	for (size_t i = 0; i < r->n; i++) {
		binding_destroy(r->c[i].fresh);
		r->c[i].fresh = NULL;
	}
	if (r->entry_new) {
		free(r->entry);
		r->entry = NULL;
		r->entry_new = false;
	}
}

/* The binding to evict: the one closest to expiry among those the
 * request leaves alone, the oldest first on a tie. */
static struct binding *
eviction_victim(const struct reg_req *r)
{
	struct binding *best = NULL;

	for (struct binding *b = r->entry->head; b != NULL; b = b->next) {
		if (b->plan != PLAN_KEEP)
			continue;
		if (best == NULL || b->expires_at_ms < best->expires_at_ms ||
		    (b->expires_at_ms == best->expires_at_ms &&
		        b->stamp < best->stamp))
			best = b;
	}
	return best;
}

/* The first binding equal to 'uri' that no earlier contact of this
 * request has claimed. URI equality is not transitive (a parameter in
 * only one URI is ignored, §19.1.4), so two contacts that differ may
 * both equal one binding: the first takes it, the other is added. */
static struct binding *
find_unclaimed(const struct reg_req *r, const struct sip_uri *uri)
{
	if (r->entry == NULL)
		return NULL;
	for (struct binding *b = r->entry->head; b != NULL; b = b->next)
		if (b->plan == PLAN_KEEP && sip_uri_equal(&b->uri, uri))
			return b;
	return NULL;
}

/* Decides what happens to every binding, checking the ordering rule and
 * the bounds; changes nothing visible. */
static uint16_t
step_plan(struct reg_req *r)
{
	const struct registrar_config *cfg = &r->reg->cfg;
	size_t existing = r->entry != NULL ? r->entry->count : 0;
	size_t removed = 0, added = 0, live = 0, final, evict;

	if (r->star) {
		if (r->entry == NULL)
			return 0;
		for (struct binding *b = r->entry->head; b != NULL; b = b->next)
			if (out_of_order(r, b))
				return answer(r, 500, "CSeq Out of Order");
		for (struct binding *b = r->entry->head; b != NULL; b = b->next)
			b->plan = PLAN_REMOVE;
		return 0;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct reg_contact *c = &r->c[i];

		if (c->skip)
			continue;
		c->old = find_unclaimed(r, &c->addr.uri);
		if (c->old != NULL && out_of_order(r, c->old))
			return answer(r, 500, "CSeq Out of Order");
		if (c->expires_s > 0)
			live++;
		if (c->old != NULL) {
			c->old->plan =
			    c->expires_s == 0 ? PLAN_REMOVE : PLAN_UPDATE;
			removed += c->expires_s == 0;
		} else if (c->expires_s > 0) {
			added++;
		}
	}
	if (live > cfg->contacts_max)
		return answer(r, 403, "Too Many Contacts");
	final = existing - removed + added;
	evict = final > cfg->contacts_max ? final - cfg->contacts_max : 0;
	if (r->reg->count - removed - evict + added > cfg->bindings_max)
		return answer(r, 503, "Too Many Registrations");
	for (; evict > 0; evict--) {
		struct binding *victim = eviction_victim(r);

		/* evict <= the bindings left alone, so one is always found. */
		if (victim == NULL)
			return answer(r, 500, "");
		victim->plan = PLAN_EVICT;
	}
	return 0;
}

/* Allocates every new block (and the AOR entry) before any change. */
static uint16_t
step_prepare(struct reg_req *r)
{
	struct binding_fields f = {
	    .call_id = r->call_id,
	    .user_agent = r->user_agent,
	    .cseq = r->cseq,
	    .peer = r->from,
	};

	for (size_t i = 0; i < r->n; i++) {
		struct reg_contact *c = &r->c[i];

		if (c->skip || c->expires_s == 0 || r->star)
			continue;
		if (r->entry == NULL) {
			r->entry =
			    aor_alloc(sv_make(r->aor, r->aor_len), r->hash);
			if (r->entry == NULL)
				return answer(r, 503, "");
			r->entry_new = true;
		}
		f.contact = c->addr.uri.raw;
		f.q = c->addr.has_q ? c->addr.q : 1000;
		f.expires_s = c->expires_s;
		f.expires_at_wall_s = r->now_wall_s + c->expires_s;
		if (binding_new(r->reg, &f, &c->fresh) != 0)
			return answer(r, 503, "");
	}
	return 0;
}

static bool
binding_before(const struct binding *a, const struct binding *b)
{
	if (a->q != b->q)
		return a->q > b->q;
	return a->stamp > b->stamp;
}

/* Date: RFC 3261 §20.17, RFC 1123 form, always GMT. */
static void
append_date(struct buf *b, uint64_t wall_s)
{
	static const char days[7][4] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t t;

	/* Keeps a four-digit year. */
	if (wall_s > 253402300799u)
		wall_s = 253402300799u;
	t = (time_t)wall_s;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return;
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
append_contact(struct buf *out, const struct binding *b, uint32_t left_s)
{
	buf_append_cstr(out, "Contact: <");
	buf_append_sv(out, b->contact);
	buf_append_cstr(out, ">;expires=");
	buf_append_u64(out, left_s);
	if (b->q < 1000) {
		char q[6] = {'0', '.', 0, 0, 0, 0};
		size_t n = 5;

		q[2] = (char)('0' + b->q / 100);
		q[3] = (char)('0' + b->q / 10 % 10);
		q[4] = (char)('0' + b->q % 10);
		while (n > 3 && q[n - 1] == '0')
			n--;
		buf_append_cstr(out, ";q=");
		buf_append(out, q, n);
	}
	buf_append_cstr(out, "\r\n");
}

/* §10.3 step 8: the 200 lists every binding the AOR will have. */
static int
build_ok(struct reg_req *r, struct buf *out)
{
	const struct binding *list[REGISTRAR_CONTACTS_LIMIT];
	size_t n = 0;

	if (r->entry != NULL) {
		for (const struct binding *b = r->entry->head; b != NULL;
		     b = b->next)
			if (b->plan == PLAN_KEEP && n < RP_ARRAY_LEN(list))
				list[n++] = b;
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->c[i].fresh != NULL && n < RP_ARRAY_LEN(list))
			list[n++] = r->c[i].fresh;
	/* Insertion sort: at most REGISTRAR_CONTACTS_LIMIT entries. */
	for (size_t i = 1; i < n; i++) {
		const struct binding *b = list[i];
		size_t j = i;

		for (; j > 0 && binding_before(b, list[j - 1]); j--)
			list[j] = list[j - 1];
		list[j] = b;
	}
	append_date(out, r->now_wall_s);
	for (size_t i = 0; i < n; i++)
		append_contact(out, list[i], remaining_s(r->reg, list[i]));
	return buf_error(out);
}

/* Makes the planned changes visible and tells the hooks. Cannot fail. */
static void
commit(struct reg_req *r)
{
	struct registrar *reg = r->reg;
	struct reg_aor *a = r->entry;

	if (a == NULL)
		return;
	if (r->entry_new) {
		aor_link(reg, a);
		r->entry_new = false;
	}
	for (struct binding *b = a->head, *next; b != NULL; b = next) {
		next = b->next;
		if (b->plan != PLAN_REMOVE && b->plan != PLAN_EVICT)
			continue;
		aor_remove(a, b);
		reg->count--;
		hook_removed(reg, b, a,
		    b->plan == PLAN_EVICT ? REGISTRAR_REMOVAL_EVICTED
		                          : REGISTRAR_REMOVAL_UNREGISTERED);
		binding_destroy(b);
	}
	for (size_t i = 0; i < r->n; i++) {
		struct reg_contact *c = &r->c[i];
		struct binding *old = c->old;

		if (c->fresh == NULL)
			continue;
		if (old != NULL) {
			aor_remove(a, old);
			reg->count--;
			if (!sv_eq(old->contact, c->fresh->contact))
				hook_removed(
				    reg, old, a, REGISTRAR_REMOVAL_REWRITTEN);
			binding_destroy(old);
		}
		aor_insert(a, c->fresh);
		reg->count++;
		hook_saved(reg, c->fresh);
		c->fresh = NULL;
	}
	aor_release_if_empty(reg, a);
	r->entry = NULL;
}

static uint16_t
process(struct reg_req *r, struct sv auth_user, struct buf *hdrs)
{
	if (step_aor(r, auth_user) != 0 || step_ids(r) != 0 ||
	    step_contacts(r) != 0)
		return r->status;
	if (step_expiry(r) != 0) {
		if (r->status == 423 &&
		    sip_build_header_u32(hdrs, SV("Min-Expires"),
		        r->reg->cfg.min_expires_s) != 0)
			return answer(r, 503, "");
		return r->status;
	}
	if (step_plan(r) != 0 || step_prepare(r) != 0) {
		reset_plan(r);
		return r->status;
	}
	if (build_ok(r, hdrs) != 0) {
		reset_plan(r);
		return answer(r, 503, "");
	}
	commit(r);
	return answer(r, 200, "");
}

int
registrar_handle(struct registrar *reg, struct sip_msg *req,
    const struct sip_txn_peer *from, struct sv auth_user, uint64_t now_wall_s,
    struct buf *hdrs, struct registrar_reply *reply)
{
	struct reg_req *r;
	struct reg_req storage;

	assert(reg != NULL && req != NULL && from != NULL && hdrs != NULL &&
	       reply != NULL);
	if (!req->is_request || req->method != SIP_METHOD_REGISTER ||
	    auth_user.len == 0)
		return -EINVAL;
	r = &storage;
	memset(r, 0, offsetof(struct reg_req, n));
	r->n = 0;
	r->reg = reg;
	r->msg = req;
	r->from = from;
	r->now_wall_s = now_wall_s;
	buf_reset(hdrs);
	(void)process(r, auth_user, hdrs);
	if (buf_error(hdrs) != 0) {
		/* A header could not be written; nothing was changed. */
		buf_reset(hdrs);
		(void)answer(r, 503, "");
	}
	reply->status = r->status;
	reply->reason = r->reason;
	return 0;
}
