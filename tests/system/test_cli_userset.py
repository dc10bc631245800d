"""`rempart user set` and `rempart audit list` through the administration
API (R-ADMIN-1, R-ADMIN-2, R-ADMIN-4): PATCH /api/v1/users/EXT takes
every setting of 'user set' (each checked and named, RBAC, the same
audit entry), the CLI goes through it with the daemon running (seen at
once, without SIGHUP), without one and against a remote API; 'audit
list' walks GET /api/v1/audit page by page past the API's 1000."""
import json
import sqlite3

from test_api import assert_error, make_key
from test_cli_api import (ME, audit_rows, ok, pbx, reloads,  # noqa: F401
                          wait_reload)


def call(api, method, path, key, body=None):
    return api.get(path, key, method=method,
                   body=json.dumps(body).encode()
                   if body is not None else None,
                   headers={"Content-Type": "application/json"})


def test_patch_settings(pbx, data):  # noqa: F811
    api = pbx.api
    admin, ident = make_key(data, "admin")
    helpdesk, _ = make_key(data, "helpdesk")
    auditor, _ = make_key(data, "auditor")
    user, _ = make_key(data, "user", "101")
    ok(data.cli("profile", "add", "office", "--classes", "internal"))

    before = reloads(pbx)
    status, _, body = call(api, "PATCH", "/api/v1/users/101", admin,
                           {"srtp": "required",
                            "codecs": "opus, PCMA",
                            "acl": "192.0.2.0/24, 2001:DB8:0::/32",
                            "alternate": "102",
                            "outbound_number": "+33123456789",
                            "profile": "office", "name": "Bob"})
    assert status == 200, body
    assert body == {"ext": "101", "name": "Bob", "srtp": "required",
                    "codecs": "opus,PCMA",
                    "acl": "192.0.2.0/24,2001:db8::/32",
                    "alternate": "102", "outbound_number": "+33123456789",
                    "profile": "office"}
    wait_reload(pbx, before)
    status, _, u = api.get("/api/v1/users/101", admin)
    assert (u["display_name"], u["srtp_required"], u["codecs"], u["acl"],
            u["alternate"], u["outbound_number"], u["profile"]) == (
        "Bob", True, "opus,PCMA", "192.0.2.0/24,2001:db8::/32", "102",
        "+33123456789", "office")
    [row] = audit_rows(data, "user.set")
    assert row[:5] == ("apikey:" + ident, "admin", "127.0.0.1", "user.set",
                       "101")
    assert json.loads(row[5]) == {
        "name": "Demo 101", "srtp": "optional", "codecs": "any",
        "acl": "any", "alternate": "", "outbound_number": "",
        "profile": ""}
    assert set(json.loads(row[6])) == {"name", "srtp", "codecs", "acl",
                                       "alternate", "outbound_number",
                                       "profile"}
    # The words of the command line clear a setting, as "" does.
    status, _, body = call(api, "PATCH", "/api/v1/users/101", admin,
                           {"codecs": "any", "acl": "", "alternate": "none",
                            "outbound_number": "", "profile": "default"})
    assert status == 200, body
    assert body == {"ext": "101", "codecs": "any", "acl": "any",
                    "alternate": "", "outbound_number": "", "profile": ""}

    # Each member is checked and named; nothing is written.
    n = len(audit_rows(data))
    for bad, field in (
            ({"srtp": "always"}, "srtp"), ({"srtp": True}, "srtp"),
            ({"codecs": "op us"}, "codecs"), ({"codecs": "opus,OPUS"},
                                              "codecs"),
            ({"acl": "192.0.2.7/24"}, "acl"), ({"acl": 5}, "acl"),
            ({"alternate": "a b"}, "alternate"),
            ({"alternate": "101"}, "alternate"),
            ({"outbound_number": "0123"}, "outbound_number"),
            ({"profile": "Bad!"}, "profile"), ({"name": "n" * 65}, "name"),
            ({"name": "x\u0001"}, "name"), ({"enabled": 1}, "enabled"),
            ({"srtp": "required", "codecs": "=cmd"}, "codecs")):
        status, headers, body = call(api, "PATCH", "/api/v1/users/101",
                                     admin, bad)
        assert_error(status, headers, body, 400, "invalid_body")
        assert f"'{field}'" in body["error"]["message"], (bad, body)
    for bad, what in (({"alternate": "999"}, "no extension 999"),
                      ({"profile": "nosuch"}, "no profile nosuch")):
        status, headers, body = call(api, "PATCH", "/api/v1/users/101",
                                     admin, bad)
        assert_error(status, headers, body, 404, "not_found")
        assert what in body["error"]["message"]
    status, headers, body = call(api, "PATCH", "/api/v1/users/999", admin,
                                 {"srtp": "required"})
    assert_error(status, headers, body, 404, "not_found")
    assert len(audit_rows(data)) == n

    # Helpdesk: the settings, not the rights; auditor and user: nothing.
    status, _, body = call(api, "PATCH", "/api/v1/users/102", helpdesk,
                           {"srtp": "required"})
    assert status == 200 and body == {"ext": "102", "srtp": "required"}
    status, headers, body = call(api, "PATCH", "/api/v1/users/102",
                                 helpdesk, {"srtp": "optional",
                                            "profile": "office"})
    assert_error(status, headers, body, 403, "forbidden")
    for key in (auditor, user):
        status, headers, body = call(api, "PATCH", "/api/v1/users/101",
                                     key, {"srtp": "optional"})
        assert_error(status, headers, body, 403, "forbidden")
    status, _, u = api.get("/api/v1/users/102", admin)
    assert u["srtp_required"] is True and u["profile"] is None

    # 'enabled' with settings: both entries, in one change.
    status, _, body = call(api, "PATCH", "/api/v1/users/103", admin,
                           {"enabled": False, "srtp": "required"})
    assert status == 200
    assert body == {"ext": "103", "enabled": False, "srtp": "required"}
    assert [r[3:5] for r in audit_rows(data)[-2:]] == [
        ("user.disable", "103"), ("user.set", "103")]


def test_cli_user_set_through_the_daemon(daemon, data):
    # No pid file: the API's own reload makes the change live.
    (data.path / "rempartd.pid").unlink()
    before = reloads(daemon)
    r = ok(data.cli("user", "set", "104", "--srtp", "required", "--name",
                    "Carol", "--alternate", "105"))
    assert r.stdout == "extension 104 updated\n"
    wait_reload(daemon, before)
    r = ok(data.cli("user", "show", "104"))
    assert "name:      Carol" in r.stdout
    assert "srtp:      required" in r.stdout
    assert "alternate: 105" in r.stdout
    [row] = audit_rows(data, "user.set")
    assert row[:5] == ("local:" + ME, "admin", "local", "user.set", "104")
    assert json.loads(row[5]) == {"name": "Demo 104", "srtp": "optional",
                                  "alternate": ""}
    assert json.loads(row[6]) == {"name": "Carol", "srtp": "required",
                                  "alternate": "105"}
    # The API's 404s keep their words.
    r = data.cli("user", "set", "104", "--alternate", "999")
    assert r.returncode == 1
    assert r.stderr == "rempart: no extension 999 (alternate)\n"
    r = data.cli("user", "set", "104", "--profile", "nosuch")
    assert r.returncode == 1 and "no profile nosuch" in r.stderr
    # Options checked before any request: usage errors.
    for args, word in ((["--name", "a\tb"], "--name"),
                       (["--alternate", "104"], "own alternate"),
                       (["--outbound-number", "12"], "--outbound-number")):
        r = data.cli("user", "set", "104", *args)
        assert r.returncode == 2 and word in r.stderr, r.stderr
    assert len(audit_rows(data, "user.set")) == 1


def test_cli_user_set_without_daemon(data):
    assert not (data.path / "rempart.sock").exists()
    ok(data.cli("user", "set", "102", "--codecs", "G722", "--acl",
                "10.0.0.0/8", "--outbound-number", "+33199000000"))
    r = ok(data.cli("user", "show", "102"))
    assert "codecs:    G722" in r.stdout and "acl:       10.0.0.0/8" in \
        r.stdout and "outbound:  +33199000000" in r.stdout
    [row] = audit_rows(data, "user.set")
    assert row[:3] == ("local:" + ME, "admin", "local")
    assert not list(data.path.glob(".api-*"))


def fill_audit(data, n):
    """Appends n copies of the last entry (audit list does not check
    the chain)."""
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        last = conn.execute(
            "SELECT * FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        marks = ",".join("?" * len(last))
        with conn:
            for i in range(1, n + 1):
                row = list(last)
                row[0] = last[0] + i
                row[6] = f"fill-{i}"
                conn.execute(f"INSERT INTO audit VALUES ({marks})", row)
    finally:
        conn.close()


def seqs(r):
    return [int(line.split()[0]) for line in r.stdout.splitlines()[1:]]


def test_audit_list_pages(data):
    fill_audit(data, 2500)
    total = 7 + 2500
    r = ok(data.cli("audit", "list"))
    assert seqs(r) == list(range(1, total + 1))
    r = ok(data.cli("audit", "list", "--limit", "1500"))
    assert seqs(r) == list(range(total - 1499, total + 1))
    r = ok(data.cli("audit", "list", "--since", "1h", "--limit", "3"))
    assert seqs(r) == [total - 2, total - 1, total]
    assert "fill-2500" in r.stdout.splitlines()[-1]
    # The API's own pages: 'offset' walks them oldest first.
    assert not list(data.path.glob(".api-*"))


def test_audit_list_remote(pbx, data, tmp_path):  # noqa: F811
    key, _ = make_key(data, "auditor")
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    remote = ["--api", f"https://127.0.0.1:{pbx.api_port}",
              "--api-key-file", str(key_file),
              "--api-ca", str(data.path / "tls" / "cert.pem")]
    fill_audit(data, 1200)
    local = ok(data.cli("audit", "list"))
    r = ok(data.cli(*remote, "audit", "list"))
    assert r.stdout == local.stdout
    assert len(seqs(r)) >= 1208
    status, _, body = pbx.api.get("/api/v1/audit?limit=1000&offset=1000",
                                  key)
    assert status == 200
    assert body["offset"] == 1000 and body["total"] == len(seqs(r))
    assert body["items"][0]["seq"] == 1001
    status, headers, body = pbx.api.get("/api/v1/audit?offset=-1", key)
    assert_error(status, headers, body, 400, "invalid_parameter")
    # A helpdesk key may not read the audit log, nor change rights.
    hkey, _ = make_key(data, "helpdesk")
    key_file.write_text(hkey)
    r = data.cli(*remote, "audit", "list")
    assert r.returncode == 1 and r.stderr == \
        "rempart: not allowed for this key\n"
    r = data.cli(*remote, "user", "set", "100", "--profile", "default")
    assert r.returncode == 1 and "not allowed" in r.stderr
    ok(data.cli(*remote, "user", "set", "100", "--srtp", "required"))
    [row] = audit_rows(data, "user.set")
    assert row[1:5] == ("helpdesk", "127.0.0.1", "user.set", "100")
