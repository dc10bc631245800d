/* Groups of users. See store/groups.h. */
#include "store/groups.h"

#include <errno.h>
#include <string.h>

#define GROUP_COLS                                                             \
	"name, COALESCE(profile, ''), COALESCE(tenant, ''), description, "     \
	"created_at, updated_at, "                                             \
	"(SELECT count(*) FROM users WHERE grp = groups.name)"

static int
bad(const char **field, const char *name)
{
	if (field != NULL)
		*field = name;
	return -EINVAL;
}

bool
groups_name_valid(struct sv name)
{
	return users_profile_valid(name);
}

bool
groups_tenant_valid(struct sv tenant)
{
	return users_profile_valid(tenant);
}

/* A text field of a struct: NUL-terminated within its array. */
static bool
text_of(const char *s, size_t size, struct sv *out)
{
	const char *end = memchr(s, '\0', size);

	if (end == NULL)
		return false;
	*out = sv_make(s, (size_t)(end - s));
	return true;
}

int
groups_check(const struct group_info *g, const char **field)
{
	struct sv v;

	if (!text_of(g->name, sizeof(g->name), &v) || !groups_name_valid(v))
		return bad(field, "name");
	if (!text_of(g->profile, sizeof(g->profile), &v) ||
	    (v.len > 0 && !users_profile_valid(v)))
		return bad(field, "profile");
	if (!text_of(g->tenant, sizeof(g->tenant), &v) ||
	    (v.len > 0 && !groups_tenant_valid(v)))
		return bad(field, "tenant");
	if (!text_of(g->description, sizeof(g->description), &v) ||
	    !users_name_valid(v))
		return bad(field, "description");
	return 0;
}

/* 0 when a row matches the count query 'sql' bound to 'v', else
 * -ENOENT. */
static int
exists(struct db *db, const char *sql, struct sv v)
{
	struct db_stmt *st;
	int err;

	err = db_prepare(db, sql, &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, v);
	err = db_step(st);
	if (err == DB_ROW)
		err = db_col_int64(st, 0) > 0 ? 0 : -ENOENT;
	else if (err == DB_DONE)
		err = -EIO;
	db_finish(st);
	return err;
}

static struct sv
or_null(const char *s)
{
	return s[0] != '\0' ? sv_cstr(s) : SV_NULL;
}

static int
group_write(struct db *db, const struct group_info *g, int64_t now,
    const char **field, bool add)
{
	struct db_stmt *st;
	uint64_t changed = 0;
	int err;

	err = groups_check(g, field);
	if (err != 0)
		return err;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	if (g->profile[0] != '\0') {
		err = exists(db,
		    "SELECT count(*) FROM rights_profiles WHERE name = ?1",
		    sv_cstr(g->profile));
		if (err == -ENOENT) {
			err = -ENXIO;
			(void)bad(field, "profile");
		}
	}
	if (err == 0)
		err = db_prepare(db,
		    add ? "INSERT INTO groups (name, profile, tenant,"
		          " description, created_at, updated_at)"
		          " VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
		        : "UPDATE groups SET profile = ?2, tenant = ?3,"
		          " description = ?4, updated_at = ?5"
		          " WHERE name = ?1",
		    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, sv_cstr(g->name));
	db_bind_text(st, 2, or_null(g->profile));
	db_bind_text(st, 3, or_null(g->tenant));
	db_bind_text(st, 4, sv_cstr(g->description));
	db_bind_int64(st, 5, now);
	err = db_step(st);
	changed = db_changes(db);
	db_finish(st);
	if (err == 0 && !add && changed == 0)
		err = -ENOENT;
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	return db_tx_commit(db);
}

int
groups_add(
    struct db *db, const struct group_info *g, int64_t now, const char **field)
{
	return group_write(db, g, now, field, true);
}

int
groups_update(
    struct db *db, const struct group_info *g, int64_t now, const char **field)
{
	return group_write(db, g, now, field, false);
}

static int
fill_text(char *out, size_t size, struct sv v)
{
	if (v.len >= size)
		return -EBADMSG;
	if (v.len > 0)
		memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return 0;
}

static int
group_fill(struct group_info *g, struct db_stmt *st)
{
	int64_t members = db_col_int64(st, 6);

	memset(g, 0, sizeof(*g));
	if (fill_text(g->name, sizeof(g->name), db_col_text(st, 0)) != 0 ||
	    fill_text(g->profile, sizeof(g->profile), db_col_text(st, 1)) !=
	        0 ||
	    fill_text(g->tenant, sizeof(g->tenant), db_col_text(st, 2)) != 0 ||
	    fill_text(g->description, sizeof(g->description),
	        db_col_text(st, 3)) != 0 ||
	    groups_check(g, NULL) != 0 || members < 0)
		return -EBADMSG;
	g->created_at = db_col_int64(st, 4);
	g->updated_at = db_col_int64(st, 5);
	g->members = (uint64_t)members;
	return 0;
}

int
groups_get(struct db *db, struct sv name, struct group_info *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!groups_name_valid(name))
		return -EINVAL;
	err = db_prepare(
	    db, "SELECT " GROUP_COLS " FROM groups WHERE name = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = group_fill(out, st);
	db_finish(st);
	return err;
}

int
groups_list(struct db *db, groups_list_cb cb, void *arg)
{
	struct group_info g;
	struct db_stmt *st;
	int err;

	err = db_prepare(
	    db, "SELECT " GROUP_COLS " FROM groups ORDER BY name", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = group_fill(&g, st);
		if (err == 0)
			err = cb(arg, &g);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

struct members {
	struct sv name;
	users_list_cb cb;
	void *arg;
};

static int
member_of(void *arg, const struct user_info *u)
{
	struct members *m = arg;

	return sv_eq(m->name, sv_cstr(u->group)) ? m->cb(m->arg, u) : 0;
}

int
groups_members(struct db *db, struct sv name, users_list_cb cb, void *arg)
{
	struct members m = {name, cb, arg};

	if (!groups_name_valid(name))
		return -EINVAL;
	/* users_list() checks every row it reads; groups are small next
	 * to the users table, so a filtered walk is enough. */
	return users_list(db, member_of, &m);
}

int
groups_remove(struct db *db, struct sv name, bool force, uint64_t *members)
{
	struct group_info g;
	struct db_stmt *st;
	int err;

	if (members != NULL)
		*members = 0;
	if (!groups_name_valid(name))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = groups_get(db, name, &g);
	if (err == 0 && g.members > 0) {
		if (members != NULL)
			*members = g.members;
		if (!force) {
			err = -EBUSY;
		} else {
			err = db_prepare(db,
			    "UPDATE users SET grp = NULL WHERE grp = ?1", &st);
			if (err == 0) {
				db_bind_text(st, 1, name);
				err = db_step(st);
				db_finish(st);
			}
		}
	}
	if (err == 0)
		err = db_prepare(db, "DELETE FROM groups WHERE name = ?1", &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, name);
	err = db_step(st);
	db_finish(st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	return db_tx_commit(db);
}

int
groups_tenant_exists(struct db *db, struct sv tenant)
{
	if (!groups_tenant_valid(tenant))
		return -EINVAL;
	return exists(
	    db, "SELECT count(*) FROM groups WHERE tenant = ?1", tenant);
}

int
groups_profile_user(
    struct db *db, struct sv profile, char group[GROUPS_NAME_MAX + 1])
{
	struct db_stmt *st;
	int err;

	if (!users_profile_valid(profile))
		return -EINVAL;
	err = db_prepare(db,
	    "SELECT name FROM groups WHERE profile = ?1 ORDER BY name LIMIT 1",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, profile);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW && group != NULL)
		err = fill_text(group, GROUPS_NAME_MAX + 1, db_col_text(st, 0));
	else if (err == DB_ROW)
		err = 0;
	db_finish(st);
	return err;
}
