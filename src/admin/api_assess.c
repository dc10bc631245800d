/* The administration API: the security self-assessment and the
 * attestations of the items no software can see (R-AUDIT-1). The
 * report is built by the audit subsystem through the callback the
 * caller wired in (admin/api.h); attestations are settings
 * (admin/checklist.h), written with the same audit entries as before:
 * assess.attest and assess.revoke. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "admin/checklist.h"
#include "store/db.h"
#include "store/settings.h"

#define DAY_S 86400LL
#define API_ITEM_RULE "G1-G30, L1-L6 or O1"

/* GET /api/v1/assessment[?format=json|text|html]. */
static enum MHD_Result
api_assessment(struct api_call *k)
{
	const char *f = api_param(k, "format");
	enum api_assess_format fmt = API_ASSESS_JSON;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = NULL;
	int rc;

	if (k->api->assessment == NULL)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no such endpoint");
	if (f != NULL && strcmp(f, "text") == 0)
		fmt = API_ASSESS_TEXT;
	else if (f != NULL && strcmp(f, "html") == 0)
		fmt = API_ASSESS_HTML;
	else if (f != NULL && strcmp(f, "json") != 0)
		return api_bad_param(k->conn, "format", "json, text or html");
	rc = k->api->assessment(
	    k->api->db, k->api->keys, k->api->data_dir, fmt, &text);
	if (rc != 0)
		return api_store_error(k->conn, "assessment", rc);
	r = MHD_create_response_from_buffer(
	    strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	api_headers(r);
	ret = MHD_queue_response(k->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void
api_day(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 16, "?");
}

/* One attestable item and its attestation, if any: status none, valid,
 * expired, or invalid (unreadable: revoke it). */
static json_t *
api_attestation_json(
    struct api *a, const struct checklist_item *item, int64_t now, int *err)
{
	char key[64], text[SETTINGS_VALUE_MAX + 1], d[16], e[16];
	struct checklist_attestation at;
	json_t *o;
	int rc;

	o = json_pack("{s:s,s:s,s:s}", "id", item->id, "section", item->section,
	    "title", item->title);
	if (o == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	rc = checklist_attest_key(item->id, key, sizeof(key));
	if (rc == 0)
		rc = settings_get(a->db, key, text, sizeof(text));
	if (rc == -ENOENT) {
		rc = json_object_set_new(o, "status", json_string("none")) != 0
		         ? -ENOMEM
		         : 0;
	} else if (rc == 0 &&
	           checklist_attest_decode(sv_cstr(text), &at) != 0) {
		rc = json_object_set_new(o, "status", json_string("invalid")) !=
		             0
		         ? -ENOMEM
		         : 0;
	} else if (rc == 0) {
		api_day(at.date, d);
		api_day(at.date + CHECKLIST_ATTEST_VALID_DAYS * DAY_S, e);
		rc = json_object_update_new(o,
		         json_pack("{s:s,s:s,s:s,s:i,s:s,s:s}", "status",
		             checklist_attest_valid(at.date, now) ? "valid"
		                                                  : "expired",
		             "date", d, "expires", e, "points", (int)at.points,
		             "by", at.by, "note", at.note)) != 0
		         ? -ENOMEM
		         : 0;
	}
	if (rc != 0) {
		json_decref(o);
		*err = rc;
		return NULL;
	}
	return o;
}

/* GET /api/v1/assessment/attestations: every attestable item, in the
 * report's order. */
static enum MHD_Result
api_attestations(struct api_call *k)
{
	const struct checklist_item *items;
	size_t n = checklist_items(&items);
	int64_t now = (int64_t)time(NULL);
	json_t *list = json_array();
	int rc = list != NULL ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *o;

		if (!checklist_attestable(&items[i]))
			continue;
		o = api_attestation_json(k->api, &items[i], now, &rc);
		if (o != NULL && json_array_append_new(list, o) != 0)
			rc = -ENOMEM;
	}
	if (rc != 0) {
		json_decref(list);
		return api_store_error(k->conn, "assessment.attestations", rc);
	}
	return api_send(k->conn, MHD_HTTP_OK, json_pack("{s:o}", "items", list),
	    NULL, NULL);
}

/* The item of the path, which must take an attestation; NULL after
 * answering. */
static const struct checklist_item *
api_attestable(struct api_call *k, enum MHD_Result *ret)
{
	const struct checklist_item *item = checklist_find(k->tail);
	char msg[160];

	if (item == NULL) {
		*ret = api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no such assessment item (" API_ITEM_RULE ")");
		return NULL;
	}
	if (!checklist_attestable(item)) {
		snprintf(msg, sizeof(msg),
		    "%s is measured from the system; only attested items "
		    "take an attestation",
		    item->id);
		*ret = api_error(
		    k->conn, MHD_HTTP_BAD_REQUEST, "not_attestable", msg);
		return NULL;
	}
	return item;
}

/* Reads the body of an attestation into *at; false after answering. */
static bool
api_attestation_body(struct api_call *k, json_t *o,
    struct checklist_attestation *at, enum MHD_Result *ret)
{
	static const char *const names[] = {"note", "date", "points", NULL};
	int64_t now = (int64_t)time(NULL);
	char rule[96];
	struct sv note, date;
	uint32_t points = 2;
	char day[11];
	int rc;

	at->date = now - now % DAY_S;
	if (!api_body_members_ok(o, names)) {
		*ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "the members are note, date and points");
		return false;
	}
	snprintf(rule, sizeof(rule), "1 to %u printable characters",
	    CHECKLIST_NOTE_MAX);
	if (api_member_sv(o, "note", &note) != 1 || note.len == 0 ||
	    note.len >= sizeof(at->note)) {
		*ret = api_bad_field(k->conn, "note", rule);
		return false;
	}
	memcpy(at->note, note.p, note.len);
	at->note[note.len] = '\0';
	if (api_member_u32(o, "points", 1, 2, &points) < 0) {
		*ret = api_bad_field(
		    k->conn, "points", "2 (in place), or 1 (partly in place)");
		return false;
	}
	at->points = points;
	rc = api_member_sv(o, "date", &date);
	if (rc == 0)
		return true; /* today */
	if (rc != 1 || date.len != sizeof(day) - 1) {
		*ret = api_bad_field(k->conn, "date", "a day as YYYY-MM-DD");
		return false;
	}
	memcpy(day, date.p, date.len);
	day[date.len] = '\0';
	if (checklist_parse_date(day, &at->date) != 0) {
		*ret = api_bad_field(k->conn, "date", "a day as YYYY-MM-DD");
		return false;
	}
	if (at->date > now) {
		*ret = api_bad_field(k->conn, "date", "it is in the future");
		return false;
	}
	if (!checklist_attest_valid(at->date, now)) {
		snprintf(rule, sizeof(rule),
		    "more than %d days ago: the attestation would already "
		    "have expired",
		    CHECKLIST_ATTEST_VALID_DAYS);
		*ret = api_bad_field(k->conn, "date", rule);
		return false;
	}
	return true;
}

/* PUT /api/v1/assessment/attestations/ID {note, date?, points?}: the
 * caller attests the item, replacing any earlier attestation. */
static enum MHD_Result
api_attest(struct api_call *k)
{
	struct checklist_attestation at = {0};
	const struct checklist_item *item;
	char key[64], day[16], *value = NULL;
	const char *role;
	enum MHD_Result ret;
	json_t *o, *after;
	int rc;

	item = api_attestable(k, &ret);
	if (item == NULL)
		return ret;
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_attestation_body(k, o, &at, &ret)) {
		api_body_free(o);
		return ret;
	}
	api_body_free(o);
	api_actor(k, at.by, sizeof(at.by), &role);
	rc = checklist_attest_encode(&at, &value);
	if (rc == -EINVAL) {
		char rule[64];

		snprintf(rule, sizeof(rule), "1 to %u printable characters",
		    CHECKLIST_NOTE_MAX);
		return api_bad_field(k->conn, "note", rule);
	}
	if (rc == 0)
		rc = checklist_attest_key(item->id, key, sizeof(key));
	if (rc != 0) {
		free(value);
		return api_store_error(k->conn, "assessment.attest", rc);
	}
	api_day(at.date, day);
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = settings_set(k->api->db, key, sv_cstr(value));
		if (rc == 0)
			rc =
			    api_audit_change(k, "assess.attest", item->id, NULL,
			        json_pack("{s:s,s:s,s:i}", "date", day, "note",
			            at.note, "points", (int)at.points));
		rc = api_tx_end(k->api, rc);
	}
	free(value);
	if (rc != 0)
		return api_store_error(k->conn, "assessment.attest", rc);
	after = api_attestation_json(k->api, item, (int64_t)time(NULL), &rc);
	return after != NULL
	           ? api_send(k->conn, MHD_HTTP_OK, after, NULL, NULL)
	           : api_store_error(k->conn, "assessment.attest", rc);
}

/* DELETE /api/v1/assessment/attestations/ID. */
static enum MHD_Result
api_revoke(struct api_call *k)
{
	char key[64], old[SETTINGS_VALUE_MAX + 1];
	const struct checklist_item *item;
	enum MHD_Result ret;
	int rc;

	item = api_attestable(k, &ret);
	if (item == NULL)
		return ret;
	rc = checklist_attest_key(item->id, key, sizeof(key));
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = settings_get(k->api->db, key, old, sizeof(old));
		if (rc == 0) {
			struct checklist_attestation a;
			json_t *before = NULL;

			/* An unreadable one is removed all the same. */
			if (checklist_attest_decode(sv_cstr(old), &a) == 0)
				before = json_pack(
				    "{s:s,s:s}", "by", a.by, "note", a.note);
			rc = settings_delete(k->api->db, key);
			if (rc == 0)
				rc = api_audit_change(k, "assess.revoke",
				    item->id,
				    before != NULL ? before : json_object(),
				    NULL);
			else
				json_decref(before);
		}
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT) {
		char msg[64];

		snprintf(msg, sizeof(msg), "no attestation for %s", item->id);
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found", msg);
	}
	if (rc != 0)
		return api_store_error(k->conn, "assessment.revoke", rc);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "id", item->id, "revoked", 1), NULL, NULL);
}

const struct api_route_def api_routes_assess[] = {
    {"assessment", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_ASSESSMENT_READ,
        {"format"}, api_assessment},
    {"assessment/attestations", MHD_HTTP_METHOD_GET, API_TAIL_NONE,
        RBAC_ASSESSMENT_READ, {NULL}, api_attestations},
    {"assessment/attestations/", MHD_HTTP_METHOD_PUT, API_TAIL_SEGMENT,
        RBAC_ASSESSMENT_ATTEST, {NULL}, api_attest},
    {"assessment/attestations/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT,
        RBAC_ASSESSMENT_ATTEST, {NULL}, api_revoke},
    {.path = NULL},
};
