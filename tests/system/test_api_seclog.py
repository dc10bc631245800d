"""The security log's raw lines through the administration API
(GET /api/v1/security/log): the last lines, a cursor that follows the
lines appended, a rotation (the rest of the old file, then the new one)
and a truncation, its bounds and its errors; and `rempart security
tail [--follow]` as its client: through the daemon's socket, with no
daemon (the API inside the CLI, up while it follows) and against a
remote daemon with an auditor's key. R-ADMIN-1, R-ADMIN-2, R-ADMIN-4."""
import json
import os
import signal
import subprocess
import threading
import urllib.parse

import pytest

from conftest import Daemon
from test_api import Api, assert_error, make_key, tcp_port


def log_path(data):
    return data.path / "log" / "security.log"


def append(data, text, name="security.log"):
    path = data.path / "log" / name
    path.parent.mkdir(mode=0o700, exist_ok=True)
    with open(path, "ab") as f:
        f.write(text.encode() if isinstance(text, str) else text)


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


@pytest.fixture
def auditor(data):
    return make_key(data, "auditor")[0]


def get(pbx, key, query):
    status, _, body = pbx.api.get("/api/v1/security/log?" + query, key)
    assert status == 200, body
    assert set(body) == {"lines", "cursor", "more"}
    return body


def since(pbx, key, cursor):
    return get(pbx, key, "cursor=" + urllib.parse.quote(cursor))


def test_lines_and_cursor(pbx, data, auditor):
    # The daemon created the log, empty.
    body = get(pbx, auditor, "lines=5")
    assert body["lines"] == [] and not body["more"]
    lines = [json.dumps({"n": i}) for i in range(25)]
    append(data, "".join(line + "\n" for line in lines))
    assert get(pbx, auditor, "lines=3")["lines"] == lines[-3:]
    body = pbx.api.get("/api/v1/security/log", auditor)[2]
    assert body["lines"] == lines[-20:]  # the default
    assert get(pbx, auditor, "lines=100")["lines"] == lines
    body = get(pbx, auditor, "lines=0")
    assert body["lines"] == []
    cursor = body["cursor"]

    # The lines appended since the cursor, once.
    append(data, "one\ntwo\n")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == ["one", "two"] and not body["more"]
    cursor = body["cursor"]
    body = since(pbx, auditor, cursor)
    assert body["lines"] == [] and body["cursor"] == cursor

    # A line still being written waits for its '\n'.
    append(data, "thr")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == [] and body["cursor"] == cursor
    append(data, "ee\n")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == ["three"]
    cursor = body["cursor"]

    # Bytes that would drive a terminal, or are not UTF-8, become '?'.
    append(data, b"\x1b[31mred\x7f \xc2\x9b \xff \xc3\xa9\n")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == ["?[31mred? ? ? \u00e9"]
    cursor = body["cursor"]

    # Truncated: read again from the start.
    with open(log_path(data), "wb") as f:
        f.write(b"t1\n")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == ["t1"]

    # The last line without its '\n' counts for lines=N.
    append(data, "cut")
    assert get(pbx, auditor, "lines=2")["lines"] == ["t1", "cut"]


def test_rotation(pbx, data, auditor):
    append(data, "a0\n")
    cursor = get(pbx, auditor, "lines=1")["cursor"]
    append(data, "a1\n")
    os.rename(log_path(data), str(log_path(data)) + ".1")
    # Written to the old file after the rename, cut short: the old file
    # is drained, its last line included.
    append(data, "a2", "security.log.1")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == ["a1", "a2"] and not body["more"]
    # No new file yet: the cursor says so, and picks it up later.
    assert body["cursor"] == "0.0.0"
    cursor = body["cursor"]
    assert since(pbx, auditor, cursor)["lines"] == []
    append(data, "b1\n")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == ["b1"]
    cursor = body["cursor"]

    # Rotated again, the new file written at once: both in one answer.
    append(data, "b2\n")
    os.rename(log_path(data), str(log_path(data)) + ".1")
    append(data, "c1\nc2\n")
    body = since(pbx, auditor, cursor)
    assert body["lines"] == ["b2", "c1", "c2"]
    cursor = body["cursor"]

    # The cursor's file is gone altogether: the current one from its
    # start.
    os.unlink(str(log_path(data)) + ".1")
    os.rename(log_path(data), str(log_path(data)) + ".1")
    os.unlink(str(log_path(data)) + ".1")
    append(data, "d1\n")
    assert since(pbx, auditor, cursor)["lines"] == ["d1"]

    # No file at all.
    os.unlink(log_path(data))
    body = get(pbx, auditor, "lines=10")
    assert body == {"lines": [], "cursor": "0.0.0", "more": False}


def test_bounds(pbx, data, auditor):
    lines = [f"line {i}" for i in range(10050)]
    append(data, "".join(line + "\n" for line in lines))
    body = get(pbx, auditor, "lines=10050")
    assert body["lines"] == lines[:10000] and body["more"]
    body = since(pbx, auditor, body["cursor"])
    assert body["lines"] == lines[10000:] and not body["more"]
    # At most 1 MiB of lines per answer.
    big = ["x" * 999 + f"{i:04}" for i in range(1100)]
    append(data, "".join(line + "\n" for line in big))
    body = get(pbx, auditor, "lines=1100")
    got = body["lines"]
    assert body["more"] and got == big[:len(got)]
    assert len(got) == (1024 * 1024) // 1004
    while body["more"]:
        body = since(pbx, auditor, body["cursor"])
        got += body["lines"]
    assert got == big


def test_errors_and_roles(pbx, data, auditor):
    admin = make_key(data, "admin")[0]
    helpdesk = make_key(data, "helpdesk")[0]
    user = make_key(data, "user", "101")[0]
    append(data, "x\n")
    cursor = get(pbx, admin, "lines=1")["cursor"]
    dev, ino, off = cursor.split(".")
    for bad in ("x", "", "1.2", "1.2.3.4", "-1.2.3", "1.2.-3", "1.0.5",
                "0.0.1", "1..2", f"{dev}.{ino}.{off} ", "1.2.3x",
                "99999999999999999999.1.1", f"{dev}.{ino}.{2**63}",
                "1" * 70):
        assert_error(*pbx.api.get("/api/v1/security/log?cursor=" +
                                  urllib.parse.quote(bad), admin),
                     400, "invalid_parameter")
    for query in ("lines=x", "lines=-1", "lines=1000001", "lines=1&"
                  "cursor=0.0.0", "frobnicate=1", "lines=1&lines=2"):
        assert_error(*pbx.api.get("/api/v1/security/log?" + query, admin),
                     400, "invalid_parameter")
    assert_error(*pbx.api.get("/api/v1/security/log", helpdesk), 403,
                 "forbidden")
    assert_error(*pbx.api.get("/api/v1/security/log", user), 403,
                 "forbidden")
    assert_error(*pbx.api.get("/api/v1/security/log"), 401, "unauthorized")
    assert_error(*pbx.api.get("/api/v1/security/log", admin, "POST"), 405,
                 "method_not_allowed")
    assert get(pbx, auditor, "lines=1")["lines"] == ["x"]


# ---- The command line. ----


def follow(data, *args):
    """`rempart security tail --follow`, read line by line."""
    p = subprocess.Popen([str(data.rempart), "--data", str(data.path),
                          *args, "security", "tail", "-n", "1", "--follow"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    # A hang must fail the test, not block it.
    p.watchdog = threading.Timer(20, p.kill)
    p.watchdog.start()
    return p


def stop(p, sig=signal.SIGTERM):
    p.watchdog.cancel()
    p.send_signal(sig)
    try:
        p.wait(timeout=10)
    finally:
        p.kill()
    return p.returncode


def private_dirs(data):
    return [n for n in os.listdir(data.path) if n.startswith(".api-")]


def test_cli_through_the_daemon(pbx, data):
    for i in range(1, 4):
        assert data.cli("bans", "add", f"192.0.2.{i}").returncode == 0
    lines = log_path(data).read_text().splitlines()
    r = data.cli("security", "tail", "-n", "2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == lines[-2:]
    p = follow(data)
    try:
        assert json.loads(p.stdout.readline())["src_ip"] == "192.0.2.3"
        # The daemon's socket, not an API of the CLI's own.
        assert private_dirs(data) == []
        assert data.cli("bans", "remove", "192.0.2.3").returncode == 0
        ev = json.loads(p.stdout.readline())
        assert (ev["event"], ev["src_ip"]) == ("unban", "192.0.2.3")
    finally:
        assert stop(p) == -signal.SIGTERM


def test_cli_without_daemon(data):
    assert data.cli("bans", "add", "192.0.2.1").returncode == 0
    p = follow(data)
    try:
        assert json.loads(p.stdout.readline())["src_ip"] == "192.0.2.1"
        # The API inside the CLI stays up while it follows.
        assert len(private_dirs(data)) == 1
        assert data.cli("bans", "add", "192.0.2.2").returncode == 0
        assert json.loads(p.stdout.readline())["src_ip"] == "192.0.2.2"
        # Truncated: the new lines from the start.
        with open(log_path(data), "w") as f:
            f.write('{"after":"truncation"}\n')
        assert json.loads(p.stdout.readline()) == {"after": "truncation"}
    finally:
        # Interrupted, it removes its socket and ends as the signal says.
        assert stop(p, signal.SIGINT) == -signal.SIGINT
    assert private_dirs(data) == []
    assert p.stderr.read() == ""


def test_cli_remote(pbx, data, tmp_path, auditor):
    key_file = tmp_path / "key"
    key_file.write_text(auditor + "\n")
    remote = ["--api", f"https://127.0.0.1:{pbx.api_port}",
              "--api-key-file", str(key_file),
              "--api-ca", str(data.path / "tls" / "cert.pem")]
    append(data, "r1\nr2\nr3\n")
    r = data.cli(*remote, "security", "tail", "-n", "2")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "r2\nr3\n"
    p = follow(data, *remote)
    try:
        assert p.stdout.readline() == "r3\n"
        append(data, "r4\n")
        assert p.stdout.readline() == "r4\n"
    finally:
        assert stop(p) == -signal.SIGTERM
    # The helpdesk may not read the security log.
    key_file.write_text(make_key(data, "helpdesk")[0])
    r = data.cli(*remote, "security", "tail")
    assert r.returncode == 1
    assert r.stderr == "rempart: not allowed for this key\n"
    # Usage errors are found before any request.
    r = data.cli(*remote, "security", "tail", "-n", "x")
    assert r.returncode == 2 and "invalid line count" in r.stderr
