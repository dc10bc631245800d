"""Changes through the HTTPS API against the real daemon (R-ADMIN-2,
R-ADMIN-3, R-ADMIN-4, R-OPS-1): extensions created with a generated
secret, bans added and removed, anti-fraud blocks lifted, live
registrations listed. Each change is checked like the command line
checks it, refused to the roles without the right, written with its
audit entry and followed by a reload of the running daemon, which then
acts on it (the new extension registers, the banned source is refused).
Also the console's static files and the security headers of every
answer."""
import json
import re
import time
import urllib.parse

import pytest

from conftest import Daemon
from sipclient import Client as SipClient, status_of
from test_admin_login import (Client as SessionClient, PASSWORD, add_admin,
                              next_code)
from test_api import Api, assert_error, make_key, tcp_port

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")


@pytest.fixture
def pbx(rempartd, data):
    port = tcp_port()
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}",
                                      "--banned-answer", "403"])
    d.api = Api(data, port)
    d.api_port = port
    yield d
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


@pytest.fixture
def keys(data):
    out = {}
    for role in ("admin", "auditor", "helpdesk", "user"):
        key, ident = make_key(data, role, "101" if role == "user" else None)
        out[role] = key
        out[role + "_id"] = ident
    return out


def call(api, method, path, key, body=None, raw=None):
    headers = {"Content-Type": "application/json"}
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    return api.get(path, key, method=method, body=data, headers=headers)


def reloads(d):
    return d.log.read_text().count('msg="users reloaded"')


def wait_reload(d, before, seconds=10):
    deadline = time.time() + seconds
    while reloads(d) <= before:
        assert time.time() < deadline, d.log.read_text()[-3000:]
        time.sleep(0.05)


def audit_entries(api, key, action):
    status, _, body = api.get("/api/v1/audit?limit=1000", key)
    assert status == 200, body
    return [e for e in body["items"] if e["action"] == action]


def test_create_user(pbx, data, keys):
    api = pbx.api
    before = reloads(pbx)
    status, headers, body = call(api, "POST", "/api/v1/users",
                                 keys["admin"], {"ext": "200",
                                                 "name": "Front desk"})
    assert status == 201, body
    assert headers["Cache-Control"] == "no-store"
    assert body["ext"] == "200" and body["display_name"] == "Front desk"
    assert body["enabled"] is True
    secret = body["secret"]
    # The policy of `rempart user add --generate-secret`: 24 characters.
    assert len(secret) == 24, secret
    wait_reload(pbx, before)
    # The running daemon knows the extension: it registers with it.
    c = SipClient(pbx.udp)
    try:
        resp, _, _ = c.register("200", secret, data.realm)
        assert status_of(resp) == 200, resp
    finally:
        c.close()
    status, _, out = api.get("/api/v1/users/200", keys["auditor"])
    assert status == 200 and "secret" not in out
    # One audit entry: who, with which role, from where; no secret.
    [e] = [e for e in audit_entries(api, keys["admin"], "user.add")
           if e["object"] == "200"]
    assert e["actor"] == "apikey:" + keys["admin_id"]
    assert e["role"] == "admin" and e["source"] == "127.0.0.1"
    assert e["object"] == "200"
    assert json.loads(e["after"]) == {"credentials": "set",
                                      "enabled": True,
                                      "name": "Front desk"}
    assert secret not in json.dumps(e)
    assert secret not in pbx.log.read_text()
    # The same extension twice.
    status, headers, body = call(api, "POST", "/api/v1/users",
                                 keys["admin"], {"ext": "200",
                                                 "name": "Again"})
    assert_error(status, headers, body, 409, "exists")
    # Helpdesk may create users; the auditor and a user may not.
    status, _, body = call(api, "POST", "/api/v1/users", keys["helpdesk"],
                           {"ext": "201", "name": "Lobby"})
    assert status == 201, body
    for role in ("auditor", "user"):
        status, headers, body = call(api, "POST", "/api/v1/users",
                                     keys[role], {"ext": "202",
                                                  "name": "No"})
        assert_error(status, headers, body, 403, "forbidden")
    assert api.get("/api/v1/users/202", keys["admin"])[0] == 404


@pytest.mark.parametrize("body,field", [
    ({"ext": "../etc", "name": "x"}, "ext"),
    ({"ext": "", "name": "x"}, "ext"),
    ({"ext": "a" * 33, "name": "x"}, "ext"),
    ({"ext": 200, "name": "x"}, "ext"),
    ({"name": "x"}, "ext"),
    ({"ext": "203"}, "name"),
    ({"ext": "203", "name": ""}, "name"),
    ({"ext": "203", "name": "tab\there"}, "name"),
    ({"ext": "203", "name": "x" * 65}, "name"),
    ({"ext": "203", "name": "x", "secret": "1234"}, "secret"),
    ({"ext": "203", "name": "x", "secret": 1234}, "secret"),
    ({"ext": "203", "name": "x", "pin": "Chosen-Secret-1234"}, "member"),
])
def test_create_user_bad_input(pbx, keys, body, field):
    status, headers, out = call(pbx.api, "POST", "/api/v1/users",
                                keys["admin"], body)
    assert_error(status, headers, out, 400, "invalid_body")
    if field == "member":
        assert "unknown member" in out["error"]["message"]
    else:
        assert f"'{field}'" in out["error"]["message"], out
    assert pbx.api.get("/api/v1/users/203", keys["admin"])[0] == 404


def test_bad_bodies(pbx, keys):
    for raw in (b"", b"[]", b"{", b'"x"', b'{"a":1,"a":2}'):
        status, headers, out = call(pbx.api, "POST", "/api/v1/bans",
                                    keys["admin"], raw=raw)
        assert_error(status, headers, out, 400, "invalid_body")
    status, headers, out = call(pbx.api, "POST", "/api/v1/users",
                                keys["admin"], raw=b" " * 5000)
    assert_error(status, headers, out, 413, "too_large")
    # Known paths, wrong methods: 405 naming the methods they take.
    status, headers, out = call(pbx.api, "PUT", "/api/v1/users",
                                keys["admin"], {})
    assert_error(status, headers, out, 405, "method_not_allowed")
    assert headers["Allow"] == "GET, POST"
    status, headers, out = call(pbx.api, "GET", "/api/v1/bans/192.0.2.1",
                                keys["admin"])
    assert_error(status, headers, out, 405, "method_not_allowed")
    assert headers["Allow"] == "DELETE"
    status, headers, out = call(pbx.api, "GET", "/api/v1/fraud/unblock",
                                keys["admin"])
    assert_error(status, headers, out, 405, "method_not_allowed")


def options_status(port, source):
    c = SipClient(port, bind=source)
    try:
        c.send(c.request("OPTIONS", "sip:rempart.test", "100",
                         "rempart.test"))
        return status_of(c.recv(timeout=3))
    finally:
        c.close()


def test_bans(pbx, data, keys):
    api, admin = pbx.api, keys["admin"]
    assert options_status(pbx.udp, "127.0.0.21") != 403
    before = reloads(pbx)
    t0 = int(time.time())
    status, headers, body = call(api, "POST", "/api/v1/bans", admin,
                                 {"addr": "127.0.0.21", "for": "1h",
                                  "reason": "scanner"})
    assert status == 201, body
    assert body["addr"] == "127.0.0.21" and body["source"] == "admin"
    assert t0 + 3600 <= body["until"] <= int(time.time()) + 3600
    assert body["reason"] == "scanner"
    wait_reload(pbx, before)
    # The daemon enforces it at once.
    assert options_status(pbx.udp, "127.0.0.21") == 403
    # Defaults of the command line: a day, reason "manual"; the stored
    # form is the normalised one; "permanent" never ends.
    status, _, body = call(api, "POST", "/api/v1/bans", admin,
                           {"addr": "2001:DB8:0:0::7"})
    assert status == 201 and body["addr"] == "2001:db8::7", body
    assert body["reason"] == "manual"
    assert abs(body["until"] - (time.time() + 86400)) < 10
    status, _, body = call(api, "POST", "/api/v1/bans", admin,
                           {"addr": "198.51.100.0/24", "for": "permanent"})
    assert status == 201 and body["until"] == 0, body
    status, _, body = api.get("/api/v1/bans", keys["auditor"])
    assert {b["addr"] for b in body["items"]} == {
        "127.0.0.21", "2001:db8::7", "198.51.100.0/24"}
    # Bad input, each naming its field.
    for bad, field in (({"addr": "192.0.2.7/24"}, "addr"),
                       ({"addr": "example.com"}, "addr"),
                       ({"addr": 7}, "addr"),
                       ({}, "addr"),
                       ({"addr": "192.0.2.7", "for": "1x"}, "for"),
                       ({"addr": "192.0.2.7", "for": "0h"}, "for"),
                       ({"addr": "192.0.2.7", "for": "600w"}, "for"),
                       ({"addr": "192.0.2.7", "for": 3600}, "for"),
                       ({"addr": "192.0.2.7", "reason": ""}, "reason"),
                       ({"addr": "192.0.2.7", "reason": "a\u0001b"},
                        "reason"),
                       ({"addr": "192.0.2.7", "reason": "r" * 129},
                        "reason")):
        status, headers, out = call(api, "POST", "/api/v1/bans", admin, bad)
        assert_error(status, headers, out, 400, "invalid_body")
        assert f"'{field}'" in out["error"]["message"], (bad, out)
    # Only the admin role bans and unbans.
    for role in ("auditor", "helpdesk", "user"):
        status, headers, out = call(api, "POST", "/api/v1/bans",
                                    keys[role], {"addr": "192.0.2.9"})
        assert_error(status, headers, out, 403, "forbidden")
        status, headers, out = call(api, "DELETE",
                                    "/api/v1/bans/127.0.0.21", keys[role])
        assert_error(status, headers, out, 403, "forbidden")
    # Removal: by any spelling of the address, the network by its
    # escaped slash.
    before = reloads(pbx)
    status, _, out = call(api, "DELETE", "/api/v1/bans/127.0.0.21", admin)
    assert status == 200 and out == {"addr": "127.0.0.21",
                                     "removed": True}, out
    wait_reload(pbx, before)
    assert options_status(pbx.udp, "127.0.0.21") != 403
    status, _, out = call(api, "DELETE", "/api/v1/bans/" +
                          urllib.parse.quote("198.51.100.0/24", safe=""),
                          admin)
    assert status == 200, out
    status, headers, out = call(api, "DELETE", "/api/v1/bans/127.0.0.21",
                                admin)
    assert_error(status, headers, out, 404, "not_found")
    status, headers, out = call(api, "DELETE", "/api/v1/bans/not-an-ip",
                                admin)
    assert_error(status, headers, out, 400, "invalid_parameter")
    # The audit log holds each change with its states, as the CLI's.
    [add] = [e for e in audit_entries(api, admin, "bans.add")
             if e["object"] == "127.0.0.21"]
    assert add["actor"] == "apikey:" + keys["admin_id"]
    assert add["before"] == ""
    after = json.loads(add["after"])
    assert after["reason"] == "scanner" and after["source"] == "admin"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", after["until"])
    [rm] = [e for e in audit_entries(api, admin, "bans.remove")
            if e["object"] == "127.0.0.21"]
    assert json.loads(rm["before"])["reason"] == "scanner"
    assert rm["after"] == ""
    r = data.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


def test_fraud_unblock(pbx, data, keys):
    api, admin = pbx.api, keys["admin"]
    for args in (("user", "101"), ("global",)):
        r = data.cli("fraud", "block", *args, "--reason", "test block")
        assert r.returncode == 0, r.stderr
    status, _, body = api.get("/api/v1/fraud/blocks", keys["auditor"])
    assert status == 200 and body["total"] == 2, body
    user = [b for b in body["items"] if b["scope"] == "user"][0]
    assert user["name"] == "101" and user["text"] == "test block"
    assert user["reason"] and user["until"] == 0
    for role in ("helpdesk", "user"):
        status, headers, out = api.get("/api/v1/fraud/blocks", keys[role])
        assert_error(status, headers, out, 403, "forbidden")
    for role in ("auditor", "helpdesk", "user"):
        status, headers, out = call(api, "POST", "/api/v1/fraud/unblock",
                                    keys[role], {"scope": "global"})
        assert_error(status, headers, out, 403, "forbidden")
    for bad, field in (({}, "scope"), ({"scope": "tenant"}, "name"),
                       ({"scope": "tenant", "name": "Acme"}, "name"),
                       ({"scope": "USER", "name": "101"}, "scope"),
                       ({"scope": "user"}, "name"),
                       ({"scope": "user", "name": "../1"}, "name"),
                       ({"scope": "global", "name": "101"}, "name")):
        status, headers, out = call(api, "POST", "/api/v1/fraud/unblock",
                                    admin, bad)
        assert_error(status, headers, out, 400, "invalid_body")
        assert f"'{field}'" in out["error"]["message"], (bad, out)
    before = reloads(pbx)
    status, _, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                          {"scope": "user", "name": "101"})
    assert status == 200 and out == {"object": "user:101",
                                     "unblocked": True}, out
    wait_reload(pbx, before)
    status, headers, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                                {"scope": "user", "name": "101"})
    assert_error(status, headers, out, 404, "not_blocked")
    status, _, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                          {"scope": "global"})
    assert status == 200, out
    status, _, body = api.get("/api/v1/fraud/blocks", admin)
    assert body["total"] == 0 and body["items"] == []
    listing = data.cli("fraud", "blocks").stdout
    assert "test block" not in listing, listing
    [e] = [e for e in audit_entries(api, admin, "fraud.unblock")
           if e["object"] == "user:101"]
    assert e["actor"] == "apikey:" + keys["admin_id"]
    assert json.loads(e["before"])["text"] == "test block"
    assert "lifted_at" in json.loads(e["after"])


def test_registrations(pbx, data, keys):
    api = pbx.api
    status, _, body = api.get("/api/v1/registrations", keys["helpdesk"])
    assert status == 200 and body["total"] == 0, body
    for user in ("101", "102"):
        c = SipClient(pbx.udp)
        try:
            resp, _, _ = c.register(user, data.secrets[user], data.realm)
            assert status_of(resp) == 200, resp
        finally:
            c.close()
    # Bindings reach the store through its writer thread.
    deadline = time.time() + 10
    while True:
        status, _, body = api.get("/api/v1/registrations", keys["admin"])
        assert status == 200, body
        if body["total"] == 2:
            break
        assert time.time() < deadline, body
        time.sleep(0.1)
    assert [b["aor"] for b in body["items"]] == ["101", "102"]
    b = body["items"][0]
    assert b["contact"].startswith("<sip:101@127.0.0.1:") or \
        "101@127.0.0.1" in b["contact"], b
    assert b["source"].startswith("udp:127.0.0.1:")
    assert b["expires_at"] > time.time() + 500
    # A user key sees its own extension only.
    status, _, body = api.get("/api/v1/registrations", keys["user"])
    assert status == 200 and [b["aor"] for b in body["items"]] == ["101"]
    assert body["total"] == 1
    status, headers, body = api.get("/api/v1/registrations?limit=0",
                                    keys["admin"])
    assert_error(status, headers, body, 400, "invalid_parameter")
    status, _, body = api.get("/api/v1/registrations?limit=1&offset=1",
                              keys["admin"])
    assert [b["aor"] for b in body["items"]] == ["102"]
    assert body["total"] == 2


def test_session_changes_need_csrf(pbx, data):
    add_admin(data, "carol")
    c = SessionClient(data, pbx.api_port)
    status, out = c.login("carol", PASSWORD)
    assert status == 200 and out["must_enrol_totp"], out
    status, _, enrol = c.req("POST", "/api/v1/totp/enrol")
    assert status == 200, enrol
    code, _ = next_code(enrol["secret"], 0)
    assert c.req("POST", "/api/v1/totp/confirm", {"code": code})[0] == 200
    # The session's token is given back to a reloaded page.
    status, _, info = c.req("GET", "/api/v1/session")
    assert status == 200 and info["csrf_token"] == c.csrf
    status, r, out = c.req("POST", "/api/v1/bans", {"addr": "192.0.2.50"},
                           csrf=False)
    assert status == 403 and out["error"]["code"] == "csrf_invalid", out
    status, r, out = c.req("DELETE", "/api/v1/bans/192.0.2.50", csrf=False)
    assert status == 403 and out["error"]["code"] == "csrf_invalid", out
    status, r, out = c.req("POST", "/api/v1/bans", {"addr": "192.0.2.50"})
    assert status == 201, out
    status, _, out = c.req("GET", "/api/v1/audit?limit=1000")
    [e] = [e for e in out["items"] if e["action"] == "bans.add"]
    assert e["actor"] == "carol" and e["role"] == "admin"
    assert e["source"] == "127.0.0.1"


def test_console_files_and_headers(pbx, keys):
    api = pbx.api
    conn = api.connect()
    conn.request("GET", "/")
    r = conn.getresponse()
    page = r.read().decode()
    conn.close()
    assert r.status == 200
    h = dict(r.getheaders())
    assert h["Content-Type"] == "text/html; charset=utf-8"
    assert h["Content-Security-Policy"] == CSP
    assert h["Strict-Transport-Security"].startswith("max-age=")
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Frame-Options"] == "DENY"
    # No inline code: every script comes from a file, no handler or
    # style attribute, no <style> element.
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts and all(' src="' in s for s in scripts), scripts
    assert not re.search(r"\son[a-z]+\s*=", page, re.I)
    assert not re.search(r"\sstyle\s*=|<style\b", page, re.I)
    assert not re.search(r"javascript:", page, re.I)
    for path, ctype in (("/app.js", "text/javascript; charset=utf-8"),
                        ("/app.css", "text/css; charset=utf-8"),
                        ("/index.html", "text/html; charset=utf-8")):
        conn = api.connect()
        conn.request("GET", path)
        r = conn.getresponse()
        text = r.read().decode()
        conn.close()
        assert r.status == 200 and r.getheader("Content-Type") == ctype
        assert r.getheader("Content-Security-Policy") == CSP
        if path == "/app.js":
            assert "innerHTML" not in text and "eval(" not in text
            assert "X-CSRF-Token" in text
    status, headers, body = api.get("/app.js", method="POST", body=b"{}")
    assert_error(status, headers, body, 405, "method_not_allowed")
    # API answers carry the same headers and are never cached.
    status, headers, body = api.get("/api/v1/users", keys["admin"])
    assert status == 200
    assert headers["Content-Security-Policy"] == CSP
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    # Other paths stay hidden behind authentication.
    status, headers, body = api.get("/app.jsx")
    assert_error(status, headers, body, 401, "unauthorized")
