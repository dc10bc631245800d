"""rempart trunk, route and did as clients of the administration API
(R-ADMIN-2, R-ADMIN-4, R-TRUNK-1, R-TRUNK-2): with the daemon running
(the change is live at once, with no SIGHUP from the CLI), with no
daemon (the API started inside the CLI) and against a remote daemon's
HTTPS API with an API key; a trunk's secret reaches neither a command
line nor a log. Also the endpoint added for `route test`:
GET /api/v1/route-test?number=NUMBER."""
import json
import urllib.parse

from test_api import assert_error, make_key
from test_cli_api import (ME, audit_rows, ok, pbx, reloads,  # noqa: F401
                          wait_reload)

SECRET = "Op3rator-Trunk-S3cret"


def add_all(data, *remote):
    ok(data.cli(*remote, "trunk", "add", "op1", "--kind", "register",
                "--host", "sip.operator.example", "--username", "331234",
                "--secret-stdin", stdin=SECRET + "\n"))
    ok(data.cli(*remote, "trunk", "add", "ip1", "--kind", "ip", "--host",
                "192.0.2.10", "--acl", "192.0.2.0/24"))
    ok(data.cli(*remote, "route", "add", "fr", "--pattern", "0[1-9]XXXXXXXX",
                "--trunks", "op1,ip1", "--strip", "1", "--prepend", "+33"))
    ok(data.cli(*remote, "did", "add", "+33199999999", "--to", "100",
                "--alternate", "none"))


CHANGES = ["trunk.add", "trunk.add", "route.add", "did.add", "trunk.set",
           "trunk.disable", "trunk.enable", "route.remove", "did.remove",
           "trunk.remove"]


def change_all(data, *remote):
    ok(data.cli(*remote, "trunk", "set", "op1", "--channels", "4",
                "--secret-stdin", stdin="N3w-Secret-Value\n"))
    ok(data.cli(*remote, "trunk", "disable", "ip1"))
    r = ok(data.cli(*remote, "route", "test", "0123456789"))
    assert r.stdout == ("route:  fr\nnumber: +33123456789\n"
                        "trunks: op1 (1 disabled trunk skipped)\n")
    ok(data.cli(*remote, "trunk", "enable", "ip1"))
    r = data.cli(*remote, "trunk", "remove", "ip1")
    assert r.returncode == 1
    assert r.stderr == ("rempart: trunk ip1 is used by route fr; remove it"
                        " from the route first\n")
    ok(data.cli(*remote, "route", "remove", "fr"))
    ok(data.cli(*remote, "did", "remove", "+33199999999"))
    r = ok(data.cli(*remote, "trunk", "remove", "ip1"))
    assert r.stdout == "trunk ip1 removed\n"


def check_no_secret(data):
    for p in data.path.glob("rempart*"):
        if p.is_file():
            raw = p.read_bytes()
            assert SECRET.encode() not in raw, p
            assert b"N3w-Secret-Value" not in raw, p


def test_through_the_daemon(daemon, data):
    # No pid file: only the API's own reload can make a change live.
    (data.path / "rempartd.pid").unlink()
    before = reloads(daemon)
    add_all(data)
    wait_reload(daemon, before)
    r = ok(data.cli("trunk", "list"))
    assert [line.split()[0] for line in r.stdout.splitlines()] == [
        "NAME", "ip1", "op1"]
    r = ok(data.cli("trunk", "show", "op1"))
    assert "secret:       set\n" in r.stdout
    assert "port:         default\n" in r.stdout
    assert SECRET not in r.stdout
    r = ok(data.cli("route", "list"))
    assert r.stdout.splitlines()[1].split() == [
        "fr", "0[1-9]XXXXXXXX", "100", "1", "+33", "op1,ip1", "enabled"]
    r = ok(data.cli("did", "list"))
    assert r.stdout.splitlines()[1].split() == [
        "+33199999999", "100", "-", "30", "enabled"]
    before = reloads(daemon)
    change_all(data)
    wait_reload(daemon, before)
    rows = [r for r in audit_rows(data)[7:] if r[0] != "rempartd"]
    assert [r[3] for r in rows] == CHANGES
    for row in rows:
        assert row[:3] == ("local:" + ME, "admin", "local"), row
    assert json.loads(rows[4][6])["credentials"] == "replaced"
    assert json.loads(rows[4][6])["channels"] == 4
    assert json.loads(rows[3][6]) == {"to": "100", "alternate": "",
                                      "ring_timeout": 30, "enabled": True}
    check_no_secret(data)
    assert daemon.alive()


def test_without_daemon(data):
    assert not (data.path / "rempart.sock").exists()
    add_all(data)
    change_all(data)
    rows = audit_rows(data)[7:]
    assert [r[3] for r in rows] == CHANGES
    for row in rows:
        assert row[:3] == ("local:" + ME, "admin", "local"), row
    r = data.cli("trunk", "set", "op1")
    assert r.returncode == 2
    r = data.cli("trunk", "set", "op1", "--kind", "ip")
    assert r.returncode == 2 and r.stderr.startswith(
        "rempart: invalid or missing --acl (")
    r = data.cli("did", "add", "+33100", "--to", "999")
    assert (r.returncode, r.stderr) == (
        1, "rempart: no extension 999 (--to)\n")
    r = data.cli("route", "add", "r", "--pattern", "0.", "--trunks",
                 "op1,ghost")
    assert (r.returncode, r.stderr) == (
        1, "rempart: no trunk ghost (in --trunks)\n")
    check_no_secret(data)
    assert not list(data.path.glob(".api-*"))


def test_remote(pbx, data, tmp_path):
    key, ident = make_key(data, "admin")
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    url = f"https://127.0.0.1:{pbx.api_port}"
    ca = str(data.path / "tls" / "cert.pem")
    remote = ["--api", url, "--api-key-file", str(key_file), "--api-ca", ca]
    before = reloads(pbx)
    add_all(data, *remote)
    wait_reload(pbx, before)
    change_all(data, *remote)
    rows = [r for r in audit_rows(data) if r[3] in CHANGES]
    assert [r[3] for r in rows] == CHANGES
    for row in rows:
        assert row[:3] == ("apikey:" + ident, "admin", "127.0.0.1"), row
    check_no_secret(data)
    # A helpdesk key reaches no trunk: the API's 403 is the CLI's error.
    hkey, _ = make_key(data, "helpdesk")
    key_file.write_text(hkey)
    for args in (("trunk", "list"), ("route", "test", "0123456789"),
                 ("did", "remove", "+33199999999")):
        r = data.cli(*remote, *args)
        assert r.returncode == 1, args
        assert r.stderr == "rempart: not allowed for this key\n", args
    # An auditor reads.
    akey, _ = make_key(data, "auditor")
    key_file.write_text(akey)
    ok(data.cli(*remote, "trunk", "show", "op1"))
    r = data.cli(*remote, "trunk", "disable", "op1")
    assert r.returncode == 1 and "not allowed" in r.stderr


def test_route_test_endpoint(pbx, data):
    add_all(data)
    keys = {role: make_key(data, role, "101" if role == "user" else None)[0]
            for role in ("admin", "auditor", "helpdesk", "user")}

    def get(number, role="admin"):
        q = urllib.parse.urlencode({"number": number})
        return pbx.api.get("/api/v1/route-test?" + q, keys[role])

    for role in ("admin", "auditor"):
        status, _, body = get("0123456789", role)
        assert status == 200, body
        assert body == {"route": "fr", "number": "+33123456789",
                        "trunks": ["op1", "ip1"], "skipped": 0}
    for role in ("helpdesk", "user"):
        assert_error(*get("0123456789", role), 403, "forbidden")
    status, headers, body = get("+44123")
    assert_error(status, headers, body, 404, "not_found")
    for bad in ("12a", "", "1" * 40):
        status, headers, body = get(bad)
        assert_error(status, headers, body, 400, "invalid_parameter")
        assert "'number'" in body["error"]["message"]
    status, headers, body = pbx.api.get("/api/v1/route-test", keys["admin"])
    assert_error(status, headers, body, 400, "invalid_parameter")
    # A route named "test" is still its own.
    ok(data.cli("route", "add", "test", "--pattern", "+44.", "--trunks",
                "ip1"))
    status, _, body = pbx.api.get("/api/v1/routes/test", keys["admin"])
    assert status == 200 and body["pattern"] == "+44."
    status, _, body = get("+44123")
    assert status == 200 and body["route"] == "test"
