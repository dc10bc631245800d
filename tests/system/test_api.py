"""The HTTPS administration API against the real daemon (R-ADMIN-1,
R-ADMIN-2, R-AUTH-6): TLS 1.3 only, API keys, roles against each class
of endpoint, errors, limits."""
import http.client
import json
import re
import socket
import ssl
import time

import pytest

from conftest import Daemon, free_port


def tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_key(data, role, ext=None, expires=None):
    args = ["apikey", "create", "--role", role]
    if ext:
        args += ["--ext", ext]
    if expires:
        args += ["--expires", expires]
    r = data.cli(*args)
    assert r.returncode == 0, r.stderr
    m = re.search(r"^key \(shown once\): (rpk_\S+)$", r.stdout, re.M)
    ident = re.search(r"^id (\S+) ", r.stdout, re.M).group(1)
    return m.group(1), ident


class Api:
    def __init__(self, data, port):
        self.port = port
        # The daemon's self-signed certificate is the trust anchor; its
        # name is the host's, so only the chain is checked.
        self.ctx = ssl.create_default_context(
            cafile=str(data.path / "tls" / "cert.pem"))
        self.ctx.check_hostname = False
        self.conn = None

    def connect(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=self.ctx, timeout=10)

    def get(self, path, key=None, method="GET", body=None, headers=None,
            keep=False):
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = "Bearer " + key
        conn = self.conn if keep and self.conn else self.connect()
        if keep:
            self.conn = conn
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        raw = r.read()
        if not keep:
            conn.close()
        return r.status, dict(r.getheaders()), json.loads(raw) if raw \
            else None


@pytest.fixture
def api(rempartd, data):
    port = tcp_port()
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}"])
    yield Api(data, port)
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


@pytest.fixture
def keys(data):
    return {role: make_key(data, role, "101" if role == "user" else None)[0]
            for role in ("admin", "auditor", "helpdesk", "user")}


def assert_error(status, headers, body, want_status, code):
    assert status == want_status, body
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert headers["Content-Type"] == "application/json; charset=utf-8"


# Each class of endpoint and which roles it admits: 200 or 403.
ENDPOINTS = {
    "/api/v1/users": {"admin", "auditor", "helpdesk", "user"},
    "/api/v1/users/100": {"admin", "auditor", "helpdesk"},
    "/api/v1/users/101": {"admin", "auditor", "helpdesk", "user"},
    "/api/v1/cdrs": {"admin", "auditor", "user"},
    "/api/v1/cdrs?ext=100": {"admin", "auditor"},
    "/api/v1/bans": {"admin", "auditor"},
    "/api/v1/audit?limit=5": {"admin", "auditor"},
    "/api/v1/audit/verify": {"admin", "auditor"},
}


def test_roles_against_endpoints(api, keys):
    for path, allowed in ENDPOINTS.items():
        for role, key in keys.items():
            status, headers, body = api.get(path, key)
            if role in allowed:
                assert status == 200, (path, role, body)
            else:
                assert_error(status, headers, body, 403, "forbidden")


def test_user_role_sees_itself_only(api, keys):
    status, _, body = api.get("/api/v1/users", keys["user"])
    assert status == 200
    assert [u["ext"] for u in body["items"]] == ["101"]
    assert body["total"] == 1
    status, _, body = api.get("/api/v1/cdrs?ext=101", keys["user"])
    assert status == 200


def test_listing_content(api, keys):
    status, headers, body = api.get("/api/v1/users?limit=2&offset=1",
                                    keys["admin"])
    assert status == 200
    assert [u["ext"] for u in body["items"]] == ["101", "102"]
    assert (body["limit"], body["offset"], body["total"]) == (2, 1, 6)
    assert all("ha1" not in k for u in body["items"] for k in u)
    for h, v in (("Cache-Control", "no-store"),
                 ("X-Content-Type-Options", "nosniff"),
                 ("Content-Type", "application/json; charset=utf-8")):
        assert headers[h] == v
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    status, _, body = api.get("/api/v1/audit/verify", keys["auditor"])
    assert status == 200 and body["ok"] is True
    status, _, body = api.get("/api/v1/audit", keys["auditor"])
    actions = [e["action"] for e in body["items"]]
    assert "apikey.create" in actions
    # The audit log never holds a key.
    assert "rpk_" not in json.dumps(body)
    status, _, body = api.get("/api/v1/users/999", keys["admin"])
    assert_error(status, {"Content-Type":
                          "application/json; charset=utf-8"}, body, 404,
                 "not_found")


def test_authentication_failures(api, data, keys):
    expired, _ = make_key(data, "admin", expires="1s")
    revoked, rid = make_key(data, "admin")
    assert data.cli("apikey", "revoke", rid).returncode == 0
    rotated, tid = make_key(data, "admin")
    r = data.cli("apikey", "rotate", tid)
    assert r.returncode == 0, r.stderr
    fresh = re.search(r"(rpk_\S+)", r.stdout).group(1)
    time.sleep(1.1)
    bad = keys["admin"][:-4] + ("AAAA" if not keys["admin"].endswith(
        "AAAA") else "BBBB")
    for key, hdr in ((None, None), ("", None), (bad, None),
                     (expired, None), (revoked, None), (rotated, None),
                     (None, {"Authorization": "Basic YWRtaW46YWRtaW4="}),
                     (None, {"Authorization": keys["admin"]})):
        status, headers, body = api.get("/api/v1/users", key,
                                        headers=hdr)
        assert_error(status, headers, body, 401, "unauthorized")
        # One answer for every failure: nothing says which check failed.
        assert body["error"]["message"] == "authentication required"
        assert headers["WWW-Authenticate"].startswith("Bearer")
    # Unknown paths are not revealed before authentication.
    status, headers, body = api.get("/nowhere")
    assert_error(status, headers, body, 401, "unauthorized")
    assert api.get("/api/v1/users", fresh)[0] == 200
    # Last use is recorded.
    listing = data.cli("apikey", "list").stdout
    line = [l for l in listing.splitlines() if l.startswith(tid)][0]
    assert "never" not in line and "active" in line
    assert "revoked" in [l for l in listing.splitlines()
                         if l.startswith(rid)][0]


def test_errors(api, keys):
    k = keys["admin"]
    for path in ("/api/v1/nope", "/api/v2/users", "/api/v1/users/",
                 "/api/v1/users/100/x", "/api/v1/audit/verify/"):
        status, headers, body = api.get(path, k)
        assert_error(status, headers, body, 404, "not_found")
    status, headers, body = api.get("/api/v1/users", k, method="DELETE")
    assert_error(status, headers, body, 405, "method_not_allowed")
    assert headers["Allow"] == "GET, POST"
    status, headers, body = api.get("/api/v1/cdrs", k, method="DELETE")
    assert_error(status, headers, body, 405, "method_not_allowed")
    assert headers["Allow"] == "GET"
    for path, field in (("/api/v1/users?limit=0", "limit"),
                        ("/api/v1/users?limit=1001", "limit"),
                        ("/api/v1/users?limit=x", "limit"),
                        ("/api/v1/users?offset=-1", "offset"),
                        ("/api/v1/cdrs?since=yesterday", "since"),
                        ("/api/v1/cdrs?ext=../etc", "ext"),
                        ("/api/v1/audit?limit=", "limit"),
                        ("/api/v1/users?limit=1&limit=2", "limit")):
        status, headers, body = api.get(path, k)
        assert_error(status, headers, body, 400, "invalid_parameter")
        assert f"'{field}'" in body["error"]["message"], path
    status, headers, body = api.get("/api/v1/users?evil=1", k)
    assert_error(status, headers, body, 400, "invalid_parameter")
    status, headers, body = api.get("/api/v1/users", k, method="POST",
                                    body=b"x" * (64 * 1024 + 1))
    assert_error(status, headers, body, 413, "too_large")


def test_rate_limit(api, keys):
    seen = []
    for _ in range(120):
        status, headers, body = api.get("/api/v1/bans", keys["auditor"],
                                        keep=True)
        seen.append(status)
        if status == 429:
            assert_error(status, headers, body, 429, "rate_limited")
            assert headers["Retry-After"] == "1"
            break
    assert seen[-1] == 429, seen
    assert seen.count(200) >= 40
    # The limit is per key: another key still gets through.
    assert api.get("/api/v1/bans", keys["admin"])[0] == 200


def test_tls_1_2_refused(api, data):
    ctx = ssl.create_default_context(
        cafile=str(data.path / "tls" / "cert.pem"))
    ctx.check_hostname = False
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionError)):
        with socket.create_connection(("127.0.0.1", api.port),
                                      timeout=5) as s:
            with ctx.wrap_socket(s):
                pass
    ctx13 = ssl.create_default_context(
        cafile=str(data.path / "tls" / "cert.pem"))
    ctx13.check_hostname = False
    with socket.create_connection(("127.0.0.1", api.port), timeout=5) as s:
        with ctx13.wrap_socket(s) as t:
            assert t.version() == "TLSv1.3"


def test_cli_apikey_usage(data):
    assert data.cli("apikey", "create").returncode == 2
    assert data.cli("apikey", "create", "--role", "root").returncode == 2
    assert data.cli("apikey", "create", "--role", "user").returncode == 2
    assert data.cli("apikey", "create", "--role", "admin", "--ext",
                    "100").returncode == 2
    assert data.cli("apikey", "create", "--role", "admin", "--expires",
                    "forever").returncode == 2
    assert data.cli("apikey", "revoke", "nosuchkey").returncode == 1
    assert data.cli("apikey", "rotate", "nosuchkey").returncode == 1
    assert data.cli("apikey").returncode == 2


def test_admin_access_list(rempartd, data):
    """R-NET-4: with --api-allow, a valid key from outside the allowed
    networks gets exactly the answer of a bad key; from inside, it
    works."""
    port = tcp_port()
    key, _ = make_key(data, "admin")
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}",
                                      "--api-allow", "127.0.0.5/32"])
    try:
        api = Api(data, port)

        def get(source, k):
            conn = http.client.HTTPSConnection(
                "127.0.0.1", port, context=api.ctx, timeout=10,
                source_address=(source, 0))
            conn.request("GET", "/api/v1/users",
                         headers={"Authorization": "Bearer " + k})
            r = conn.getresponse()
            body = r.read()
            conn.close()
            return r.status, body

        outside = get("127.0.0.1", key)
        bad_key = get("127.0.0.1", key[:-2] + ("AA" if key[-2:] != "AA"
                                                else "BB"))
        assert outside[0] == 401, outside
        assert outside == bad_key
        assert get("127.0.0.5", key)[0] == 200
        assert "event=acl_refused src=127.0.0.1 service=api" in \
            d.log.read_text()
    finally:
        assert d.stop() == 0
