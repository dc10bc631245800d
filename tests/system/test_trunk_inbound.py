"""Inbound calls from operators' trunks to DIDs, with service continuity
(R-CALL-13, R-TRUNK-3, R-TRUNK-4).

A SIPp "carrier" on its own loopback address (CARRIER) calls one of our
numbers without credentials: the daemon recognises the trunk by the
source address (its access list), finds the DID and rings the extension
(a SIPp callee registered as 101). From any other address the same
INVITE is challenged like any unknown caller and reported in the
security log. When the extension is not registered or does not answer
within the DID's ring timeout, the call goes to the alternate: another
extension, or a number through the outbound trunks."""
import socket

from conftest import free_port
from test_calls import (ANSWERED, CALLER_MEDIA, RELAY_ADDR, Sipp,
                        disposition, even_free_port, final_code,
                        finish, hval, pbx, register_at, sdp_of, sipp,
                        start_uas, wait_cdr)
from test_trunk_calls import CARRIER, NO_PROBES, wait_log

__all__ = ["pbx", "sipp"]  # fixtures shared with test_calls.py

DID = "+33199000001"
CALLER = "+33612345678"
# Not the address of any trunk.
STRANGER = "127.0.0.8"


def carrier_call(sipp, work, d, data, number=DID, scenario="carrier_call.xml",
                 addr=CARRIER, name="carrier", seconds=40):
    """The carrier calls `number` from `addr` (1 s of call when
    answered)."""
    inf = work / f"{name}_calls.csv"
    inf.write_text(f"SEQUENTIAL\n{CALLER};{number}\n")
    return Sipp(sipp, work, name, scenario,
                [f"127.0.0.1:{d.udp}", "-i", addr, "-p", str(free_port()),
                 "-s", data.realm, "-inf", str(inf), "-m", "1", "-l", "1",
                 "-mi", CALLER_MEDIA, "-mp", str(even_free_port()),
                 "-d", "1000"], seconds)


def cdr_for(data, caller, dialed):
    """An outside caller's record: no caller extension, its number. (The
    CSV export writes "'+33..." so that spreadsheets take no formula.)"""
    def unquote(v):
        return (v or "").lstrip("'")
    return wait_cdr(data, lambda r: unquote(r.get("caller_number")) ==
                    caller and unquote(r.get("dialed")) == dialed and
                    r.get("caller_ext") == "")


def add_trunk_and_did(d, data, port, *did_options, routes=0):
    r = data.cli("trunk", "add", "op1", "--kind", "ip", "--host", CARRIER,
                 "--port", str(port), "--acl", CARRIER + "/32")
    assert r.returncode == 0, r.stderr
    r = data.cli("did", "add", DID, "--to", "101", *did_options)
    assert r.returncode == 0, r.stderr
    wait_log(d, f'msg="trunks loaded" trunks=1 usable=1 routes={routes}')


def test_inbound_call_reaches_the_did_extension(sipp, pbx, data, tmp_path):
    d = pbx(*NO_PROBES)
    add_trunk_and_did(d, data, free_port())
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port)
    op = carrier_call(sipp, tmp_path, d, data)
    rc_op, rc_uas = finish(op, uas)
    assert rc_op == 0 and rc_uas == 0, f"{op}\n{uas}"
    assert op.counts() == (1, 0), op
    # No challenge for the operator's network.
    assert not op.received("SIP/2.0 407"), op
    b = uas.received("INVITE ")[0]
    assert b.split("\n", 1)[0].startswith("INVITE sip:101@127.0.0.1:"), b
    assert f"<sip:{CALLER}@" in hval(b, "From")[0], b
    assert hval(b, "Call-ID") != hval(op.sent("INVITE ")[0], "Call-ID"), b
    c, _, _ = sdp_of(b)
    assert c == RELAY_ADDR, b
    row = cdr_for(data, CALLER, DID)
    assert disposition(row) in ANSWERED, row
    assert row["callee"] == "101", row


def test_national_form_of_the_did(sipp, pbx, data, tmp_path):
    """Operators often send the national form (0199000001)."""
    d = pbx(*NO_PROBES)
    add_trunk_and_did(d, data, free_port())
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port)
    op = carrier_call(sipp, tmp_path, d, data, number="0199000001")
    rc_op, rc_uas = finish(op, uas)
    assert rc_op == 0 and rc_uas == 0, f"{op}\n{uas}"
    row = cdr_for(data, CALLER, DID)
    assert disposition(row) in ANSWERED, row


def test_inbound_from_no_trunk_address_is_refused(sipp, pbx, data,
                                                   tmp_path):
    d = pbx(*NO_PROBES)
    add_trunk_and_did(d, data, free_port())
    port = free_port()
    register_at(d, data, "101", port)
    op = carrier_call(sipp, tmp_path, d, data, addr=STRANGER,
                      scenario="carrier_call_fail.xml")
    assert op.wait() == 0, op
    assert final_code(op) is None and op.received("SIP/2.0 407"), op
    wait_log(d, f"event=acl_refused src={STRANGER}")
    sec = (data.path / "log" / "security.log").read_text()
    assert '"acl_refused"' in sec and STRANGER in sec, sec


def test_number_that_is_no_did_is_404(sipp, pbx, data, tmp_path):
    """A trunk cannot use us to call anywhere else (toll fraud)."""
    d = pbx(*NO_PROBES)
    add_trunk_and_did(d, data, free_port())
    op = carrier_call(sipp, tmp_path, d, data, number="0612345678",
                      scenario="carrier_call_fail.xml")
    assert op.wait() == 0, op
    assert final_code(op) == 404, op
    row = cdr_for(data, CALLER, "0612345678")
    assert disposition(row) == "denied", row


def test_unregistered_extension_goes_to_alternate(sipp, pbx, data,
                                                  tmp_path):
    d = pbx(*NO_PROBES)
    add_trunk_and_did(d, data, free_port(), "--alternate", "102")
    port = free_port()
    register_at(d, data, "102", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port)
    op = carrier_call(sipp, tmp_path, d, data)
    rc_op, rc_uas = finish(op, uas)
    assert rc_op == 0 and rc_uas == 0, f"{op}\n{uas}"
    assert uas.received("INVITE sip:102@"), uas
    row = cdr_for(data, CALLER, DID)
    assert disposition(row) in ANSWERED, row
    assert row["callee"] == "102", row
    assert "alternate" in row["reason"], row


def test_no_answer_within_ring_timeout_goes_to_alternate(sipp, pbx, data,
                                                         tmp_path):
    """101 rings for the DID's 5 s, is cancelled; 102 (the user's own
    alternate, the DID has none) answers."""
    d = pbx(*NO_PROBES)
    r = data.cli("user", "set", "101", "--alternate", "102")
    assert r.returncode == 0, r.stderr
    add_trunk_and_did(d, data, free_port(), "--ring-timeout", "5")
    p1, p2 = free_port(), free_port()
    register_at(d, data, "101", p1)
    register_at(d, data, "102", p2)
    silent = start_uas(sipp, tmp_path, "uas101", "call_uas_noanswer.xml",
                       p1)
    uas = start_uas(sipp, tmp_path, "uas102", "call_uas.xml", p2)
    op = carrier_call(sipp, tmp_path, d, data)
    rc = finish(op, uas, silent)
    assert rc == [0, 0, 0], f"{op}\n{uas}\n{silent}"
    assert silent.received("CANCEL "), silent
    row = cdr_for(data, CALLER, DID)
    assert disposition(row) in ANSWERED, row
    assert row["callee"] == "102", row


def test_alternate_number_through_a_trunk(sipp, pbx, data, tmp_path):
    """101 is not registered; the DID's alternate is a mobile number,
    called out through the route's trunk op2."""
    d = pbx(*NO_PROBES)
    p_out = free_port()
    r = data.cli("trunk", "add", "op2", "--kind", "ip", "--host", CARRIER,
                 "--port", str(p_out), "--acl", CARRIER + "/32")
    assert r.returncode == 0, r.stderr
    r = data.cli("route", "add", "mobiles", "--pattern", "+336.",
                 "--trunks", "op2")
    assert r.returncode == 0, r.stderr
    add_trunk_and_did(d, data, free_port(), "--alternate", "+33611111111")
    wait_log(d, 'msg="trunks loaded" trunks=2 usable=2 routes=1')
    out = start_uas(sipp, tmp_path, "op2", "carrier_ok.xml", p_out,
                    addr=CARRIER)
    op = carrier_call(sipp, tmp_path, d, data)
    rc_op, rc_out = finish(op, out)
    assert rc_op == 0 and rc_out == 0, f"{op}\n{out}"
    got = out.received("INVITE ")[0]
    assert got.startswith(f"INVITE sip:+33611111111@{CARRIER}:"), got
    # The record shows the number presented to the operator (the
    # forwarding user's) and the trunk that carried the forward.
    row = wait_cdr(data, lambda r: r["dialed"].lstrip("'") == DID)
    assert disposition(row) in ANSWERED, row
    assert "via op2" in row["reason"] and "alternate" in row["reason"], row


def test_forward_outside_is_charged_to_the_forwarding_user(sipp, pbx, data,
                                                          tmp_path):
    """R-FRAUD-6: the alternate through a trunk is a call of the user who
    forwards (101, the DID's extension): while 101 is blocked, the
    forward is refused (the operator's caller gets 480) and the record
    says why; nothing reaches the outbound trunk."""
    d = pbx(*NO_PROBES)
    p_out = free_port()
    r = data.cli("trunk", "add", "op2", "--kind", "ip", "--host", CARRIER,
                 "--port", str(p_out), "--acl", CARRIER + "/32")
    assert r.returncode == 0, r.stderr
    r = data.cli("route", "add", "mobiles", "--pattern", "+336.",
                 "--trunks", "op2")
    assert r.returncode == 0, r.stderr
    r = data.cli("fraud", "block", "user", "101", "--reason", "test")
    assert r.returncode == 0, r.stderr
    add_trunk_and_did(d, data, free_port(), "--alternate", "+33611111111")
    wait_log(d, 'msg="trunks loaded" trunks=2 usable=2 routes=1')
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((CARRIER, p_out))
    silent.settimeout(0.5)
    try:
        op = carrier_call(sipp, tmp_path, d, data,
                          scenario="carrier_call_fail.xml")
        assert op.wait() == 0, op
        assert final_code(op) == 480, op
        try:
            got = silent.recv(65535)
        except socket.timeout:
            got = b""
        assert got == b"", got
    finally:
        silent.close()
    row = wait_cdr(data, lambda r: r["dialed"].lstrip("'") == DID)
    assert row["disposition"] == "denied", row
    assert row["reason"].startswith("fraud:"), row
