"""Rights profiles, the rate table, ceilings, anti-fraud rules and lists
and the system settings through the HTTPS API, against the real daemon
(R-ADMIN-1, R-ADMIN-2, R-ADMIN-4, R-FRAUD-1, R-FRAUD-2, R-FRAUD-3,
R-FRAUD-5). Each change is checked as the command line checks it,
refused to the roles without the right, written with its audit entry
(before and after) and followed by a reload that the running daemon
acts on: a profile lowered through the API stops an international call
at once."""
import json
import time
import urllib.parse

import pytest

from conftest import Daemon, free_port
from test_api import Api, assert_error, make_key, tcp_port
from test_calls import final_code, finish, pbx, refused, sipp, start_uac, \
    start_uas
from test_trunk_calls import CARRIER, NO_PROBES, add_trunks, \
    check_carrier_leg

__all__ = ["pbx", "sipp"]

ROLES = ("admin", "auditor", "helpdesk", "user")


@pytest.fixture
def api_pbx(rempartd, data):
    port = tcp_port()
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}"])
    d.api = Api(data, port)
    yield d
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


@pytest.fixture
def keys(data):
    out = {}
    for role in ROLES:
        key, ident = make_key(data, role, "101" if role == "user" else None)
        out[role] = key
        out[role + "_id"] = ident
    return out


def call(api, method, path, key, body=None, raw=None, ctype=None):
    headers = {"Content-Type": ctype or "application/json"}
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    return api.get(path, key, method=method, body=data, headers=headers)


def announce(api, path, key, length):
    """Sends only the headers of an import of `length` bytes: a body
    over the limit is refused before it is read."""
    conn = api.connect()
    try:
        conn.putrequest("POST", path)
        conn.putheader("Authorization", "Bearer " + key)
        conn.putheader("Content-Type", "text/csv")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), json.loads(r.read())
    finally:
        conn.close()


def ok(status, body, want=200):
    assert status == want, body
    return body


def audit(api, key, action, obj=None):
    status, _, body = api.get("/api/v1/audit?limit=1000", key)
    assert status == 200, body
    return [e for e in body["items"] if e["action"] == action and
            (obj is None or e["object"] == obj)]


def bad_field(status, headers, body, field):
    assert_error(status, headers, body, 400, "invalid_body")
    assert f"'{field}'" in body["error"]["message"], body


RATES = ("# test rates\n"
         "+ 1.00 0 60 60 world\n"
         "+33 0.02 0 1 1 France\n"
         "+336 0.10 0.05 30 6 French mobiles\n"
         "+44 0.60 0 1 1 United Kingdom\n")

# Each read endpoint and the roles it admits: 200, else 403.
READS = {
    "/api/v1/profiles": {"admin", "auditor"},
    "/api/v1/profiles/staff": {"admin", "auditor"},
    "/api/v1/rights/default": {"admin", "auditor"},
    "/api/v1/rates": {"admin", "auditor"},
    "/api/v1/rates/%2B33": {"admin", "auditor"},
    "/api/v1/rates/lookup?number=%2B33612345678": {"admin", "auditor"},
    "/api/v1/ceilings": {"admin", "auditor"},
    "/api/v1/fraud/rules": {"admin", "auditor"},
    "/api/v1/fraud/settings": {"admin", "auditor"},
    "/api/v1/fraud/lists": {"admin", "auditor"},
    "/api/v1/settings": {"admin", "auditor"},
}

# Writes: admin only. Each body is valid, so admin gets a 2xx.
WRITES = [
    ("PUT", "/api/v1/rights/default", {"profile": "staff"}),
    ("PUT", "/api/v1/users/102/profile", {"profile": "lobby"}),
    ("POST", "/api/v1/profiles", {"name": "night", "classes": "internal"}),
    ("PATCH", "/api/v1/profiles/lobby", {"deny": "+33899"}),
    ("PUT", "/api/v1/rates/%2B49", {"per_minute": "0.05", "incr_s": 1}),
    ("PUT", "/api/v1/ceilings/global", {"daily": "100"}),
    ("PUT", "/api/v1/ceilings/user/103", {"hourly": "5"}),
    ("PATCH", "/api/v1/fraud/rules/call-rate", {"count": 9}),
    ("PATCH", "/api/v1/fraud/settings", {"cut_running": True}),
    ("PUT", "/api/v1/fraud/lists", {"deny": "+882"}),
    ("PATCH", "/api/v1/settings", {"audit_retention_days": 500}),
]


def test_roles(api_pbx, data, keys, tmp_path):
    """R-ADMIN-1: admin reads and writes; the auditor reads; helpdesk
    and users get neither (helpdesk never reaches rights)."""
    f = tmp_path / "rates.txt"
    f.write_text(RATES)
    assert data.cli("rate", "import", str(f)).returncode == 0
    api = api_pbx.api
    for path, allowed in READS.items():
        for role in ROLES:
            status, headers, body = api.get(path, keys[role])
            if role in allowed:
                assert status == 200, (path, role, body)
            else:
                assert_error(status, headers, body, 403, "forbidden")
    for method, path, body in WRITES:
        for role in ("auditor", "helpdesk", "user"):
            status, headers, out = call(api, method, path, keys[role], body)
            assert_error(status, headers, out, 403, "forbidden")
        status, _, out = call(api, method, path, keys["admin"], body)
        assert status in (200, 201), (method, path, out)
    status, headers, out = call(api, "POST", "/api/v1/rates/import",
                                keys["auditor"], raw=RATES.encode(),
                                ctype="text/csv")
    assert_error(status, headers, out, 403, "forbidden")
    status, headers, out = call(api, "DELETE", "/api/v1/profiles/night",
                                keys["helpdesk"])
    assert_error(status, headers, out, 403, "forbidden")


def test_profiles(api_pbx, keys):
    api, admin = api_pbx.api, keys["admin"]
    status, _, body = api.get("/api/v1/profiles?limit=2", admin)
    body = ok(status, body)
    assert body["total"] == 3 and len(body["items"]) == 2
    names = [p["name"] for p in body["items"]]
    assert names == sorted(names)
    status, _, body = api.get("/api/v1/profiles/staff", admin)
    body = ok(status, body)
    assert body["default"] is True and body["members"] == 0
    assert "international" not in body["classes"].split(",")

    new = {"name": "sales", "classes": "internal,emergency,national",
           "window_classes": "international",
           "window": "mon-fri/08:00-19:00", "allow": "+44, +33",
           "deny": "+44870"}
    status, _, body = call(api, "POST", "/api/v1/profiles", admin, new)
    body = ok(status, body, 201)
    assert body["name"] == "sales" and body["default"] is False
    assert body["allow"] == "+44,+33" and body["window_classes"] == \
        "international"
    assert body["window"] == "mon-fri/08:00-19:00"
    status, headers, body = call(api, "POST", "/api/v1/profiles", admin,
                                 new)
    assert_error(status, headers, body, 409, "exists")
    [e] = audit(api, admin, "profile.add", "sales")
    assert e["actor"] == "apikey:" + keys["admin_id"]
    assert e["role"] == "admin" and e["before"] == ""
    assert json.loads(e["after"]) == {
        "classes": "internal,emergency,national", "window_classes":
        "international", "window": "mon-fri/08:00-19:00",
        "allow": "+44,+33", "deny": "+44870"}

    status, _, body = call(api, "PATCH", "/api/v1/profiles/sales", admin,
                           {"window_classes": "", "window": "",
                            "deny": ""})
    body = ok(status, body)
    assert body["window"] == "" and body["deny"] == ""
    assert body["classes"] == "internal,emergency,national"
    [e] = audit(api, admin, "profile.set", "sales")
    assert json.loads(e["before"])["deny"] == "+44870"
    assert json.loads(e["after"])["window_classes"] == ""

    # A user gets it; the profile is then in use.
    status, _, body = call(api, "PUT", "/api/v1/users/104/profile", admin,
                           {"profile": "sales"})
    assert ok(status, body) == {"ext": "104", "profile": "sales"}
    [e] = audit(api, admin, "user.set", "104")
    assert json.loads(e["before"]) == {"profile": ""}
    assert json.loads(e["after"]) == {"profile": "sales"}
    status, _, body = api.get("/api/v1/profiles/sales", admin)
    assert ok(status, body)["members"] == 1
    status, headers, body = call(api, "DELETE", "/api/v1/profiles/sales",
                                 admin)
    assert_error(status, headers, body, 409, "in_use")
    assert "104" in body["error"]["message"]
    status, headers, body = call(api, "DELETE", "/api/v1/profiles/staff",
                                 admin)
    assert_error(status, headers, body, 409, "in_use")
    assert "default" in body["error"]["message"]
    status, _, body = call(api, "PUT", "/api/v1/users/104/profile", admin,
                           {"profile": None})
    assert ok(status, body)["profile"] is None
    status, _, body = call(api, "DELETE", "/api/v1/profiles/sales", admin)
    assert ok(status, body)["removed"] is True
    [e] = audit(api, admin, "profile.remove", "sales")
    assert json.loads(e["before"])["classes"] == \
        "internal,emergency,national" and e["after"] == ""

    # The default profile.
    status, _, body = call(api, "PUT", "/api/v1/rights/default", admin,
                           {"profile": "lobby"})
    assert ok(status, body) == {"profile": "lobby"}
    status, _, body = api.get("/api/v1/rights/default", keys["auditor"])
    assert ok(status, body) == {"profile": "lobby"}
    [e] = audit(api, admin, "profile.default", "lobby")
    assert json.loads(e["before"]) == {"default": "staff"}
    assert json.loads(e["after"]) == {"default": "lobby"}

    # 404s.
    for method, path, body in (
            ("GET", "/api/v1/profiles/nosuch", None),
            ("PATCH", "/api/v1/profiles/nosuch", {"deny": ""}),
            ("DELETE", "/api/v1/profiles/nosuch", None),
            ("PUT", "/api/v1/rights/default", {"profile": "nosuch"}),
            ("PUT", "/api/v1/users/104/profile", {"profile": "nosuch"}),
            ("PUT", "/api/v1/users/999/profile", {"profile": "staff"})):
        status, headers, out = call(api, method, path, admin, body)
        assert_error(status, headers, out, 404, "not_found")


@pytest.mark.parametrize("body,field", [
    ({"name": "Bad Name", "classes": "internal"}, "name"),
    ({"name": "x" * 33, "classes": "internal"}, "name"),
    ({"classes": "internal"}, "name"),
    ({"name": "p1"}, "classes"),
    ({"name": "p1", "classes": "internal,moon"}, "classes"),
    ({"name": "p1", "classes": 7}, "classes"),
    ({"name": "p1", "classes": "internal", "allow": "+33x"}, "allow"),
    ({"name": "p1", "classes": "internal", "deny": "33"}, "deny"),
    ({"name": "p1", "classes": "internal", "window": "mon/25:00-26:00",
      "window_classes": "international"}, "window"),
    ({"name": "p1", "classes": "internal", "window": "mon-fri/08:00-19:00"},
     "window_classes"),
    ({"name": "p1", "classes": "internal,international",
      "window_classes": "international", "window": "all/08:00-19:00"},
     "window_classes"),
])
def test_profile_bad_input(api_pbx, keys, body, field):
    api = api_pbx.api
    status, headers, out = call(api, "POST", "/api/v1/profiles",
                                keys["admin"], body)
    bad_field(status, headers, out, field)
    assert api.get("/api/v1/profiles/p1", keys["admin"])[0] == 404


def test_profile_bad_requests(api_pbx, keys):
    api, admin = api_pbx.api, keys["admin"]
    for method, path, body, code in (
            ("PATCH", "/api/v1/profiles/staff", {}, "invalid_body"),
            ("PATCH", "/api/v1/profiles/staff", {"name": "x"},
             "invalid_body"),
            ("PUT", "/api/v1/users/100/profile", {}, "invalid_body"),
            ("PUT", "/api/v1/users/100/profile", {"profile": 3},
             "invalid_body"),
            ("PUT", "/api/v1/rights/default", {"profile": ""},
             "invalid_body"),
            ("GET", "/api/v1/profiles/Bad%20Name", None,
             "invalid_parameter")):
        status, headers, out = call(api, method, path, admin, body)
        assert_error(status, headers, out, 400, code)
    status, _, body = api.get("/api/v1/profiles/staff", admin)
    assert ok(status, body)["classes"] == \
        "internal,emergency,local,national,mobile,special"


def test_rates(api_pbx, keys):
    api, admin = api_pbx.api, keys["admin"]
    status, _, body = call(api, "POST", "/api/v1/rates/import", admin,
                           raw=RATES.encode(), ctype="text/csv")
    assert ok(status, body) == {"imported": 4, "replaced": 0}
    [e] = audit(api, admin, "rate.import", "rates")
    assert json.loads(e["after"]) == {"rates": 4, "bytes": len(RATES)}
    status, _, body = api.get("/api/v1/rates?prefix=%2B33", admin)
    body = ok(status, body)
    assert [r["prefix"] for r in body["items"]] == ["+33", "+336"]
    assert body["total"] == 2
    assert body["items"][1] == {"prefix": "+336", "per_minute": "0.100000",
                                "setup": "0.050000", "first_s": 30,
                                "incr_s": 6, "label": "French mobiles"}
    status, _, body = api.get("/api/v1/rates?limit=1&offset=1", admin)
    body = ok(status, body)
    assert body["total"] == 4 and body["items"][0]["prefix"] == "+33"
    status, _, body = api.get(
        "/api/v1/rates/lookup?number=%2B33612345678", admin)
    body = ok(status, body)
    assert body["prefix"] == "+336" and body["class"] == "mobile"
    assert body["number"] == "+33612345678"
    assert body["one_minute"] == "0.150000"
    status, _, body = api.get("/api/v1/rates/lookup?number=442012345678",
                              admin)
    assert ok(status, body)["class"] == "international"

    # One rate: added, replaced, removed.
    status, _, body = call(api, "PUT", "/api/v1/rates/%2B4420", admin,
                           {"per_minute": "0.5", "incr_s": 60,
                            "label": "London"})
    body = ok(status, body, 201)
    assert body["per_minute"] == "0.500000" and body["first_s"] == 0
    status, _, body = call(api, "PUT", "/api/v1/rates/%2B4420", admin,
                           {"per_minute": "0.4", "setup": "0.01",
                            "first_s": 30, "incr_s": 6})
    assert ok(status, body)["setup"] == "0.010000"
    [e1, e2] = audit(api, admin, "rate.set", "+4420")
    assert e1["before"] == "" or e2["before"] == ""
    changed = e1 if e1["before"] else e2
    assert json.loads(changed["before"])["label"] == "London"
    assert json.loads(changed["after"])["per_minute"] == "0.400000"
    status, _, body = api.get("/api/v1/rates/%2B4420", keys["auditor"])
    assert ok(status, body)["incr_s"] == 6
    status, _, body = call(api, "DELETE", "/api/v1/rates/%2B4420", admin)
    assert ok(status, body)["removed"] is True
    [e] = audit(api, admin, "rate.remove", "+4420")
    assert json.loads(e["before"])["per_minute"] == "0.400000"
    for method in ("GET", "DELETE"):
        status, headers, body = call(api, method, "/api/v1/rates/%2B4420",
                                     admin)
        assert_error(status, headers, body, 404, "not_found")

    # A bad line: named, and nothing imported.
    bad = RATES + "+49 0.02 0 1 0 Germany\n"
    status, headers, body = call(api, "POST", "/api/v1/rates/import",
                                 admin, raw=bad.encode(), ctype="text/csv")
    assert_error(status, headers, body, 400, "invalid_rates")
    assert "line 6" in body["error"]["message"], body
    status, _, body = api.get("/api/v1/rates", admin)
    assert ok(status, body)["total"] == 4
    status, headers, body = call(api, "POST", "/api/v1/rates/import",
                                 admin, raw=RATES.encode())
    assert_error(status, headers, body, 415, "unsupported_media_type")


def test_rates_large_import(api_pbx, keys):
    """A table far over the JSON limit is read whole; over 8 MiB is
    413, as is any large body from a role that may not import."""
    api, admin = api_pbx.api, keys["admin"]
    lines = ["+%d 0.01 0 1 1 r%d" % (100000 + i, i) for i in range(20000)]
    text = "\n".join(lines) + "\n"
    assert len(text) > 64 * 1024
    status, _, body = call(api, "POST", "/api/v1/rates/import", admin,
                           raw=text.encode(), ctype="text/plain")
    assert ok(status, body)["imported"] == 20000
    status, _, body = api.get("/api/v1/rates?limit=1", admin)
    assert ok(status, body)["total"] == 20000
    status, headers, body = announce(api, "/api/v1/rates/import", admin,
                                     8 * 1024 * 1024 + 1)
    assert_error(status, headers, body, 413, "too_large")
    status, headers, body = announce(api, "/api/v1/rates/import",
                                     keys["auditor"], len(text))
    assert_error(status, headers, body, 413, "too_large")
    # A file of exactly 8 MiB is read whole.
    rate = b"+ 1.00 0 60 60 world\n"
    pad = b"#" * 63 + b"\n"
    full = rate + pad * ((8 * 1024 * 1024 - len(rate)) // len(pad))
    full += b"#" * (8 * 1024 * 1024 - len(full) - 1) + b"\n"
    assert len(full) == 8 * 1024 * 1024
    status, headers, body = call(api, "POST", "/api/v1/rates/import",
                                 admin, raw=full, ctype="text/csv")
    assert ok(status, body) == {"imported": 1, "replaced": 20000}
    status, _, body = api.get("/api/v1/rates", admin)
    assert ok(status, body)["total"] == 1


@pytest.mark.parametrize("body,field", [
    ({"incr_s": 1}, "per_minute"),
    ({"per_minute": 0.5, "incr_s": 1}, "per_minute"),
    ({"per_minute": "0.1234567", "incr_s": 1}, "per_minute"),
    ({"per_minute": "1000.01", "incr_s": 1}, "per_minute"),
    ({"per_minute": "0.1"}, "incr_s"),
    ({"per_minute": "0.1", "incr_s": 0}, "incr_s"),
    ({"per_minute": "0.1", "incr_s": 3601}, "incr_s"),
    ({"per_minute": "0.1", "incr_s": 1, "first_s": -1}, "first_s"),
    ({"per_minute": "0.1", "incr_s": 1, "setup": "x"}, "setup"),
    ({"per_minute": "0.1", "incr_s": 1, "label": "a\tb"}, "label"),
    ({"per_minute": "0.1", "incr_s": 1, "label": "x" * 48}, "label"),
])
def test_rate_bad_input(api_pbx, keys, body, field):
    status, headers, out = call(api_pbx.api, "PUT", "/api/v1/rates/%2B49",
                                keys["admin"], body)
    bad_field(status, headers, out, field)


def test_rate_bad_params(api_pbx, keys):
    api, admin = api_pbx.api, keys["admin"]
    for path in ("/api/v1/rates/49", "/api/v1/rates/%2B4x",
                 "/api/v1/rates?prefix=abc",
                 "/api/v1/rates/lookup?number=%2B33abc",
                 "/api/v1/rates/lookup"):
        status, headers, body = api.get(path, admin)
        assert_error(status, headers, body, 400, "invalid_parameter")
    status, headers, body = api.get(
        "/api/v1/rates/lookup?number=%2B33612345678", admin)
    assert_error(status, headers, body, 404, "not_found")


def test_ceilings(api_pbx, keys):
    api, admin = api_pbx.api, keys["admin"]
    status, _, body = call(api, "PUT", "/api/v1/ceilings/user/100", admin,
                           {"daily": "0.05"})
    body = ok(status, body)
    assert body["scope"] == "user" and body["name"] == "100"
    assert body["daily"] == "0.050000" and body["hourly"] is None
    status, _, body = call(api, "PUT", "/api/v1/ceilings/user/100", admin,
                           {"hourly": "0.02"})
    body = ok(status, body)
    assert body["daily"] == "0.050000" and body["hourly"] == "0.020000"
    status, _, body = call(api, "PUT", "/api/v1/ceilings/global", admin,
                           {"hourly": "100", "daily": "500.5"})
    assert ok(status, body)["name"] is None
    status, _, body = api.get("/api/v1/ceilings", keys["auditor"])
    body = ok(status, body)
    assert [(c["scope"], c["name"]) for c in body["items"]] == \
        [("global", None), ("user", "100")]
    entries = audit(api, admin, "ceiling.set", "user:100")
    assert len(entries) == 2
    befores = sorted(json.loads(e["before"])["hourly"] for e in entries)
    afters = sorted(json.loads(e["after"])["daily"] for e in entries)
    assert befores == [0, 0] and afters == [50000, 50000]
    # The command line sees the API's ceilings.
    status, _, body = call(api, "PUT", "/api/v1/ceilings/user/100", admin,
                           {"daily": None})
    assert ok(status, body)["daily"] is None
    status, _, body = call(api, "DELETE", "/api/v1/ceilings/user/100",
                           admin)
    assert ok(status, body) == {"object": "user:100", "removed": True}
    [e] = audit(api, admin, "ceiling.remove", "user:100")
    assert json.loads(e["before"]) == {"hourly": 20000, "daily": 0}
    status, headers, body = call(api, "DELETE",
                                 "/api/v1/ceilings/user/100", admin)
    assert_error(status, headers, body, 404, "not_found")
    status, headers, body = call(api, "PUT", "/api/v1/ceilings/user/999",
                                 admin, {"daily": "1"})
    assert_error(status, headers, body, 404, "not_found")
    status, _, body = call(api, "DELETE", "/api/v1/ceilings/global", admin)
    assert ok(status, body)["object"] == "global"
    for body, field in (({"daily": "0"}, "daily"), ({"daily": "-1"},
                                                    "daily"),
                        ({"hourly": 5}, "hourly"),
                        ({"hourly": "1.1234567"}, "hourly"),
                        ({"hourly": "1000000001"}, "hourly")):
        status, headers, out = call(api, "PUT", "/api/v1/ceilings/global",
                                    admin, body)
        bad_field(status, headers, out, field)
    for body in ({}, {"monthly": "1"}):
        status, headers, out = call(api, "PUT", "/api/v1/ceilings/global",
                                    admin, body)
        assert_error(status, headers, out, 400, "invalid_body")
    status, headers, out = call(api, "PUT", "/api/v1/ceilings/user/a%20b",
                                admin, {"daily": "1"})
    assert_error(status, headers, out, 400, "invalid_parameter")


def test_fraud_rules_settings_lists(api_pbx, data, keys):
    api, admin = api_pbx.api, keys["admin"]
    status, _, body = api.get("/api/v1/fraud/rules", keys["auditor"])
    rules = {r["name"]: r for r in ok(status, body)["items"]}
    assert len(rules) == 9
    assert rules["call-rate"] == {"name": "call-rate", "mode": "deny",
                                  "count": 10, "window_s": 60}
    status, _, body = call(api, "PATCH", "/api/v1/fraud/rules/call-rate",
                           admin, {"mode": "block", "count": 5})
    assert ok(status, body) == {"name": "call-rate", "mode": "block",
                                "count": 5, "window_s": 60}
    [e] = audit(api, admin, "fraud.rule", "call-rate")
    assert json.loads(e["before"])["count"] == 10
    assert json.loads(e["after"])["mode"] == "block"
    r = data.cli("fraud", "rules")
    assert any(line.split()[:3] == ["call-rate", "block", "5"]
               for line in r.stdout.splitlines()), r.stdout
    for body, field in (({"count": 0}, "count"), ({"count": 32}, "count"),
                        ({"mode": "loud"}, "mode"), ({"count": "5"},
                                                     "count"),
                        ({"window_s": -1}, "window_s")):
        status, headers, out = call(
            api, "PATCH", "/api/v1/fraud/rules/call-rate", admin, body)
        bad_field(status, headers, out, field)
    status, headers, out = call(api, "PATCH", "/api/v1/fraud/rules/nosuch",
                                admin, {"count": 1})
    assert_error(status, headers, out, 404, "not_found")

    status, _, body = call(api, "PATCH", "/api/v1/fraud/settings", admin,
                           {"utc_offset_min": 60, "cut_running": False,
                            "ceiling_block": "window",
                            "business_hours": "mon-fri/09:00-18:00",
                            "min_spend": "20"})
    body = ok(status, body)
    assert body["utc_offset_min"] == 60 and body["cut_running"] is False
    assert body["ceiling_block"] == "window"
    assert body["business_hours"] == "mon-fri/09:00-18:00"
    assert body["min_spend"] == "20.000000"
    status, _, got = api.get("/api/v1/fraud/settings", keys["auditor"])
    assert ok(status, got) == body
    [e] = audit(api, admin, "fraud.set", "options")
    assert json.loads(e["before"])["utc_offset_min"] == 0
    assert json.loads(e["after"])["utc_offset_min"] == 60
    for body, field in (({"utc_offset_min": 1441}, "utc_offset_min"),
                        ({"cut_running": "no"}, "cut_running"),
                        ({"ceiling_block": "never"}, "ceiling_block"),
                        ({"business_hours": "noon"}, "business_hours"),
                        ({"tail_digits": 9}, "tail_digits"),
                        ({"factor_pct": 50}, "factor_pct"),
                        ({"min_spend": "x"}, "min_spend")):
        status, headers, out = call(api, "PATCH", "/api/v1/fraud/settings",
                                    admin, body)
        bad_field(status, headers, out, field)

    status, _, body = call(api, "PUT", "/api/v1/fraud/lists", admin,
                           {"deny": "+882, +883", "allow": "+33899"})
    assert ok(status, body) == {"allow": "+33899", "deny": "+882,+883"}
    status, _, body = call(api, "PUT", "/api/v1/fraud/lists", admin,
                           {"allow": ""})
    assert ok(status, body) == {"allow": "", "deny": "+882,+883"}
    entries = audit(api, admin, "fraud.lists", "system")
    assert len(entries) == 2
    assert {"allow": "", "deny": ""} in [json.loads(e["before"])
                                         for e in entries]
    assert "deny: +882,+883" in data.cli("fraud", "lists").stdout
    for body, field in (({"deny": "882"}, "deny"), ({"allow": 5}, "allow")):
        status, headers, out = call(api, "PUT", "/api/v1/fraud/lists",
                                    admin, body)
        bad_field(status, headers, out, field)


def test_settings(api_pbx, data, keys):
    api, admin = api_pbx.api, keys["admin"]
    status, _, body = api.get("/api/v1/settings", keys["auditor"])
    body = ok(status, body)
    assert body == {"sip_realm": "rempart.test", "default_profile": "staff",
                    "audit_retention_days": 400, "cdr_retention_days": None,
                    "read_only": ["sip_realm"]}
    status, _, body = call(api, "PATCH", "/api/v1/settings", admin,
                           {"audit_retention_days": 730,
                            "cdr_retention_days": 90,
                            "default_profile": "lobby"})
    body = ok(status, body)
    assert body["audit_retention_days"] == 730
    assert body["cdr_retention_days"] == 90
    assert body["default_profile"] == "lobby"
    assert "730 days" in data.cli("audit", "retention").stdout
    [e] = audit(api, admin, "audit.retention")
    assert json.loads(e["before"]) == {"days": 400}
    assert json.loads(e["after"]) == {"days": 730}
    [e] = audit(api, admin, "settings.set", "cdr.retention_days")
    assert json.loads(e["after"]) == {"days": 90}
    [e] = audit(api, admin, "profile.default", "lobby")
    status, _, body = call(api, "PATCH", "/api/v1/settings", admin,
                           {"cdr_retention_days": None})
    assert ok(status, body)["cdr_retention_days"] is None
    for body, word in (({"sip_realm": "other"}, "sip_realm"),
                       ({"webhook_secret": "x"}, "webhook_secret"),
                       ({}, "nothing")):
        status, headers, out = call(api, "PATCH", "/api/v1/settings",
                                    admin, body)
        assert_error(status, headers, out, 400, "invalid_body")
        assert word in out["error"]["message"], out
    for body, field in (({"audit_retention_days": 0},
                         "audit_retention_days"),
                        ({"audit_retention_days": None},
                         "audit_retention_days"),
                        ({"cdr_retention_days": 36501},
                         "cdr_retention_days"),
                        ({"default_profile": "Bad"}, "default_profile")):
        status, headers, out = call(api, "PATCH", "/api/v1/settings",
                                    admin, body)
        bad_field(status, headers, out, field)
    status, headers, out = call(api, "PATCH", "/api/v1/settings", admin,
                                {"default_profile": "nosuch"})
    assert_error(status, headers, out, 404, "not_found")
    status, _, body = api.get("/api/v1/settings", admin)
    assert ok(status, body)["default_profile"] == "lobby"


def policy_loads(d):
    return d.log.read_text().count('msg="anti-fraud policy loaded"')


def wait_policy(d, before, seconds=10):
    deadline = time.time() + seconds
    while policy_loads(d) <= before:
        assert time.time() < deadline, d.log.read_text()[-3000:]
        time.sleep(0.05)


def test_profile_change_applies(sipp, pbx, data, keys, tmp_path):
    """R-FRAUD-1: a profile given through the API lets 100 call abroad;
    lowered through the API, the next international INVITE is refused
    with 403 without a restart."""
    port = tcp_port()
    d = pbx("--api", f"127.0.0.1:{port}", *NO_PROBES)
    api, admin = Api(data, port), keys["admin"]
    p1, p2 = free_port(), free_port()
    add_trunks(d, data, p1, p2)
    number = "0044201234567"
    before = policy_loads(d)
    status, _, body = call(api, "PUT", "/api/v1/users/100/profile", admin,
                           {"profile": "international"})
    ok(status, body)
    wait_policy(d, before)
    op1 = start_uas(sipp, tmp_path, "op1", "carrier_ok.xml", p1,
                    addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], number, data.realm)
    rc_uac, rc_op1 = finish(uac, op1)
    assert rc_uac == 0 and rc_op1 == 0, f"{uac}\n{op1}"
    check_carrier_leg(uac, op1, number=number)

    before = policy_loads(d)
    status, _, body = call(api, "PATCH", "/api/v1/profiles/international",
                           admin, {"classes": "internal,emergency,national"})
    assert "international" not in ok(status, body)["classes"]
    wait_policy(d, before)
    work = tmp_path / "after"
    work.mkdir()
    uac = refused(sipp, d, data, work, callee=number)
    assert final_code(uac) == 403, uac
