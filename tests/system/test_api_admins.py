"""Administrator accounts and API keys through the administration API
(R-ADMIN-1, R-ADMIN-2, R-ADMIN-4, R-AUTH-2): /api/v1/admins and
/api/v1/apikeys, admin role only, never returning a password, hash, TOTP
secret or key hash, a new or rotated key returned once, the last enabled
admin account kept, every change audited; and `rempart admin` and
`rempart apikey` as their clients, with the daemon running (through its
socket), without it (the API in the CLI) and remotely (--api)."""
import json
import os
import pwd
import re
import sqlite3

import pytest

from conftest import Daemon
from test_api import Api, assert_error, make_key, tcp_port

ME = pwd.getpwuid(os.geteuid()).pw_name
PASSWORD = "Correct-Horse-Battery-9"
SECRET_FIELDS = {"pw_hash", "hash", "password_hash", "totp", "totp_secret",
                 "secret", "key_hash"}


def audit_rows(data, action=None):
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        rows = conn.execute(
            "SELECT actor, role, source, action, object, before, after"
            " FROM audit ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [r for r in rows if action is None or r[3] == action]


def ok(r):
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r


def send(api, method, path, key, body=None):
    raw = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if raw else None
    return api.get(path, key, method=method, body=raw, headers=headers)


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
    assert PASSWORD not in log


def test_admin_endpoints(pbx, data):
    api = pbx.api
    keys = {role: make_key(data, role, "101" if role == "user" else None)[0]
            for role in ("admin", "auditor", "helpdesk", "user")}
    admin = keys["admin"]
    # Admin role only, reading included.
    for role in ("auditor", "helpdesk", "user"):
        for method, path in (("GET", "/api/v1/admins"),
                             ("GET", "/api/v1/apikeys"),
                             ("DELETE", "/api/v1/admins/x"),
                             ("POST", "/api/v1/apikeys/x/rotate")):
            status, headers, body = send(api, method, path, keys[role])
            assert_error(status, headers, body, 403, "forbidden")
    # Validation names the field.
    for body, field in (({"name": "Bad Name", "role": "admin"}, "'name'"),
                        ({"name": "ann", "role": "root"}, "'role'"),
                        ({"name": "ann", "role": "user"}, "'ext'"),
                        ({"name": "ann", "role": "admin", "ext": "101"},
                         "'ext'"),
                        ({"name": "ann", "role": "admin", "password": 5},
                         "'password'"),
                        ({"name": "ann", "role": "admin", "x": 1},
                         "unknown member")):
        status, headers, out = send(api, "POST", "/api/v1/admins", admin,
                                    body)
        assert_error(status, headers, out, 400, "invalid_body")
        assert field in out["error"]["message"], (body, out)
    status, headers, out = send(api, "POST", "/api/v1/admins", admin,
                                {"name": "ann", "role": "admin",
                                 "password": "short"})
    assert_error(status, headers, out, 400, "invalid_body")
    assert out["error"]["message"] == \
        "password refused: it is shorter than 12 characters"
    # Created with a given password: never echoed.
    status, _, out = send(api, "POST", "/api/v1/admins", admin,
                          {"name": "ann", "role": "admin",
                           "password": PASSWORD})
    assert status == 201, out
    assert out["name"] == "ann" and out["role"] == "admin"
    assert "password" not in out and not SECRET_FIELDS & set(out)
    status, headers, out = send(api, "POST", "/api/v1/admins", admin,
                                {"name": "ann", "role": "admin"})
    assert_error(status, headers, out, 409, "exists")
    # Generated: returned once.
    status, _, out = send(api, "POST", "/api/v1/admins", admin,
                          {"name": "bob", "role": "helpdesk"})
    assert status == 201 and len(out["password"]) >= 12, out
    generated = out["password"]
    status, _, out = api.get("/api/v1/admins", admin)
    assert status == 200 and out["total"] == 2
    assert [a["name"] for a in out["items"]] == ["ann", "bob"]
    for a in out["items"]:
        assert "password" not in a and not SECRET_FIELDS & set(a)
        assert a["disabled"] is False and a["locked"] is False
    # The last enabled admin account stays: 409 for a key's caller.
    status, headers, out = send(api, "PATCH", "/api/v1/admins/ann", admin,
                                {"enabled": False})
    assert_error(status, headers, out, 409, "last_admin")
    status, headers, out = send(api, "DELETE", "/api/v1/admins/ann", admin)
    assert_error(status, headers, out, 409, "last_admin")
    # A helpdesk account is no admin: it may go.
    status, _, out = send(api, "PATCH", "/api/v1/admins/bob", admin,
                          {"enabled": False})
    assert status == 200 and out["disabled"] is True, out
    status, _, _ = send(api, "POST", "/api/v1/admins", admin,
                        {"name": "cy", "role": "admin",
                         "password": PASSWORD})
    assert status == 201
    status, _, out = send(api, "PATCH", "/api/v1/admins/ann", admin,
                          {"enabled": False})
    assert status == 200 and out["disabled"] is True
    status, headers, out = send(api, "DELETE", "/api/v1/admins/cy", admin)
    assert_error(status, headers, out, 409, "last_admin")
    status, headers, out = send(api, "PATCH", "/api/v1/admins/cy", admin,
                                {"enabled": "no"})
    assert_error(status, headers, out, 400, "invalid_body")
    assert "'enabled'" in out["error"]["message"]
    status, _, out = send(api, "PATCH", "/api/v1/admins/ann", admin,
                          {"enabled": True})
    assert status == 200 and out["disabled"] is False
    status, _, out = send(api, "DELETE", "/api/v1/admins/cy", admin)
    assert status == 200 and out == {"name": "cy", "removed": True}
    # Password, TOTP reset and unlock.
    status, _, out = send(api, "POST", "/api/v1/admins/bob/password", admin,
                          {})
    assert status == 200 and out["password"] != generated
    status, _, out = send(api, "POST", "/api/v1/admins/bob/password", admin,
                          {"password": PASSWORD})
    assert status == 200 and out["password"] == "replaced", out
    status, headers, out = send(api, "POST", "/api/v1/admins/bob/password",
                                admin, {"password": "bob-Is-great-123"})
    assert_error(status, headers, out, 400, "invalid_body")
    assert "account name" in out["error"]["message"]
    for path in ("totp-reset", "unlock"):
        status, _, out = send(api, "POST", f"/api/v1/admins/bob/{path}",
                              admin)
        assert status == 200 and out["name"] == "bob", out
        status, headers, out = send(api, "POST",
                                    f"/api/v1/admins/nobody/{path}", admin)
        assert_error(status, headers, out, 404, "not_found")
        assert out["error"]["message"] == "no account nobody"
    status, headers, out = send(api, "POST", "/api/v1/admins/Bad!/unlock",
                                admin)
    assert_error(status, headers, out, 400, "invalid_parameter")
    assert "'name'" in out["error"]["message"]
    # Audited with the key as the actor, never a password.
    rows = audit_rows(data)
    ident = [r for r in rows if r[3] == "admin.add"][0][0]
    assert ident.startswith("apikey:")
    acts = [(r[3], r[4]) for r in rows if r[0] == ident]
    for a in (("admin.add", "ann"), ("admin.add", "bob"),
              ("admin.disable", "bob"), ("admin.disable", "ann"),
              ("admin.enable", "ann"), ("admin.remove", "cy"),
              ("admin.passwd", "bob"), ("admin.reset_totp", "bob"),
              ("admin.unlock", "bob")):
        assert a in acts, a
    [dis] = [r for r in rows if r[3] == "admin.disable" and r[4] == "ann"]
    assert json.loads(dis[5]) == {"role": "admin", "totp_enrolled": False,
                                  "disabled": False, "locked": False}
    assert json.loads(dis[6])["disabled"] is True
    text = json.dumps(rows)
    for secret in (PASSWORD, generated):
        assert secret not in text


def test_apikey_endpoints(pbx, data):
    api = pbx.api
    admin, _ = make_key(data, "admin")
    for body, field in (({"role": "root"}, "'role'"),
                        ({"role": "user"}, "'ext'"),
                        ({"role": "admin", "ext": "100"}, "'ext'"),
                        ({"role": "admin", "expires_in": 0},
                         "'expires_in'"),
                        ({"role": "admin", "expires_in": "1d"},
                         "'expires_in'"),
                        ({"role": "admin", "expires_in": 315360001},
                         "'expires_in'")):
        status, headers, out = send(api, "POST", "/api/v1/apikeys", admin,
                                    body)
        assert_error(status, headers, out, 400, "invalid_body")
        assert field in out["error"]["message"], (body, out)
    status, _, out = send(api, "POST", "/api/v1/apikeys", admin,
                          {"role": "user", "ext": "101",
                           "expires_in": 3600})
    assert status == 201, out
    new_key, new_id = out["key"], out["id"]
    assert new_key.startswith("rpk_" + new_id)
    assert out["role"] == "user" and out["ext"] == "101"
    assert out["expires_at"] - out["created_at"] == 3600
    assert api.get("/api/v1/users", new_key)[0] == 200
    # Listed without any key or hash.
    status, _, out = api.get("/api/v1/apikeys", admin)
    assert status == 200 and out["total"] == 2
    assert "rpk_" not in json.dumps(out)
    [row] = [k for k in out["items"] if k["id"] == new_id]
    assert row["status"] == "active" and not SECRET_FIELDS & set(row)
    # Rotation: the new key once, the old one refused at once.
    status, _, out = send(api, "POST", f"/api/v1/apikeys/{new_id}/rotate",
                          admin)
    assert status == 200 and out["id"] == new_id
    assert out["key"] != new_key
    assert api.get("/api/v1/users", new_key)[0] == 401
    assert api.get("/api/v1/users", out["key"])[0] == 200
    rotated = out["key"]
    status, _, out = send(api, "DELETE", f"/api/v1/apikeys/{new_id}", admin)
    assert status == 200 and out == {"id": new_id, "revoked": True}
    assert api.get("/api/v1/users", rotated)[0] == 401
    for method, path in (("DELETE", f"/api/v1/apikeys/{new_id}"),
                         ("POST", f"/api/v1/apikeys/{new_id}/rotate"),
                         ("DELETE", "/api/v1/apikeys/" + "A" * 22)):
        status, headers, out = send(api, method, path, admin)
        assert_error(status, headers, out, 404, "not_found")
    status, headers, out = send(api, "DELETE", "/api/v1/apikeys/short",
                                admin)
    assert_error(status, headers, out, 400, "invalid_parameter")
    assert "'id'" in out["error"]["message"]
    rows = audit_rows(data)
    acts = [(r[3], r[4]) for r in rows if r[0].startswith("apikey:")]
    for a in ("apikey.create", "apikey.rotate", "apikey.revoke"):
        assert (a, new_id) in acts, a
    [cr] = [r for r in rows if r[3] == "apikey.create" and r[4] == new_id]
    assert json.loads(cr[6])["role"] == "user"
    assert "rpk_" not in json.dumps(rows)


def check_cli_admin(data, prefix=()):
    """`rempart admin` end to end; 'prefix' selects the way to the
    API."""
    r = ok(data.cli(*prefix, "admin", "add", "eve", "--role", "auditor",
                    "--password-stdin", stdin=PASSWORD + "\n"))
    assert r.stdout == ("account eve added, role auditor (TOTP enrolment "
                        "at first login)\n")
    r = data.cli(*prefix, "admin", "add", "eve", "--role", "auditor",
                 "--generate-password")
    assert r.returncode == 1
    assert r.stderr == "rempart: account eve already exists\n"
    r = data.cli(*prefix, "admin", "add", "fay", "--role", "admin",
                 "--password-stdin", stdin="fay-is-the-best-1\n")
    assert r.returncode == 1 and "account name" in r.stderr
    r = ok(data.cli(*prefix, "admin", "passwd", "eve",
                    "--generate-password"))
    assert re.search(r"^password of eve replaced; 0 sessions ended\n"
                     r"password \(shown once\): \S{12,}$", r.stdout), r.stdout
    listing = ok(data.cli(*prefix, "admin", "list")).stdout
    assert re.search(r"^eve\s+auditor\s+-\s+no\s+never\s.*\sactive$",
                     listing, re.M), listing
    for cmd, done in (("disable", "disabled"), ("enable", "enabled"),
                      ("unlock", "unlocked"),
                      ("reset-totp",
                       "TOTP reset; it is enrolled again at next login")):
        r = ok(data.cli(*prefix, "admin", cmd, "eve"))
        assert r.stdout == f"account eve {done}\n"
        r = data.cli(*prefix, "admin", cmd, "nobody")
        assert r.returncode == 1
        assert r.stderr == "rempart: no account nobody\n"
    r = ok(data.cli(*prefix, "admin", "remove", "eve"))
    assert r.stdout == "account eve removed\n"
    assert data.cli(*prefix, "admin", "remove", "eve").returncode == 1
    assert data.cli(*prefix, "admin", "frob", "eve").returncode == 2


def check_cli_apikey(data, prefix=()):
    r = ok(data.cli(*prefix, "apikey", "create", "--role", "helpdesk",
                    "--expires", "2h"))
    m = re.match(r"^id (\S{22}) role helpdesk expires \S+Z\n"
                 r"key \(shown once\): (rpk_\S+)\n$", r.stdout)
    assert m, r.stdout
    ident = m.group(1)
    listing = ok(data.cli(*prefix, "apikey", "list")).stdout
    assert re.search(rf"^{ident}\s+helpdesk\s+-\s.*\snever\s+active$",
                     listing, re.M), listing
    r = ok(data.cli(*prefix, "apikey", "rotate", ident))
    assert re.match(r"^key \(shown once\): rpk_\S+\n$", r.stdout)
    r = ok(data.cli(*prefix, "apikey", "revoke", ident))
    assert r.stdout == f"revoked {ident}\n"
    r = data.cli(*prefix, "apikey", "revoke", ident)
    assert r.returncode == 1
    assert r.stderr == f"rempart: no active API key {ident}\n"
    listing = ok(data.cli(*prefix, "apikey", "list")).stdout
    assert re.search(rf"^{ident}\s.*\srevoked$", listing, re.M)


def test_cli_with_daemon(pbx, data):
    check_cli_admin(data)
    check_cli_apikey(data)
    rows = audit_rows(data)
    for action in ("admin.add", "admin.passwd", "admin.disable",
                   "admin.remove", "apikey.create", "apikey.rotate",
                   "apikey.revoke"):
        [row] = [r for r in rows if r[3] == action][-1:]
        assert row[:3] == ("local:" + ME, "admin", "local"), row
    # The host's operator may disable the last admin account (it can
    # always add one again); a key's caller may not.
    ok(data.cli("admin", "add", "solo", "--role", "admin",
                "--password-stdin", stdin=PASSWORD + "\n"))
    key, _ = make_key(data, "admin")
    status, headers, out = send(pbx.api, "PATCH", "/api/v1/admins/solo",
                                key, {"enabled": False})
    assert_error(status, headers, out, 409, "last_admin")
    ok(data.cli("admin", "disable", "solo"))
    assert PASSWORD not in json.dumps(rows)


def test_cli_without_daemon(data):
    check_cli_admin(data)
    check_cli_apikey(data)
    [row] = audit_rows(data, "apikey.revoke")
    assert row[:3] == ("local:" + ME, "admin", "local")


def test_cli_remote(pbx, data, tmp_path):
    key, ident = make_key(data, "admin")
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    remote = ["--api", f"https://127.0.0.1:{pbx.api_port}",
              "--api-key-file", str(key_file),
              "--api-ca", str(data.path / "tls" / "cert.pem")]
    check_cli_admin(data, remote)
    check_cli_apikey(data, remote)
    [row] = audit_rows(data, "admin.remove")
    assert row[:4] == ("apikey:" + ident, "admin", "127.0.0.1",
                       "admin.remove")
    # A helpdesk key may not manage accounts or keys.
    hkey, _ = make_key(data, "helpdesk")
    key_file.write_text(hkey)
    for args in (("admin", "list"), ("apikey", "list")):
        r = data.cli(*remote, *args)
        assert r.returncode == 1
        assert r.stderr == "rempart: not allowed for this key\n"
