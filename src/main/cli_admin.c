/* rempart admin ...: administrator accounts (R-ADMIN-1, R-AUTH-2,
 * R-AUTH-6). Passwords come from stdin or are generated and shown once;
 * they are never taken on the command line (other users see it in the
 * process list) and never audited. */
#include "cli.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "policy/adminpw.h"
#include "store/admins.h"
#include "store/users.h"

/* Room for the longest password, its line end and one byte more, which
 * tells a password that is too long. */
#define CLI_ADMIN_PW_BUF (ADMINPW_MAX_LEN + 3u)

void
cli_admin_usage(FILE *f)
{
	fprintf(f,
	    "  admin add NAME --role admin|auditor|helpdesk|user [--ext EXT]\n"
	    "      (--password-stdin | --generate-password)  an administrator "
	    "account;\n"
	    "                                  admin and auditor must enrol "
	    "TOTP at\n"
	    "                                  first login\n"
	    "  admin list\n"
	    "  admin passwd NAME (--password-stdin | --generate-password)\n"
	    "  admin reset-totp NAME | admin disable NAME | admin enable NAME\n"
	    "  admin unlock NAME | admin remove NAME\n");
}

static int
admin_usage(void)
{
	cli_admin_usage(stderr);
	return EXIT_USAGE;
}

static int
admin_bad_name(const char *name)
{
	fprintf(stderr,
	    "rempart: invalid account name '%s' (1-%u of a-z, 0-9, '.', '_', "
	    "'-', starting with a letter or digit)\n",
	    name, ADMINS_NAME_MAX);
	return EXIT_USAGE;
}

/* Reads the password from stdin or generates one, then checks it
 * against the policy (R-AUTH-2). Returns 0 or an exit code. */
static int
admin_obtain_password(
    bool from_stdin, const char *name, char out[CLI_ADMIN_PW_BUF])
{
	struct secret_list *common;
	const char *reason = NULL;
	size_t n;
	int rc;

	if (!from_stdin) {
		rc = secret_generate(out, CLI_ADMIN_PW_BUF, 0);
		return rc == 0 ? 0 : fail("cannot generate a password", rc);
	}
	if (fgets(out, (int)CLI_ADMIN_PW_BUF, stdin) == NULL) {
		fprintf(stderr, "rempart: no password on stdin\n");
		return EXIT_FAIL;
	}
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	common = load_common_list();
	if (common == NULL) {
		sodium_memzero(out, CLI_ADMIN_PW_BUF);
		fprintf(stderr, "rempart: cannot load the common-secrets "
		                "list\n");
		return EXIT_FAIL;
	}
	rc = adminpw_check(sv_cstr(out), sv_cstr(name), common, &reason);
	secret_list_free(common);
	if (rc != 0) {
		sodium_memzero(out, CLI_ADMIN_PW_BUF);
		fprintf(stderr, "rempart: password refused: it %s\n",
		    reason != NULL ? reason : "does not meet the policy");
		return EXIT_FAIL;
	}
	return 0;
}

/* Parses "(--password-stdin | --generate-password)" from argv. */
static int
admin_password_option(const char *arg, int *source)
{
	int want = strcmp(arg, "--password-stdin") == 0      ? 1
	           : strcmp(arg, "--generate-password") == 0 ? 2
	                                                     : 0;

	if (want == 0 || *source != 0)
		return -EINVAL;
	*source = want;
	return 0;
}

static void
admin_json(struct buf *b, const struct admins_account *a)
{
	json_str(b, "role", a->role);
	if (a->ext[0] != '\0')
		json_str(b, "ext", a->ext);
	json_bool(b, "totp_enrolled", a->totp_enrolled);
	json_bool(b, "disabled", a->disabled);
}

static int
admin_add(struct cli *c, const char *name, int argc, char **argv)
{
	char pw[CLI_ADMIN_PW_BUF], hash[ADMINS_HASH_STRLEN];
	const char *role = NULL, *ext = NULL;
	struct admins_account a;
	struct buf after;
	int source = 0, rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc &&
		    role == NULL)
			role = argv[++i];
		else if (strcmp(argv[i], "--ext") == 0 && i + 1 < argc &&
		         ext == NULL)
			ext = argv[++i];
		else if (admin_password_option(argv[i], &source) != 0)
			return admin_usage();
	}
	if (!admins_name_valid(sv_cstr(name)))
		return admin_bad_name(name);
	if (role == NULL || source == 0) {
		fprintf(stderr, "rempart: admin add needs --role and one of "
		                "--password-stdin, --generate-password\n");
		return EXIT_USAGE;
	}
	if (!admins_role_valid(sv_cstr(role))) {
		fprintf(stderr,
		    "rempart: invalid --role '%s' (admin, "
		    "auditor, helpdesk or user)\n",
		    role);
		return EXIT_USAGE;
	}
	if (strcmp(role, "user") == 0
	        ? ext == NULL || !users_ext_valid(sv_cstr(ext))
	        : ext != NULL) {
		fprintf(stderr, "rempart: --ext EXT is needed by the user "
		                "role, and only by it\n");
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = admins_get(c->db, sv_cstr(name), &a);
	if (rc == 0) {
		fprintf(stderr, "rempart: account %s already exists\n", name);
		return EXIT_FAIL;
	}
	rc = admin_obtain_password(source == 1, name, pw);
	if (rc != 0)
		return rc;
	rc = admins_hash_password(sv_cstr(pw), hash);
	if (rc != 0) {
		sodium_memzero(pw, sizeof(pw));
		return fail("cannot hash the password", rc);
	}
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = admins_add(c->db, sv_cstr(name), sv_cstr(role),
		    ext != NULL ? sv_cstr(ext) : SV(""), hash,
		    (int64_t)time(NULL));
		if (rc == 0)
			rc = admins_get(c->db, sv_cstr(name), &a);
		if (rc == 0) {
			admin_json(&after, &a);
			rc = audit_admin(c, "admin.add", name, NULL, &after);
		}
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc == -EEXIST) {
		sodium_memzero(pw, sizeof(pw));
		fprintf(stderr, "rempart: account %s already exists\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0) {
		sodium_memzero(pw, sizeof(pw));
		return fail("cannot add the account", rc);
	}
	printf("account %s added, role %s%s\n", name, role,
	    admins_role_needs_totp(role) ? " (TOTP enrolment at first login)"
	                                 : "");
	if (source == 2)
		printf("password (shown once): %s\n", pw);
	sodium_memzero(pw, sizeof(pw));
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
print_admin(void *arg, const struct admins_account *a)
{
	char login[32], changed[32];
	int64_t now = *(const int64_t *)arg;

	printf("%-20s %-8s %-8s %-5s %-20s %-20s %s\n", a->name, a->role,
	    a->ext[0] != '\0' ? a->ext : "-",
	    a->totp_enrolled ? "yes"
	    : a->totp_set    ? "pend"
	                     : "no",
	    a->last_login != 0 ? format_utc(a->last_login, login, sizeof(login))
	                       : "never",
	    format_utc(a->password_changed_at, changed, sizeof(changed)),
	    a->disabled                                    ? "disabled"
	    : adminpw_locked(&a->lock, now)                ? "locked"
	    : adminpw_expired(a->password_changed_at, now) ? "password-expired"
	                                                   : "active");
	return ferror(stdout) ? -EIO : 0;
}

static int
admin_list(struct cli *c)
{
	int64_t now = (int64_t)time(NULL);
	int rc = open_store(c);

	if (rc != 0)
		return rc;
	printf("%-20s %-8s %-8s %-5s %-20s %-20s %s\n", "NAME", "ROLE", "EXT",
	    "TOTP", "LAST LOGIN", "PASSWORD SET", "STATUS");
	rc = admins_list(c->db, print_admin, &now);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -EIO;
	return rc == 0 ? 0 : fail("cannot list the accounts", rc);
}

static int
admin_passwd(struct cli *c, const char *name, int argc, char **argv)
{
	char pw[CLI_ADMIN_PW_BUF], hash[ADMINS_HASH_STRLEN];
	struct admins_account a;
	struct buf after;
	uint64_t ended = 0;
	int source = 0, rc;

	for (int i = 0; i < argc; i++)
		if (admin_password_option(argv[i], &source) != 0)
			return admin_usage();
	if (source == 0)
		return admin_usage();
	if (!admins_name_valid(sv_cstr(name)))
		return admin_bad_name(name);
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = admins_get(c->db, sv_cstr(name), &a);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no account %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot read the account", rc);
	rc = admin_obtain_password(source == 1, name, pw);
	if (rc != 0)
		return rc;
	rc = admins_hash_password(sv_cstr(pw), hash);
	if (rc != 0) {
		sodium_memzero(pw, sizeof(pw));
		return fail("cannot hash the password", rc);
	}
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = admins_set_password(
		    c->db, sv_cstr(name), hash, (int64_t)time(NULL), &ended);
		if (rc == 0) {
			json_str(&after, "password", "replaced");
			json_int(&after, "sessions_ended", (int64_t)ended);
			rc = audit_admin(c, "admin.passwd", name, NULL, &after);
		}
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc != 0) {
		sodium_memzero(pw, sizeof(pw));
		return rc == -ENOENT
		           ? (fprintf(stderr, "rempart: no account %s\n", name),
		                 EXIT_FAIL)
		           : fail("cannot set the password", rc);
	}
	printf("password of %s replaced; %llu session%s ended\n", name,
	    (unsigned long long)ended, ended == 1 ? "" : "s");
	if (source == 2)
		printf("password (shown once): %s\n", pw);
	sodium_memzero(pw, sizeof(pw));
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

enum admin_change {
	ADMIN_RESET_TOTP,
	ADMIN_DISABLE,
	ADMIN_ENABLE,
	ADMIN_UNLOCK,
};

static const struct {
	const char *cmd;
	const char *action;
	const char *done;
} admin_changes[] = {
    [ADMIN_RESET_TOTP] = {"reset-totp", "admin.reset_totp",
        "TOTP reset; it is enrolled again at next login"},
    [ADMIN_DISABLE] = {"disable", "admin.disable", "disabled"},
    [ADMIN_ENABLE] = {"enable", "admin.enable", "enabled"},
    [ADMIN_UNLOCK] = {"unlock", "admin.unlock", "unlocked"},
};

/* One change of an account and its audit entry, in one transaction. */
static int
admin_change(struct cli *c, enum admin_change what, const char *name)
{
	struct adminpw_lock clear = {0};
	int64_t now = (int64_t)time(NULL);
	struct admins_account a;
	struct buf before, after;
	int rc;

	if (!admins_name_valid(sv_cstr(name)))
		return admin_bad_name(name);
	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = admins_get(c->db, sv_cstr(name), &a);
		if (rc == 0) {
			admin_json(&before, &a);
			json_bool(
			    &before, "locked", adminpw_locked(&a.lock, now));
		}
		if (rc == 0 && what == ADMIN_RESET_TOTP)
			rc = admins_totp_reset(c->db, sv_cstr(name), now);
		else if (rc == 0 && what == ADMIN_UNLOCK)
			rc = admins_set_lock(c->db, sv_cstr(name), &clear);
		else if (rc == 0)
			rc = admins_set_disabled(
			    c->db, sv_cstr(name), what == ADMIN_DISABLE, now);
		if (rc == 0)
			rc = admins_get(c->db, sv_cstr(name), &a);
		if (rc == 0) {
			admin_json(&after, &a);
			json_bool(
			    &after, "locked", adminpw_locked(&a.lock, now));
			rc = audit_admin(c, admin_changes[what].action, name,
			    &before, &after);
		}
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no account %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot change the account", rc);
	printf("account %s %s\n", name, admin_changes[what].done);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
admin_removal(struct db *db, const char *name, struct buf *before)
{
	struct admins_account a;
	int rc = admins_get(db, sv_cstr(name), &a);

	if (rc == 0) {
		admin_json(before, &a);
		rc = admins_remove(db, sv_cstr(name));
	}
	return rc;
}

int
cmd_admin(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[0], "add") == 0)
		return admin_add(c, argv[1], argc - 2, argv + 2);
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return admin_list(c);
	if (argc >= 2 && strcmp(argv[0], "passwd") == 0)
		return admin_passwd(c, argv[1], argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[0], "remove") == 0) {
		if (!admins_name_valid(sv_cstr(argv[1])))
			return admin_bad_name(argv[1]);
		return remove_audited(
		    c, "admin.remove", "account", argv[1], admin_removal);
	}
	for (size_t i = 0; argc == 2 && i < RP_ARRAY_LEN(admin_changes); i++)
		if (strcmp(argv[0], admin_changes[i].cmd) == 0)
			return admin_change(c, (enum admin_change)i, argv[1]);
	return admin_usage();
}
