"""Groups of users and tenants through the HTTPS API, against the real
daemon (R-ADMIN-1, R-ADMIN-2, R-ADMIN-4, R-FRAUD-1, R-FRAUD-2,
R-FRAUD-3). Each change is checked as `rempart group`, `user set
--group`, `ceiling` and `fraud unblock` check it, refused to the roles
without the right, written with the same audit entry and followed by a
reload that the running daemon acts on: a user put through the API in a
group of the lobby profile is refused an international call at once."""
import json

import pytest

from test_api import Api, assert_error, tcp_port
from test_api_rights import api_pbx, audit, bad_field, call, keys, ok, \
    policy_loads, wait_policy
from test_calls import pbx, sipp
from test_fraud_groups import refused, setup_trunk
from test_trunk_calls import NO_PROBES

__all__ = ["api_pbx", "keys", "pbx", "sipp"]

ROLES = ("admin", "auditor", "helpdesk", "user")


def cli_ok(r):
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_roles(api_pbx, data, keys):
    """Groups carry rights: admin reads and writes, the auditor reads,
    helpdesk and users get neither."""
    cli_ok(data.cli("group", "add", "g1", "--tenant", "acme"))
    cli_ok(data.cli("group", "add", "g2"))
    api = api_pbx.api
    for path in ("/api/v1/groups", "/api/v1/groups/g1"):
        for role in ROLES:
            status, headers, body = api.get(path, keys[role])
            if role in ("admin", "auditor"):
                assert status == 200, (path, role, body)
            else:
                assert_error(status, headers, body, 403, "forbidden")
    writes = [
        ("POST", "/api/v1/groups", {"name": "g3"}),
        ("PATCH", "/api/v1/groups/g1", {"description": "First"}),
        ("PUT", "/api/v1/users/102/group", {"group": "g1"}),
        ("PUT", "/api/v1/ceilings/tenant/acme", {"daily": "10"}),
        ("DELETE", "/api/v1/ceilings/tenant/acme", None),
        ("DELETE", "/api/v1/groups/g2", None),
        ("DELETE", "/api/v1/groups/g1?force=true", None),
    ]
    for method, path, body in writes:
        for role in ("auditor", "helpdesk", "user"):
            status, headers, out = call(api, method, path, keys[role], body)
            assert_error(status, headers, out, 403, "forbidden")
        status, _, out = call(api, method, path, keys["admin"], body)
        assert status in (200, 201), (method, path, out)
    # The user's own extension is no exception.
    status, headers, out = call(api, "PUT", "/api/v1/users/101/group",
                                keys["user"], {"group": None})
    assert_error(status, headers, out, 403, "forbidden")


def test_groups(api_pbx, data, keys):
    api, admin = api_pbx.api, keys["admin"]
    status, _, body = api.get("/api/v1/groups", admin)
    assert ok(status, body)["total"] == 0 and body["items"] == []

    new = {"name": "lobbyg", "profile": "lobby", "tenant": "acme",
           "description": "Lobby phones"}
    status, _, body = call(api, "POST", "/api/v1/groups", admin, new)
    body = ok(status, body, 201)
    assert body["name"] == "lobbyg" and body["profile"] == "lobby"
    assert body["tenant"] == "acme" and body["members"] == 0
    assert body["description"] == "Lobby phones"
    status, headers, out = call(api, "POST", "/api/v1/groups", admin, new)
    assert_error(status, headers, out, 409, "exists")
    [e] = audit(api, admin, "group.add", "lobbyg")
    assert e["actor"] == "apikey:" + keys["admin_id"]
    assert e["role"] == "admin" and e["before"] == ""
    assert json.loads(e["after"]) == {"profile": "lobby", "tenant": "acme",
                                      "description": "Lobby phones"}
    # The defaults: the system default profile, no tenant.
    status, _, body = call(api, "POST", "/api/v1/groups", admin,
                           {"name": "plain", "profile": None})
    body = ok(status, body, 201)
    assert body["profile"] is None and body["tenant"] is None
    assert body["description"] == ""

    # Members.
    for ext in ("100", "103"):
        status, _, body = call(api, "PUT", f"/api/v1/users/{ext}/group",
                               admin, {"group": "lobbyg"})
        assert ok(status, body) == {"ext": ext, "group": "lobbyg"}
    [e] = audit(api, admin, "user.set", "100")
    assert json.loads(e["before"]) == {"group": ""}
    assert json.loads(e["after"]) == {"group": "lobbyg"}
    status, _, body = call(api, "PUT", "/api/v1/users/103/profile", admin,
                           {"profile": "international"})
    ok(status, body)
    status, _, body = api.get("/api/v1/groups?limit=1", keys["auditor"])
    body = ok(status, body)
    assert body["total"] == 2 and len(body["items"]) == 1
    assert body["items"][0]["name"] == "lobbyg"
    assert body["items"][0]["members"] == 2
    status, _, body = api.get("/api/v1/groups?offset=1", admin)
    assert [g["name"] for g in ok(status, body)["items"]] == ["plain"]
    status, _, body = api.get("/api/v1/groups/lobbyg", admin)
    body = ok(status, body)
    assert body["members"] == 2
    assert [(u["ext"], u["profile"]) for u in body["users"]] == \
        [("100", None), ("103", "international")]

    # The user shows its group, its own profile and the effective one.
    status, _, body = api.get("/api/v1/users/100", admin)
    body = ok(status, body)
    assert body["group"] == "lobbyg" and body["profile"] is None
    assert body["tenant"] == "acme"
    assert body["effective_profile"] == "lobby"
    assert body["effective_from"] == "group"
    status, _, body = api.get("/api/v1/users?limit=10", admin)
    users = {u["ext"]: u for u in ok(status, body)["items"]}
    assert users["103"]["effective_profile"] == "international"
    assert users["103"]["effective_from"] == "user"
    assert users["101"]["group"] is None
    assert users["101"]["effective_from"] == "default"
    status, _, body = api.get("/api/v1/rights/default", admin)
    assert users["101"]["effective_profile"] == ok(status, body)["profile"]
    status, _, body = api.get("/api/v1/users?offset=3&limit=1", admin)
    assert [u["ext"] for u in ok(status, body)["items"]] == ["103"]
    # A user sees its own.
    status, _, body = api.get("/api/v1/users/101", keys["user"])
    assert ok(status, body)["effective_from"] == "default"

    # PATCH: null profile is the system default, null tenant none.
    status, _, body = call(api, "PATCH", "/api/v1/groups/lobbyg", admin,
                           {"profile": None, "tenant": None})
    body = ok(status, body)
    assert body["profile"] is None and body["tenant"] is None
    assert body["description"] == "Lobby phones"
    [e] = audit(api, admin, "group.set", "lobbyg")
    assert json.loads(e["before"]) == {"profile": "lobby", "tenant": "acme",
                                       "description": "Lobby phones"}
    assert json.loads(e["after"]) == {"profile": "default", "tenant": "",
                                      "description": "Lobby phones"}
    status, _, body = api.get("/api/v1/users/100", admin)
    assert ok(status, body)["effective_from"] == "default"
    status, _, body = call(api, "PATCH", "/api/v1/groups/lobbyg", admin,
                           {"profile": "lobby", "description": "Hall"})
    assert ok(status, body)["profile"] == "lobby"
    # The command line sees the API's group.
    show = cli_ok(data.cli("group", "show", "lobbyg"))
    assert "profile:     lobby" in show and "Hall" in show, show
    assert "100" in show and "103" in show, show

    # Removal: refused while it has members, naming one.
    status, headers, out = call(api, "DELETE", "/api/v1/groups/lobbyg",
                                admin)
    assert_error(status, headers, out, 409, "in_use")
    assert "100" in out["error"]["message"], out
    assert "force" in out["error"]["message"], out
    status, _, out = call(api, "DELETE", "/api/v1/groups/lobbyg?force=false",
                          admin)
    assert status == 409, out
    status, _, out = call(api, "DELETE", "/api/v1/groups/lobbyg?force=true",
                          admin)
    assert ok(status, out) == {"name": "lobbyg", "removed": True,
                               "members_taken_out": 2}
    [e] = audit(api, admin, "group.remove-force", "lobbyg")
    assert json.loads(e["before"]) == {"profile": "lobby", "tenant": "",
                                       "description": "Hall",
                                       "members": 2}
    assert e["after"] == ""
    status, _, body = api.get("/api/v1/users/100", admin)
    assert ok(status, body)["group"] is None
    status, _, out = call(api, "DELETE", "/api/v1/groups/plain", admin)
    assert ok(status, out)["members_taken_out"] == 0
    [e] = audit(api, admin, "group.remove", "plain")
    assert json.loads(e["before"])["members"] == 0
    assert "plain" not in cli_ok(data.cli("group", "list"))

    # A user leaves its group with null.
    cli_ok(data.cli("group", "add", "again"))
    cli_ok(data.cli("user", "set", "104", "--group", "again"))
    status, _, body = call(api, "PUT", "/api/v1/users/104/group", admin,
                           {"group": None})
    assert ok(status, body) == {"ext": "104", "group": None}
    [e] = [e for e in audit(api, admin, "user.set", "104")
           if e["actor"].startswith("apikey:")]
    assert json.loads(e["before"]) == {"group": "again"}
    assert json.loads(e["after"]) == {"group": ""}


def test_group_not_found(api_pbx, keys):
    api, admin = api_pbx.api, keys["admin"]
    for method, path, body in (
            ("GET", "/api/v1/groups/nope", None),
            ("PATCH", "/api/v1/groups/nope", {"description": "x"}),
            ("DELETE", "/api/v1/groups/nope", None),
            ("DELETE", "/api/v1/groups/nope?force=true", None),
            ("PUT", "/api/v1/users/999/group", {"group": None}),
            ("PUT", "/api/v1/users/100/group", {"group": "nope"}),
            ("POST", "/api/v1/groups", {"name": "g", "profile": "nope"})):
        status, headers, out = call(api, method, path, admin, body)
        assert_error(status, headers, out, 404, "not_found")
    status, _, out = call(api, "POST", "/api/v1/groups", admin,
                          {"name": "g", "profile": "nope"})
    assert "profile" in out["error"]["message"], out
    status, _, body = api.get("/api/v1/groups", admin)
    assert ok(status, body)["total"] == 0


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "Upper"}, "name"),
    ({"name": "x" * 33}, "name"),
    ({"name": 5}, "name"),
    ({"name": "g", "profile": "Bad Name"}, "profile"),
    ({"name": "g", "profile": 1}, "profile"),
    ({"name": "g", "tenant": "a/b"}, "tenant"),
    ({"name": "g", "tenant": True}, "tenant"),
    ({"name": "g", "description": None}, "description"),
    ({"name": "g", "description": "bad\u0001"}, "description"),
    ({"name": "g", "description": "x" * 65}, "description"),
])
def test_group_bad_input(api_pbx, keys, body, field):
    status, headers, out = call(api_pbx.api, "POST", "/api/v1/groups",
                                keys["admin"], body)
    bad_field(status, headers, out, field)


def test_group_bad_requests(api_pbx, data, keys):
    api, admin = api_pbx.api, keys["admin"]
    cli_ok(data.cli("group", "add", "g1"))
    for method, path, body in (
            ("POST", "/api/v1/groups", {"name": "g", "members": []}),
            ("PATCH", "/api/v1/groups/g1", {}),
            ("PATCH", "/api/v1/groups/g1", {"name": "g2"}),
            ("PUT", "/api/v1/users/100/group", {"group": "g1", "x": 1})):
        status, headers, out = call(api, method, path, admin, body)
        assert_error(status, headers, out, 400, "invalid_body")
    for body in ({}, {"group": 1}, {"group": "G1"}, {"group": ""}):
        status, headers, out = call(api, "PUT", "/api/v1/users/100/group",
                                    admin, body)
        bad_field(status, headers, out, "group")
    status, headers, out = call(api, "PATCH", "/api/v1/groups/g1", admin,
                                {"tenant": "A"})
    bad_field(status, headers, out, "tenant")
    for method, path, param in (
            ("GET", "/api/v1/groups/Bad", "name"),
            ("PATCH", "/api/v1/groups/a%20b", "name"),
            ("DELETE", "/api/v1/groups/g1?force=yes", "force"),
            ("PUT", "/api/v1/users/a%20b/group", "ext"),
            ("PUT", "/api/v1/ceilings/tenant/Acme", "tenant")):
        status, headers, out = call(
            api, method, path, admin,
            {"group": None, "daily": "1"} if method in ("PUT", "PATCH")
            else None)
        assert_error(status, headers, out, 400, "invalid_parameter")
        assert f"'{param}'" in out["error"]["message"], out
    status, headers, out = call(api, "DELETE", "/api/v1/groups/g1?x=1",
                                admin)
    assert_error(status, headers, out, 400, "invalid_parameter")
    # Nothing was changed by the refusals.
    status, _, body = api.get("/api/v1/groups/g1", admin)
    body = ok(status, body)
    assert body["tenant"] is None and body["members"] == 0
    assert audit(api, admin, "group.set") == []


def test_tenant_ceilings_and_blocks(api_pbx, data, keys):
    """A tenant's ceiling and block as `rempart ceiling --tenant` and
    `fraud unblock --tenant`; a tenant no group has is refused."""
    api, admin = api_pbx.api, keys["admin"]
    status, _, body = call(api, "POST", "/api/v1/groups", admin,
                           {"name": "acme-sales", "tenant": "acme"})
    ok(status, body, 201)
    status, headers, out = call(api, "PUT", "/api/v1/ceilings/tenant/nope",
                                admin, {"daily": "1"})
    assert_error(status, headers, out, 404, "not_found")
    assert "tenant" in out["error"]["message"], out
    status, _, body = call(api, "PUT", "/api/v1/ceilings/tenant/acme",
                           admin, {"daily": "25.5"})
    body = ok(status, body)
    assert body["scope"] == "tenant" and body["name"] == "acme"
    assert body["daily"] == "25.500000" and body["hourly"] is None
    status, _, body = call(api, "PUT", "/api/v1/ceilings/tenant/acme",
                           admin, {"hourly": "2"})
    assert ok(status, body)["hourly"] == "2.000000"
    for role in ("helpdesk", "user"):
        status, headers, out = api.get("/api/v1/ceilings", keys[role])
        assert_error(status, headers, out, 403, "forbidden")
    status, _, body = api.get("/api/v1/ceilings", keys["auditor"])
    assert [(c["scope"], c["name"]) for c in ok(status, body)["items"]] \
        == [("tenant", "acme")]
    entries = audit(api, admin, "ceiling.set", "tenant:acme")
    assert len(entries) == 2
    assert sorted(json.loads(e["after"])["daily"] for e in entries) == \
        [25500000, 25500000]
    listing = cli_ok(data.cli("ceiling", "list")).splitlines()
    assert any(line.split()[:2] == ["tenant", "acme"] for line in listing), \
        listing
    status, _, body = call(api, "DELETE", "/api/v1/ceilings/tenant/acme",
                           admin)
    assert ok(status, body) == {"object": "tenant:acme", "removed": True}
    [e] = audit(api, admin, "ceiling.remove", "tenant:acme")
    assert json.loads(e["before"]) == {"hourly": 2000000, "daily": 25500000}
    status, headers, out = call(api, "DELETE",
                                "/api/v1/ceilings/tenant/acme", admin)
    assert_error(status, headers, out, 404, "not_found")

    # Blocks: a tenant's block is listed and lifted through the API.
    cli_ok(data.cli("fraud", "block", "--tenant", "acme", "--reason",
                    "tenant test"))
    status, _, body = api.get("/api/v1/fraud/blocks", keys["auditor"])
    [b] = ok(status, body)["items"]
    assert b["scope"] == "tenant" and b["name"] == "acme"
    assert b["text"] == "tenant test" and b["until"] == 0
    status, headers, out = call(api, "POST", "/api/v1/fraud/unblock",
                                keys["auditor"],
                                {"scope": "tenant", "name": "acme"})
    assert_error(status, headers, out, 403, "forbidden")
    status, headers, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                                {"scope": "tenant", "name": "nope"})
    assert_error(status, headers, out, 404, "not_found")
    status, _, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                          {"scope": "tenant", "name": "acme"})
    assert ok(status, out) == {"object": "tenant:acme", "unblocked": True}
    [e] = audit(api, admin, "fraud.unblock", "tenant:acme")
    assert json.loads(e["before"])["text"] == "tenant test"
    status, headers, out = call(api, "POST", "/api/v1/fraud/unblock", admin,
                                {"scope": "tenant", "name": "acme"})
    assert_error(status, headers, out, 404, "not_blocked")
    status, _, body = api.get("/api/v1/fraud/blocks", admin)
    assert ok(status, body)["total"] == 0
    for bad in ({"scope": "tenant"}, {"scope": "tenant", "name": "A"},
                {"scope": "tenant", "name": 3}):
        status, headers, out = call(api, "POST", "/api/v1/fraud/unblock",
                                    admin, bad)
        bad_field(status, headers, out, "name")


def test_group_through_api_applies(sipp, pbx, data, keys, tmp_path):
    """R-FRAUD-1: a group made through the API with the lobby profile,
    and a user put in it through the API: that user's international
    INVITE is refused with 403 without a restart. A tenant ceiling set
    through the API is then in GET /ceilings and `rempart ceiling
    list`."""
    port = tcp_port()
    d = pbx("--api", f"127.0.0.1:{port}", *NO_PROBES)
    api, admin = Api(data, port), keys["admin"]
    setup_trunk(d, data, tmp_path)
    before = policy_loads(d)
    status, _, body = call(api, "POST", "/api/v1/groups", admin,
                           {"name": "lobbyg", "profile": "lobby",
                            "tenant": "acme"})
    ok(status, body, 201)
    wait_policy(d, before)
    before = policy_loads(d)
    status, _, body = call(api, "PUT", "/api/v1/users/100/group", admin,
                           {"group": "lobbyg"})
    ok(status, body)
    wait_policy(d, before)
    row = refused(sipp, tmp_path, d, data, "100", "lobby")
    assert row["reason"], row

    status, _, body = call(api, "PUT", "/api/v1/ceilings/tenant/acme",
                           admin, {"daily": "0.05"})
    ok(status, body)
    status, _, body = api.get("/api/v1/ceilings", admin)
    assert ("tenant", "acme", "0.050000") in [
        (c["scope"], c["name"], c["daily"]) for c in ok(status, body)["items"]]
    listing = cli_ok(data.cli("ceiling", "list")).splitlines()
    assert any(line.split()[:2] == ["tenant", "acme"] for line in listing), \
        listing
