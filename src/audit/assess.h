/* Security self-assessment (R-AUDIT-1): the live system scored against
 * the 30-point checklist of GUIDE (its "Checklist d'auto-évaluation de
 * la sécurité") and the PABX measures of LRAR (the CERT-FR letter).
 *
 * The catalogue (admin/checklist.h). Items G1 to G30 are GUIDE's 30 criteria,
 * in its order and sections, translated. Each scores 2 (fully in place), 1
 * (partly) or 0 (not at all). GUIDE's bands (24-30 excellent, 18-23
 * satisfactory, 12-17 moderate, 6-11 weak, 0-5 critical) are on a
 * 30-point scale while 30 criteria give up to 60 points, so the score is
 * points / 2 (0 to 30, in half points) and the band is taken on it.
 *
 * The LRAR measures are mapped onto GUIDE items where one covers them
 * (the item's 'covers' text names them): strong administration
 * passwords regularly changed -> G1; latest update and vendor patches
 * applied -> G3; default access codes changed -> G4. The others have no
 * GUIDE item and are extra items, scored the same way but outside the
 * GUIDE score (their own subtotal):
 *   L1 monitoring contract and toll-fraud insurance (attested);
 *   L2 the PABX in the organisation's security framework (attested);
 *   L3 user rights: international calls, remote voicemail access,
 *      callback from voicemail;
 *   L4 phone and voicemail access codes neither default nor trivial;
 *   L5 DISA off (or restricted) and voicemail outdial off;
 *   L6 anomaly detection: cost ceilings against unusual billing;
 * plus O1, backups recent and a restore tested (R-OPS-2), which no seed
 * checklist names but every fraud or ransomware recovery needs.
 *
 * Measured items are computed from the database (read only), the data
 * directory (TLS certificate) and the daemon's runtime facts (the file
 * DATA/rempartd.facts that rempartd writes at start). Attested items
 * (what no software can see: training, VLANs, vendor assessments...)
 * score from an administrator's attestation, kept in the settings table
 * under "assess.attest.<ID>" as {"date","by","note","points"}; an
 * attestation counts for CHECKLIST_ATTEST_VALID_DAYS after its date, then
 * is reported as expired and scores 0.
 *
 * Thread rules: those of the db handle (store/db.h); the catalogue and
 * the renderers on any thread. Nothing here logs. */
#ifndef RP_AUDIT_ASSESS_H
#define RP_AUDIT_ASSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin/api.h"
#include "admin/checklist.h"
#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/keys.h"

/* The JSON report's schema; raised on any change of its keys. */
#define ASSESS_SCHEMA_VERSION 1
#define ASSESS_ITEM_POINTS_MAX 2u
/* The GUIDE scale: its bands run to 30. */
#define ASSESS_SCORE_MAX 30u
#define ASSESS_TEXT_MAX 512u
/* The runtime facts file, inside the data directory. */
#define ASSESS_FACTS_FILE "rempartd.facts"
#define ASSESS_FACTS_MAX (16u * 1024u)
#define ASSESS_LISTEN_MAX 8u
/* What another change writes: alert channels, and the time (seconds
 * since the epoch) of the last alert test delivered. */
#define ASSESS_SETTING_WEBHOOK "alert.webhook.url"
#define ASSESS_SETTING_EMAIL "alert.email.url"
#define ASSESS_SETTING_ALERT_TEST "alert.test.delivered_at"
/* CDR retention in days, once CDR purge exists (R-OPS-4). */
#define ASSESS_SETTING_CDR_RETENTION "cdr.retention_days"
/* An extension or key unused this long counts as unused. */
#define ASSESS_UNUSED_DAYS 30
/* Admin-role API keys above this many break least privilege. */
#define ASSESS_ADMIN_KEYS_MAX 2u

/* What only the running daemon knows. */
struct assess_listen {
	char transport[4]; /* "udp", "tcp", "tls" */
	char addr[46];
	uint16_t port;
};

struct assess_facts {
	char version[32];
	int64_t started_at; /* seconds since the epoch */
	int64_t pid;
	unsigned nlisten;
	struct assess_listen listen[ASSESS_LISTEN_MAX];
	bool tls_allow_1_2;
	bool fraud_off; /* rempartd --fraud off: no ceilings, rules, blocks */
	char digest[8]; /* "both", "md5", "sha256" */
	/* Perimeter guard thresholds (policy/guard.h). */
	uint32_t auth_fail_threshold;
	uint32_t auth_window_s;
	uint32_t ban_base_s;
	uint32_t ban_max_s;
	uint32_t req_rate;
	uint32_t sweep_threshold;
	bool scanner_user_agents;
	/* Administration API: off, or its address and allow list. */
	bool api_on;
	char api_addr[46];
	uint16_t api_port;
	char api_allow[256];
};

/* The facts of a daemon started with no option: what the items that
 * need facts score from when no daemon runs. Any thread. */
void assess_facts_defaults(struct assess_facts *f);

/* Writes 'f' as JSON to DATA/rempartd.facts, mode 0600, atomically (a
 * temporary file renamed over it). Returns 0 or a negative errno.
 * Start-up code. */
int assess_facts_write(
    const char *data_dir, const struct assess_facts *f) RP_MUST_CHECK;
/* Removes the facts file (at shutdown). Absent is fine. */
void assess_facts_remove(const char *data_dir);

/* Reads DATA/rempartd.facts into *out (defaults for missing fields).
 * Returns 0, -ENOENT (no file, or the process that wrote it is gone:
 * the daemon is not running), -EBADMSG (not a facts file) or another
 * negative errno. */
int assess_facts_load(
    const char *data_dir, struct assess_facts *out) RP_MUST_CHECK;

struct assess_input {
	struct db *db;           /* read only */
	const struct keys *keys; /* verifies the audit chain */
	const char *data_dir;
	/* The running daemon's facts, or NULL: not running. */
	const struct assess_facts *facts;
	int64_t now; /* seconds since the epoch */
};

struct assess_result {
	const struct checklist_item *item;
	unsigned points; /* 0, 1 or 2 */
	char evidence[ASSESS_TEXT_MAX];
	char remediation[ASSESS_TEXT_MAX]; /* "" when fully in place */
	bool attested;                     /* an attestation is on file */
	bool attest_expired;
	struct checklist_attestation attestation;
};

struct assess_report {
	int64_t generated_at;
	bool daemon_running;
	char daemon_version[32];
	int64_t daemon_started_at;
	unsigned points;       /* GUIDE items, 0..60 */
	unsigned extra_points; /* extra items */
	struct assess_result results[CHECKLIST_ITEMS];
};

/* Evaluates every item. On success *out is a new report; free it with
 * assess_report_free(). Returns 0, -ENOMEM or a store error. */
int assess_run(
    const struct assess_input *in, struct assess_report **out) RP_MUST_CHECK;
void assess_report_free(struct assess_report *r);

/* The result of item 'id', or NULL. */
const struct assess_result *assess_report_find(
    const struct assess_report *r, const char *id);
/* The band of a report's points: "excellent", "satisfactory",
 * "moderate", "weak", "critical". */
const char *assess_band(unsigned points);

/* Renderers, appending to 'out' (check buf_error()). Text for a
 * terminal; JSON with the documented schema (README, "Security
 * self-assessment"); a standalone HTML page: every text escaped, no
 * script, no external resource. */
void assess_render_text(const struct assess_report *r, struct buf *out);
void assess_render_json(const struct assess_report *r, struct buf *out);
void assess_render_html(const struct assess_report *r, struct buf *out);

/* GET /api/v1/assessment (an api_assessment_cb): runs the assessment
 * with the daemon's facts when it runs, and renders it in 'fmt'. The
 * JSON report as such; text and HTML inside {"format", "score",
 * "max_score", "points", "max_points", "band", "report"}. */
int assess_api_answer(struct db *db, const struct keys *k, const char *data_dir,
    enum api_assess_format fmt, char **out) RP_MUST_CHECK;

#endif
