/* In-memory user directory: a sorted array searched by extension. */
#include "pbx/directory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "store/users.h"

struct entry {
	char ext[USERS_EXT_MAX + 1];
	struct sip_auth_ha1 ha1;
};

struct directory {
	struct entry *entries;
	size_t n;
	size_t cap;
	struct db *db;
	const struct keys *keys;
	int err;
};

static int
add_user(void *arg, const struct user_info *u)
{
	struct directory *d = arg;
	struct user_record rec;
	struct entry *e;
	int rc;

	if (!u->enabled)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap != 0 ? d->cap * 2 : 64;
		struct entry *p = mem_realloc(d->entries, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		d->entries = p;
		d->cap = cap;
	}
	rc = users_get(d->db, d->keys, sv_cstr(u->ext), &rec);
	if (rc != 0)
		return rc;
	e = &d->entries[d->n++];
	memcpy(e->ext, rec.info.ext, sizeof(e->ext));
	memcpy(e->ha1.md5, rec.ha1_md5, sizeof(e->ha1.md5));
	memcpy(e->ha1.sha256, rec.ha1_sha256, sizeof(e->ha1.sha256));
	e->ha1.has_md5 = true;
	e->ha1.has_sha256 = true;
	users_record_wipe(&rec);
	return 0;
}

static int
by_ext(const void *a, const void *b)
{
	return strcmp(
	    ((const struct entry *)a)->ext, ((const struct entry *)b)->ext);
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
	*out = d;
	return 0;
}

void
directory_free(struct directory *d)
{
	if (d == NULL)
		return;
	if (d->entries != NULL)
		keys_wipe(d->entries, d->cap * sizeof(*d->entries));
	free(d->entries);
	free(d);
}

const struct sip_auth_ha1 *
directory_find(const struct directory *d, struct sv ext)
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
			return &d->entries[mid].ha1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
directory_count(const struct directory *d)
{
	return d->n;
}
