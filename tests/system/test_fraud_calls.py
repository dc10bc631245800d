"""The toll-fraud scenario, end to end (R-FRAUD-1..4, R-FRAUD-8).

Extension 100's valid credentials are in an attacker's hands. 100 may
call abroad (profile 'international') under a small daily ceiling; the
UK costs 0.60 a minute, billed by the second. A first international call
is answered by the carrier (SIPp on CARRIER) and cut by the daemon once
its projected cost crosses the ceiling; the user is then blocked, the
block reaches a real webhook receiver and a real SMTP server within 2 s.
Then 200 premium, high-risk and international numbers dialled as fast as
SIPp goes are all refused with 403 and never reach the carrier; each
leaves a denied record saying why. A call *to* 100 from outside still
works, and after a restart the block is still in force."""
import json
import time

from conftest import free_port
from test_alert_cli import (Receiver, receiver, set_email, set_webhook,
                            smtpd)
from test_calls import (ANSWERED, cdr_rows, finish, hval, pbx, register_at,
                        sipp, start_uac, start_uas)
from test_trunk_calls import CARRIER, NO_PROBES, wait_log
from test_trunk_inbound import DID, carrier_call

__all__ = ["pbx", "sipp", "receiver", "smtpd", "Receiver"]

UK = "0044201234567"
TICK_S = 5


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def test_toll_fraud_is_stopped(sipp, pbx, data, tmp_path, receiver, smtpd):
    d = pbx(*NO_PROBES)
    p_out = free_port()
    ok(data.cli("trunk", "add", "op1", "--kind", "ip", "--host", CARRIER,
                "--port", str(p_out), "--acl", CARRIER + "/32"))
    ok(data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                "op1"))
    rates = tmp_path / "rates.txt"
    rates.write_text("+44 0.60 0 1 1 United Kingdom\n+ 1.00 0 60 60\n")
    ok(data.cli("rate", "import", str(rates)))
    ok(data.cli("user", "set", "100", "--profile", "international"))
    ok(data.cli("ceiling", "set", "user", "100", "--daily", "0.05"))
    ok(data.cli("did", "add", DID, "--to", "100"))
    ok(set_webhook(data, receiver.url()))
    ok(set_email(data, smtpd.port))
    wait_log(d, 'msg="alert channels ready" webhook=on email=on')

    # 1. An international call, answered, cut at the ceiling.
    carrier = start_uas(sipp, tmp_path, "op1", "carrier_ok.xml", p_out,
                        addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac_wait_bye.xml", d.udp,
                    "100", data.secrets["100"], UK, data.realm, seconds=60)
    rc_uac, rc_op = finish(uac, carrier)
    cut_seen = time.time()
    assert rc_uac == 0 and rc_op == 0, f"{uac}\n{carrier}"
    assert uac.received("BYE "), uac
    rows = [r for r in cdr_rows(data) if r["dialed"] == UK]
    assert len(rows) == 1 and rows[0]["disposition"] in ANSWERED, rows
    assert "ceiling" in rows[0]["reason"], rows
    # Cut within one tick of the answer: the overshoot is at most the
    # projection of one call.
    assert int(rows[0]["duration_ms"]) <= (TICK_S + 2) * 1000, rows
    while not (receiver.requests and smtpd.messages):
        assert time.time() - cut_seen < 2.0, \
            f"{receiver.requests} {smtpd.messages}"
        time.sleep(0.02)
    kinds = [json.loads(b)["kind"] for _, b in receiver.requests]
    assert "ceiling_reached" in kinds, kinds
    # The SIEM's line.
    events = [json.loads(line) for line in
              (data.path / "log" / "security.log").read_text().splitlines()]
    assert any(e["event"] == "fraud" and e["user"] == "system" and
               "ceiling" in e["reason"] for e in events), events[-5:]
    blocks = ok(data.cli("fraud", "blocks")).stdout.splitlines()
    assert any(line.split()[:2] == ["user", "100"] for line in blocks), \
        blocks

    # 2. 200 expensive numbers as fast as SIPp goes: all refused. One
    # SIPp per number (its digest uri is the number's Request-URI).
    numbers = ["0899123456", "00881612345678", UK, "0033899123456"]
    secret = data.secrets["100"]
    finals = {}
    for i, number in enumerate(numbers):
        work = tmp_path / f"attack{i}"
        work.mkdir()
        attack = start_uac(sipp, work, "attack", "call_uac_fail.xml",
                           d.udp, "100", secret, number, data.realm,
                           calls=50, rate=25, seconds=60, delay_ms=0)
        assert attack.wait() == 0, attack
        # One final answer per call (UDP may repeat it).
        for m in attack.received("SIP/2.0 "):
            if m.split()[1] not in ("100", "407"):
                finals.setdefault(hval(m, "Call-ID")[0], set()).add(
                    m.split()[1])
    assert len(finals) == 200, len(finals)
    assert all(codes == {"403"} for codes in finals.values()), finals
    assert len(carrier.received("INVITE ")) == 1, carrier
    denied = [r for r in cdr_rows(data)
              if r["caller_ext"] == "100" and r["disposition"] == "denied"]
    assert len(denied) >= 200, len(denied)
    assert all(r["reason"] for r in denied), denied[:3]
    assert any(r["reason"].startswith("fraud:") for r in denied), denied[:3]

    # 3. A call to 100 from outside still works.
    port = free_port()
    register_at(d, data, "100", port)
    uas = start_uas(sipp, tmp_path, "uas100", "call_uas.xml", port)
    op = carrier_call(sipp, tmp_path, d, data, name="inbound")
    rc_op, rc_uas = finish(op, uas)
    assert rc_op == 0 and rc_uas == 0, f"{op}\n{uas}"
    assert op.counts() == (1, 0), op

    # 4. After a restart the block holds.
    d.restart()
    work = tmp_path / "after"
    work.mkdir()
    again = start_uac(sipp, work, "again", "call_uac_fail.xml", d.udp,
                      "100", secret, UK, data.realm)
    assert again.wait() == 0, again
    codes = [m.split()[1] for m in again.received("SIP/2.0 ")]
    assert "403" in codes and "200" not in codes, again
    last = [r for r in cdr_rows(data) if r["dialed"] == UK][-1]
    assert last["disposition"] == "denied", last
    assert last["reason"].startswith("fraud:"), last
