"""Trunks, routes and DIDs through the HTTPS API against the real daemon
(R-ADMIN-2, R-ADMIN-4, R-TRUNK-1, R-TRUNK-2, R-TRUNK-3).

Each change is checked as the command line checks it (a 400 naming the
field), refused to the roles without the right (helpdesk and user keys
reach none of these), written with the audit entry the command line
writes, never holding a trunk's secret, and followed by a reload: an IP
trunk and a route created through the API carry a SIPp call to a SIPp
carrier, and a DID created through the API routes the carrier's call to
an extension."""
import json
import re
import time
import urllib.parse

import pytest

from conftest import free_port
from test_api import Api, assert_error, make_key, tcp_port
from test_calls import (ANSWERED, disposition, finish, pbx, register_at,
                        sipp, start_uac, start_uas)
from test_trunk_calls import (CARRIER, NO_PROBES, NUMBER, check_carrier_leg,
                              wait_log)
from test_trunk_inbound import CALLER, DID, carrier_call, cdr_for
from test_calls import cdr_for as ext_cdr_for

__all__ = ["pbx", "sipp"]  # fixtures shared with test_calls.py

SECRET = "Trunk-Secret-93xQ"


def start(pbx, *extra):
    """The daemon with its API on a port of its own."""
    port = tcp_port()
    d = pbx(*NO_PROBES, "--api", f"127.0.0.1:{port}", *extra)
    d.api = Api(d.data, port)
    return d


@pytest.fixture
def keys(data):
    out = {}
    for role in ("admin", "auditor", "helpdesk", "user"):
        key, ident = make_key(data, role, "101" if role == "user" else None)
        out[role] = key
        out[role + "_id"] = ident
    return out


def call(api, method, path, key, body=None):
    data = json.dumps(body).encode() if body is not None else None
    return api.get(path, key, method=method, body=data,
                   headers={"Content-Type": "application/json"})


def audit(api, key, action, obj):
    status, _, body = api.get("/api/v1/audit?limit=1000", key)
    assert status == 200, body
    return [e for e in body["items"]
            if e["action"] == action and e["object"] == obj]


def reloads(d):
    return d.log.read_text().count('msg="trunks loaded"')


def wait_reload(d, before, seconds=10):
    deadline = time.time() + seconds
    while reloads(d) <= before:
        assert time.time() < deadline, d.log.read_text()[-3000:]
        time.sleep(0.05)


def last_load(d):
    return re.findall(r'msg="trunks loaded" (.*)', d.log.read_text())[-1]


def wait_load(d, text, seconds=10):
    """Waits until the last load of the trunks logged `text`."""
    deadline = time.time() + seconds
    while last_load(d) != text:
        assert time.time() < deadline, d.log.read_text()[-3000:]
        time.sleep(0.05)


def ip_trunk(name="op1", port=5070):
    return {"name": name, "kind": "ip", "host": CARRIER, "port": port,
            "acl": CARRIER + "/32"}


def test_trunk_secret_is_write_only(pbx, data, keys):
    d = start(pbx)
    api, admin = d.api, keys["admin"]
    status, _, body = call(api, "POST", "/api/v1/trunks", admin,
                           {"name": "reg1", "kind": "register",
                            "host": "sip.example.net",
                            "username": "0123456789", "secret": SECRET,
                            "transport": "tcp", "channels": 4})
    assert status == 201, body
    assert body["secret_set"] is True and body["kind"] == "register"
    assert body["transport"] == "tcp" and body["channels"] == 4
    assert body["expires"] == 600 and body["port"] == 0
    assert body["enabled"] is True
    assert SECRET not in json.dumps(body) and "secret" not in body
    for role in ("admin", "auditor"):
        status, _, body = api.get("/api/v1/trunks/reg1", keys[role])
        assert status == 200 and body["secret_set"] is True, body
        assert SECRET not in json.dumps(body)
        status, _, body = api.get("/api/v1/trunks", keys[role])
        assert status == 200 and body["total"] == 1, body
        assert body["items"][0]["name"] == "reg1"
        assert SECRET not in json.dumps(body)
    [e] = audit(api, admin, "trunk.add", "reg1")
    assert e["actor"] == "apikey:" + keys["admin_id"]
    assert e["role"] == "admin" and e["source"] == "127.0.0.1"
    assert e["before"] == ""
    after = json.loads(e["after"])
    assert after["secret"] == "set" and after["username"] == "0123456789"
    assert after["codecs"] == "any" and after["channels"] == 4
    # A new secret replaces the old one; neither is ever shown.
    status, _, body = call(api, "PATCH", "/api/v1/trunks/reg1", admin,
                           {"secret": SECRET + "-2"})
    assert status == 200 and body["secret_set"] is True, body
    [e] = audit(api, admin, "trunk.set", "reg1")
    assert json.loads(e["after"])["credentials"] == "replaced"
    status, _, everything = api.get("/api/v1/audit?limit=1000", admin)
    assert SECRET not in json.dumps(everything)
    assert SECRET not in d.log.read_text()
    # The command line reads what the API wrote.
    r = data.cli("trunk", "show", "reg1")
    assert r.returncode == 0, r.stderr
    assert "secret:       set" in r.stdout and SECRET not in r.stdout
    r = data.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


def test_trunk_changes(pbx, data, keys):
    d = start(pbx)
    api, admin = d.api, keys["admin"]
    status, _, body = call(api, "POST", "/api/v1/trunks", admin, ip_trunk())
    assert status == 201 and body["secret_set"] is False, body
    wait_log(d, 'msg="trunks loaded" trunks=1 usable=1 routes=0')
    status, headers, out = call(api, "POST", "/api/v1/trunks", admin,
                                ip_trunk())
    assert_error(status, headers, out, 409, "exists")
    # Any field; "none" and "any" clear as on the command line.
    status, _, body = call(api, "PATCH", "/api/v1/trunks/op1", admin,
                           {"channels": 2, "codecs": "PCMA,PCMU",
                            "realm": "carrier.test",
                            "outbound_cid": "+33199000000"})
    assert status == 200, body
    assert body["channels"] == 2 and body["codecs"] == "PCMA,PCMU"
    assert body["realm"] == "carrier.test"
    assert body["host"] == CARRIER and body["port"] == 5070
    [e] = audit(api, admin, "trunk.set", "op1")
    assert json.loads(e["before"])["channels"] == 10
    assert json.loads(e["after"])["channels"] == 2
    status, _, body = call(api, "PATCH", "/api/v1/trunks/op1", admin,
                           {"codecs": "any", "realm": "none"})
    assert status == 200 and body["codecs"] == "" and body["realm"] == ""
    # An IP trunk's secret (for operators that challenge our calls).
    status, _, body = call(api, "PATCH", "/api/v1/trunks/op1", admin,
                           {"secret": SECRET})
    assert status == 200 and body["secret_set"] is True, body
    # Disable and enable, audited as `rempart trunk disable|enable`; a
    # disabled trunk is not loaded.
    status, _, body = call(api, "PATCH", "/api/v1/trunks/op1", admin,
                           {"enabled": False})
    assert status == 200 and body["enabled"] is False, body
    wait_load(d, "trunks=0 usable=0 routes=0")
    [e] = audit(api, admin, "trunk.disable", "op1")
    assert json.loads(e["before"]) == {"enabled": True}
    assert json.loads(e["after"]) == {"enabled": False}
    status, _, body = call(api, "PATCH", "/api/v1/trunks/op1", admin,
                           {"enabled": True})
    assert status == 200 and body["enabled"] is True, body
    assert len(audit(api, admin, "trunk.enable", "op1")) == 1
    # A route names it: 409 until the route is gone.
    status, _, body = call(api, "POST", "/api/v1/routes", admin,
                           {"name": "out", "pattern": "0.",
                            "trunks": ["op1"]})
    assert status == 201, body
    status, headers, out = call(api, "DELETE", "/api/v1/trunks/op1", admin)
    assert_error(status, headers, out, 409, "in_use")
    assert "route out" in out["error"]["message"]
    assert call(api, "DELETE", "/api/v1/routes/out", admin)[0] == 200
    status, _, out = call(api, "DELETE", "/api/v1/trunks/op1", admin)
    assert status == 200 and out == {"name": "op1", "removed": True}, out
    [e] = audit(api, admin, "trunk.remove", "op1")
    assert json.loads(e["before"])["secret"] == "set" and e["after"] == ""
    assert SECRET not in json.dumps(e)
    # Gone.
    for method, body in (("GET", None), ("PATCH", {"channels": 3}),
                         ("DELETE", None)):
        status, headers, out = call(api, method, "/api/v1/trunks/op1",
                                    admin, body)
        assert_error(status, headers, out, 404, "not_found")
    status, headers, out = api.get("/api/v1/trunks/Op!1", admin)
    assert_error(status, headers, out, 400, "invalid_parameter")
    r = data.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("change,field", [
    ({"name": "Op1"}, "name"),
    ({"name": "a" * 33}, "name"),
    ({"name": 7}, "name"),
    ({"kind": "sip"}, "kind"),
    ({"kind": None}, "kind"),
    ({"host": "bad host"}, "host"),
    ({"host": ""}, "host"),
    ({"port": 65536}, "port"),
    ({"port": "5060"}, "port"),
    ({"port": -1}, "port"),
    ({"transport": "sctp"}, "transport"),
    ({"channels": 0}, "channels"),
    ({"channels": 10001}, "channels"),
    ({"expires": 59}, "expires"),
    ({"acl": ""}, "acl"),
    ({"acl": "192.0.2.1/8"}, "acl"),
    ({"codecs": "PCMA,PCMA"}, "codecs"),
    ({"outbound_cid": "0123"}, "outbound_cid"),
    ({"realm": 'a"b'}, "realm"),
    ({"auth_user": "a b"}, "auth_user"),
    ({"secret": ""}, "secret"),
    ({"secret": "with space"}, "secret"),
    ({"secret": "x" * 129}, "secret"),
    ({"kind": "register", "username": "u1"}, "secret"),
    ({"kind": "register", "secret": SECRET}, "username"),
    ({"enabled": False}, "member"),
    ({"password": "x"}, "member"),
])
def test_trunk_bad_input(pbx, keys, change, field):
    d = start(pbx)
    body = dict(ip_trunk(), **change)
    body = {k: v for k, v in body.items() if v is not None}
    status, headers, out = call(d.api, "POST", "/api/v1/trunks",
                                keys["admin"], body)
    assert_error(status, headers, out, 400, "invalid_body")
    if field == "member":
        assert "unknown member" in out["error"]["message"], out
    else:
        assert f"'{field}'" in out["error"]["message"], out
    status, _, out = d.api.get("/api/v1/trunks", keys["admin"])
    assert out["total"] == 0, out
    assert SECRET not in d.log.read_text()


def test_trunk_patch_bad_input(pbx, keys):
    d = start(pbx)
    api, admin = d.api, keys["admin"]
    assert call(api, "POST", "/api/v1/trunks", admin, ip_trunk())[0] == 201
    for change, field in (({"acl": "none"}, "acl"),
                          ({"kind": "register", "username": "u"},
                           "secret"),
                          ({"enabled": "no"}, "enabled"),
                          ({"channels": 1.5}, "channels"),
                          ({"host": 7}, "host")):
        status, headers, out = call(api, "PATCH", "/api/v1/trunks/op1",
                                    admin, change)
        assert_error(status, headers, out, 400, "invalid_body")
        assert f"'{field}'" in out["error"]["message"], (change, out)
    for change in ({}, {"name": "op2"}):
        status, headers, out = call(api, "PATCH", "/api/v1/trunks/op1",
                                    admin, change)
        assert_error(status, headers, out, 400, "invalid_body")
    status, _, body = api.get("/api/v1/trunks/op1", admin)
    assert body["acl"] == CARRIER and body["kind"] == "ip", body
    assert audit(api, admin, "trunk.set", "op1") == []


def test_routes(pbx, data, keys):
    d = start(pbx)
    api, admin = d.api, keys["admin"]
    for name in ("op1", "op2"):
        assert call(api, "POST", "/api/v1/trunks", admin,
                    ip_trunk(name))[0] == 201
    status, _, body = call(api, "POST", "/api/v1/routes", admin,
                           {"name": "out", "pattern": "0xx.",
                            "trunks": ["op1", "op2"], "strip": 1,
                            "prepend": "+33"})
    assert status == 201, body
    assert body["pattern"] == "0XX." and body["priority"] == 100
    assert body["trunks"] == ["op1", "op2"] and body["strip"] == 1
    # The command line's form of the list is taken too.
    status, _, body = call(api, "POST", "/api/v1/routes", admin,
                           {"name": "emergency", "pattern": "112",
                            "trunks": "op2,op1", "priority": 1})
    assert status == 201 and body["trunks"] == ["op2", "op1"], body
    status, _, body = api.get("/api/v1/routes", keys["auditor"])
    assert status == 200 and body["total"] == 2
    assert [r["name"] for r in body["items"]] == ["emergency", "out"]
    r = data.cli("route", "test", "0612345678")
    assert r.returncode == 0 and "number: +33612345678" in r.stdout, r
    status, _, body = call(api, "PATCH", "/api/v1/routes/out", admin,
                           {"trunks": ["op2"], "strip": 0, "prepend": ""})
    assert status == 200, body
    assert body["trunks"] == ["op2"] and body["pattern"] == "0XX."
    [e] = audit(api, admin, "route.set", "out")
    assert json.loads(e["before"])["trunks"] == "op1,op2"
    assert json.loads(e["after"]) == {"pattern": "0XX.", "priority": 100,
                                      "strip": 0, "prepend": "",
                                      "trunks": "op2", "enabled": True}
    [e] = audit(api, admin, "route.add", "emergency")
    assert json.loads(e["after"])["trunks"] == "op2,op1"
    status, headers, out = call(api, "POST", "/api/v1/routes", admin,
                                {"name": "out", "pattern": "1.",
                                 "trunks": ["op1"]})
    assert_error(status, headers, out, 409, "exists")
    for bad, field in (({"pattern": "0a"}, "pattern"),
                       ({"pattern": ""}, "pattern"),
                       ({"priority": 1000001}, "priority"),
                       ({"strip": 21}, "strip"),
                       ({"prepend": "x"}, "prepend"),
                       ({"trunks": []}, "trunks"),
                       ({"trunks": ["op1", "op1"]}, "trunks"),
                       ({"trunks": ["op9"]}, "trunks"),
                       ({"trunks": "op1,,op2"}, "trunks"),
                       ({"trunks": [["op1"]]}, "trunks"),
                       ({"trunks": ["t%d" % i for i in range(9)]},
                        "trunks")):
        for method, path, body in (
                ("POST", "/api/v1/routes",
                 dict({"name": "r2", "pattern": "2.",
                       "trunks": ["op1"]}, **bad)),
                ("PATCH", "/api/v1/routes/out", bad)):
            status, headers, out = call(api, method, path, admin, body)
            assert_error(status, headers, out, 400, "invalid_body")
            assert f"'{field}'" in out["error"]["message"], (bad, out)
    status, _, out = call(api, "POST", "/api/v1/routes", admin,
                          {"name": "r2", "pattern": "2.",
                           "trunks": ["op9"]})
    assert "no trunk op9" in out["error"]["message"], out
    for bad, field in (({"pattern": "2."}, "name"),
                       ({"name": "R2", "pattern": "2.",
                         "trunks": ["op1"]}, "name"),
                       ({"name": "r2", "trunks": ["op1"]}, "pattern"),
                       ({"name": "r2", "pattern": "2."}, "trunks")):
        status, headers, out = call(api, "POST", "/api/v1/routes", admin,
                                    bad)
        assert_error(status, headers, out, 400, "invalid_body")
        assert f"'{field}'" in out["error"]["message"], (bad, out)
    status, _, body = api.get("/api/v1/routes/out", admin)
    assert body["trunks"] == ["op2"], body
    for method in ("GET", "PATCH", "DELETE"):
        status, headers, out = call(api, method, "/api/v1/routes/nope",
                                    admin, {"strip": 1}
                                    if method == "PATCH" else None)
        assert_error(status, headers, out, 404, "not_found")
    status, _, out = call(api, "DELETE", "/api/v1/routes/out", admin)
    assert status == 200 and out == {"name": "out", "removed": True}
    [e] = audit(api, admin, "route.remove", "out")
    assert json.loads(e["before"])["trunks"] == "op2" and e["after"] == ""
    r = data.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


def test_dids(pbx, data, keys):
    d = start(pbx)
    api, admin = d.api, keys["admin"]
    status, _, body = call(api, "POST", "/api/v1/dids", admin,
                           {"number": DID, "ext": "101"})
    assert status == 201, body
    assert body == dict(body, number=DID, ext="101", alternate="",
                        ring_timeout=30, enabled=True)
    status, _, body = api.get("/api/v1/dids/" + DID, keys["auditor"])
    assert status == 200 and body["ext"] == "101", body
    # '+' escaped too.
    status, _, body = api.get("/api/v1/dids/" + urllib.parse.quote(DID),
                              admin)
    assert status == 200 and body["number"] == DID, body
    status, _, body = call(api, "PATCH", "/api/v1/dids/" + DID, admin,
                           {"alternate": "102", "ring_timeout": 15})
    assert status == 200, body
    assert body["alternate"] == "102" and body["ring_timeout"] == 15
    [e] = audit(api, admin, "did.set", DID)
    assert json.loads(e["before"]) == {"to": "101", "alternate": "",
                                       "ring_timeout": 30,
                                       "enabled": True}
    assert json.loads(e["after"])["alternate"] == "102"
    status, _, body = call(api, "PATCH", "/api/v1/dids/" + DID, admin,
                           {"alternate": "none"})
    assert status == 200 and body["alternate"] == "", body
    status, _, body = api.get("/api/v1/dids", admin)
    assert body["total"] == 1 and body["items"][0]["number"] == DID
    r = data.cli("did", "list")
    assert DID in r.stdout, r.stdout
    status, headers, out = call(api, "POST", "/api/v1/dids", admin,
                                {"number": DID, "ext": "102"})
    assert_error(status, headers, out, 409, "exists")
    for bad, field in (({"number": "0199000001"}, "number"),
                       ({"number": 33199000001}, "number"),
                       ({"ext": "../x"}, "ext"),
                       ({"ext": "999"}, "ext"),
                       ({"alternate": "999"}, "alternate"),
                       ({"alternate": "101"}, "alternate"),
                       ({"alternate": "a b"}, "alternate"),
                       ({"ring_timeout": 4}, "ring_timeout"),
                       ({"ring_timeout": 301}, "ring_timeout"),
                       ({"ring_timeout": "30"}, "ring_timeout")):
        body = dict({"number": "+33199000002", "ext": "101"}, **bad)
        status, headers, out = call(api, "POST", "/api/v1/dids", admin,
                                    body)
        assert_error(status, headers, out, 400, "invalid_body")
        assert f"'{field}'" in out["error"]["message"], (bad, out)
        if field != "number":
            status, headers, out = call(api, "PATCH", "/api/v1/dids/" + DID,
                                        admin, bad)
            assert_error(status, headers, out, 400, "invalid_body")
            assert f"'{field}'" in out["error"]["message"], (bad, out)
    status, _, body = api.get("/api/v1/dids/" + DID, admin)
    assert body["ext"] == "101" and body["ring_timeout"] == 15, body
    status, headers, out = api.get("/api/v1/dids/0199", admin)
    assert_error(status, headers, out, 400, "invalid_parameter")
    for method in ("GET", "PATCH", "DELETE"):
        status, headers, out = call(api, method,
                                    "/api/v1/dids/+33199000009", admin,
                                    {"ext": "101"}
                                    if method == "PATCH" else None)
        assert_error(status, headers, out, 404, "not_found")
    status, _, out = call(api, "DELETE", "/api/v1/dids/" + DID, admin)
    assert status == 200 and out == {"number": DID, "removed": True}
    [e] = audit(api, admin, "did.remove", DID)
    assert json.loads(e["before"])["to"] == "101" and e["after"] == ""
    r = data.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr


def test_roles(pbx, keys):
    """Admin changes; the auditor reads; helpdesk and user keys reach
    none of it."""
    d = start(pbx)
    api = d.api
    writes = [("POST", "/api/v1/trunks", ip_trunk()),
              ("PATCH", "/api/v1/trunks/op1", {"channels": 3}),
              ("POST", "/api/v1/routes", {"name": "out", "pattern": "0.",
                                          "trunks": ["op1"]}),
              ("PATCH", "/api/v1/routes/out", {"priority": 5}),
              ("POST", "/api/v1/dids", {"number": DID, "ext": "101"}),
              ("PATCH", "/api/v1/dids/" + DID, {"ring_timeout": 20}),
              ("DELETE", "/api/v1/dids/" + DID, None),
              ("DELETE", "/api/v1/routes/out", None),
              ("DELETE", "/api/v1/trunks/op1", None)]
    reads = ["/api/v1/trunks", "/api/v1/trunks/op1", "/api/v1/routes",
             "/api/v1/routes/out", "/api/v1/dids", "/api/v1/dids/" + DID]
    for method, path, body in writes:
        for role in ("auditor", "helpdesk", "user"):
            status, headers, out = call(api, method, path, keys[role], body)
            assert_error(status, headers, out, 403, "forbidden")
        status, _, out = call(api, method, path, keys["admin"], body)
        assert status in (200, 201), (method, path, out)
        if method == "POST" and path.endswith("dids"):
            for rpath in reads:
                for role in ("admin", "auditor"):
                    status, _, out = api.get(rpath, keys[role])
                    assert status == 200, (rpath, role, out)
                for role in ("helpdesk", "user"):
                    status, headers, out = api.get(rpath, keys[role])
                    assert_error(status, headers, out, 403, "forbidden")


def test_call_through_trunk_made_by_api(sipp, pbx, data, keys, tmp_path):
    """An IP trunk and a route created through the API carry a call."""
    d = start(pbx)
    api, admin = d.api, keys["admin"]
    port = free_port()
    status, _, body = call(api, "POST", "/api/v1/trunks", admin,
                           ip_trunk("op1", port))
    assert status == 201, body
    status, _, body = call(api, "POST", "/api/v1/routes", admin,
                           {"name": "out", "pattern": "0.",
                            "trunks": ["op1"]})
    assert status == 201, body
    wait_log(d, 'msg="trunks loaded" trunks=1 usable=1 routes=1')
    op = start_uas(sipp, tmp_path, "op1", "carrier_ok.xml", port,
                   addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], NUMBER, data.realm)
    rc_uac, rc_op = finish(uac, op)
    assert rc_uac == 0 and rc_op == 0, f"{uac}\n{op}"
    assert uac.counts() == (1, 0), uac
    check_carrier_leg(uac, op)
    row = ext_cdr_for(data, "100", NUMBER)
    assert disposition(row) in ANSWERED, row
    assert "via op1" in row["reason"], row


def test_inbound_did_made_by_api(sipp, pbx, data, keys, tmp_path):
    """A DID created through the API routes the carrier's INVITE (from
    the trunk's address) to its extension."""
    d = start(pbx)
    api, admin = d.api, keys["admin"]
    status, _, body = call(api, "POST", "/api/v1/trunks", admin,
                           ip_trunk("op1", free_port()))
    assert status == 201, body
    wait_log(d, 'msg="trunks loaded" trunks=1 usable=1 routes=0')
    # The next reload is the DID's.
    before = reloads(d)
    status, _, body = call(api, "POST", "/api/v1/dids", admin,
                           {"number": DID, "ext": "101"})
    assert status == 201, body
    wait_reload(d, before)
    port = free_port()
    register_at(d, data, "101", port)
    uas = start_uas(sipp, tmp_path, "uas", "call_uas.xml", port)
    op = carrier_call(sipp, tmp_path, d, data)
    rc_op, rc_uas = finish(op, uas)
    assert rc_op == 0 and rc_uas == 0, f"{op}\n{uas}"
    assert op.counts() == (1, 0), op
    assert not op.received("SIP/2.0 407"), op
    b = uas.received("INVITE ")[0]
    assert b.split("\n", 1)[0].startswith("INVITE sip:101@127.0.0.1:"), b
    row = cdr_for(data, CALLER, DID)
    assert disposition(row) in ANSWERED, row
    assert row["callee"] == "101", row
