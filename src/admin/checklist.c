/* The security checklist and its attestations (R-AUDIT-1). */
#include "admin/checklist.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DAY_S 86400LL

#define S_BASIC "Basic security controls"
#define S_NET "Network security"
#define S_CRYPTO "Communications encryption"
#define S_ACCESS "Access management"
#define S_MON "Monitoring and incident response"
#define S_COMPL "Compliance requirements"

#define M CHECKLIST_MEASURED
#define A CHECKLIST_ATTESTED

/* GUIDE's wording, translated, in its order; then the extra items. */
static const struct checklist_item catalogue[CHECKLIST_ITEMS] = {
    {"G1", S_BASIC,
        "Robust password policies (minimum 12 characters and complexity "
        "requirements)",
        "LRAR: strong administration passwords, changed regularly", M, true},
    {"G2", S_BASIC,
        "Multi-factor authentication enabled for all administrative "
        "accounts",
        "", M, true},
    {"G3", S_BASIC,
        "Regular software updates applied within 30 days of release",
        "LRAR: latest PABX update; vendor security patches qualified and "
        "applied",
        A, true},
    {"G4", S_BASIC, "Default passwords changed on all devices and accounts",
        "LRAR: access codes of phones set to non-default values", M, true},
    {"G5", S_BASIC, "Unused accounts and services disabled", "", M, true},
    {"G6", S_NET, "Voice traffic segmented by VLAN or network zones", "", A,
        true},
    {"G7", S_NET,
        "Firewall rules restricting SIP traffic to the necessary ports "
        "only",
        "", M, true},
    {"G8", S_NET, "Intrusion detection system monitoring the telephony traffic",
        "", M, true},
    {"G9", S_NET, "VPN required for all remote access to telephony systems", "",
        M, true},
    {"G10", S_NET, "Network vulnerability scans performed regularly", "", A,
        true},
    {"G11", S_CRYPTO, "SRTP encryption enabled for all voice communications",
        "", M, true},
    {"G12", S_CRYPTO, "TLS 1.3 used for all signalling traffic", "", M, true},
    {"G13", S_CRYPTO, "End-to-end encryption implemented where possible", "", M,
        true},
    {"G14", S_CRYPTO,
        "Weak encryption protocols (SSL, old TLS versions) disabled", "", M,
        true},
    {"G15", S_CRYPTO, "Certificate management process", "", M, true},
    {"G16", S_ACCESS, "Role-based access controls", "", M, true},
    {"G17", S_ACCESS, "Regular access review performed every quarter", "", A,
        true},
    {"G18", S_ACCESS, "Automated account provisioning and deprovisioning", "",
        A, true},
    {"G19", S_ACCESS, "Session expiry times configured appropriately", "", M,
        true},
    {"G20", S_ACCESS, "Monitoring of privileged accounts", "", M, true},
    {"G21", S_MON, "Security event logging enabled and monitored", "", M, true},
    {"G22", S_MON, "Automated alerts for suspicious activity", "", M, true},
    {"G23", S_MON, "Incident response plan documented and tested", "", A, true},
    {"G24", S_MON, "Regular security awareness training", "", A, true},
    {"G25", S_MON, "Vendor security assessments", "", A, true},
    {"G26", S_COMPL, "PCI DSS requirements met (where applicable)", "", A,
        true},
    {"G27", S_COMPL, "HIPAA compliance verified (where applicable)", "", A,
        true},
    {"G28", S_COMPL, "Data retention policies", "", M, true},
    {"G29", S_COMPL, "Privacy impact assessments", "", A, true},
    {"G30", S_COMPL, "Regulatory reporting capabilities", "", M, true},
    {"L1", "LRAR",
        "Monitoring contract (logs, incident reports, alert protocols) and "
        "toll-fraud insurance",
        "", A, false},
    {"L2", "LRAR",
        "The PABX is part of the security framework like any other IS "
        "component",
        "", A, false},
    {"L3", "LRAR",
        "User rights reviewed: international calls, remote voicemail "
        "access, callback from voicemail",
        "", M, false},
    {"L4", "LRAR",
        "Phone and voicemail access codes neither default nor trivial "
        "(0000, 1234); trivial codes refused",
        "", M, false},
    {"L5", "LRAR",
        "DISA disabled, or limited in services and callers; voicemail "
        "outdial off",
        "", M, false},
    {"L6", "LRAR",
        "Anomalies watched: unusual billing amounts, foreign destinations "
        "unrelated to the business",
        "", M, false},
    {"O1", "Operations",
        "Backups made daily, encrypted, and a restore tested (R-OPS-2)", "", A,
        false},
};

#undef M
#undef A

size_t
checklist_items(const struct checklist_item **items)
{
	*items = catalogue;
	return CHECKLIST_ITEMS;
}

const struct checklist_item *
checklist_find(struct sv id)
{
	for (size_t i = 0; i < CHECKLIST_ITEMS; i++)
		if (sv_eq(id, sv_cstr(catalogue[i].id)))
			return &catalogue[i];
	return NULL;
}

bool
checklist_attestable(const struct checklist_item *item)
{
	return item != NULL && item->method == CHECKLIST_ATTESTED;
}

/* ---- Attestations ---- */

int
checklist_attest_key(const char *id, char *out, size_t size)
{
	int n = snprintf(out, size, "%s%s", CHECKLIST_ATTEST_PREFIX, id);

	return n < 0 || (size_t)n >= size ? -E2BIG : 0;
}

bool
checklist_attest_valid(int64_t date, int64_t now)
{
	return date <= now && now - date <= CHECKLIST_ATTEST_VALID_DAYS * DAY_S;
}

/* Printable UTF-8 of at most 'max_chars' characters. */
static bool
text_ok(struct sv s, size_t max_chars)
{
	size_t chars = 0;

	for (size_t i = 0; i < s.len; chars++) {
		uint32_t cp;
		size_t n = sv_utf8_seq(s, i, &cp);

		if (n == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0))
			return false;
		i += n;
	}
	return chars <= max_chars;
}

int
checklist_attest_encode(const struct checklist_attestation *a, char **out)
{
	char date[16];
	time_t t = (time_t)a->date;
	struct tm tm;
	json_t *o;

	if ((a->points != 1 && a->points != 2) || a->by[0] == '\0' ||
	    a->note[0] == '\0' || !text_ok(sv_cstr(a->by), CHECKLIST_BY_MAX) ||
	    !text_ok(sv_cstr(a->note), CHECKLIST_NOTE_MAX) ||
	    gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d", &tm) == 0)
		return -EINVAL;
	o = json_pack("{s:s,s:s,s:s,s:i}", "date", date, "by", a->by, "note",
	    a->note, "points", (int)a->points);
	if (o == NULL)
		return -ENOMEM;
	*out = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	return *out == NULL ? -ENOMEM : 0;
}

/* "YYYY-MM-DD" into midnight UTC. */
int
checklist_parse_date(const char *s, int64_t *out)
{
	struct tm tm = {0}, back;
	int v[3] = {0, 0, 0};
	const int len[3] = {4, 2, 2};
	time_t t;

	for (int f = 0; f < 3; f++) {
		for (int i = 0; i < len[f]; i++, s++) {
			if (*s < '0' || *s > '9')
				return -EINVAL;
			v[f] = v[f] * 10 + (*s - '0');
		}
		if (*s != (f < 2 ? '-' : '\0'))
			return -EINVAL;
		s++;
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1)
		return -EINVAL;
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	t = timegm(&tm);
	if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
	    back.tm_mday != v[2])
		return -EINVAL;
	*out = (int64_t)t;
	return 0;
}

int
checklist_attest_decode(struct sv text, struct checklist_attestation *out)
{
	json_error_t jerr;
	json_t *o;
	const char *date, *by, *note;
	int points, rc = -EBADMSG;

	memset(out, 0, sizeof(*out));
	o = json_loadb(text.p != NULL ? text.p : "", text.len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return -EBADMSG;
	if (json_unpack(o, "{s:s,s:s,s:s,s:i}", "date", &date, "by", &by,
	        "note", &note, "points", &points) == 0 &&
	    (points == 1 || points == 2) &&
	    checklist_parse_date(date, &out->date) == 0 &&
	    strlen(by) < sizeof(out->by) && strlen(note) < sizeof(out->note) &&
	    text_ok(sv_cstr(by), CHECKLIST_BY_MAX) &&
	    text_ok(sv_cstr(note), CHECKLIST_NOTE_MAX)) {
		snprintf(out->by, sizeof(out->by), "%s", by);
		snprintf(out->note, sizeof(out->note), "%s", note);
		out->points = (unsigned)points;
		rc = 0;
	}
	json_decref(o);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
