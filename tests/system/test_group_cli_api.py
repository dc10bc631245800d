"""`rempart group`, `user set --group` and the tenant forms of `ceiling`
and `fraud block|unblock` as clients of the administration API: with
the daemon running (its local socket; the change is live at once), with
no daemon (the API started inside the CLI) and against a remote
daemon's HTTPS API with an API key. Outputs, error wording, exit codes
and audit entries are those the commands had on the store. R-ADMIN-2,
R-ADMIN-4, R-FRAUD-1, R-FRAUD-3."""
import json

from test_api import make_key
from test_fraud_cli_api import (LOCAL, audit_rows, failed, ok, pbx,  # noqa
                                reloads, wait_reload)


def run_groups(data, prefix=()):
    """The group commands, their outputs and errors; returns the audit
    (action, object) pairs they write."""
    def cli(*args):
        return data.cli(*prefix, *args)

    r = ok(cli("group", "add", "sales", "--tenant", "acme",
               "--description", "Sales team"))
    assert r.stdout == "group sales added\n"
    failed(cli("group", "add", "sales"), 1, "group sales already exists")
    failed(cli("group", "add", "x", "--profile", "nosuch"), 1,
           "no profile nosuch (--profile)")
    failed(cli("group", "add", "Bad!"), 2, "invalid group name 'Bad!'")
    failed(cli("group", "add", "y", "--tenant", "A!"), 2,
           "invalid --tenant 'A!'")
    failed(cli("group", "set", "sales"), 2, "group set needs --profile")
    failed(cli("group", "set", "nosuch", "--tenant", "none"), 1,
           "no group nosuch")
    r = ok(cli("group", "set", "sales", "--description", "Sales"))
    assert r.stdout == "group sales updated\n"
    r = ok(cli("user", "set", "100", "--group", "sales"))
    assert r.stdout == "extension 100 updated\n"
    ok(cli("user", "set", "101", "--group", "sales"))
    failed(cli("user", "set", "999", "--group", "sales"), 1,
           "no extension 999")
    failed(cli("user", "set", "100", "--group", "nosuch"), 1,
           "no group nosuch (--group)")
    failed(cli("user", "set", "100", "--group", "Bad!"), 2,
           "invalid --group 'Bad!'")
    lines = ok(cli("group", "list")).stdout.splitlines()
    assert lines[0].split() == ["NAME", "PROFILE", "TENANT", "MEMBERS",
                                "DESCRIPTION"]
    assert lines[1].split() == ["sales", "default", "acme", "2", "Sales"]
    out = ok(cli("group", "show", "sales")).stdout.splitlines()
    assert out[:5] == ["name:        sales", "profile:     default",
                       "tenant:      acme", "description: Sales",
                       "members:     2"]
    assert [line.split()[:2] for line in out[5:]] == [
        ["100", "(group)"], ["101", "(group)"]]
    failed(cli("group", "show", "nosuch"), 1, "no group nosuch")
    # The tenant forms of ceiling and fraud block|unblock.
    failed(cli("ceiling", "set", "--tenant", "nobody", "--daily", "5"), 1,
           "no tenant nobody")
    failed(cli("fraud", "block", "--tenant", "nobody"), 1,
           "no tenant nobody")
    failed(cli("fraud", "unblock", "tenant", "acme"), 1, "is not blocked")
    r = ok(cli("ceiling", "set", "--tenant", "acme", "--daily", "5"))
    assert r.stdout == "ceiling of tenant:acme set\n"
    ok(cli("fraud", "block", "tenant", "acme", "--reason", "check"))
    lines = ok(cli("fraud", "blocks")).stdout.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [["tenant", "acme"]]
    ok(cli("fraud", "unblock", "--tenant", "acme"))
    ok(cli("ceiling", "remove", "--tenant", "acme"))
    failed(cli("ceiling", "remove", "--tenant", "acme"), 1,
           "no ceiling of tenant:acme")
    # Removal: refused while it has members, unless forced.
    r = failed(cli("group", "remove", "sales"), 1, "has 2 members")
    assert "--force" in r.stderr
    r = ok(cli("user", "set", "101", "--group", "none"))
    r = ok(cli("group", "remove", "sales", "--force"))
    assert r.stdout == "group sales removed (1 member taken out)\n"
    failed(cli("group", "remove", "sales"), 1, "no group sales")
    ok(cli("group", "add", "empty"))
    r = ok(cli("group", "remove", "empty"))
    assert r.stdout == "group empty removed\n"
    return [("group.add", "sales"), ("group.set", "sales"),
            ("user.set", "100"), ("user.set", "101"),
            ("ceiling.set", "tenant:acme"), ("fraud.block", "tenant:acme"),
            ("fraud.unblock", "tenant:acme"),
            ("ceiling.remove", "tenant:acme"), ("user.set", "101"),
            ("group.remove-force", "sales"), ("group.add", "empty"),
            ("group.remove", "empty")]


def check_audit(rows, actions, actor):
    assert [r[3:5] for r in rows] == actions
    for row in rows:
        assert row[:3] == actor, row
    by_action = {r[3]: r for r in reversed(rows)}
    assert json.loads(by_action["group.add"][6]) == {
        "profile": "default", "tenant": "acme",
        "description": "Sales team"}
    assert json.loads(by_action["group.remove-force"][5])["members"] == 1
    user_set = [r for r in rows if r[3] == "user.set"]
    assert json.loads(user_set[0][5]) == {"group": ""}
    assert json.loads(user_set[0][6]) == {"group": "sales"}
    assert json.loads(by_action["fraud.block"][6]) == {"reason": "check"}


def test_without_daemon(data):
    assert not (data.path / "rempart.sock").exists()
    start = len(audit_rows(data))
    actions = run_groups(data)
    check_audit(audit_rows(data, start), actions, LOCAL)


def test_with_daemon(pbx, data):
    start = len(audit_rows(data))
    before = reloads(pbx)
    ok(data.cli("group", "add", "live", "--tenant", "live"))
    # The daemon has it at once: no SIGHUP from the CLI.
    wait_reload(pbx, before)
    ok(data.cli("group", "remove", "live"))
    start = len(audit_rows(data))
    actions = run_groups(data)
    check_audit(audit_rows(data, start), actions, LOCAL)


def test_remote(pbx, data, tmp_path):
    key, ident = make_key(data, "admin")
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    url = f"https://127.0.0.1:{pbx.api_port}"
    ca = str(data.path / "tls" / "cert.pem")
    remote = ("--api", url, "--api-key-file", str(key_file), "--api-ca", ca)
    start = len(audit_rows(data))
    actions = run_groups(data, remote)
    check_audit(audit_rows(data, start), actions,
                ("apikey:" + ident, "admin", "127.0.0.1"))
    # An auditor key reads groups but does not change them.
    akey, _ = make_key(data, "auditor")
    key_file.write_text(akey)
    ok(data.cli(*remote, "group", "list"))
    r = failed(data.cli(*remote, "group", "add", "g2"), 1, "not allowed")
    assert r.stderr == "rempart: not allowed for this key\n"
    failed(data.cli(*remote, "user", "set", "100", "--group", "none"), 1,
           "not allowed")
