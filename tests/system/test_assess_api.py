"""The security self-assessment through the administration API: the
report in its three forms, the attestations (list, attest, revoke) with
their errors and roles, and `rempart assess` as a client of the API —
through the running daemon's socket and against a remote daemon with
API keys of several roles. R-AUDIT-1, R-ADMIN-1, R-ADMIN-2,
R-ADMIN-4."""
import datetime
import json

from test_api import assert_error, make_key
from test_fraud_cli_api import LOCAL, audit_rows, failed, ok, pbx  # noqa: F401
from test_api_changes import call

ATT = "/api/v1/assessment/attestations"


def day(offset):
    return (datetime.date.today() +
            datetime.timedelta(days=offset)).isoformat()


def points(report):
    return {i["id"]: i["points"]
            for i in report["items"] + report["extra"]["items"]}


def test_report_formats(pbx, data):
    auditor, _ = make_key(data, "auditor")
    s, h, js = call(pbx.api, "GET", "/api/v1/assessment?format=json",
                    auditor)
    assert s == 200 and js["schema_version"] == 1, js
    for fmt, start in (("text", "rempart security self-assessment"),
                       ("html", "<!DOCTYPE html>")):
        s, h, body = call(pbx.api, "GET", f"/api/v1/assessment?format={fmt}",
                          auditor)
        assert s == 200, body
        assert h["Content-Type"] == "application/json; charset=utf-8"
        assert body["format"] == fmt
        assert body["points"] == js["points"]
        assert body["score"] == js["score"] and body["max_score"] == 30
        assert body["band"] == js["band"]
        assert body["report"].lower().startswith(start.lower()), \
            body["report"][:80]
    assert_error(*call(pbx.api, "GET", "/api/v1/assessment?format=pdf",
                       auditor), 400, "invalid_parameter")


def test_attestations_roles_and_errors(pbx, data):
    admin, admin_id = make_key(data, "admin")
    auditor, _ = make_key(data, "auditor")
    helpdesk, _ = make_key(data, "helpdesk")
    s, _, before = call(pbx.api, "GET", "/api/v1/assessment", auditor)
    assert s == 200, before
    s, _, body = call(pbx.api, "GET", ATT, auditor)
    assert s == 200, body
    ids = [x["id"] for x in body["items"]]
    assert "G23" in ids and "O1" in ids and "G11" not in ids
    assert all(x["status"] == "none" for x in body["items"]), body
    assert_error(*call(pbx.api, "GET", ATT, helpdesk), 403, "forbidden")
    # Only the admin role attests or revokes.
    for key in (auditor, helpdesk):
        assert_error(*call(pbx.api, "PUT", ATT + "/G23", key,
                           {"note": "x"}), 403, "forbidden")
        assert_error(*call(pbx.api, "DELETE", ATT + "/G23", key), 403,
                     "forbidden")
    # Each refusal names what is wrong and stores nothing.
    s, _, e = call(pbx.api, "PUT", ATT + "/G99", admin, {"note": "x"})
    assert_error(s, _, e, 404, "not_found")
    assert "G1-G30" in e["error"]["message"]
    s, _, e = call(pbx.api, "PUT", ATT + "/G11", admin, {"note": "x"})
    assert_error(s, _, e, 400, "not_attestable")
    assert "measured" in e["error"]["message"]
    cases = [
        ({}, "note"),
        ({"note": ""}, "note"),
        ({"note": "a\u0001b"}, "printable"),
        ({"note": "x" * 201}, "200"),
        ({"note": 5}, "note"),
        ({"note": "x", "points": 3}, "points"),
        ({"note": "x", "date": "2026-02-30"}, "YYYY-MM-DD"),
        ({"note": "x", "date": day(2)}, "in the future"),
        ({"note": "x", "date": day(-366)}, "already have expired"),
        ({"note": "x", "by": "someone"}, "members"),
    ]
    for body, text in cases:
        s, h, e = call(pbx.api, "PUT", ATT + "/G23", admin, body)
        assert s == 400, (body, e)
        assert text in e["error"]["message"], (body, e)
    assert [r for r in audit_rows(data) if r[3] == "assess.attest"] == []
    # Attested: listed, counted in the report, audited with the key.
    s, _, att = call(pbx.api, "PUT", ATT + "/G23", admin,
                     {"note": "IR plan tested", "date": day(-364)})
    assert s == 200, att
    assert att["status"] == "valid" and att["points"] == 2
    assert att["date"] == day(-364) and att["expires"] == day(1)
    assert att["by"] == f"apikey:{admin_id}"
    s, _, att = call(pbx.api, "PUT", ATT + "/G6", admin,
                     {"note": "voice VLAN 20", "points": 1})
    assert s == 200 and att["points"] == 1 and att["date"] == day(0), att
    s, _, after = call(pbx.api, "GET", "/api/v1/assessment", auditor)
    moved = {k: (points(before)[k], v) for k, v in points(after).items()
             if points(before)[k] != v}
    assert moved == {"G23": (0, 2), "G6": (0, 1)}, moved
    rows = [r for r in audit_rows(data) if r[3] == "assess.attest"]
    assert [(r[0], r[1], r[4]) for r in rows] == [
        (f"apikey:{admin_id}", "admin", "G23"),
        (f"apikey:{admin_id}", "admin", "G6")]
    assert json.loads(rows[0][6]) == {"date": day(-364),
                                      "note": "IR plan tested", "points": 2}
    # Revoked once; the second time there is nothing to revoke.
    s, _, body = call(pbx.api, "DELETE", ATT + "/G23", admin)
    assert s == 200 and body == {"id": "G23", "revoked": True}, body
    s, _, e = call(pbx.api, "DELETE", ATT + "/G23", admin)
    assert_error(s, _, e, 404, "not_found")
    assert "no attestation for G23" in e["error"]["message"]
    rev = [r for r in audit_rows(data) if r[3] == "assess.revoke"]
    assert len(rev) == 1 and json.loads(rev[0][5]) == {
        "by": f"apikey:{admin_id}", "note": "IR plan tested"}
    s, _, body = call(pbx.api, "GET", ATT, auditor)
    status = {x["id"]: x["status"] for x in body["items"]}
    assert status["G23"] == "none" and status["G6"] == "valid"
    assert ok(data.cli("audit", "verify"))


def test_cli_through_the_daemon(pbx, data, tmp_path):
    """With the daemon running, the CLI goes through its socket: the
    report is the daemon's (running, its facts), the attestation is
    audited as the local administrator."""
    r = ok(data.cli("assess", "--json"))
    assert json.loads(r.stdout)["daemon"]["running"] is True
    r = ok(data.cli("assess", "attest", "G24", "--note", "training 2026"))
    assert r.stdout == "G24 attested (2 points) until 365 days after its " \
        "date\n"
    rows = [r for r in audit_rows(data) if r[3] == "assess.attest"]
    assert [(r[0], r[1], r[2]) for r in rows] == [LOCAL]
    lines = ok(data.cli("assess", "attestations")).stdout.splitlines()
    g24 = next(l for l in lines if l.startswith("G24 "))
    assert g24.split()[1:3] == ["valid", day(0)] and LOCAL[0] in g24
    out = tmp_path / "r.html"
    r = ok(data.cli("assess", "--html", str(out)))
    assert r.stdout.startswith(f"report written to {out}: score ")
    assert out.read_text().startswith("<!DOCTYPE html>")
    # A value the API refuses is a usage error, with its message.
    failed(data.cli("assess", "attest", "G24", "--note", "x", "--date",
                    day(3)), 2, "in the future")
    ok(data.cli("assess", "revoke", "G24"))
    failed(data.cli("assess", "revoke", "G24"), 1, "no attestation for G24")


def test_cli_remote_by_role(pbx, data, tmp_path):
    ca = str(data.path / "tls" / "cert.pem")
    url = f"https://127.0.0.1:{pbx.api_port}"

    def remote(role):
        key, ident = make_key(data, role)
        f = tmp_path / role
        f.write_text(key + "\n")
        return ["--api", url, "--api-key-file", str(f), "--api-ca", ca], ident

    admin, admin_id = remote("admin")
    auditor, _ = remote("auditor")
    helpdesk, _ = remote("helpdesk")
    r = ok(data.cli(*auditor, "assess"))
    assert "GUIDE score: " in r.stdout
    rep = json.loads(ok(data.cli(*auditor, "assess", "--json")).stdout)
    low = int(rep["score"]) + 1
    failed(data.cli(*auditor, "assess", "--min-score", str(low)), 1,
           f"is below the minimum {low}")
    ok(data.cli(*auditor, "assess", "--min-score", str(low - 1)))
    failed(data.cli(*helpdesk, "assess"), 1, "")
    failed(data.cli(*auditor, "assess", "attest", "O1", "--note", "restore "
                    "tested"), 1, "")
    ok(data.cli(*admin, "assess", "attest", "O1", "--note",
                "restore tested", "--partial"))
    lines = ok(data.cli(*auditor, "assess", "attestations")).stdout
    o1 = next(l for l in lines.splitlines() if l.startswith("O1 "))
    assert o1.split()[1] == "valid" and o1.split()[4] == "1"
    assert f"apikey:{admin_id}" in o1
    rows = [r for r in audit_rows(data) if r[3] == "assess.attest"]
    assert [(r[0], r[4]) for r in rows] == [(f"apikey:{admin_id}", "O1")]
    # init and audit verify stay on this host.
    failed(data.cli(*admin, "audit", "verify"), 2, "daemon's host only")
