"""The anti-fraud commands (rempart profile, rate, ceiling, fraud) as
clients of the administration API: with the daemon running (its local
socket; the change is live at once, with no SIGHUP from the CLI), with
no daemon (the API started inside the CLI) and against a remote
daemon's HTTPS API with an API key, the tenant scope included. Also the endpoints added for them: a manual block, the reason of
an unblock, the DISA and outdial switches, a rule's options in one
change and a profile in use by a group. R-ADMIN-2, R-ADMIN-4,
R-FRAUD-1, R-FRAUD-3, R-FRAUD-5, R-FRAUD-6, R-FRAUD-7."""
import json
import os
import pwd
import sqlite3
import time

import pytest

from conftest import Daemon
from test_api import Api, assert_error, make_key, tcp_port
from test_api_changes import call

ME = pwd.getpwuid(os.geteuid()).pw_name
LOCAL = ("local:" + ME, "admin", "local")
RATES = "+ 0.50 0 60 60 world\n+33 0.02 0 1 1 France\n"


def audit_rows(data, start=0):
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        rows = conn.execute(
            "SELECT actor, role, source, action, object, before, after"
            " FROM audit ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [r for r in rows[start:] if r[0] != "rempartd"]


def ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


def failed(r, code, text):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert text in r.stderr, r.stderr
    return r


def reloads(d):
    return d.log.read_text().count('msg="users reloaded"')


def wait_reload(d, before, seconds=10):
    deadline = time.time() + seconds
    while reloads(d) <= before:
        assert time.time() < deadline, d.log.read_text()[-3000:]
        time.sleep(0.05)


@pytest.fixture
def pbx(rempartd, data):
    port = tcp_port()
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}"])
    d.api = Api(data, port)
    d.api_port = port
    yield d
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


def run_changes(data, tmp_path):
    """The same changes, whichever way the CLI reaches the API; returns
    the audit actions they write."""
    rates = tmp_path / "rates.txt"
    rates.write_text(RATES)
    r = ok(data.cli("rate", "import", str(rates)))
    assert r.stdout == "2 rates imported\n"
    bad = tmp_path / "bad.txt"
    bad.write_text("+44 0.02 0 1 1\n+49 x 0 1 1\n")
    r = failed(data.cli("rate", "import", str(bad)), 1, "bad.txt:2:")
    assert "nothing imported" in r.stderr
    r = ok(data.cli("profile", "add", "night", "--classes", "internal",
                    "--window", "national=all/20:00-23:00"))
    assert r.stdout == "profile night added\n"
    ok(data.cli("profile", "set", "night", "--deny", "+33899"))
    r = ok(data.cli("ceiling", "set", "user", "101", "--daily", "3.5"))
    assert r.stdout == "ceiling of user:101 set\n"
    r = ok(data.cli("fraud", "block", "user", "101", "--reason", "stolen"))
    assert r.stdout == "user:101 blocked\n"
    ok(data.cli("fraud", "rule", "sequential", "--count", "4",
                "--tail-digits", "2"))
    ok(data.cli("fraud", "set", "outdial", "on"))
    ok(data.cli("fraud", "lists", "--deny", "+882"))
    ok(data.cli("fraud", "unblock", "user", "101", "--reason", "found"))
    ok(data.cli("ceiling", "remove", "user", "101"))
    ok(data.cli("profile", "remove", "night"))
    return ["rate.import", "profile.add", "profile.set", "ceiling.set",
            "fraud.block", "fraud.rule", "fraud.set", "fraud.lists",
            "fraud.unblock", "ceiling.remove", "profile.remove"]


def check_reads(data):
    lines = ok(data.cli("rate", "list")).stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["+", "+33"]
    show = ok(data.cli("rate", "show", "+33612345678")).stdout
    assert "prefix:     +33\n" in show and "one minute: 0.020000" in show
    assert "label:      world\n" in ok(data.cli("rate", "show",
                                                  "4412345")).stdout
    rules = ok(data.cli("fraud", "rules")).stdout
    assert any(line.split()[:3] == ["sequential", "block", "4"]
               for line in rules.splitlines()), rules
    assert "tail digits:      2\n" in rules
    assert "outdial:          on\n" in rules
    assert ok(data.cli("fraud", "lists")).stdout == \
        "allow: none\ndeny: +882\n"
    assert ok(data.cli("profile", "default")).stdout == "staff\n"
    assert len(ok(data.cli("fraud", "blocks")).stdout.splitlines()) == 1
    assert len(ok(data.cli("ceiling", "list")).stdout.splitlines()) == 1


def check_audit(data, start, actions):
    rows = audit_rows(data, start)
    assert [r[3] for r in rows] == actions, rows
    for row in rows:
        assert row[:3] == LOCAL, row
    by = {r[3]: r for r in rows}
    assert by["fraud.block"][4] == "user:101"
    assert json.loads(by["fraud.block"][6]) == {"reason": "stolen"}
    assert json.loads(by["fraud.unblock"][6])["reason"] == "found"
    rule = json.loads(by["fraud.rule"][6])
    assert (rule["count"], rule["tail_digits"]) == (4, 2)
    assert json.loads(by["fraud.set"][6])["outdial"] is True
    assert json.loads(by["ceiling.set"][6]) == {"hourly": 0,
                                                "daily": 3500000}
    assert '"+33899"' in by["profile.set"][6]
    assert not list(data.path.glob(".api-*"))


def test_through_the_daemon(pbx, data, tmp_path):
    # No pid file: the CLI cannot signal the daemon, the API's own
    # reload is what makes each change live.
    (data.path / "rempartd.pid").unlink()
    key, _ = make_key(data, "auditor")
    start = len(audit_rows(data))
    before = reloads(pbx)
    ok(data.cli("fraud", "block", "global", "--reason", "live"))
    wait_reload(pbx, before)
    status, _, body = pbx.api.get("/api/v1/fraud/blocks", key)
    assert status == 200 and body["total"] == 1, body
    assert body["items"][0]["text"] == "live"
    before = reloads(pbx)
    ok(data.cli("fraud", "unblock", "global"))
    wait_reload(pbx, before)
    actions = ["fraud.block", "fraud.unblock"] + run_changes(data, tmp_path)
    check_reads(data)
    check_audit(data, start, actions)


def test_without_daemon(data, tmp_path):
    assert not (data.path / "rempart.sock").exists()
    start = len(audit_rows(data))
    actions = run_changes(data, tmp_path)
    check_reads(data)
    check_audit(data, start, actions)
    # Errors keep their words and exit codes.
    failed(data.cli("profile", "remove", "staff"), 1,
           "profile staff is the default profile")
    failed(data.cli("fraud", "rule", "call-rate", "--count", "99"), 2,
           "invalid settings for call-rate")
    failed(data.cli("fraud", "block", "user", "999"), 1, "no extension 999")
    failed(data.cli("ceiling", "remove", "global"), 1, "no ceiling of global")
    # The tenant scope goes through the API too.
    failed(data.cli("ceiling", "set", "--tenant", "acme", "--daily", "5"),
           1, "no tenant acme")
    ok(data.cli("group", "add", "g1", "--tenant", "acme"))
    r = ok(data.cli("ceiling", "set", "--tenant", "acme", "--daily", "5"))
    assert r.stdout == "ceiling of tenant:acme set\n"
    ok(data.cli("fraud", "block", "tenant", "acme"))
    lines = ok(data.cli("fraud", "blocks")).stdout.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [["tenant", "acme"]]
    ok(data.cli("fraud", "unblock", "--tenant", "acme"))
    ok(data.cli("ceiling", "remove", "--tenant", "acme"))
    rows = audit_rows(data)[-5:]
    assert [r[3:5] for r in rows] == [
        ("group.add", "g1"), ("ceiling.set", "tenant:acme"),
        ("fraud.block", "tenant:acme"), ("fraud.unblock", "tenant:acme"),
        ("ceiling.remove", "tenant:acme")]
    for row in rows:
        assert row[:3] == LOCAL, row


def test_remote(pbx, data, tmp_path):
    key, ident = make_key(data, "admin")
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    url = f"https://127.0.0.1:{pbx.api_port}"
    ca = str(data.path / "tls" / "cert.pem")
    remote = ["--api", url, "--api-key-file", str(key_file), "--api-ca", ca]
    rates = tmp_path / "rates.txt"
    rates.write_text(RATES)
    before = reloads(pbx)
    r = ok(data.cli(*remote, "rate", "import", str(rates)))
    assert r.stdout == "2 rates imported\n"
    wait_reload(pbx, before)
    ok(data.cli(*remote, "fraud", "block", "user", "102"))
    ok(data.cli(*remote, "profile", "default", "lobby"))
    assert ok(data.cli(*remote, "profile", "default")).stdout == "lobby\n"
    lines = ok(data.cli(*remote, "fraud", "blocks")).stdout.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [["user", "102"]]
    rows = audit_rows(data)[-3:]
    assert [r[3] for r in rows] == ["rate.import", "fraud.block",
                                    "profile.default"]
    for row in rows:
        assert row[:3] == ("apikey:" + ident, "admin", "127.0.0.1"), row
    # The tenant scope works remotely too.
    failed(data.cli(*remote, "ceiling", "set", "--tenant", "acme",
                    "--daily", "5"), 1, "no tenant acme")
    failed(data.cli(*remote, "fraud", "unblock", "tenant", "acme"), 1,
           "is not blocked")
    # An auditor key reads but does not change.
    akey, _ = make_key(data, "auditor")
    key_file.write_text(akey)
    ok(data.cli(*remote, "ceiling", "list"))
    r = failed(data.cli(*remote, "fraud", "unblock", "user", "102"), 1,
               "not allowed")
    assert r.stderr == "rempart: not allowed for this key\n"


def test_endpoints(pbx, data):
    api = pbx.api
    keys = {role: make_key(data, role, "101" if role == "user" else None)[0]
            for role in ("admin", "auditor", "helpdesk", "user")}
    admin = keys["admin"]
    for role in ("auditor", "helpdesk", "user"):
        status, headers, out = call(api, "POST", "/api/v1/fraud/block",
                                    keys[role], {"scope": "global"})
        assert_error(status, headers, out, 403, "forbidden")
    for bad, field in (({}, "scope"), ({"scope": "planet"}, "scope"),
                       ({"scope": "tenant", "name": "A!"}, "name"),
                       ({"scope": "tenant"}, "name"),
                       ({"scope": "user"}, "name"),
                       ({"scope": "user", "name": "../1"}, "name"),
                       ({"scope": "global", "name": "101"}, "name"),
                       ({"scope": "global", "reason": "a\tb"}, "reason"),
                       ({"scope": "global", "reason": "x" * 129}, "reason"),
                       ({"scope": "global", "reason": 5}, "reason")):
        status, headers, out = call(api, "POST", "/api/v1/fraud/block",
                                    admin, bad)
        assert_error(status, headers, out, 400, "invalid_body")
        assert f"'{field}'" in out["error"]["message"], (bad, out)
    status, headers, out = call(api, "POST", "/api/v1/fraud/block", admin,
                                {"scope": "global", "when": 1})
    assert_error(status, headers, out, 400, "invalid_body")
    status, headers, out = call(api, "POST", "/api/v1/fraud/block", admin,
                                {"scope": "user", "name": "999"})
    assert_error(status, headers, out, 404, "not_found")
    # A tenant no group has is refused, as for unblock.
    status, headers, out = call(api, "POST", "/api/v1/fraud/block", admin,
                                {"scope": "tenant", "name": "acme"})
    assert_error(status, headers, out, 404, "not_found")
    assert "no group has it" in out["error"]["message"], out
    before = reloads(pbx)
    status, _, out = call(api, "POST", "/api/v1/fraud/block", admin,
                          {"scope": "user", "name": "101",
                           "reason": "lost phone"})
    assert status == 200 and out == {"object": "user:101",
                                     "blocked": True}, out
    wait_reload(pbx, before)
    status, _, body = api.get("/api/v1/fraud/blocks", admin)
    [b] = body["items"]
    assert (b["scope"], b["name"], b["reason"], b["text"], b["until"]) == \
        ("user", "101", "manual", "lost phone", 0)
    status, headers, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                                {"scope": "user", "name": "101",
                                 "reason": "a\nb"})
    assert_error(status, headers, out, 400, "invalid_body")
    assert "'reason'" in out["error"]["message"]
    status, _, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                          {"scope": "user", "name": "101",
                           "reason": "found it"})
    assert status == 200, out
    rows = [r for r in audit_rows(data) if r[3].startswith("fraud.")]
    assert [r[3:5] for r in rows] == [("fraud.block", "user:101"),
                                      ("fraud.unblock", "user:101")]
    assert json.loads(rows[0][6]) == {"reason": "lost phone"}
    after = json.loads(rows[1][6])
    assert after["reason"] == "found it" and "lifted_at" in after

    # The DISA and outdial switches.
    status, _, body = api.get("/api/v1/fraud/settings", keys["auditor"])
    assert status == 200 and body["disa"] is False and \
        body["outdial"] is False, body
    status, _, body = call(api, "PATCH", "/api/v1/fraud/settings", admin,
                           {"disa": True})
    assert status == 200 and body["disa"] is True, body
    status, headers, out = call(api, "PATCH", "/api/v1/fraud/settings",
                                admin, {"outdial": "on"})
    assert_error(status, headers, out, 400, "invalid_body")
    assert "'outdial'" in out["error"]["message"]
    [row] = [r for r in audit_rows(data) if r[3] == "fraud.set"]
    assert json.loads(row[5])["disa"] is False
    assert json.loads(row[6])["disa"] is True

    # A rule and its options: one change, one audit entry.
    status, _, body = call(api, "PATCH", "/api/v1/fraud/rules/spend-spike",
                           admin, {"mode": "alert", "factor_pct": 500,
                                   "min_spend": "12.5"})
    assert status == 200 and body["mode"] == "alert", body
    status, _, body = api.get("/api/v1/fraud/settings", admin)
    assert (body["factor_pct"], body["min_spend"]) == (500, "12.500000")
    [row] = [r for r in audit_rows(data) if r[3] == "fraud.rule"]
    assert row[4] == "spend-spike"
    assert json.loads(row[6])["factor_pct"] == 500
    for bad, field in (({"factor_pct": 50}, "factor_pct"),
                       ({"min_spend": "x"}, "min_spend"),
                       ({"utc_offset_min": 60}, None)):
        status, headers, out = call(
            api, "PATCH", "/api/v1/fraud/rules/spend-spike", admin, bad)
        assert_error(status, headers, out, 400, "invalid_body")
        if field:
            assert f"'{field}'" in out["error"]["message"], (bad, out)

    # A profile in use by a group says so.
    r = data.cli("group", "add", "g1", "--profile", "lobby")
    assert r.returncode == 0, r.stderr
    status, headers, out = call(api, "DELETE", "/api/v1/profiles/lobby",
                                admin)
    assert_error(status, headers, out, 409, "in_use")
    assert "group g1" in out["error"]["message"], out
    failed(data.cli("profile", "remove", "lobby"), 1,
           "profile lobby is in use by group g1")
