"""The administration API on the local Unix socket, and the rempart CLI
as its client (R-ADMIN-1, R-ADMIN-2, R-ADMIN-4): the socket's mode and
peer-credential check, the converted commands with the daemon running
(the change is seen at once, with no SIGHUP from the CLI), with no
daemon (the API started inside the CLI) and against a remote daemon's
HTTPS API with an API key. Also the endpoints added for them: user
removal, enabling and disabling, secret resets and the CSV export."""
import csv
import io
import json
import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import time

import pytest

from conftest import Daemon
from sipclient import Client as SipClient, status_of
from test_api import Api, assert_error, make_key, tcp_port

ME = pwd.getpwuid(os.geteuid()).pw_name


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


def reloads(d):
    return d.log.read_text().count('msg="users reloaded"')


def wait_reload(d, before, seconds=10):
    deadline = time.time() + seconds
    while reloads(d) <= before:
        assert time.time() < deadline, d.log.read_text()[-3000:]
        time.sleep(0.05)


def registers(d, data, ext, secret):
    c = SipClient(d.udp)
    try:
        resp, _, _ = c.register(ext, secret, data.realm)
        return status_of(resp)
    finally:
        c.close()


def check_log(d):
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


@pytest.fixture
def pbx(rempartd, data):
    port = tcp_port()
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}"])
    d.api = Api(data, port)
    d.api_port = port
    yield d
    check_log(d)


def sock_request(path, method="GET", body=None, user=None, refused=False):
    """One request over DATA/rempart.sock with curl, as 'user' if
    given."""
    fds = ()
    if user is not None:
        # The parents of a test's directory are closed to others: the
        # other user reaches the directory through an inherited
        # descriptor, and is still subject to the modes of the directory
        # and of the socket.
        fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
        fds = (fd,)
        path = f"/proc/self/fd/{fd}/{path.name}"
    cmd = ["curl", "-sS", "--unix-socket", str(path), "-X", method,
           "-w", "\n%{http_code}", "http://localhost" + "/api/v1/users"]
    if body is not None:
        cmd[-1:-1] = ["-H", "Content-Type: application/json",
                      "--data", json.dumps(body)]
    if user is not None:
        pw = pwd.getpwnam(user)
        cmd = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
               "--clear-groups"] + cmd
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                           pass_fds=fds)
    finally:
        for fd in fds:
            os.close(fd)
    if refused:
        # The file's mode: the connection itself is refused.
        assert r.returncode == 7, (r.stdout, r.stderr)
        return None, None
    assert r.returncode == 0, r.stderr
    text, status = r.stdout.rsplit("\n", 1)
    return int(status), json.loads(text) if text else None


def test_socket_mode_and_peer_credentials(daemon, data):
    sock = data.path / "rempart.sock"
    st = os.stat(sock)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == os.geteuid()
    # The daemon's own user (root here) is an administrator.
    status, body = sock_request(sock)
    assert status == 200, body
    assert {u["ext"] for u in body["items"]} >= {"100", "105"}
    # No TLS, no key, no cookie: the socket is not a browser surface,
    # and the uid alone decides.
    status, body = sock_request(sock, "POST", {"ext": "400",
                                               "name": "Socket"})
    assert status == 201, body
    [row] = audit_rows(data, "user.add")[-1:]
    assert row[:5] == ("local:" + ME, "admin", "local", "user.add", "400")
    # Another uid is refused, even when the file mode would let it in.
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as another user")
    os.chmod(data.path, 0o711)
    try:
        sock_request(sock, user="nobody", refused=True)
    finally:
        os.chmod(data.path, 0o700)
    os.chmod(data.path, 0o711)
    os.chmod(sock, 0o666)
    try:
        status, body = sock_request(sock, user="nobody")
        assert status == 403
        assert body == {"error": {"code": "forbidden",
                                  "message": "not allowed for this user"}}
        status, body = sock_request(sock, "POST", {"ext": "401",
                                                   "name": "Nobody"},
                                    user="nobody")
        assert status == 403
    finally:
        os.chmod(sock, 0o600)
        os.chmod(data.path, 0o700)
    assert "event=local_refused uid=65534" in daemon.log.read_text()
    assert data.cli("user", "show", "401").returncode == 1


def test_socket_switch(rempartd, data):
    path = data.path / "other.sock"
    d = Daemon(rempartd, data, extra=["--api-socket", str(path)])
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert not (data.path / "rempart.sock").exists()
    finally:
        check_log(d)
    # Removed when the daemon stops.
    assert not path.exists()
    d = Daemon(rempartd, data, extra=["--api-socket", "off"])
    try:
        assert not (data.path / "rempart.sock").exists()
        assert not path.exists()
        # The CLI then starts the API itself; SIGHUP tells the daemon.
        before = reloads(d)
        r = ok(data.cli("user", "add", "402", "--name", "Nosock",
                        "--generate-secret"))
        secret = r.stdout.split("secret ")[1].split()[0]
        wait_reload(d, before)
        assert registers(d, data, "402", secret) == 200
    finally:
        check_log(d)


def test_socket_kept_for_a_live_daemon(daemon, data):
    """A second daemon on the same data directory leaves the first's
    socket alone: it stops at start, and the first still answers."""
    sock = data.path / "rempart.sock"
    with pytest.raises(RuntimeError, match="cannot bind the local socket"):
        Daemon(daemon.exe, data)
    status, body = sock_request(sock)
    assert status == 200, body
    assert daemon.alive()


def test_cli_through_the_daemon(daemon, data):
    # No pid file: the CLI cannot signal the daemon, the API's own
    # reload is what makes the change live.
    (data.path / "rempartd.pid").unlink()
    before = reloads(daemon)
    r = ok(data.cli("user", "add", "300", "--name", "Live",
                    "--generate-secret"))
    secret = r.stdout.split("secret ")[1].split()[0]
    wait_reload(daemon, before)
    assert registers(daemon, data, "300", secret) == 200

    before = reloads(daemon)
    ok(data.cli("user", "disable", "300"))
    wait_reload(daemon, before)
    assert registers(daemon, data, "300", secret) != 200
    before = reloads(daemon)
    ok(data.cli("user", "enable", "300"))
    wait_reload(daemon, before)
    assert registers(daemon, data, "300", secret) == 200

    before = reloads(daemon)
    r = ok(data.cli("user", "passwd", "300", "--generate-secret"))
    new = r.stdout.split("secret ")[1].split()[0]
    wait_reload(daemon, before)
    assert registers(daemon, data, "300", secret) == 401
    assert registers(daemon, data, "300", new) == 200

    ok(data.cli("bans", "add", "192.0.2.9", "--for", "1h"))
    assert "192.0.2.9" in ok(data.cli("bans", "list")).stdout
    ok(data.cli("bans", "remove", "192.0.2.9"))

    # The daemon's own entries (its reaction to the bans) aside.
    rows = [r for r in audit_rows(data)[7:] if r[0] != "rempartd"]
    for row in rows:
        assert row[:3] == ("local:" + ME, "admin", "local"), row
    actions = [r[3] for r in rows]
    assert actions == ["user.add", "user.disable", "user.enable",
                       "user.passwd", "bans.add", "bans.remove"]
    assert not list(data.path.glob(".api-*"))


def test_cli_without_daemon(data):
    assert not (data.path / "rempart.sock").exists()
    r = ok(data.cli("user", "add", "300", "--name", "Alone",
                    "--secret", "kT8#vQ2!mZ7$wR4p"))
    assert r.stdout == "extension 300: secret set\n"
    r = data.cli("user", "add", "300", "--name", "Again",
                 "--generate-secret")
    assert r.returncode == 1
    assert r.stderr == "rempart: extension 300 already exists\n"
    r = data.cli("user", "passwd", "300", "--secret", "300-Password-300x")
    assert r.returncode == 1 and "refused" in r.stderr
    r = ok(data.cli("user", "list"))
    assert r.stdout.splitlines()[-1].split() == ["300", "enabled",
                                                 "optional", "Alone"]
    r = ok(data.cli("user", "show", "300"))
    assert "name:      Alone" in r.stdout
    ok(data.cli("user", "disable", "300"))
    assert "disabled" in ok(data.cli("user", "show", "300")).stdout
    r = ok(data.cli("user", "remove", "300"))
    assert r.stdout == "extension 300 removed\n"
    r = data.cli("user", "remove", "300")
    assert r.returncode == 1 and r.stderr == "rempart: no extension 300\n"
    r = ok(data.cli("bans", "add", "2001:DB8::/32", "--permanent"))
    assert r.stdout == "banned 2001:db8::/32 permanently\n"
    ok(data.cli("bans", "remove", "2001:db8::/32"))
    r = ok(data.cli("cdr", "export", "--csv"))
    assert r.stdout.startswith("id,call_id,start,")
    ok(data.cli("cdr", "list", "--limit", "3"))
    rows = audit_rows(data)[7:]
    assert [r[3] for r in rows] == ["user.add", "user.disable",
                                    "user.remove", "bans.add",
                                    "bans.remove"]
    for row in rows:
        assert row[:3] == ("local:" + ME, "admin", "local"), row
    assert json.loads(rows[2][5]) == {"enabled": False, "name": "Alone"}
    # The private socket's directory is gone.
    assert not list(data.path.glob(".api-*"))
    # A stale socket (no daemon behind it) does not stop the CLI.
    import socket
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(data.path / "rempart.sock"))
    s.close()
    ok(data.cli("user", "show", "100"))


def test_cli_remote(pbx, data, tmp_path):
    key, ident = make_key(data, "admin")
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    url = f"https://127.0.0.1:{pbx.api_port}"
    ca = str(data.path / "tls" / "cert.pem")
    remote = ["--api", url, "--api-key-file", str(key_file), "--api-ca", ca]
    before = reloads(pbx)
    r = ok(data.cli(*remote, "user", "add", "500", "--name", "Remote",
                    "--generate-secret"))
    secret = r.stdout.split("secret ")[1].split()[0]
    wait_reload(pbx, before)
    assert registers(pbx, data, "500", secret) == 200
    assert "Remote" in ok(data.cli(*remote, "user", "list")).stdout
    [row] = audit_rows(data, "user.add")[-1:]
    assert row[:5] == ("apikey:" + ident, "admin", "127.0.0.1", "user.add",
                       "500")
    # The certificate is checked: without its CA the request fails.
    r = data.cli("--api", url, "--api-key-file", str(key_file), "user",
                 "list")
    assert r.returncode == 1 and "rempart:" in r.stderr
    # A helpdesk key may not ban: the API's 403 is the CLI's error.
    hkey, _ = make_key(data, "helpdesk")
    key_file.write_text(hkey)
    r = data.cli(*remote, "bans", "add", "192.0.2.1")
    assert r.returncode == 1
    assert r.stderr == "rempart: not allowed for this key\n"
    r = data.cli("--api", url, "user", "list")
    assert r.returncode == 1 and "--api-key-file" in r.stderr
    # The commands still working on the store do not go remote.
    for args in (("audit", "verify"), ("init",)):
        r = data.cli(*remote, *args)
        assert r.returncode == 2 and "daemon's host only" in r.stderr


def test_user_endpoints(pbx, data):
    api = pbx.api
    keys = {role: make_key(data, role, "101" if role == "user" else None)[0]
            for role in ("admin", "auditor", "helpdesk", "user")}

    def call(method, path, role, body=None):
        return api.get(path, keys[role], method=method,
                       body=json.dumps(body).encode()
                       if body is not None else None,
                       headers={"Content-Type": "application/json"})

    # PATCH: 'enabled' and the settings of 'user set'
    # (test_cli_userset.py).
    for bad, field in (({"enabled": "no"}, "'enabled'"),
                       ({}, "'enabled'"),
                       ({"enabled": False, "colour": "x"}, "unknown member")):
        status, headers, body = call("PATCH", "/api/v1/users/102", "admin",
                                     bad)
        assert_error(status, headers, body, 400, "invalid_body")
        assert field in body["error"]["message"]
    status, _, body = call("PATCH", "/api/v1/users/102", "helpdesk",
                           {"enabled": False})
    assert status == 200 and body == {"ext": "102", "enabled": False}
    status, headers, body = call("PATCH", "/api/v1/users/102", "auditor",
                                 {"enabled": True})
    assert_error(status, headers, body, 403, "forbidden")
    status, headers, body = call("PATCH", "/api/v1/users/999", "admin",
                                 {"enabled": True})
    assert_error(status, headers, body, 404, "not_found")
    # Secret resets: helpdesk yes, a user on its own extension only.
    status, _, body = call("POST", "/api/v1/users/103/secret", "helpdesk",
                           {})
    assert status == 200 and len(body["secret"]) == 24
    status, _, body = call("POST", "/api/v1/users/101/secret", "user",
                           {"secret": "kT8#vQ2!mZ7$wR4p"})
    assert status == 200 and "secret" not in body
    status, headers, body = call("POST", "/api/v1/users/103/secret", "user",
                                 {})
    assert_error(status, headers, body, 403, "forbidden")
    status, headers, body = call("POST", "/api/v1/users/103/secret",
                                 "admin", {"secret": "1234"})
    assert_error(status, headers, body, 400, "invalid_body")
    assert "'secret'" in body["error"]["message"]
    status, headers, body = call("POST", "/api/v1/users/103/other",
                                 "admin", {})
    assert_error(status, headers, body, 404, "not_found")
    # Removal.
    status, headers, body = call("DELETE", "/api/v1/users/104", "auditor")
    assert_error(status, headers, body, 403, "forbidden")
    status, _, body = call("DELETE", "/api/v1/users/104", "admin")
    assert status == 200 and body == {"ext": "104", "removed": True}
    status, headers, body = call("DELETE", "/api/v1/users/104", "admin")
    assert_error(status, headers, body, 404, "not_found")
    acts = [(r[3], r[4]) for r in audit_rows(data)
            if r[3].startswith("user.")][6:]
    assert acts == [("user.disable", "102"), ("user.passwd", "103"),
                    ("user.passwd", "101"), ("user.remove", "104")]
    for r in audit_rows(data):
        assert "kT8#vQ2!mZ7$wR4p" not in "".join(r)


def test_cdr_export_endpoint(pbx, data):
    key, _ = make_key(data, "auditor")
    ukey, _ = make_key(data, "user", "101")
    conn = pbx.api.connect()
    conn.request("GET", "/api/v1/cdrs/export.csv?limit=5",
                 headers={"Authorization": "Bearer " + key})
    r = conn.getresponse()
    text = r.read().decode()
    conn.close()
    assert r.status == 200
    assert r.getheader("Content-Type") == "text/csv; charset=utf-8"
    assert r.getheader("Cache-Control") == "no-store"
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["id", "call_id", "start"]
    for path, want in (("/api/v1/cdrs/export.csv?limit=0", "limit"),
                       ("/api/v1/cdrs/export.csv?ext=a/b", "ext"),
                       ("/api/v1/cdrs/export.csv?since=x", "since")):
        status, headers, body = pbx.api.get(path, key)
        assert_error(status, headers, body, 400, "invalid_parameter")
        assert f"'{want}'" in body["error"]["message"]
    status, headers, body = pbx.api.get(
        "/api/v1/cdrs/export.csv?ext=102", ukey)
    assert_error(status, headers, body, 403, "forbidden")
