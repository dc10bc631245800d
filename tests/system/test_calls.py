"""Calls through the daemon, a B2BUA, between SIPp callers and callees:
authentication by 407, the answered call and its hang-up from either
side, busy, unregistered and unknown callees, the ring timeout, CANCEL,
a forged From, hold and resume, forking to two contacts, a plain offer
refused when SRTP is required, and a callee that vanishes. Each test also
checks the leg the callee sees (no Via, Contact, Call-ID, tag or media
address of the caller: only the daemon's) and the CDR of the call.
R-CALL-1, R-CALL-2, R-CALL-3, R-CRYPTO-2, R-CRYPTO-4, R-FRAUD-8.

SIPp (Debian's sip-tester 3.6) runs as separate processes, each bounded
by -m and -timeout and by a wait() with a deadline, and stopped by its
PID. The scenarios are in sipp/call_*.xml. The daemon runs with `--digest
md5` (SIPp answers MD5 only). The callee SIPp is registered from its own
port before it starts, so whether the daemon routes to the Contact or to
the source of the REGISTER, it reaches the same socket.

Media addresses tell the legs apart: the caller's SDP says 127.0.0.2,
the callee's 127.0.0.3, the daemon's relay 127.0.0.1 on ports
20000-29999 (its defaults).

test_scenario_pairs_* need no daemon: the scenarios against each other
through FakePbx, a few lines of Python that play the server's 407 and
relay the rest, so that a broken scenario shows as such and not as a
daemon bug."""
import csv
import io
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import Daemon, free_port
from sipclient import (Client, digest_params, digest_response, header,
                       parse, status_of)

SCENARIOS = pathlib.Path(__file__).resolve().parent / "sipp"
CALLER_MEDIA = "127.0.0.2"
CALLEE_MEDIA = "127.0.0.3"
RELAY_ADDR = "127.0.0.1"
RELAY_PORTS = range(20000, 30000)

# CDR dispositions, lower case; the spellings accepted for each outcome.
ANSWERED = {"answered"}
BUSY = {"busy"}
NO_ANSWER = {"no-answer", "no_answer", "noanswer", "unanswered",
             "timeout"}
CANCELLED = {"cancelled", "canceled", "abandoned"}
FAILED = {"failed", "rejected", "unavailable", "not-found", "not_found",
          "forbidden", "blocked", "refused"}


@pytest.fixture(scope="session")
def sipp():
    exe = shutil.which("sipp")
    if exe is None:
        pytest.fail("sipp not installed (Debian package sip-tester)")
    return exe


@pytest.fixture
def pbx(rempartd, data):
    """A factory: pbx(*options) starts the daemon with `--digest md5` and
    the options; each one is stopped at the end and must exit 0 without
    sanitizer reports."""
    started = []

    def start(*extra):
        d = Daemon(rempartd, data, extra=["--digest", "md5", *extra])
        started.append(d)
        return d

    yield start
    for d in started:
        rc = d.stop()
        log = d.log.read_text()
        assert "ERROR: AddressSanitizer" not in log, log
        assert "runtime error" not in log, log
        assert rc == 0, log


def even_free_port():
    """A free UDP port p, p + 2 free too (SIPp's media socket is p, its
    video socket p + 2)."""
    for _ in range(50):
        p = free_port() & ~1
        socks = []
        try:
            for q in (p, p + 1, p + 2, p + 3):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("0.0.0.0", q))
            return p
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free media ports")


def messages(path):
    """[(direction 'sent'/'received', message text)] of a -trace_msg log."""
    if not path.exists():
        return []
    text = path.read_text(errors="replace")
    out = []
    for block in re.split(r"^-{20,}.*$", text, flags=re.M):
        # "UDP message received [668] bytes :" and
        # "UDP message sent (335 bytes):"
        m = re.match(r"\s*\S+ message (sent|received) [\[(]?\d+\]? "
                     r"bytes\)? ?:\s*\n\n?(.*)", block, re.S)
        if m:
            body = m.group(2).strip("\n")
            out.append((m.group(1), body.replace("\r\n", "\n")))
    return out


def first_line(msg):
    return msg.split("\n", 1)[0]


def hval(msg, name):
    """The values of header `name` (or its compact form) in a message."""
    compact = {"via": "v", "contact": "m", "from": "f", "to": "t",
               "call-id": "i", "content-type": "c"}.get(name.lower())
    names = {name.lower()} | ({compact} if compact else set())
    head = msg.split("\n\n", 1)[0]
    vals = []
    for line in head.split("\n")[1:]:
        n, _, v = line.partition(":")
        if n.strip().lower() in names:
            vals.append(v.strip())
    return vals


def sdp_of(msg):
    """(connection address, audio port, direction attrs) of an SDP body."""
    body = msg.split("\n\n", 1)[1] if "\n\n" in msg else ""
    c = re.search(r"^c=IN IP4 (\S+)", body, re.M)
    m = re.search(r"^m=audio (\d+) (\S+)", body, re.M)
    dirs = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$",
                      body, re.M)
    return (c.group(1) if c else None, int(m.group(1)) if m else None,
            dirs)


def tag_of(value):
    m = re.search(r";\s*tag=([^;>\s]+)", value)
    return m.group(1) if m else None


class Sipp:
    """One SIPp process in the background, its files in `work`."""

    def __init__(self, sipp, work, name, scenario, args, seconds):
        self.name = name
        self.seconds = seconds
        self.msgs = work / f"{name}_messages.log"
        self.errors = work / f"{name}_errors.log"
        self.stats = work / f"{name}_stats.csv"
        self.out = work / f"{name}.out"
        self.argv = [sipp, "-sf", str(SCENARIOS / scenario),
                     "-timeout", f"{seconds}s", "-timeout_error",
                     "-nostdin", "-trace_msg", "-message_file",
                     str(self.msgs), "-trace_err", "-error_file",
                     str(self.errors), "-trace_stat", "-stf",
                     str(self.stats), *args]
        with open(self.out, "w") as f:
            self.proc = subprocess.Popen(self.argv, cwd=work, stdout=f,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def wait(self, extra=10):
        """Its exit code; past its -timeout and `extra` seconds it is
        killed (SIPp 3.6 does not always stop at its -timeout)."""
        try:
            return self.proc.wait(timeout=self.seconds + extra)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def messages(self):
        return messages(self.msgs)

    def received(self, start):
        """The messages it received whose first line starts with
        `start` (e.g. "INVITE " or "SIP/2.0 200")."""
        return [m for d, m in self.messages()
                if d == "received" and first_line(m).startswith(start)]

    def sent(self, start):
        return [m for d, m in self.messages()
                if d == "sent" and first_line(m).startswith(start)]

    def last_stats(self):
        if not self.stats.exists():
            return {}
        rows = list(csv.reader(self.stats.open(), delimiter=";"))
        return dict(zip(rows[0], rows[-1])) if len(rows) >= 2 else {}

    def counts(self):
        s = self.last_stats()
        return (int(s.get("SuccessfulCall(C)", -1)),
                int(s.get("FailedCall(C)", -1)))

    def __str__(self):
        errors = self.errors.read_text() if self.errors.exists() else ""
        out = self.out.read_text(errors="replace") if self.out.exists() \
            else ""
        msgs = self.msgs.read_text(errors="replace") if self.msgs.exists() \
            else ""
        return (f"--- sipp {self.name}: exit {self.proc.returncode}\n"
                f"errors:\n{errors[-3000:]}\nmessages:\n{msgs[-6000:]}\n"
                f"output:\n{out[-1500:]}")


def start_uas(sipp, work, name, scenario, port, calls=1, seconds=40,
              delay_ms=0, media_port=None, addr="127.0.0.1", extra=()):
    """A callee SIPp on addr:port (-m calls)."""
    return Sipp(sipp, work, name, scenario,
                ["-i", addr, "-p", str(port), "-m", str(calls),
                 "-mi", CALLEE_MEDIA, "-mp",
                 str(media_port or even_free_port()), "-d", str(delay_ms),
                 *extra],
                seconds)


def start_uac(sipp, work, name, scenario, server_port, caller, secret,
              callee, realm, calls=1, rate=1, seconds=40, delay_ms=1000,
              auth_user=None):
    """A caller SIPp: `calls` calls from `caller` (From user) to
    `callee`, credentials of auth_user (default: the caller)."""
    inf = work / f"{name}_users.csv"
    inf.write_text("SEQUENTIAL\n" +
                   f"{caller};[authentication username="
                   f"{auth_user or caller} password={secret}];{callee}\n")
    return Sipp(sipp, work, name, scenario,
                [f"127.0.0.1:{server_port}", "-i", "127.0.0.1",
                 "-p", str(free_port()), "-s", realm,
                 "-auth_uri", f"{callee}@{realm}", "-inf", str(inf),
                 "-m", str(calls), "-r", str(rate), "-l", str(calls),
                 "-mi", CALLER_MEDIA, "-mp", str(even_free_port()),
                 "-d", str(delay_ms)],
                seconds)


def register_at(daemon, data, user, port, expires=600):
    """Registers `user` with Contact <sip:user@127.0.0.1:port>, sent from
    that very port (free again on return, for SIPp to bind)."""
    c = Client(daemon.udp)
    c.sock.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(5)
    c.sock, c.local = s, s.getsockname()
    try:
        resp, _, _ = c.register(user, data.secrets[user], data.realm,
                                expires=expires, alg="MD5")
        assert status_of(resp) == 200, resp
    finally:
        c.close()


def final_code(uac):
    """The last final answer (>= 200) the caller got to an INVITE."""
    codes = [int(first_line(m).split()[1]) for m in uac.received("SIP/2.0")
             if re.search(r"^CSeq:\s*\d+ INVITE", m, re.M | re.I)]
    finals = [c for c in codes if c >= 200 and c != 407]
    return finals[-1] if finals else None


def cdr_rows(data):
    r = data.cli("cdr", "export", "--csv")
    assert r.returncode == 0, f"rempart cdr export --csv: {r.stderr}"
    return list(csv.DictReader(io.StringIO(r.stdout)))


def wait_cdr(data, pred, seconds=8):
    """The first CDR row for which pred(row) holds; CDRs are written by
    the store writer, shortly after the call ends."""
    deadline = time.time() + seconds
    while True:
        rows = cdr_rows(data)
        hits = [r for r in rows if pred(r)]
        if hits:
            return hits[-1]
        assert time.time() < deadline, f"no such CDR in {rows}"
        time.sleep(0.2)


def cdr_for(data, caller, dialed, seconds=8):
    return wait_cdr(data, lambda r: r.get("caller_ext") == caller and
                    r.get("dialed") == dialed, seconds)


def disposition(row):
    return row.get("disposition", "").strip().lower()


def check_leg_b(uac, uas, realm, caller="100", callee="101"):
    """What the callee got is the daemon's leg, not the caller's: its own
    Call-ID, tags, Via and Contact, the caller's identity with a display
    name, and SDP pointing at the relay."""
    sent = uac.sent("INVITE ")
    got = uas.received("INVITE ")
    assert sent and got, f"{uac}\n{uas}"
    a, b = sent[-1], got[0]
    a_port = uac.argv[uac.argv.index("-p") + 1]
    assert hval(b, "Call-ID") != hval(a, "Call-ID"), b
    assert tag_of(hval(b, "From")[0]) != tag_of(hval(a, "From")[0]), b
    for v in hval(b, "Via") + hval(b, "Contact"):
        assert f":{a_port}" not in v, b
    assert len(hval(b, "Via")) == 1, b
    assert not hval(b, "Proxy-Authorization"), b
    assert not hval(b, "Authorization"), b
    frm = hval(b, "From")[0]
    assert re.match(rf'"[^"]+"\s*<sip:{caller}@{re.escape(realm)}>', frm), b
    assert re.search(rf"<sip:{callee}@", hval(b, "To")[0]), b
    c, port, _ = sdp_of(b)
    _, a_media, _ = sdp_of(a)
    assert c == RELAY_ADDR, b
    assert port in RELAY_PORTS and port != a_media, b
    assert CALLER_MEDIA not in b, b
    # And the other way: the caller sees the relay and the daemon's tag.
    ok = [m for m in uac.received("SIP/2.0 200")
          if re.search(r"^CSeq:\s*2 INVITE", m, re.M | re.I)]
    answered = uas.sent("SIP/2.0 200")
    assert ok and answered, f"{uac}\n{uas}"
    assert tag_of(hval(ok[0], "To")[0]) != \
        tag_of(hval(answered[0], "To")[0]), ok[0]
    c, port, _ = sdp_of(ok[0])
    assert c == RELAY_ADDR and port in RELAY_PORTS, ok[0]
    assert CALLEE_MEDIA not in ok[0], ok[0]
    uas_port = uas.argv[uas.argv.index("-p") + 1]
    for v in hval(ok[0], "Contact") + hval(ok[0], "Via"):
        assert f":{uas_port}" not in v, ok[0]
    return b


def finish(*runs):
    """Waits for every SIPp (each bounded), returns their exit codes."""
    return [r.wait() for r in runs]


# ---------------------------------------------------------------- calls


def test_call_answered_caller_hangs_up(sipp, pbx, data, tmp_path):
    """INVITE, 407, INVITE with credentials, 180 and 200 relayed with
    the daemon's own tags and SDP, ACK, 1 s of call, BYE, 200."""
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], "101", data.realm)
    rc_uac, rc_uas = finish(uac, uas)
    assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
    assert uac.counts() == (1, 0), uac
    assert uac.received("SIP/2.0 407"), uac
    assert uac.received("SIP/2.0 180"), uac
    check_leg_b(uac, uas, data.realm)
    # The BYE reached the callee in its own dialog.
    bye = uas.received("BYE ")
    assert bye and hval(bye[0], "Call-ID") == \
        hval(uas.received("INVITE ")[0], "Call-ID"), uas
    row = cdr_for(data, "100", "101")
    assert disposition(row) in ANSWERED, row
    assert row["sip_code"] == "200", row
    assert int(row["duration_ms"]) >= 800, row
    assert row["media_encrypted"] in ("0", "false", "no"), row
    assert row["callee"].startswith("101") or "101" in row["callee"], row
    r = data.cli("cdr", "list", "--ext", "100")
    assert r.returncode == 0, r.stderr
    assert "101" in r.stdout, r.stdout
    assert d.alive()


def test_calls_during_a_flood(sipp, pbx, data, tmp_path):
    """R-NET-3: while SIPp floods 10,000 requests/s for 10 s from
    127.0.0.2, 100 calls from another address (10 a second) keep >= 99 %
    success, and the flooding source is banned."""
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    scenario = pathlib.Path(__file__).parent / "sipp" / "flood.xml"
    flood = subprocess.Popen(
        [sipp, "-sf", str(scenario), "-i", "127.0.0.2", "-p", "0",
         "-r", "10000", "-m", "100000", "-timeout", "40s", "-nostdin",
         f"127.0.0.1:{d.udp}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        time.sleep(0.5)
        uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port,
                        calls=100, seconds=60)
        uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                        data.secrets["100"], "101", data.realm, calls=100,
                        rate=10, seconds=60, delay_ms=500)
        finish(uac, uas)
    finally:
        try:
            flood.wait(timeout=60)
        except subprocess.TimeoutExpired:
            flood.kill()
            flood.wait()
    ok, failed = uac.counts()
    assert ok >= 99, uac
    assert d.alive()
    assert "event=ban src=127.0.0.2" in d.log.read_text()


def test_call_callee_hangs_up(sipp, pbx, data, tmp_path):
    """The callee's BYE ends the caller's leg: the caller gets a BYE in
    its own dialog (its Call-ID, its tag as To tag)."""
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas_bye.xml", port,
                    delay_ms=1000)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac_wait_bye.xml", d.udp,
                    "100", data.secrets["100"], "101", data.realm)
    rc_uac, rc_uas = finish(uac, uas)
    assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
    check_leg_b(uac, uas, data.realm)
    bye = uac.received("BYE ")[0]
    invite = uac.sent("INVITE ")[-1]
    assert hval(bye, "Call-ID") == hval(invite, "Call-ID"), bye
    assert tag_of(hval(bye, "To")[0]) == tag_of(hval(invite, "From")[0])
    row = cdr_for(data, "100", "101")
    assert disposition(row) in ANSWERED, row
    assert int(row["duration_ms"]) >= 800, row


def refused(sipp, d, data, tmp_path, callee="101", caller="100",
            auth_user=None, seconds=40):
    """A caller SIPp that expects a final error; returns it, finished."""
    uac = start_uac(sipp, tmp_path, "uac", "call_uac_fail.xml", d.udp,
                    caller, data.secrets[auth_user or caller], callee,
                    data.realm, auth_user=auth_user, seconds=seconds)
    rc = uac.wait()
    assert rc == 0, uac
    assert uac.received("SIP/2.0 407"), uac
    return uac


def test_callee_busy(sipp, pbx, data, tmp_path):
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas_busy.xml", port)
    uac = refused(sipp, d, data, tmp_path)
    assert uas.wait() == 0, uas
    assert final_code(uac) == 486, uac
    row = cdr_for(data, "100", "101")
    assert disposition(row) in BUSY, row
    assert row["sip_code"] == "486", row


def test_callee_not_registered(sipp, pbx, data, tmp_path):
    d = pbx()
    uac = refused(sipp, d, data, tmp_path)
    assert final_code(uac) == 480, uac
    row = cdr_for(data, "100", "101")
    assert row["sip_code"] == "480", row
    assert disposition(row) not in ANSWERED, row


def test_unknown_number(sipp, pbx, data, tmp_path):
    """404 after authentication only: before it, nothing tells which
    numbers exist."""
    d = pbx()
    uac = refused(sipp, d, data, tmp_path, callee="199")
    assert final_code(uac) == 404, uac
    row = cdr_for(data, "100", "199")
    assert row["sip_code"] == "404", row


def test_ring_timeout(sipp, pbx, data, tmp_path):
    """No answer within --ring-timeout: the callee gets CANCEL, the
    caller 480 (or 408)."""
    d = pbx("--ring-timeout", "3")
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas_noanswer.xml", port)
    t0 = time.time()
    uac = refused(sipp, d, data, tmp_path)
    took = time.time() - t0
    assert uas.wait() == 0, uas
    assert final_code(uac) in (480, 408), uac
    assert 2.5 <= took <= 15, took
    assert uas.received("CANCEL "), uas
    row = cdr_for(data, "100", "101")
    assert disposition(row) in NO_ANSWER, row


def test_caller_cancels(sipp, pbx, data, tmp_path):
    """CANCEL while it rings: 200 to the CANCEL, 487 to the INVITE, and
    the callee's leg is cancelled too."""
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas_noanswer.xml", port)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac_cancel.xml", d.udp,
                    "100", data.secrets["100"], "101", data.realm)
    rc_uac, rc_uas = finish(uac, uas)
    assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
    assert final_code(uac) == 487, uac
    cancel = uas.received("CANCEL ")
    assert cancel, uas
    assert hval(cancel[0], "Call-ID") == \
        hval(uas.received("INVITE ")[0], "Call-ID"), uas
    row = cdr_for(data, "100", "101")
    assert disposition(row) in CANCELLED, row
    assert row["sip_code"] == "487", row


def test_forged_from_refused(sipp, pbx, data, tmp_path):
    """R-CRYPTO-4: credentials of 100, From 102: 403, and the callee
    never hears of it."""
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(("127.0.0.1", port))
    try:
        uac = refused(sipp, d, data, tmp_path, caller="102",
                      auth_user="100")
        assert final_code(uac) == 403, uac
        listen.settimeout(1.0)
        with pytest.raises(socket.timeout):
            listen.recv(65535)
    finally:
        listen.close()
    # R-FRAUD-8: the blocked attempt is recorded too.
    wait_cdr(data, lambda r: r.get("sip_code") == "403")


def test_hold_and_resume(sipp, pbx, data, tmp_path):
    """R-CALL-3: a re-INVITE with a=sendonly reaches the callee as
    sendonly, its recvonly comes back, then sendrecv again; media stays
    on the relay."""
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas_hold.xml", port)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac_hold.xml", d.udp,
                    "100", data.secrets["100"], "101", data.realm,
                    delay_ms=500)
    rc_uac, rc_uas = finish(uac, uas)
    assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
    check_leg_b(uac, uas, data.realm)
    invites = uas.received("INVITE ")
    assert len(invites) == 3, uas
    first, hold, resume = (sdp_of(m) for m in invites)
    assert hold[2] == ["sendonly"], invites[1]
    assert "sendonly" not in resume[2] and "inactive" not in resume[2]
    for c, _, _ in (hold, resume):
        assert c == RELAY_ADDR, invites
    row = cdr_for(data, "100", "101")
    assert disposition(row) in ANSWERED, row


def test_forked_to_two_contacts(sipp, pbx, data, tmp_path):
    """101 registered twice: both ring, the first 200 wins, the other
    contact gets CANCEL."""
    d = pbx()
    p1, p2 = free_port(), free_port()
    register_at(d, data, "101", p1)
    register_at(d, data, "101", p2)
    winner = start_uas(sipp, tmp_path, "winner", "call_uas.xml", p1,
                       delay_ms=500)
    loser = start_uas(sipp, tmp_path, "loser", "call_uas_noanswer.xml", p2)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], "101", data.realm)
    rc = finish(uac, winner, loser)
    assert rc == [0, 0, 0], f"{uac}\n{winner}\n{loser}"
    assert loser.received("CANCEL "), loser
    assert winner.received("BYE "), winner
    check_leg_b(uac, winner, data.realm)
    row = cdr_for(data, "100", "101")
    assert disposition(row) in ANSWERED, row


def test_srtp_required_refuses_plain_offer(sipp, pbx, data, tmp_path):
    """R-CRYPTO-2: a caller that must use SRTP offering RTP/AVP gets 488
    and the callee never rings."""
    r = data.cli("user", "set", "100", "--srtp", "required")
    assert r.returncode == 0, r.stderr
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(("127.0.0.1", port))
    try:
        uac = refused(sipp, d, data, tmp_path)
        assert final_code(uac) == 488, uac
        listen.settimeout(1.0)
        with pytest.raises(socket.timeout):
            listen.recv(65535)
    finally:
        listen.close()
    row = cdr_for(data, "100", "101")
    assert row["sip_code"] == "488", row


def vanishing_callee(sipp, d, data, tmp_path, seconds):
    """The callee answers and its process ends; returns the caller,
    which must have been sent a BYE by the daemon within `seconds`."""
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas_vanish.xml", port)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac_wait_bye.xml", d.udp,
                    "100", data.secrets["100"], "101", data.realm,
                    seconds=seconds)
    assert uas.wait() == 0, uas
    t0 = time.time()
    assert uac.wait() == 0, f"{uac}\n{uas}"
    assert time.time() - t0 <= seconds, uac
    assert uac.received("BYE "), uac
    check_leg_b(uac, uas, data.realm)
    row = cdr_for(data, "100", "101")
    assert disposition(row) in ANSWERED, row
    return uac


def test_vanished_callee_rtp_timeout(sipp, pbx, data, tmp_path):
    """No RTP from either side for --rtp-timeout: the daemon ends the
    call and sends the caller a BYE."""
    d = pbx("--rtp-timeout", "3")
    vanishing_callee(sipp, d, data, tmp_path, seconds=25)


def test_vanished_callee_session_timer(sipp, pbx, data, tmp_path):
    """RFC 4028: the daemon refreshes both legs every half interval (here
    5 s); the refresh to the vanished callee times out (Timer B, 32 s)
    and the daemon hangs up the caller. RTP inactivity is out of the way
    (10 minutes)."""
    d = pbx("--session-expires", "10", "--rtp-timeout", "600")
    vanishing_callee(sipp, d, data, tmp_path, seconds=60)


# ------------------------------------------- the scenarios, without daemon


class FakePbx:
    """Plays the server for the scenarios' own check: answers the first
    INVITE of a call 407 (MD5, qop=auth), swallows the ACK of that 407,
    checks the digest of the second INVITE, and relays everything else
    between the caller (whoever sent the first INVITE) and the callee.
    bye_after_ack: sends the caller a BYE once the callee ACKed, as the
    daemon would for a callee that vanished. late_cancel_ok: relays the
    200 to a CANCEL after the 487, the other order a server may take."""

    REALM = "rempart.test"

    def __init__(self, callee_port, secrets, bye_after_ack=False,
                 late_cancel_ok=False):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.callee = ("127.0.0.1", callee_port)
        self.caller = None
        self.secrets = secrets
        self.bye_after_ack = bye_after_ack
        self.late_cancel_ok = late_cancel_ok
        self.held = None
        self.auth_ok = []
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def close(self):
        self.stop_ev.set()
        self.thread.join(5)
        self.sock.close()

    def reply_407(self, data):
        start, hs, _ = parse(data)
        keep = [f"{n}: {v}" for n, v in hs
                if n.lower() in ("via", "from", "call-id", "cseq")]
        to = header(hs, "To")[0] + ";tag=fake407"
        msg = ("SIP/2.0 407 Proxy Authentication Required\r\n" +
               "\r\n".join(keep) + f"\r\nTo: {to}\r\n" +
               f'Proxy-Authenticate: Digest realm="{self.REALM}", '
               'nonce="abcdef0123456789", opaque="op1", algorithm=MD5, '
               'qop="auth"\r\nContent-Length: 0\r\n\r\n')
        self.sock.sendto(msg.encode(), self.caller)

    def check_auth(self, data):
        _, hs, _ = parse(data)
        p = digest_params(header(hs, "Proxy-Authorization")[0])
        want = digest_response("MD5", p["username"], p["realm"],
                               self.secrets[p["username"]], "INVITE",
                               p["uri"], p["nonce"], p["nc"], p["cnonce"])
        ruri = parse(data)[0].split()[1]
        self.auth_ok.append(want == p["response"] and p["uri"] == ruri)

    def bye(self, ack):
        _, hs, _ = parse(ack)
        msg = (f"BYE sip:caller@127.0.0.1 SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bKfb\r\n"
               f"From: {header(hs, 'To')[0]}\r\n"
               f"To: {header(hs, 'From')[0]}\r\n"
               f"Call-ID: {header(hs, 'Call-ID')[0]}\r\n"
               "CSeq: 1 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")
        self.sock.sendto(msg.encode(), self.caller)

    def run(self):
        while not self.stop_ev.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            start, hs, _ = parse(data)
            method = start.split()[0]
            cseq = header(hs, "CSeq")[0] if header(hs, "CSeq") else ""
            if addr == self.callee:
                if method == "SIP/2.0" and "BYE" in cseq and \
                        self.bye_after_ack:
                    continue
                if self.late_cancel_ok and "CANCEL" in cseq:
                    self.held = data
                    continue
                self.sock.sendto(data, self.caller)
                if self.held and start.startswith("SIP/2.0 487"):
                    self.sock.sendto(self.held, self.caller)
                continue
            if self.caller is None:
                self.caller = addr
            if method == "INVITE" and not tag_of(header(hs, "To")[0]):
                if not header(hs, "Proxy-Authorization"):
                    self.reply_407(data)
                    continue
                self.check_auth(data)
            if method == "ACK" and cseq.split()[0] == "1":
                continue
            if method == "SIP/2.0" and "BYE" in cseq and self.bye_after_ack:
                continue
            self.sock.sendto(data, self.callee)
            if method == "ACK" and self.bye_after_ack:
                self.bye(data)


PAIRS = [
    # caller scenario, callee scenario, caller -d, callee -d, what the
    # caller must have received (a first line start), FakePbx options
    ("call_uac.xml", "call_uas.xml", 200, 200, "SIP/2.0 200", {}),
    ("call_uac_wait_bye.xml", "call_uas_bye.xml", 0, 300, "BYE ", {}),
    ("call_uac_fail.xml", "call_uas_busy.xml", 0, 0, "SIP/2.0 486", {}),
    ("call_uac_cancel.xml", "call_uas_noanswer.xml", 0, 0, "SIP/2.0 487",
     {}),
    ("call_uac_cancel.xml", "call_uas_noanswer.xml", 0, 0, "SIP/2.0 487",
     {"late_cancel_ok": True}),
    ("call_uac_hold.xml", "call_uas_hold.xml", 200, 0, "SIP/2.0 200", {}),
    ("call_uac_wait_bye.xml", "call_uas_vanish.xml", 0, 0, "BYE ",
     {"bye_after_ack": True}),
]


@pytest.mark.parametrize("uac_sf,uas_sf,uac_d,uas_d,last,opts", PAIRS,
                         ids=[p[1][:-4] + ("_487_first" if p[5].get(
                             "late_cancel_ok") else "") for p in PAIRS])
def test_scenario_pairs(sipp, tmp_path, uac_sf, uas_sf, uac_d, uas_d,
                        last, opts):
    """Each caller scenario against its callee scenario through FakePbx:
    both succeed, and the digest answers the MD5 challenge for the
    Request-URI."""
    secrets = {"100": "Secret-100-abcdef"}
    port = free_port()
    uas = start_uas(sipp, tmp_path, "uas", uas_sf, port, seconds=20,
                    delay_ms=uas_d)
    fake = FakePbx(port, secrets, **opts)
    try:
        uac = start_uac(sipp, tmp_path, "uac", uac_sf, fake.port, "100",
                        secrets["100"], "101", FakePbx.REALM, seconds=20,
                        delay_ms=uac_d)
        rc_uac, rc_uas = finish(uac, uas)
    finally:
        fake.close()
        uas.kill()
    assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
    assert uac.counts() == (1, 0), uac
    assert fake.auth_ok == [True], (fake.auth_ok, str(uac))
    got = [first_line(m) for d, m in uac.messages() if d == "received"]
    assert any(g.startswith(last) for g in got), uac
    if last.startswith("SIP/2.0 4"):
        assert final_code(uac) == int(last.split()[1]), uac


def test_scenario_refused_fails_on_answer(sipp, tmp_path):
    """The check has teeth: call_uac_fail.xml answered 200 is a failed
    call and a non-zero exit (and SIPp hangs up what it got)."""
    secrets = {"100": "Secret-100-abcdef"}
    port = free_port()
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port,
                    seconds=15)
    fake = FakePbx(port, secrets)
    try:
        uac = start_uac(sipp, tmp_path, "uac", "call_uac_fail.xml",
                        fake.port, "100", secrets["100"], "101",
                        FakePbx.REALM, seconds=15)
        rc = uac.wait()
    finally:
        fake.close()
        uas.kill()
    assert rc != 0, uac
    assert uac.counts() == (0, 1), uac


def test_max_forwards_exhausted_is_refused(pbx, data):
    """RFC 3261 §16.3: an authenticated INVITE that arrives with
    Max-Forwards 0 is not forwarded (483), which breaks loops between
    servers; the attempt leaves a record."""
    d = pbx()
    c = Client(d.udp)
    uri = f"sip:101@{data.realm}"

    def invite(extra=()):
        req = c.request("INVITE", uri, "100", data.realm, list(extra),
                        to_user="101")
        return c.transact(req.replace("Max-Forwards: 70",
                                      "Max-Forwards: 0"))

    first = invite()
    assert status_of(first) == 407, first
    chal = None
    for v in header(parse(first)[1], "Proxy-Authenticate"):
        p = digest_params(v)
        if p.get("algorithm", "MD5") == "MD5":
            chal = p
    assert chal is not None, first
    resp = digest_response("MD5", "100", chal["realm"], data.secrets["100"],
                           "INVITE", uri, chal["nonce"], "00000001",
                           "c0ffee")
    auth = (f'Proxy-Authorization: Digest username="100", '
            f'realm="{chal["realm"]}", nonce="{chal["nonce"]}", '
            f'uri="{uri}", response="{resp}", algorithm=MD5, qop=auth, '
            f'nc=00000001, cnonce="c0ffee", opaque="{chal["opaque"]}"')
    second = invite([auth])
    assert status_of(second) == 483, second
    c.close()
    row = cdr_for(data, "100", "101")
    assert row["sip_code"] == "483", row


def test_display_name_with_quotes_is_escaped(sipp, pbx, data, tmp_path):
    """A display name holding '"' and '\\' reaches the callee as a valid
    quoted-string (RFC 3261 §25.1), not a broken From header."""
    r = data.cli("user", "add", "110", "--name", 'Bob "Boss" \\o/',
                 "--generate-secret")
    assert r.returncode == 0, r.stderr
    secret = re.search(r"secret (\S+) \(shown once\)", r.stdout).group(1)
    d = pbx()
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "110",
                    secret, "101", data.realm)
    rc_uac, rc_uas = finish(uac, uas)
    assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
    got = uas.received("INVITE ")[0]
    assert hval(got, "From")[0].startswith(
        '"Bob \\"Boss\\" \\\\o/" <sip:110@'), got
