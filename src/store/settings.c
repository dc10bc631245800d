/* Settings repository. */
#include "store/settings.h"

#include <errno.h>
#include <string.h>

int
settings_get(struct db *db, const char *key, char *out, size_t out_size)
{
	struct db_stmt *st;
	struct sv v;
	int rc;

	rc = db_prepare(db, "SELECT value FROM settings WHERE key = ?", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, sv_cstr(key));
	rc = db_step(st);
	if (rc == DB_ROW) {
		v = db_col_text(st, 0);
		if (v.len + 1 > out_size) {
			rc = -E2BIG;
		} else {
			if (v.len > 0)
				memcpy(out, v.p, v.len);
			out[v.len] = '\0';
			rc = 0;
		}
	} else if (rc == DB_DONE) {
		rc = -ENOENT;
	}
	db_finish(st);
	return rc;
}

int
settings_set(struct db *db, const char *key, struct sv value)
{
	struct db_stmt *st;
	int rc;

	if (value.len > SETTINGS_VALUE_MAX)
		return -EINVAL;
	for (size_t i = 0; i < value.len; i++)
		if ((unsigned char)value.p[i] < 0x20 || value.p[i] == 0x7f)
			return -EINVAL;
	rc = db_prepare(db,
	    "INSERT INTO settings(key, value) VALUES(?, ?) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	    &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, sv_cstr(key));
	db_bind_text(st, 2, value);
	rc = db_step(st);
	db_finish(st);
	return rc == DB_DONE ? 0 : (rc < 0 ? rc : -EIO);
}

int
settings_delete(struct db *db, const char *key)
{
	struct db_stmt *st;
	uint64_t changed = 0;
	int rc;

	rc = db_write_begin(db, "DELETE FROM settings WHERE key = ?", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, sv_cstr(key));
	rc = db_write_end(db, st, &changed);
	if (rc == 0 && changed == 0)
		rc = -ENOENT;
	return rc;
}
