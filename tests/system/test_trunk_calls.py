"""Outbound calls through IP trunks with failover (R-TRUNK-2).

Two SIPp "carriers" on loopback ports stand for two operators, op1 and
op2, made with the CLI (`rempart trunk add ... --kind ip`) while the
daemon runs; the CLI's SIGHUP reloads them, which the daemon logs. A
route sends numbers starting with 0 to op1 then op2. The caller is SIPp
(call_uac.xml) as extension 100.

Each test checks what the carrier got: the dialled number in the
Request-URI and To, the daemon's own Via, Contact, Call-ID and relay
media (nothing of the caller's), and one CDR for the call naming the
trunk that carried it. SIPp runs are bounded (see test_calls.py)."""
import http.client
import json
import os
import re
import socket
import time

from conftest import free_port
from test_calls import (ANSWERED, CALLER_MEDIA, RELAY_ADDR, RELAY_PORTS,
                        cdr_for, cdr_rows, disposition, final_code, finish,
                        hval, pbx, refused, sdp_of, sipp, start_uac,
                        start_uas, tag_of)

NUMBER = "0612345678"
# The carriers answer from their own loopback address: the daemon tells
# trunk traffic from phones by source address (R-TRUNK-3).
CARRIER = "127.0.0.7"
# SIPp carriers that run one call each take no OPTIONS probes.
NO_PROBES = ("--trunk-check", "off")

__all__ = ["pbx", "sipp"]  # fixtures shared with test_calls.py


def wait_log(d, text, seconds=10):
    """Waits until the daemon's log holds `text`."""
    deadline = time.time() + seconds
    while text not in d.log.read_text():
        assert time.time() < deadline, \
            f"no '{text}' in the log:\n{d.log.read_text()[-3000:]}"
        time.sleep(0.1)


def add_trunks(d, data, p1, p2):
    """op1 and op2 on CARRIER:p1 and :p2, the route 0. over both, and
    the reload that loads them."""
    for name, port in (("op1", p1), ("op2", p2)):
        r = data.cli("trunk", "add", name, "--kind", "ip", "--host",
                     CARRIER, "--port", str(port), "--acl",
                     CARRIER + "/32")
        assert r.returncode == 0, r.stderr
    r = data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                 "op1,op2")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="trunks loaded" trunks=2 usable=2 routes=1')


def check_carrier_leg(uac, carrier, number=NUMBER):
    """The carrier got the rewritten number and the daemon's leg only."""
    sent = uac.sent("INVITE ")
    got = carrier.received("INVITE ")
    assert sent and got, f"{uac}\n{carrier}"
    a, b = sent[-1], got[0]
    c_port = carrier.argv[carrier.argv.index("-p") + 1]
    a_port = uac.argv[uac.argv.index("-p") + 1]
    line = b.split("\n", 1)[0]
    assert line == f"INVITE sip:{number}@{CARRIER}:{c_port} SIP/2.0", b
    assert re.search(rf"<sip:{number}@{re.escape(CARRIER)}:{c_port}>",
                     hval(b, "To")[0]), b
    assert re.match(rf'"[^"]*"\s*<sip:100@{re.escape(CARRIER)}>',
                    hval(b, "From")[0]), b
    assert hval(b, "Call-ID") != hval(a, "Call-ID"), b
    assert tag_of(hval(b, "From")[0]) != tag_of(hval(a, "From")[0]), b
    assert len(hval(b, "Via")) == 1, b
    for v in hval(b, "Via") + hval(b, "Contact"):
        assert f":{a_port}" not in v, b
    for h in ("Authorization", "Proxy-Authorization", "Record-Route"):
        assert not hval(b, h), b
    c, port, _ = sdp_of(b)
    assert c == RELAY_ADDR and port in RELAY_PORTS, b
    assert CALLER_MEDIA not in b, b
    return b


def call_through(sipp, d, data, tmp_path, first, p1, p2):
    """op1 runs `first` and fails; op2 answers; the caller's call
    completes. Returns (uac, op1, op2)."""
    op1 = start_uas(sipp, tmp_path, "op1", first, p1,
                    addr=CARRIER)
    op2 = start_uas(sipp, tmp_path, "op2", "carrier_ok.xml", p2,
                    addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], NUMBER, data.realm)
    rc_uac, rc_op2 = finish(uac, op2)
    rc_op1 = op1.wait()
    assert rc_uac == 0 and rc_op1 == 0 and rc_op2 == 0, \
        f"{uac}\n{op1}\n{op2}"
    assert uac.counts() == (1, 0), uac
    assert op2.received("BYE "), op2
    check_carrier_leg(uac, op1)
    check_carrier_leg(uac, op2)
    row = cdr_for(data, "100", NUMBER)
    assert disposition(row) in ANSWERED, row
    assert row["callee"] == "", row
    assert "via op2" in row["reason"], row
    return uac, op1, op2


def test_failover_after_503(sipp, pbx, data, tmp_path):
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    call_through(sipp, d, data, tmp_path, "carrier_503.xml", p1, p2)
    # Every attempt has its record, under the call's id.
    rows = [r for r in cdr_rows(data) if r["dialed"] == NUMBER]
    assert len(rows) == 2, rows
    assert rows[0]["call_id"] == rows[1]["call_id"], rows
    assert rows[0]["sip_code"] == "503", rows
    assert rows[0]["reason"].endswith("via op1, failed over"), rows
    assert "via op2" in rows[1]["reason"], rows
    assert d.alive()


def test_failover_after_timeout(sipp, pbx, data, tmp_path):
    """A trunk that does not reach the callee (408, as a silent trunk
    gives after Timer B) passes the call on too."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    call_through(sipp, d, data, tmp_path, "carrier_408.xml", p1, p2)


def test_no_route_is_404(sipp, pbx, data, tmp_path):
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    uac = refused(sipp, d, data, tmp_path, callee="912345")
    assert final_code(uac) == 404, uac
    row = cdr_for(data, "100", "912345")
    assert row["sip_code"] == "404", row


def test_disabled_trunk_skipped(sipp, pbx, data, tmp_path):
    """op1 disabled (and reloaded): the call goes straight to op2 and
    op1's port gets nothing."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    r = data.cli("trunk", "disable", "op1")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="trunks loaded" trunks=1 usable=1 routes=1')
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((CARRIER, p1))
    silent.settimeout(0.2)
    try:
        op2 = start_uas(sipp, tmp_path, "op2", "carrier_ok.xml", p2,
                    addr=CARRIER)
        uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp,
                        "100", data.secrets["100"], NUMBER, data.realm)
        rc_uac, rc_op2 = finish(uac, op2)
        assert rc_uac == 0 and rc_op2 == 0, f"{uac}\n{op2}"
        try:
            got = silent.recv(65535)
        except socket.timeout:
            got = b""
        assert got == b"", got
    finally:
        silent.close()
    check_carrier_leg(uac, op2)
    row = cdr_for(data, "100", NUMBER)
    assert disposition(row) in ANSWERED, row
    assert "via op2" in row["reason"], row


def test_all_trunks_fail_is_503(sipp, pbx, data, tmp_path):
    """Both operators out of service: the caller gets 503, one CDR."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    op1 = start_uas(sipp, tmp_path, "op1", "carrier_503.xml", p1,
                    addr=CARRIER)
    op2 = start_uas(sipp, tmp_path, "op2", "carrier_503.xml", p2,
                    addr=CARRIER)
    uac = refused(sipp, d, data, tmp_path, callee=NUMBER)
    assert finish(op1, op2) == [0, 0], f"{op1}\n{op2}"
    assert final_code(uac) == 503, uac
    row = cdr_for(data, "100", NUMBER)
    assert row["sip_code"] == "503", row
    assert "via op2" in row["reason"], row


def test_international_premium_and_high_risk_denied_by_default(
        sipp, pbx, data, tmp_path):
    """R-FRAUD-1, R-FRAUD-2: with a route to the operators, international,
    premium (089x) and high-risk (+881 satellite) destinations are
    refused with 403 before any trunk is tried, each attempt leaves a
    denied CDR and a security-log line; nothing reaches the carriers."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((CARRIER, p1))
    silent.settimeout(0.2)
    try:
        for i, number in enumerate(("0044201234567", "0899123456",
                                    "00881612345678")):
            work = tmp_path / f"attempt{i}"
            work.mkdir()
            uac = refused(sipp, d, data, work, callee=number)
            assert final_code(uac) == 403, uac
            row = cdr_for(data, "100", number)
            assert row["disposition"] == "denied", row
            assert row["sip_code"] == "403", row
        try:
            got = silent.recv(65535)
        except socket.timeout:
            got = b""
        assert got == b"", got
    finally:
        silent.close()
    assert "event=destination_denied" in d.log.read_text()


def test_full_trunk_is_skipped(sipp, pbx, data, tmp_path):
    """R-TRUNK-1: op1 takes one call at a time (--channels 1). While a
    first call is up on op1, a second call goes to op2."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    loads = d.log.read_text().count('msg="trunks loaded"')
    r = data.cli("trunk", "set", "op1", "--channels", "1")
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 10
    while d.log.read_text().count('msg="trunks loaded"') <= loads:
        assert time.time() < deadline, d.log.read_text()[-2000:]
        time.sleep(0.1)
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    op1 = start_uas(sipp, first_dir, "op1", "carrier_ok.xml", p1,
                    addr=CARRIER)
    op2 = start_uas(sipp, second_dir, "op2", "carrier_ok.xml", p2,
                    addr=CARRIER)
    first = start_uac(sipp, first_dir, "uac", "call_uac.xml", d.udp, "100",
                      data.secrets["100"], NUMBER, data.realm,
                      delay_ms=4000)
    deadline = time.time() + 5
    while not op1.received("ACK "):
        assert time.time() < deadline, op1
        time.sleep(0.1)
    second = start_uac(sipp, second_dir, "uac", "call_uac.xml", d.udp,
                       "101", data.secrets["101"], NUMBER, data.realm)
    assert finish(first, second, op1, op2) == [0, 0, 0, 0], \
        f"{first}\n{second}\n{op1}\n{op2}"
    assert len(op1.received("INVITE ")) == 1, op1
    assert len(op2.received("INVITE ")) == 1, op2
    row = cdr_for(data, "101", NUMBER)
    assert "via op2" in row["reason"], row


def test_caller_cancels_outbound_call(sipp, pbx, data, tmp_path):
    """A CANCEL from the caller while the operator rings cancels the
    attempt on the trunk (the carrier gets CANCEL in its own dialog) and
    does not fail over to the next trunk."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((CARRIER, p2))
    silent.settimeout(0.5)
    try:
        op1 = start_uas(sipp, tmp_path, "op1", "call_uas_noanswer.xml", p1,
                    addr=CARRIER)
        uac = start_uac(sipp, tmp_path, "uac", "call_uac_cancel.xml",
                        d.udp, "100", data.secrets["100"], NUMBER,
                        data.realm)
        rc_uac, rc_op1 = finish(uac, op1)
        assert rc_uac == 0 and rc_op1 == 0, f"{uac}\n{op1}"
        try:
            got = silent.recv(65535)
        except socket.timeout:
            got = b""
        assert got == b"", got
    finally:
        silent.close()
    assert final_code(uac) == 487, uac
    cancel = op1.received("CANCEL ")
    assert cancel, op1
    assert hval(cancel[0], "Call-ID") == \
        hval(op1.received("INVITE ")[0], "Call-ID"), op1
    row = cdr_for(data, "100", NUMBER)
    assert row["disposition"] == "cancelled", row


def test_trunk_down_by_options_is_skipped(sipp, pbx, data, tmp_path):
    """OPTIONS probes every second: op1 never answers and is marked down
    (3 probes lost); the call goes straight to op2, which answers the
    probes (SIPp -aa) and the call. op1 never sees the INVITE."""
    d = pbx("--trunk-check", "1")
    p1, p2 = free_port(), free_port()
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((CARRIER, p1))
    silent.settimeout(0.2)
    try:
        # Each probe counts as one SIPp "call" (answered by -aa): op2
        # takes many and is stopped once the real call is over.
        op2 = start_uas(sipp, tmp_path, "op2", "carrier_ok.xml", p2,
                        addr=CARRIER, calls=10000, extra=("-aa",))
        add_trunks(d, data, p1, p2)
        wait_log(d, 'msg="trunk down" trunk=op1', seconds=30)
        wait_log(d, 'msg="trunk up" trunk=op2', seconds=30)
        uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp,
                        "100", data.secrets["100"], NUMBER, data.realm)
        rc_uac = uac.wait()
        op2.kill()
        assert rc_uac == 0, f"{uac}\n{op2}"
        assert uac.counts() == (1, 0), uac
        assert len(op2.received("INVITE ")) == 1, op2
        assert op2.received("OPTIONS "), op2
        got = []
        while True:
            try:
                got.append(silent.recv(65536).decode(errors="replace"))
            except socket.timeout:
                break
        assert got and all(m.startswith("OPTIONS ") for m in got), got
    finally:
        silent.close()
    row = cdr_for(data, "100", NUMBER)
    assert disposition(row) in ANSWERED, row
    assert "via op2" in row["reason"], row


def test_profile_grants_international(sipp, pbx, data, tmp_path):
    """R-FRAUD-1: the 'international' profile lets 100 call abroad; the
    default profile ('staff') keeps refusing it to 101, and no profile
    opens premium numbers. The daemon follows `rempart user set
    --profile` at once."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    r = data.cli("user", "set", "100", "--profile", "international")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="anti-fraud policy loaded"')
    op1 = start_uas(sipp, tmp_path, "op1", "carrier_ok.xml", p1,
                    addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], "0044201234567", data.realm)
    rc_uac, rc_op1 = finish(uac, op1)
    assert rc_uac == 0 and rc_op1 == 0, f"{uac}\n{op1}"
    check_carrier_leg(uac, op1, number="0044201234567")
    for caller, number in (("101", "0044201234567"), ("100", "0899123456")):
        work = tmp_path / f"denied_{caller}"
        work.mkdir()
        uac = refused(sipp, d, data, work, caller=caller, callee=number)
        assert final_code(uac) == 403, uac
        assert cdr_for(data, caller, number)["disposition"] == "denied"


def test_registration_trunk_registers_and_refreshes(sipp, pbx, data,
                                                    tmp_path):
    """R-TRUNK-1: a registration trunk made while the daemon runs
    registers with the operator's registrar (SIPp), answering its digest
    challenge, and refreshes before the 10 s it was granted run out."""
    d = pbx(*NO_PROBES)
    port = free_port()
    reg = start_uas(sipp, tmp_path, "registrar", "registrar.xml", port,
                    addr=CARRIER, seconds=40)
    r = data.cli("trunk", "add", "reg", "--kind", "register", "--host",
                 CARRIER, "--port", str(port), "--username", "acme",
                 "--realm", "op.test", "--secret-stdin",
                 stdin="Operator-Secret-2026\n")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="registered" trunk=reg expires=10', seconds=15)
    assert reg.wait() == 0, reg
    got = reg.received("REGISTER ")
    assert len(got) >= 3, reg
    assert not hval(got[0], "Authorization"), got[0]
    auth = hval(got[1], "Authorization")[0]
    assert 'username="acme"' in auth and 'realm="op.test"' in auth, auth
    assert "Operator-Secret-2026" not in d.log.read_text()
    # The refresh keeps the Call-ID and raises the CSeq.
    assert hval(got[2], "Call-ID") == hval(got[1], "Call-ID"), got


def test_operator_challenge_on_invite_is_answered(sipp, pbx, data,
                                                  tmp_path):
    """An operator that challenges calls (407) gets the INVITE again with
    the trunk's credentials, in the same dialog with CSeq + 1; the call
    completes without failing over."""
    d = pbx(*NO_PROBES)
    p1 = free_port()
    r = data.cli("trunk", "add", "op1", "--kind", "ip", "--host", CARRIER,
                 "--port", str(p1), "--acl", CARRIER + "/32",
                 "--username", "acme", "--realm", "op.test",
                 "--secret-stdin", stdin="Operator-Secret-2026\n")
    assert r.returncode == 0, r.stderr
    r = data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                 "op1")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="trunks loaded" trunks=1 usable=1 routes=1')
    op1 = start_uas(sipp, tmp_path, "op1", "carrier_auth.xml", p1,
                    addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], NUMBER, data.realm)
    rc_uac, rc_op1 = finish(uac, op1)
    assert rc_uac == 0 and rc_op1 == 0, f"{uac}\n{op1}"
    first, second = op1.received("INVITE ")[:2]
    assert hval(first, "Call-ID") == hval(second, "Call-ID")
    assert hval(second, "CSeq")[0].split()[0] == "2", second
    assert "Operator-Secret-2026" not in d.log.read_text()
    row = cdr_for(data, "100", NUMBER)
    assert disposition(row) in ANSWERED and "via op1" in row["reason"], row


def test_trunk_codecs_limit_the_offer(sipp, pbx, data, tmp_path):
    """A trunk that takes PCMA only: the caller's PCMU-only offer cannot
    go out (488, no transcoding), and nothing reaches the carrier."""
    d = pbx(*NO_PROBES)
    p1 = free_port()
    r = data.cli("trunk", "add", "op1", "--kind", "ip", "--host", CARRIER,
                 "--port", str(p1), "--acl", CARRIER + "/32", "--codecs",
                 "PCMA")
    assert r.returncode == 0, r.stderr
    r = data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                 "op1")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="trunks loaded" trunks=1 usable=1 routes=1')
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((CARRIER, p1))
    silent.settimeout(0.5)
    try:
        uac = refused(sipp, d, data, tmp_path, callee=NUMBER)
        assert final_code(uac) == 488, uac
        try:
            got = silent.recv(65535)
        except socket.timeout:
            got = b""
        assert got == b"", got
    finally:
        silent.close()


def local_status(data):
    """GET /api/v1/status on the daemon's local socket (as root: an
    administrator), reached through the directory's descriptor so that
    a long path still fits."""
    dirfd = os.open(str(data.path), os.O_RDONLY | os.O_DIRECTORY)

    class Local(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.settimeout(10)
            self.sock.connect(f"/proc/self/fd/{dirfd}/rempart.sock")

    conn = Local("localhost")
    try:
        conn.request("GET", "/api/v1/status")
        r = conn.getresponse()
        assert r.status == 200, r.status
        return json.loads(r.read())
    finally:
        conn.close()
        os.close(dirfd)


def trunk_seen(data, name, state, seconds=10):
    deadline = time.time() + seconds
    while True:
        trunks = {t["name"]: t for t in local_status(data)["trunks"]}
        if trunks.get(name, {}).get("state") == state:
            return trunks[name]
        assert time.time() < deadline, trunks
        time.sleep(0.2)


def test_registration_recovers_after_registrar_restart(sipp, pbx, data,
                                                       tmp_path):
    """R-TRUNK-1: over TCP, the registrar goes away after granting 10 s;
    the refresh fails, rempart backs off (--trunk-retry 2: 2 s, then 4,
    8...) and registers again as soon as the registrar is back."""
    d = pbx(*NO_PROBES, "--trunk-retry", "2")
    port = free_port()
    first = start_uas(sipp, tmp_path, "reg1", "registrar_once.xml", port,
                      addr=CARRIER, extra=("-t", "t1"))
    r = data.cli("trunk", "add", "reg", "--kind", "register", "--host",
                 CARRIER, "--port", str(port), "--transport", "tcp",
                 "--username", "acme", "--realm", "op.test",
                 "--secret-stdin", stdin="Operator-Secret-2026\n")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="registered" trunk=reg expires=10', seconds=15)
    assert trunk_seen(data, "reg", "registered")["last_error"] is None
    assert first.wait() == 0, first
    wait_log(d, 'msg="registration failed" trunk=reg', seconds=15)
    # The dashboard says why (R-ADMIN-3).
    seen = trunk_seen(data, "reg", "failed")
    assert seen["last_error"] == "registration failed: no answer", seen
    again_dir = tmp_path / "again"
    again_dir.mkdir()
    again = start_uas(sipp, again_dir, "reg2", "registrar.xml", port,
                      addr=CARRIER, extra=("-t", "t1"))
    deadline = time.time() + 30
    while d.log.read_text().count(
            'msg="registered" trunk=reg expires=10') < 2:
        assert time.time() < deadline, d.log.read_text()[-3000:]
        time.sleep(0.2)
    assert again.wait() == 0, again
    assert len(again.received("REGISTER ")) >= 3, again
    # Registered again; the last error stays, with its time.
    seen = trunk_seen(data, "reg", "registered")
    assert seen["last_error"] == "registration failed: no answer", seen
    assert seen["last_error_ms"] > 0, seen


def test_system_lists_deny_and_allow(sipp, pbx, data, tmp_path):
    """R-FRAUD-2: a system deny prefix wins over a profile granting
    international calls; for a profile that has the premium class, the
    system allow prefix opens the premium numbers it covers and no
    others; `rempart fraud lists` shows both and is audited."""
    d = pbx(*NO_PROBES)
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    for args in (("profile", "add", "wide", "--classes",
                  "internal,emergency,national,mobile,international,"
                  "premium"),
                 ("user", "set", "100", "--profile", "wide"),
                 ("fraud", "lists", "--deny", "+44", "--allow",
                  "+33899123")):
        r = data.cli(*args)
        assert r.returncode == 0, r.stderr
    r = data.cli("fraud", "lists")
    assert r.stdout.split() == ["allow:", "+33899123", "deny:", "+44"], \
        r.stdout
    r = data.cli("fraud", "lists", "--deny", "44x")
    assert r.returncode == 2 and "invalid prefix list" in r.stderr, r
    r = data.cli("audit", "list", "--limit", "5")
    assert "fraud.lists" in r.stdout, r.stdout
    wait_log(d, 'msg="anti-fraud policy loaded"')
    for i, number in enumerate(("0044201234567", "0899124000")):
        work = tmp_path / f"denied{i}"
        work.mkdir()
        uac = refused(sipp, d, data, work, callee=number)
        assert final_code(uac) == 403, uac
    op1 = start_uas(sipp, tmp_path, "op1", "carrier_ok.xml", p1,
                    addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], "0899123456", data.realm)
    rc_uac, rc_op1 = finish(uac, op1)
    assert rc_uac == 0 and rc_op1 == 0, f"{uac}\n{op1}"
