"""The rempart CLI: bans and the security log.
R-NET-2, R-ADMIN-4, R-OPS-3."""
import datetime
import getpass
import json
import os
import re
import stat
import subprocess
import threading
import time

FIELDS = ["time", "event", "src_ip", "src_port", "transport", "user",
          "reason", "count"]
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def security_log(data):
    return data.path / "log" / "security.log"


def log_events(data):
    """Every line of the security log, each checked to be one JSON
    object with the fixed fields in order."""
    raw = security_log(data).read_bytes()
    assert raw.endswith(b"\n")
    events = []
    for line in raw.decode("utf-8").splitlines():
        ev = json.loads(line)
        assert list(ev) == FIELDS, line
        assert TIME_RE.match(ev["time"]), line
        events.append(ev)
    return events


def listed(data):
    """The rows of `bans list`, by address."""
    r = data.cli("bans", "list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ADDRESS", "UNTIL", "COUNT", "SOURCE",
                                "REASON"]
    rows = {}
    for line in lines[1:]:
        addr, until, count, source, reason = line.split(None, 4)
        rows[addr] = (until, int(count), source, reason)
    return rows


def test_bans_add_list_remove(data):
    assert listed(data) == {}
    assert not security_log(data).exists()
    before = time.time()

    r = data.cli("bans", "add", "192.0.2.7", "--for", "1h", "--reason",
                 "brute force from the lab")
    assert r.returncode == 0, r.stderr
    assert "192.0.2.7" in r.stdout
    # Normalised: one ban per address whatever its spelling.
    r = data.cli("bans", "add", "2001:DB8:0::/32", "--permanent")
    assert r.returncode == 0, r.stderr
    assert "2001:db8::/32" in r.stdout
    r = data.cli("bans", "add", "::ffff:198.51.100.9")
    assert r.returncode == 0, r.stderr

    rows = listed(data)
    assert set(rows) == {"192.0.2.7", "2001:db8::/32", "198.51.100.9"}
    until, count, source, reason = rows["192.0.2.7"]
    assert (count, source, reason) == (1, "admin",
                                       "brute force from the lab")
    end = datetime.datetime.strptime(until, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert before + 3600 - 5 <= end <= time.time() + 3600 + 5
    assert rows["2001:db8::/32"][0] == "permanent"
    assert rows["198.51.100.9"][3] == "manual"  # the default reason
    end = datetime.datetime.strptime(
        rows["198.51.100.9"][0], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert before + 86400 - 5 <= end <= time.time() + 86400 + 5

    # Adding again replaces the ban.
    r = data.cli("bans", "add", "192.0.2.7", "--permanent", "--reason",
                 "again")
    assert r.returncode == 0, r.stderr
    assert listed(data)["192.0.2.7"][0] == "permanent"

    r = data.cli("bans", "remove", "192.0.2.7")
    assert r.returncode == 0, r.stderr
    r = data.cli("bans", "remove", "192.0.2.7")
    assert r.returncode == 1
    assert "no ban for 192.0.2.7" in r.stderr
    r = data.cli("bans", "remove", "2001:db8:0:0::/32")
    assert r.returncode == 0, r.stderr
    assert set(listed(data)) == {"198.51.100.9"}

    # R-ADMIN-4: every change is in the security log, in order.
    events = log_events(data)
    assert [(e["event"], e["src_ip"]) for e in events] == [
        ("ban", "192.0.2.7"),
        ("ban", "2001:db8::/32"),
        ("ban", "198.51.100.9"),
        ("ban", "192.0.2.7"),
        ("unban", "192.0.2.7"),
        ("unban", "2001:db8::/32"),
    ]
    for e in events:
        assert e["reason"] == "admin"
        assert e["src_port"] is None and e["transport"] is None
        # Written by the API the command line went through.
        assert e["user"] == "local:" + getpass.getuser()
        assert e["count"] == (1 if e["event"] == "ban" else 0)
        t = datetime.datetime.strptime(
            e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        assert before - 5 <= t <= time.time() + 5
    log = security_log(data)
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(log.parent).st_mode) == 0o700


def test_bans_survive_reopen(data):
    """R-OPS-3: bans are in the database, not in a process."""
    assert data.cli("bans", "add", "203.0.113.0/24").returncode == 0
    conn = __import__("sqlite3").connect(str(data.path / "rempart.db"))
    try:
        rows = conn.execute(
            "SELECT addr, count, source FROM bans").fetchall()
        version = conn.execute(
            "SELECT version FROM schema_version").fetchone()[0]
    finally:
        conn.close()
    assert rows == [("203.0.113.0/24", 1, "admin")]
    assert version == 9
    assert "203.0.113.0/24" in listed(data)


def test_bans_bad_input(data):
    bad = [
        ("bans", "add", "192.0.2"),
        ("bans", "add", "192.0.2.256"),
        ("bans", "add", "192.0.2.7/24"),    # host bits set
        ("bans", "add", "192.0.2.0/33"),
        ("bans", "add", "example.com"),
        ("bans", "add", "[2001:db8::1]"),
        ("bans", "add", "192.0.2.1:5060"),
        ("bans", "remove", "nonsense"),
        ("bans", "add", "192.0.2.1", "--for", "3x"),
        ("bans", "add", "192.0.2.1", "--for", "0h"),
        ("bans", "add", "192.0.2.1", "--for", "h"),
        ("bans", "add", "192.0.2.1", "--for", "-1h"),
        ("bans", "add", "192.0.2.1", "--for", "1h30m"),
        ("bans", "add", "192.0.2.1", "--for", "99999999w"),
        ("bans", "add", "192.0.2.1", "--for", "1h", "--permanent"),
        ("bans", "add", "192.0.2.1", "--for"),
        ("bans", "add", "192.0.2.1", "--reason", "a\nb"),
        ("bans", "add", "192.0.2.1", "--reason", ""),
        ("bans", "add", "192.0.2.1", "--reason", "r" * 129),
        ("bans", "add", "192.0.2.1", "--frobnicate"),
        ("bans", "remove", "192.0.2.1", "extra"),
        ("bans", "add"),
        ("bans", "list", "extra"),
        ("bans", "frobnicate", "192.0.2.1"),
        ("bans",),
        ("security",),
        ("security", "head"),
        ("security", "tail", "-n"),
        ("security", "tail", "-n", "x"),
        ("security", "tail", "-n", "-1"),
        ("security", "tail", "--frobnicate"),
    ]
    for args in bad:
        r = data.cli(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr, args
    r = data.cli("bans", "add", "192.0.2.1", "--for", "3x")
    assert "invalid duration" in r.stderr
    r = data.cli("bans", "add", "192.0.2")
    assert "invalid address" in r.stderr
    # Nothing was stored nor logged.
    assert listed(data) == {}
    assert not security_log(data).exists()
    # Durations at the edges are fine.
    for d in ("1s", "30m", "7d", "2w", "520w"):
        r = data.cli("bans", "add", "192.0.2.1", "--for", d)
        assert r.returncode == 0, (d, r.stderr)


def test_security_tail(data):
    r = data.cli("security", "tail")
    assert r.returncode == 0 and r.stdout == ""  # nothing logged yet
    for i in range(1, 26):
        assert data.cli("bans", "add", f"192.0.2.{i}").returncode == 0
    lines = security_log(data).read_text().splitlines()
    assert len(lines) == 25

    r = data.cli("security", "tail", "-n", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == lines[-1:]
    assert json.loads(r.stdout)["src_ip"] == "192.0.2.25"

    r = data.cli("security", "tail")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == lines[-20:]

    r = data.cli("security", "tail", "-n", "100")
    assert r.stdout.splitlines() == lines

    r = data.cli("security", "tail", "-n", "0")
    assert r.returncode == 0 and r.stdout == ""

    # A last line without its newline (a write cut short) still counts.
    with open(security_log(data), "a") as f:
        f.write('{"partial"')
    r = data.cli("security", "tail", "-n", "2")
    assert r.stdout.splitlines() == [lines[-1], '{"partial"']


def test_security_tail_follow(data):
    """--follow prints lines appended later; it runs until stopped."""
    assert data.cli("bans", "add", "192.0.2.1").returncode == 0
    p = subprocess.Popen([str(data.rempart), "--data", str(data.path),
                          "security", "tail", "-n", "1", "--follow"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    # A hang must fail the test, not block it: the watchdog kills the
    # process, and readline() then returns "".
    watchdog = threading.Timer(15, p.kill)
    watchdog.start()
    try:
        first = p.stdout.readline()
        assert json.loads(first)["src_ip"] == "192.0.2.1"
        assert data.cli("bans", "remove", "192.0.2.1").returncode == 0
        # Rotation: the file is renamed, the next line goes to a new one.
        os.rename(security_log(data), str(security_log(data)) + ".1")
        assert data.cli("bans", "add", "192.0.2.2").returncode == 0
        got = [json.loads(p.stdout.readline()) for _ in range(2)]
        assert [(e["event"], e["src_ip"]) for e in got] == [
            ("unban", "192.0.2.1"), ("ban", "192.0.2.2")]
    finally:
        watchdog.cancel()
        p.kill()
        p.wait(timeout=10)


def test_bans_not_initialised(rempart, tmp_path):
    for args in (("bans", "list"), ("bans", "add", "192.0.2.1"),
                 ("security", "tail")):
        r = subprocess.run([str(rempart), "--data", str(tmp_path / "none"),
                            *args], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 1, args
        assert "not initialised" in r.stderr
