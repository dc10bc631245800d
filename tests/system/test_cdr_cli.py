"""The rempart CLI: call detail records (cdr list, cdr export --csv).
Records are written straight into the database the CLI reads, as the
daemon's store writer would. R-OPS-3."""
import csv
import datetime
import io
import re
import sqlite3
import subprocess
import time

import pytest

HEADER = ["id", "call_id", "start", "answer", "end", "duration_ms",
          "caller_ext", "caller_number", "dialed", "callee", "disposition",
          "sip_code", "reason", "transport", "media_encrypted",
          "rtp_packets", "rtp_lost"]
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def ms(text):
    """Milliseconds since the epoch of a UTC time 'YYYY-MM-DDTHH:MM:SS'."""
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def insert(data, rows):
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        for r in rows:
            answered = r["disposition"] == "answered"
            start = r["start"]
            answer = start + 2000 if answered else None
            end = start + (62000 if answered else 5000)
            conn.execute(
                "INSERT INTO cdrs (call_id, caller_ext, caller_number,"
                " dialed, callee, start_ms, answer_ms, end_ms, duration_ms,"
                " disposition, sip_code, reason, transport,"
                " media_encrypted, rtp_packets, rtp_lost)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r["call_id"], r["caller"], r["number"], r["dialed"],
                 r["callee"], start, answer, end,
                 end - answer if answered else 0, r["disposition"],
                 r["code"], r["reason"], r["transport"],
                 1 if r["transport"] == "tls" else 0,
                 3000 if answered else 0, 1 if answered else 0))
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def cdrs(data):
    now = int(time.time() * 1000)
    rows = [
        dict(call_id="r1", caller="100", number="n1", dialed="101",
             callee="101", start=ms("2025-03-01T09:00:00"),
             disposition="answered", code=200, reason="normal",
             transport="tls"),
        dict(call_id="r2", caller="102", number="n2", dialed="100",
             callee="100", start=ms("2025-03-02T10:30:00"),
             disposition="busy", code=486, reason="Busy Here",
             transport="udp"),
        dict(call_id="r3", caller="101", number="n3", dialed="103",
             callee="103", start=ms("2025-03-04T08:00:00"),
             disposition="no_answer", code=480, reason="no answer",
             transport="tcp"),
        # Formula-like text from a peer: neutralised in the export.
        dict(call_id="r4", caller="103", number='=HYPERLINK("http://x")',
             dialed="@SUM(1)", callee="104", start=now - 30 * 60 * 1000,
             disposition="answered", code=200,
             reason="+1 reason, with comma", transport="tls"),
        dict(call_id="r5", caller="105", number="-2+3", dialed="100",
             callee="100", start=now - 3 * 3600 * 1000,
             disposition="cancelled", code=487, reason='"quoted"',
             transport="udp"),
    ]
    insert(data, rows)
    return rows


def listed(data, *args):
    """The call records of 'cdr list', by caller number."""
    r = data.cli("cdr", "list", *args)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["START", "(UTC)", "CALLER", "NUMBER",
                                "DIALED", "CALLEE", "DISPOSITION", "CODE",
                                "DURATION", "TRANS", "SRTP", "PACKETS",
                                "LOST"]
    out = []
    for line in lines[1:]:
        f = line.split()
        assert len(f) == 13, line
        out.append(f)
    return out


def numbers(rows):
    return [f[3] for f in rows]


def test_list_all_and_fields(data, cdrs):
    rows = listed(data)
    assert numbers(rows) == ["n1", "n2", "n3", "-2+3",
                             '=HYPERLINK("http://x")']
    date, clock, caller, number, dialed, callee, disp, code, dur, tp, \
        srtp, packets, lost = rows[0]
    assert (date, clock) == ("2025-03-01", "09:00:00")
    assert (caller, dialed, callee, disp, code) == ("100", "101", "101",
                                                    "answered", "200")
    assert (dur, tp, srtp, packets, lost) == ("0:01:00", "tls", "yes",
                                              "3000", "1")
    assert rows[1][6:12] == ["busy", "486", "0:00:00", "udp", "no", "0"]


def test_list_empty(data):
    assert listed(data) == []
    r = data.cli("cdr", "export", "--csv")
    assert r.returncode == 0, r.stderr
    assert list(csv.reader(io.StringIO(r.stdout))) == [HEADER]


def test_filters(data, cdrs):
    # Absolute times are UTC; since is inclusive, until exclusive.
    assert numbers(listed(data, "--since", "2025-03-02", "--until",
                          "2025-03-03")) == ["n2"]
    assert numbers(listed(data, "--since", "2025-03-01T09:00",
                          "--until", "2025-03-04")) == ["n1", "n2"]
    assert numbers(listed(data, "--since", "2025-03-01T09:00:01Z",
                          "--until", "2025-03-04T08:00:00")) == ["n2"]
    assert numbers(listed(data, "--until", "2025-03-01T09:00:00")) == []
    # Relative: that long before now.
    assert numbers(listed(data, "--since", "2h")) == [
        '=HYPERLINK("http://x")']
    assert numbers(listed(data, "--since", "7d")) == [
        "-2+3", '=HYPERLINK("http://x")']
    assert numbers(listed(data, "--since", "240m", "--until", "1h")) == [
        "-2+3"]
    # The extension matches the caller or the callee.
    assert numbers(listed(data, "--ext", "100")) == ["n1", "n2", "-2+3"]
    assert numbers(listed(data, "--ext", "104")) == [
        '=HYPERLINK("http://x")']
    assert numbers(listed(data, "--ext", "999")) == []
    assert numbers(listed(data, "--ext", "100", "--since",
                          "2025-03-02")) == ["n2", "-2+3"]


def test_limit_keeps_latest(data, cdrs):
    assert numbers(listed(data, "--limit", "2")) == [
        "-2+3", '=HYPERLINK("http://x")']
    assert numbers(listed(data, "--limit", "1", "--ext", "101")) == ["n3"]
    assert len(listed(data, "--limit", "1000000")) == 5


def export(data, *args):
    """Raw bytes of 'cdr export --csv'."""
    r = subprocess.run([str(data.rempart), "--data", str(data.path), "cdr",
                        "export", "--csv", *args], capture_output=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_export_csv(data, cdrs):
    raw = export(data)
    # RFC 4180: CRLF line ends, every record including the last.
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[0] == HEADER
    recs = [dict(zip(HEADER, r)) for r in rows[1:]]
    assert all(len(r) == len(HEADER) for r in rows)
    assert [r["call_id"] for r in recs] == ["r1", "r2", "r3", "r5", "r4"]
    r1 = recs[0]
    assert r1["start"] == "2025-03-01T09:00:00.000Z"
    assert r1["answer"] == "2025-03-01T09:00:02.000Z"
    assert r1["end"] == "2025-03-01T09:01:02.000Z"
    assert (r1["duration_ms"], r1["caller_ext"], r1["caller_number"],
            r1["dialed"], r1["callee"], r1["disposition"],
            r1["sip_code"], r1["reason"], r1["transport"],
            r1["media_encrypted"], r1["rtp_packets"],
            r1["rtp_lost"]) == ("60000", "100", "n1", "101", "101",
                                "answered", "200", "normal", "tls", "1",
                                "3000", "1")
    assert int(r1["id"]) >= 1
    r2 = recs[1]
    assert r2["answer"] == "" and r2["duration_ms"] == "0"
    assert (r2["disposition"], r2["sip_code"], r2["reason"]) == (
        "busy", "486", "Busy Here")
    for r in recs:
        assert ISO_MS.match(r["start"]) and ISO_MS.match(r["end"])
    # CSV injection: formula-like text cells get a leading apostrophe,
    # commas and quotes survive quoting.
    r4, r5 = recs[4], recs[3]
    assert r4["caller_number"] == "'=HYPERLINK(\"http://x\")"
    assert r4["dialed"] == "'@SUM(1)"
    assert r4["reason"] == "'+1 reason, with comma"
    assert r5["caller_number"] == "'-2+3"
    assert r5["reason"] == '"quoted"'
    for r in recs:
        for col in ("call_id", "caller_ext", "caller_number", "dialed",
                    "callee", "reason"):
            assert r[col][:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_export_filters(data, cdrs):
    rows = list(csv.reader(io.StringIO(
        export(data, "--ext", "100", "--limit", "2").decode(), newline="")))
    assert [r[1] for r in rows[1:]] == ["r2", "r5"]
    rows = list(csv.reader(io.StringIO(
        export(data, "--since", "2025-03-04").decode(), newline="")))
    assert [r[1] for r in rows[1:]] == ["r3", "r5", "r4"]


@pytest.mark.parametrize("args", [
    ("--since", "yesterday"),
    ("--since", "2025-02-30"),
    ("--since", "2025-13-01"),
    ("--since", "2025-03-01T25:00"),
    ("--since", "2025-03-01T10:60"),
    ("--since", "2025-03-01T10:00:61"),
    ("--since", "2025-03-01 10:00"),
    ("--since", "25-03-01"),
    ("--since", "0m"),
    ("--since", "-5m"),
    ("--since", "5"),
    ("--since", "5x"),
    ("--until", ""),
    ("--since", "2025-03-02", "--until", "2025-03-01"),
    ("--since", "2025-03-02", "--until", "2025-03-02"),
    ("--limit", "0"),
    ("--limit", "-1"),
    ("--limit", "ten"),
    ("--limit", "1000001"),
    ("--ext", "a b"),
    ("--ext", "-rf"),
    ("--ext", ""),
    ("--since",),
    ("--frob",),
    ("--limit", "1", "--limit", "2"),
])
def test_bad_arguments(data, args):
    for cmd in (("list",), ("export", "--csv")):
        r = data.cli("cdr", *cmd, *args)
        assert r.returncode == 2, (cmd, args, r.stdout, r.stderr)
        assert r.stderr.startswith("rempart: ") or "usage" in r.stderr
        assert r.stdout == ""


def test_bad_commands(data):
    r = data.cli("cdr", "export")
    assert r.returncode == 2 and "--csv" in r.stderr
    r = data.cli("cdr", "list", "--csv")
    assert r.returncode == 2
    r = data.cli("cdr")
    assert r.returncode == 2
    r = data.cli("cdr", "frobnicate")
    assert r.returncode == 2


def test_not_initialised(rempart, tmp_path):
    r = subprocess.run([str(rempart), "--data", str(tmp_path / "none"),
                        "cdr", "list"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "not initialised" in r.stderr
