"""Administrator accounts, MFA and sessions against the real daemon
(R-ADMIN-1, R-ADMIN-2, R-AUTH-2, R-AUTH-6): CLI accounts, login over
HTTPS, mandatory TOTP enrolment (RFC 6238 codes computed here), session
cookies with CSRF tokens, idle expiry, password change, lockout."""
import base64
import hashlib
import hmac
import http.client
import json
import re
import socket
import ssl
import struct
import time
import urllib.parse

import pytest

from conftest import Daemon

PASSWORD = "Blue-Harbour-7391"
NEW_PASSWORD = "Quiet.Lantern-2058"
COOKIE = "__Host-rempart_session"
UNIFORM = "invalid name, password or code"


def tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def totp(secret_b32, t, digits=6, step=30):
    """RFC 6238 with HMAC-SHA-1, written out from the RFC."""
    pad = "=" * (-len(secret_b32) % 8)
    key = base64.b32decode(secret_b32 + pad)
    msg = struct.pack(">Q", int(t) // step)
    mac = hmac.new(key, msg, hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF)
    return str(code % 10 ** digits).zfill(digits)


def test_totp_helper_matches_rfc6238():
    seed = base64.b32encode(b"12345678901234567890").decode()
    assert totp(seed, 59) == "287082"
    assert totp(seed, 1111111109) == "081804"


class Client:
    def __init__(self, data, port):
        self.port = port
        self.ctx = ssl.create_default_context(
            cafile=str(data.path / "tls" / "cert.pem"))
        self.ctx.check_hostname = False
        self.cookie = None
        self.csrf = None

    def req(self, method, path, body=None, csrf=True, cookie=True,
            headers=None):
        h = dict(headers or {})
        if cookie and self.cookie:
            h["Cookie"] = f"{COOKIE}={self.cookie}"
        if csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        raw = None
        if body is not None:
            raw = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn = http.client.HTTPSConnection("127.0.0.1", self.port,
                                           context=self.ctx, timeout=30)
        conn.request(method, path, body=raw, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r, json.loads(data) if data else None

    def login(self, name, password, code=None):
        body = {"name": name, "password": password}
        if code is not None:
            body["totp"] = code
        status, r, out = self.req("POST", "/api/v1/login", body,
                                  cookie=False, csrf=False)
        if status == 200:
            set_cookie = r.getheader("Set-Cookie")
            m = re.match(COOKIE + r"=([A-Za-z0-9_-]{43});", set_cookie)
            assert m, set_cookie
            attrs = [a.strip() for a in set_cookie.split(";")[1:]]
            assert set(attrs) == {"Path=/", "Secure", "HttpOnly",
                                  "SameSite=Strict"}
            self.cookie = m.group(1)
            self.csrf = out["csrf_token"]
        return status, out


@pytest.fixture
def api(rempartd, data):
    port = tcp_port()
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}",
                                      "--admin-idle", "10"])
    yield Client(data, port)
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log
    # Passwords and codes never reach the log.
    for secret in (PASSWORD, NEW_PASSWORD):
        assert secret not in log


def add_admin(data, name, role="admin", password=PASSWORD):
    r = data.cli("admin", "add", name, "--role", role, "--password-stdin",
                 stdin=password + "\n")
    assert r.returncode == 0, r.stderr


def assert_error(status, body, want_status, code):
    assert status == want_status, body
    assert set(body) == {"error"}
    assert body["error"]["code"] == code, body


def next_code(secret, used_step):
    """A code for a step after the last one used, inside the window
    (one step ahead at most): waits for the clock when needed."""
    step = max(int(time.time()) // 30, used_step + 1)
    while step > int(time.time()) // 30 + 1:
        time.sleep(0.5)
    return totp(secret, step * 30), step


def test_admin_login_flow(api, data):
    add_admin(data, "alice")
    c = api
    # No TOTP yet: the admin role may only enrol.
    status, out = c.login("alice", PASSWORD)
    assert status == 200, out
    assert out["role"] == "admin"
    assert out["must_enrol_totp"] is True
    assert out["must_change_password"] is False
    status, _, out = c.req("GET", "/api/v1/users")
    assert_error(status, out, 403, "totp_enrolment_required")
    status, _, out = c.req("GET", "/api/v1/session")
    assert status == 200 and out["name"] == "alice"
    assert out["must_enrol_totp"] is True
    # Enrolment: the secret, its otpauth:// URI and a QR code.
    status, _, enrol = c.req("POST", "/api/v1/totp/enrol")
    assert status == 200, enrol
    secret = enrol["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    uri = urllib.parse.urlparse(enrol["uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    q = urllib.parse.parse_qs(uri.query)
    assert q["secret"] == [secret] and q["issuer"] == ["rempart"]
    assert q["digits"] == ["6"] and q["period"] == ["30"]
    assert enrol["qr"].startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(enrol["qr"].split(",", 1)[1])
    assert svg.startswith(b"<svg") and b"<path" in svg
    # A wrong code is refused; the right one enrols.
    good, step = next_code(secret, 0)
    wrong = "%06d" % ((int(good) + 1) % 1000000)
    status, _, out = c.req("POST", "/api/v1/totp/confirm", {"code": wrong})
    assert_error(status, out, 400, "invalid_code")
    status, _, out = c.req("POST", "/api/v1/totp/confirm", {"code": good})
    assert status == 200 and out["totp_enrolled"] is True, out
    # The same code is never accepted twice.
    c2 = Client(data, c.port)
    status, out = c2.login("alice", PASSWORD, good)
    assert status == 401 and out["error"]["message"] == UNIFORM
    # Without a code, or with a wrong one: the uniform answer.
    status, out = c2.login("alice", PASSWORD)
    assert status == 401 and out["error"]["message"] == UNIFORM
    code, step = next_code(secret, step)
    status, out = c2.login("alice", PASSWORD, code)
    assert status == 200, out
    assert out["must_enrol_totp"] is False
    # The cookie works on the read endpoints, with the admin's rights.
    status, _, out = c2.req("GET", "/api/v1/users")
    assert status == 200 and out["total"] == 6
    status, _, out = c2.req("GET", "/api/v1/audit?limit=50")
    assert status == 200
    actions = [e["action"] for e in out["items"]]
    for a in ("admin.add", "admin.login", "admin.totp_enrol",
              "admin.totp_confirm", "admin.login_failed"):
        assert a in actions, actions
    assert secret not in json.dumps(out)
    assert PASSWORD not in json.dumps(out)
    # A state-changing request without the CSRF token is refused...
    status, _, out = c2.req("POST", "/api/v1/logout", csrf=False)
    assert_error(status, out, 403, "csrf_invalid")
    status, _, out = c2.req("POST", "/api/v1/logout",
                            headers={"X-CSRF-Token": "x" * 43}, csrf=False)
    assert_error(status, out, 403, "csrf_invalid")
    # ... and the session lives on.
    status, _, out = c2.req("GET", "/api/v1/session")
    assert status == 200
    status, r, out = c2.req("POST", "/api/v1/logout")
    assert status == 200
    assert "Max-Age=0" in r.getheader("Set-Cookie")
    status, _, out = c2.req("GET", "/api/v1/session")
    assert_error(status, out, 401, "unauthorized")

    # Idle expiry (--admin-idle 10: long enough for an argon2id login
    # of another session in between on a loaded machine).
    c3 = Client(data, c.port)
    code, step = next_code(secret, step)
    assert c3.login("alice", PASSWORD, code)[0] == 200
    status, _, out = c3.req("GET", "/api/v1/session")
    assert status == 200 and out["idle_timeout_s"] == 10
    time.sleep(11.2)
    status, _, out = c3.req("GET", "/api/v1/session")
    assert_error(status, out, 401, "unauthorized")

    # Password change ends every session of the account.
    a = Client(data, c.port)
    b = Client(data, c.port)
    # Two codes usable back to back: the current step, and the next.
    while int(time.time()) // 30 <= step:
        time.sleep(0.5)
    step = int(time.time()) // 30
    assert a.login("alice", PASSWORD, totp(secret, step * 30))[0] == 200
    step += 1
    assert b.login("alice", PASSWORD, totp(secret, step * 30))[0] == 200
    status, _, out = a.req("POST", "/api/v1/password",
                           {"old": PASSWORD, "new": "alice-Password-1"})
    assert_error(status, out, 400, "weak_password")
    status, _, out = a.req("POST", "/api/v1/password",
                           {"old": PASSWORD, "new": "short1A!"})
    assert_error(status, out, 400, "weak_password")
    status, _, out = a.req("POST", "/api/v1/password",
                           {"old": PASSWORD, "new": "Password12345"})
    assert_error(status, out, 400, "weak_password")
    status, _, out = a.req("POST", "/api/v1/password",
                           {"old": PASSWORD, "new": PASSWORD})
    assert_error(status, out, 400, "weak_password")
    status, _, out = a.req("POST", "/api/v1/password",
                           {"old": PASSWORD, "new": NEW_PASSWORD})
    assert status == 200 and out["sessions_ended"] >= 2, out
    for cl in (a, b):
        status, _, out = cl.req("GET", "/api/v1/session")
        assert_error(status, out, 401, "unauthorized")
    code, step = next_code(secret, step)
    assert a.login("alice", PASSWORD, code)[0] == 401
    code, step = next_code(secret, step)
    assert a.login("alice", NEW_PASSWORD, code)[0] == 200


def test_lockout_and_uniform_errors(api, data):
    add_admin(data, "bob", role="helpdesk")
    c = api
    # Unknown account, wrong password: one answer.
    answers = set()
    for name, pw in (("nobody", PASSWORD), ("bob", "Wrong-Password-1"),
                     ("Not Valid!", PASSWORD)):
        status, out = c.login(name, pw)
        assert status == 401
        answers.add(json.dumps(out, sort_keys=True))
    assert len(answers) == 1
    assert json.loads(answers.pop())["error"] == {
        "code": "login_failed", "message": UNIFORM}
    # Helpdesk needs no TOTP: a good login works, and resets the count.
    status, out = c.login("bob", PASSWORD)
    assert status == 200 and out["must_enrol_totp"] is False
    status, _, out = c.req("GET", "/api/v1/bans")
    assert_error(status, out, 403, "forbidden")
    status, _, out = c.req("GET", "/api/v1/users")
    assert status == 200
    # Logout ends one session, not the others of the account.
    other = Client(data, c.port)
    assert other.login("bob", PASSWORD)[0] == 200
    assert other.req("POST", "/api/v1/logout")[0] == 200
    assert other.req("GET", "/api/v1/session")[0] == 401
    assert c.req("GET", "/api/v1/session")[0] == 200
    # 5 wrong passwords lock the account: then even the right password
    # gets the uniform answer.
    for _ in range(5):
        status, out = c.login("bob", "Wrong-Password-1")
        assert status == 401 and out["error"]["message"] == UNIFORM
    status, out = c.login("bob", PASSWORD)
    assert status == 401 and out["error"]["message"] == UNIFORM
    listing = data.cli("admin", "list").stdout
    assert re.search(r"^bob\s+helpdesk\s.*\slocked$", listing, re.M), \
        listing
    r = data.cli("audit", "list")
    assert "admin.lockout" in r.stdout
    assert data.cli("admin", "unlock", "bob").returncode == 0
    assert c.login("bob", PASSWORD)[0] == 200
    # Malformed bodies.
    for body in (b"", b"{", b"[]", b'{"name": 1, "password": "x"}'):
        conn = http.client.HTTPSConnection("127.0.0.1", c.port,
                                           context=c.ctx, timeout=30)
        conn.request("POST", "/api/v1/login", body=body)
        r = conn.getresponse()
        out = json.loads(r.read())
        conn.close()
        assert_error(r.status, out, 400, "invalid_body")
    status, _, out = c.req("GET", "/api/v1/login")
    assert_error(status, out, 405, "method_not_allowed")


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


def test_cli_admin(data):
    assert data.cli("admin").returncode == 2
    assert data.cli("admin", "add", "x1").returncode == 2
    assert data.cli("admin", "add", "Bad Name", "--role", "admin",
                    "--generate-password").returncode == 2
    assert data.cli("admin", "add", "carol", "--role", "root",
                    "--generate-password").returncode == 2
    assert data.cli("admin", "add", "carol", "--role", "user",
                    "--generate-password").returncode == 2
    assert data.cli("admin", "add", "carol", "--role", "admin", "--ext",
                    "101", "--generate-password").returncode == 2
    assert data.cli("admin", "add", "carol", "--role", "admin",
                    "--password-stdin", "--generate-password"
                    ).returncode == 2
    r = data.cli("admin", "add", "carol", "--role", "admin",
                 "--password-stdin", stdin="short\n")
    assert r.returncode == 1 and "shorter than 12" in r.stderr
    r = data.cli("admin", "add", "carol", "--role", "admin",
                 "--password-stdin", stdin="Carol-is-great-1\n")
    assert r.returncode == 1 and "account name" in r.stderr
    r = data.cli("admin", "add", "carol", "--role", "admin",
                 "--generate-password")
    assert r.returncode == 0, r.stderr
    pw = re.search(r"^password \(shown once\): (\S+)$", r.stdout,
                   re.M).group(1)
    assert len(pw) >= 12
    assert data.cli("admin", "add", "carol", "--role", "admin",
                    "--generate-password").returncode == 1
    r = data.cli("admin", "add", "dave", "--role", "user", "--ext", "101",
                 "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    listing = data.cli("admin", "list").stdout
    assert re.search(r"^carol\s+admin\s+-\s+no\s+never\s", listing, re.M)
    assert re.search(r"^dave\s+user\s+101\s", listing, re.M)
    for cmd in ("disable", "enable", "unlock", "reset-totp"):
        assert data.cli("admin", cmd, "carol").returncode == 0
        assert data.cli("admin", cmd, "nobody").returncode == 1
    assert data.cli("admin", "passwd", "carol",
                    "--password-stdin", stdin=NEW_PASSWORD + "\n"
                    ).returncode == 0
    assert data.cli("admin", "passwd", "nobody",
                    "--generate-password").returncode == 1
    assert data.cli("admin", "remove", "dave").returncode == 0
    assert data.cli("admin", "remove", "dave").returncode == 1
    audit = data.cli("audit", "list").stdout
    for a in ("admin.add", "admin.disable", "admin.enable",
              "admin.unlock", "admin.reset_totp", "admin.passwd",
              "admin.remove"):
        assert a in audit, a
    for secret in (pw, PASSWORD, NEW_PASSWORD):
        assert secret not in audit
