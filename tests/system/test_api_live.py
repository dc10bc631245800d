"""Live supervision through the HTTPS API against the real daemon and
real peers (R-OPS-1, R-ADMIN-2, R-ADMIN-4): the calls in progress
(GET /api/v1/calls, each role seeing what it may), an administrator's
hang-up (DELETE /api/v1/calls/ID: both SIPp sides get a BYE and the CDR
says who ended it), the dashboard's summary (GET /api/v1/status: trunks
up and down, today's spend after a rated call, a block in force) and the
security events (GET /api/v1/security/events: a ban made by password
guessing, and the bans made through the API, which reach the security
log as the command line's do)."""
import json
import socket
import time

import pytest

from conftest import Daemon, free_port
from sipclient import Client as SipClient, status_of
from test_api import Api, assert_error, make_key, tcp_port
from test_calls import (ANSWERED, cdr_for, disposition, finish, register_at,
                        sipp, start_uac, start_uas)
from test_trunk_calls import CARRIER, NUMBER, add_trunks, wait_log

__all__ = ["sipp"]


@pytest.fixture
def live(rempartd, data):
    """A factory: live(*options) starts the daemon with the API, `--digest
    md5` (SIPp answers MD5 only) and the options."""
    started = []

    def start(*extra):
        port = tcp_port()
        d = Daemon(rempartd, data, extra=["--digest", "md5", "--api",
                                          f"127.0.0.1:{port}", *extra])
        d.api = Api(data, port)
        started.append(d)
        return d

    yield start
    for d in started:
        rc = d.stop()
        log = d.log.read_text()
        assert "ERROR: AddressSanitizer" not in log, log
        assert "runtime error" not in log, log
        assert rc == 0, log


def req(d, method, path, key, body=None):
    data = json.dumps(body).encode() if body is not None else None
    return d.api.get(path, key, method=method, body=data,
                     headers={"Content-Type": "application/json"})


def wait_for(pred, seconds=10, step=0.2):
    deadline = time.time() + seconds
    while True:
        v = pred()
        if v:
            return v
        assert time.time() < deadline, "timed out"
        time.sleep(step)


def answered_call(d, key):
    status, _, body = req(d, "GET", "/api/v1/calls", key)
    assert status == 200, body
    hits = [c for c in body["items"] if c["state"] == "answered"]
    return hits[0] if hits else None


def test_calls_listed_and_hung_up_by_admin(sipp, live, data, tmp_path):
    d = live()
    admin, _ = make_key(data, "admin")
    auditor, _ = make_key(data, "auditor")
    helpdesk, _ = make_key(data, "helpdesk")
    u101, _ = make_key(data, "user", "101")
    u102, _ = make_key(data, "user", "102")
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port,
                    seconds=60)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac_wait_bye.xml", d.udp,
                    "100", data.secrets["100"], "101", data.realm,
                    seconds=60)
    try:
        c = wait_for(lambda: answered_call(d, admin), seconds=20)
        assert c["caller_ext"] == "100" and c["dialled"] == "101", c
        assert c["callee"] == "101" and c["origin"] == "extension", c
        assert c["transport"] == "udp" and c["trunk"] is None, c
        assert c["answer_ms"] >= c["start_ms"] > 0, c
        assert c["cost_micro"] is None, c  # an internal call: not rated
        # The auditor reads it too; the callee's own key sees it, another
        # user's key sees nothing; helpdesk is refused.
        s, _, body = req(d, "GET", "/api/v1/calls", auditor)
        assert s == 200 and [x["id"] for x in body["items"]] == [c["id"]]
        s, _, body = req(d, "GET", "/api/v1/calls", u101)
        assert s == 200 and [x["id"] for x in body["items"]] == [c["id"]]
        s, _, body = req(d, "GET", "/api/v1/calls", u102)
        assert s == 200 and body["items"] == [] and body["total"] == 0
        assert_error(*req(d, "GET", "/api/v1/calls", helpdesk), 403,
                     "forbidden")
        # Only an administrator ends a call.
        for k in (auditor, u101, helpdesk):
            assert_error(*req(d, "DELETE", f"/api/v1/calls/{c['id']}", k),
                         403, "forbidden")
        assert_error(*req(d, "DELETE", "/api/v1/calls/nosuchcall", admin),
                     404, "not_found")
        assert_error(*req(d, "DELETE", "/api/v1/calls/BAD-ID", admin),
                     400, "invalid_parameter")
        s, _, body = req(d, "DELETE", f"/api/v1/calls/{c['id']}", admin)
        assert s == 200 and body["ended"] is True, body
        assert body["call"]["caller_ext"] == "100", body
    finally:
        rc_uac, rc_uas = finish(uac, uas)
    # Both sides got a BYE from the daemon, and their scenarios ended.
    assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
    assert uac.received("BYE ") and uas.received("BYE "), f"{uac}\n{uas}"
    row = cdr_for(data, "100", "101")
    assert disposition(row) in ANSWERED, row
    assert "ended by admin" in row["reason"], row
    s, _, body = req(d, "GET", "/api/v1/calls", admin)
    assert s == 200 and body["items"] == [], body
    assert_error(*req(d, "DELETE", f"/api/v1/calls/{c['id']}", admin), 404,
                 "not_found")
    # The hang-up is audited with the call's parties.
    s, _, body = req(d, "GET", "/api/v1/audit?limit=1000", admin)
    hits = [e for e in body["items"] if e["action"] == "calls.hangup"]
    assert len(hits) == 1, body
    text = json.dumps(hits[0])
    assert c["id"] in text and "100" in text and "101" in text, hits[0]


def test_status_shows_trunks_spend_and_blocks(sipp, live, data, tmp_path):
    d = live("--trunk-check", "1")
    admin, _ = make_key(data, "admin")
    auditor, _ = make_key(data, "auditor")
    helpdesk, _ = make_key(data, "helpdesk")
    p1, p2 = free_port(), free_port()
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind((CARRIER, p1))
    rates = tmp_path / "rates.txt"
    rates.write_text("+33 0.60 0 1 1 France\n+ 1.00 0 60 60\n")
    assert data.cli("rate", "import", str(rates)).returncode == 0
    op2 = start_uas(sipp, tmp_path, "op2", "carrier_ok.xml", p2,
                    addr=CARRIER, calls=10000, extra=("-aa",))
    try:
        add_trunks(d, data, p1, p2)
        wait_log(d, 'msg="trunk down" trunk=op1', seconds=30)
        wait_log(d, 'msg="trunk up" trunk=op2', seconds=30)
        r = data.cli("fraud", "block", "user", "102")
        assert r.returncode == 0, r.stderr

        def trunks_seen():
            s, _, body = req(d, "GET", "/api/v1/status", admin)
            assert s == 200, body
            t = {x["name"]: x["state"] for x in body["trunks"]}
            return body if t == {"op1": "down", "op2": "up"} else None

        body = wait_for(trunks_seen, seconds=10)
        for t in body["trunks"]:
            assert 0 < t["since_ms"] <= body["time_ms"] + 1000, t
        # Why op1 is down, and when; op2 never failed.
        t = {x["name"]: x for x in body["trunks"]}
        assert t["op1"]["last_error"] == "no answer to OPTIONS", t
        assert 0 < t["op1"]["last_error_ms"] <= body["time_ms"] + 1000, t
        assert t["op2"]["last_error"] is None, t
        assert t["op2"]["last_error_ms"] is None, t
        # A rated call through op2: a few seconds of conversation.
        uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                        data.secrets["100"], NUMBER, data.realm,
                        delay_ms=3000)
        assert uac.wait() == 0, f"{uac}\n{op2}"
    finally:
        op2.kill()
        silent.close()

    def spent():
        s, _, body = req(d, "GET", "/api/v1/status", admin)
        assert s == 200, body
        users = {u["ext"]: u for u in body["spend"]["users"]}
        done = body["calls"]["in_progress"] == 0
        return body if done and \
            users.get("100", {}).get("day_micro", 0) > 0 else None

    body = wait_for(spent, seconds=40)
    g = body["spend"]["global"]
    users = {u["ext"]: u for u in body["spend"]["users"]}
    assert g["day_micro"] >= users["100"]["day_micro"] > 0, body
    assert users["100"]["blocked"] is False, body
    assert body["registrations"] >= 0, body
    blocks = [b for b in body["blocks"] if b["scope"] == "user"]
    assert [b["name"] for b in blocks] == ["102"], body
    assert isinstance(body["alerts"], list), body
    # The auditor reads it; helpdesk does not.
    s, _, _ = req(d, "GET", "/api/v1/status", auditor)
    assert s == 200
    assert_error(*req(d, "GET", "/api/v1/status", helpdesk), 403,
                 "forbidden")


def test_security_events_and_api_bans(live, data):
    d = live()
    admin, admin_id = make_key(data, "admin")
    auditor, _ = make_key(data, "auditor")
    helpdesk, _ = make_key(data, "helpdesk")
    since = int(time.time() * 1000) - 1000
    # Password guessing from 127.0.0.2 ends in a ban.
    attacker = SipClient(d.udp, bind="127.0.0.2")
    for i in range(8):
        try:
            resp, _, _ = attacker.register("100", f"guess-{i}-Password!",
                                           data.realm, alg="MD5")
            assert status_of(resp) == 401
        except socket.timeout:
            break
    wait_log(d, "event=ban src=127.0.0.2")

    def bans():
        s, _, body = req(d, "GET",
                         f"/api/v1/security/events?kind=ban&since={since}",
                         auditor)
        assert s == 200, body
        return body if body["items"] else None

    body = wait_for(bans)
    assert all(e["event"] == "ban" for e in body["items"]), body
    e = body["items"][0]
    assert e["src_ip"] == "127.0.0.2" and e["time_ms"] >= since, e
    # Unfiltered: the failures too, newest first.
    s, _, body = req(d, "GET", "/api/v1/security/events?limit=1000", admin)
    assert s == 200, body
    kinds = [x["event"] for x in body["items"]]
    assert "auth_failure" in kinds and "ban" in kinds, kinds
    times = [x["time_ms"] for x in body["items"]]
    assert times == sorted(times, reverse=True), times
    assert body["total"] == len(body["items"]) and body["partial"] is False
    s, _, page = req(d, "GET", "/api/v1/security/events?limit=1&offset=1",
                     admin)
    assert s == 200 and page["items"] == body["items"][1:2], page
    assert_error(*req(d, "GET", "/api/v1/security/events?kind=nope",
                      admin), 400, "invalid_parameter")
    assert_error(*req(d, "GET", "/api/v1/security/events?since=x", admin),
                 400, "invalid_parameter")
    assert_error(*req(d, "GET", "/api/v1/security/events", helpdesk), 403,
                 "forbidden")
    # The dashboard's alerts show the ban, not the single failures.
    s, _, body = req(d, "GET", "/api/v1/status", admin)
    assert s == 200, body
    kinds = {a["event"] for a in body["alerts"]}
    assert "ban" in kinds and "auth_failure" not in kinds, body["alerts"]
    # A ban and an unban through the API reach the security log.
    s, _, body = req(d, "POST", "/api/v1/bans", admin,
                     {"addr": "192.0.2.9", "for": "1h"})
    assert s == 201, body
    s, _, body = req(d, "DELETE", "/api/v1/bans/192.0.2.9", admin)
    assert s == 200, body
    lines = [json.loads(x) for x in
             (data.path / "log" / "security.log").read_text().splitlines()]
    mine = [x for x in lines if x["src_ip"] == "192.0.2.9"]
    assert [x["event"] for x in mine] == ["ban", "unban"], mine
    for x in mine:
        assert x["reason"] == "admin", x
        assert x["user"] == f"apikey:{admin_id}", x
    s, _, body = req(d, "GET", "/api/v1/security/events?kind=unban", admin)
    assert s == 200 and body["items"][0]["src_ip"] == "192.0.2.9", body
