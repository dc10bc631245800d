/* The security checklist (R-AUDIT-1): the items the self-assessment
 * (audit/assess.h) scores, and the attestations administrators record
 * for the items no software can see (training, VLANs, vendor
 * assessments...). Kept apart from the scoring so that the
 * administration API can record attestations: the assessment reads the
 * administration's stores, not the other way round.
 *
 * Items G1 to G30 are GUIDE's 30 criteria, in its order and sections,
 * translated; L1 to L6 are the LRAR measures no GUIDE item covers, and
 * O1 the backups (see audit/assess.h for how each is scored).
 *
 * An attestation is kept in the settings table under
 * "assess.attest.<ID>" as {"date","by","note","points"}; it counts for
 * CHECKLIST_ATTEST_VALID_DAYS after its date, then is reported as
 * expired and scores 0.
 *
 * Thread rules: none; any thread. Nothing here logs. */
#ifndef RP_ADMIN_CHECKLIST_H
#define RP_ADMIN_CHECKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

#define CHECKLIST_GUIDE_ITEMS 30u
#define CHECKLIST_EXTRA_ITEMS 7u
#define CHECKLIST_ITEMS (CHECKLIST_GUIDE_ITEMS + CHECKLIST_EXTRA_ITEMS)
#define CHECKLIST_ATTEST_VALID_DAYS 365
#define CHECKLIST_ATTEST_PREFIX "assess.attest."
#define CHECKLIST_NOTE_MAX 200u
/* Longest "by" (an actor: "local:NAME", an account, "apikey:ID"). */
#define CHECKLIST_BY_MAX 128u

enum checklist_method {
	CHECKLIST_MEASURED,
	CHECKLIST_ATTESTED,
};

struct checklist_item {
	const char *id;      /* "G1".."G30", "L1".."L6", "O1" */
	const char *section; /* GUIDE's section, or "LRAR" / "Operations" */
	const char *title;
	const char *covers; /* LRAR measures it also covers, or "" */
	enum checklist_method method;
	bool in_score; /* counts in the GUIDE score (G items) */
};

/* The catalogue, in report order: *items gets the array. Returns its
 * length, CHECKLIST_ITEMS. Any thread. */
size_t checklist_items(const struct checklist_item **items);
/* The item 'id' (exact, e.g. "G23"), or NULL. Any thread. */
const struct checklist_item *checklist_find(struct sv id);

/* An attestation as stored. */
struct checklist_attestation {
	int64_t date; /* seconds since the epoch, UTC midnight */
	char by[CHECKLIST_BY_MAX + 1];
	char note[CHECKLIST_NOTE_MAX * 4 + 1];
	unsigned points; /* 2, or 1 for "partly in place" */
};

/* The settings key of item 'id': "assess.attest.<id>". Returns 0 or
 * -E2BIG. */
int checklist_attest_key(const char *id, char *out, size_t size) RP_MUST_CHECK;
/* True when the item can be attested: attested items and O1. */
bool checklist_attestable(const struct checklist_item *item);
/* Encodes an attestation as the stored JSON text (a new string: free
 * it). 'by' and 'note' must be printable UTF-8 (note at most
 * CHECKLIST_NOTE_MAX characters); points 1 or 2. Returns 0, -EINVAL or
 * -ENOMEM. */
int checklist_attest_encode(
    const struct checklist_attestation *a, char **out) RP_MUST_CHECK;
/* Decodes a stored attestation. Returns 0 or -EBADMSG. */
int checklist_attest_decode(
    struct sv text, struct checklist_attestation *out) RP_MUST_CHECK;
/* True while an attestation dated 'date' counts at 'now'. */
bool checklist_attest_valid(int64_t date, int64_t now);

/* "YYYY-MM-DD" into midnight UTC, *out in seconds since the epoch.
 * Returns 0 or -EINVAL (not that form, or no such day). */
int checklist_parse_date(const char *s, int64_t *out) RP_MUST_CHECK;

#endif
