"""`rempart assess`: the security self-assessment against the real CLI,
the real daemon and its API (R-AUDIT-1)."""
import datetime
import json
import os
import stat

from conftest import Daemon
from test_api import Api, assert_error, make_key, tcp_port

# A fresh `rempart init --demo` system, item by item (README, "Security
# self-assessment"): 29 of 60 points, 14.5/30, moderate.
BASELINE = {
    "G1": 2, "G2": 1, "G3": 0, "G4": 2, "G5": 2, "G6": 0, "G7": 1, "G8": 2,
    "G9": 2, "G10": 0, "G11": 0, "G12": 1, "G13": 2, "G14": 2, "G15": 1,
    "G16": 2, "G17": 0, "G18": 0, "G19": 2, "G20": 2, "G21": 2, "G22": 0,
    "G23": 0, "G24": 0, "G25": 0, "G26": 0, "G27": 0, "G28": 1, "G29": 0,
    "G30": 2,
}
EXTRA = {"L1": 0, "L2": 0, "L3": 2, "L4": 2, "L5": 2, "L6": 0, "O1": 0}


def report(data):
    r = data.cli("assess", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def points(rep):
    return {i["id"]: i["points"] for i in rep["items"] + rep["extra"]["items"]}


def moved(before, after):
    return {k: (before[k], after[k]) for k in before if before[k] != after[k]}


def test_fresh_demo_baseline(data):
    rep = report(data)
    assert rep["schema_version"] == 1
    assert rep["daemon"]["running"] is False
    assert [i["id"] for i in rep["items"]] == [f"G{n}" for n in range(1, 31)]
    assert {i["id"]: i["points"] for i in rep["items"]} == BASELINE
    assert {i["id"]: i["points"] for i in rep["extra"]["items"]} == EXTRA
    assert rep["points"] == 29 and rep["max_points"] == 60
    assert rep["score"] == 14.5 and rep["max_score"] == 30
    assert rep["band"] == "moderate"
    assert rep["extra"]["points"] == 6
    by_id = {i["id"]: i for i in rep["items"]}
    assert by_id["G11"]["evidence"].startswith(
        "6 of 6 enabled extensions accept plain RTP")
    assert by_id["G11"]["status"] == "not_met"
    assert "rempart user set EXT --srtp required" in \
        by_id["G11"]["remediation"]
    assert "daemon not running" in by_id["G12"]["evidence"]
    assert by_id["G21"]["evidence"].startswith(
        "audit chain verified to entry 7 ")
    assert by_id["G1"]["remediation"] == ""
    ceil = rep["extra"]["items"][5]
    assert ceil["id"] == "L6"
    assert ceil["remediation"] == "rempart ceiling set global --daily 50.00"
    text = data.cli("assess")
    assert text.returncode == 0, text.stderr
    assert "GUIDE score: 14.5/30 (29 of 60 points): moderate" in text.stdout


def test_srtp_remediation_moves_only_its_item(data):
    before = points(report(data))
    for ext in data.secrets:
        r = data.cli("user", "set", ext, "--srtp", "required")
        assert r.returncode == 0, r.stderr
    after = report(data)
    assert moved(before, points(after)) == {"G11": (0, 2)}
    assert after["points"] == 31


def test_rights_and_ceiling_remediations_move_their_items(data):
    """L3 follows the profiles: international for everyone by default is
    partial, a premium allow list fails it; L6 counts once a ceiling is
    set (rempart ceiling set, the remediation it prints)."""
    before = points(report(data))
    r = data.cli("profile", "default", "international")
    assert r.returncode == 0, r.stderr
    mid = points(report(data))
    assert moved(before, mid) == {"L3": (2, 1)}
    r = data.cli("profile", "add", "risky", "--classes",
                 "internal,emergency,premium")
    assert r.returncode == 0, r.stderr
    r = data.cli("user", "set", "101", "--profile", "risky")
    assert r.returncode == 0, r.stderr
    assert moved(mid, points(report(data))) == {"L3": (1, 0)}
    r = data.cli("ceiling", "set", "global", "--daily", "50.00")
    assert r.returncode == 0, r.stderr
    assert points(report(data))["L6"] == 2


def test_min_score_exit_codes(data):
    r = data.cli("assess", "--min-score", "14")
    assert r.returncode == 0, r.stderr
    r = data.cli("assess", "--json", "--min-score", "15")
    assert r.returncode == 1
    assert "score 14.5 is below the minimum 15" in r.stderr
    assert json.loads(r.stdout)["score"] == 14.5
    for bad in ("31", "-1", "x", ""):
        r = data.cli("assess", "--min-score", bad)
        assert r.returncode == 2, bad
        assert "--min-score" in r.stderr
    r = data.cli("assess", "--json", "--html", "x.html")
    assert r.returncode == 2
    r = data.cli("assess", "bogus")
    assert r.returncode == 2


def test_html_report(data, tmp_path):
    out = tmp_path / "report.html"
    r = data.cli("assess", "attest", "G24", "--note",
                 "<script>alert(1)</script> & training 2026")
    assert r.returncode == 0, r.stderr
    r = data.cli("assess", "--html", str(out))
    assert r.returncode == 0, r.stderr
    assert "score 15.5/30" in r.stdout
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; training" in page
    assert "http://" not in page and "https://" not in page
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_attest_and_revoke_are_audited(data):
    before = points(report(data))
    r = data.cli("assess", "attest", "G23", "--note", "IR plan tested")
    assert r.returncode == 0, r.stderr
    rep = report(data)
    assert moved(before, points(rep)) == {"G23": (0, 2)}
    g23 = rep["items"][22]
    assert g23["attestation"]["note"] == "IR plan tested"
    assert g23["attestation"]["expired"] is False
    r = data.cli("assess", "attest", "G6", "--note", "voice VLAN 20",
                 "--partial")
    assert r.returncode == 0, r.stderr
    assert moved(before, points(report(data))) == {"G23": (0, 2),
                                                   "G6": (0, 1)}
    r = data.cli("assess", "attestations")
    assert r.returncode == 0, r.stderr
    lines = {l.split()[0]: l for l in r.stdout.splitlines()[1:]}
    assert lines["G23"].split()[1] == "valid"
    assert lines["G10"].split()[1] == "none"
    assert "G11" not in lines
    r = data.cli("assess", "revoke", "G23")
    assert r.returncode == 0, r.stderr
    assert moved(before, points(report(data))) == {"G6": (0, 1)}
    r = data.cli("assess", "revoke", "G23")
    assert r.returncode == 1
    assert "no attestation for G23" in r.stderr
    audit = data.cli("audit", "list").stdout
    assert "assess.attest" in audit and "assess.revoke" in audit
    assert data.cli("audit", "verify").returncode == 0


def test_attest_refusals(data):
    old = (datetime.date.today() - datetime.timedelta(days=366)).isoformat()
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    cases = [
        (("G11", "--note", "x"), "measured"),
        (("G99", "--note", "x"), "no assessment item"),
        (("G23",), "--note"),
        (("G23", "--note", "x", "--date", "2026-02-30"), "invalid --date"),
        (("G23", "--note", "x", "--date", old), "already have expired"),
        (("G23", "--note", "x", "--date", future), "in the future"),
        (("G23", "--note", "a\x01b"), "printable"),
        (("G23", "--note", "x" * 201), "200"),
    ]
    for args, msg in cases:
        r = data.cli("assess", "attest", *args)
        assert r.returncode == 2, (args, r.stdout)
        assert msg in r.stderr, (args, r.stderr)
    assert "assess.attest" not in data.cli("audit", "list").stdout
    # An attestation dated 364 days ago still counts.
    recent = (datetime.date.today() -
              datetime.timedelta(days=364)).isoformat()
    r = data.cli("assess", "attest", "G25", "--note", "vendor audit",
                 "--date", recent)
    assert r.returncode == 0, r.stderr
    assert points(report(data))["G25"] == 2


def test_api_assessment(rempartd, data):
    port = tcp_port()
    auditor, _ = make_key(data, "auditor")
    user, _ = make_key(data, "user", "101")
    helpdesk, _ = make_key(data, "helpdesk")
    d = Daemon(rempartd, data, extra=["--api", f"127.0.0.1:{port}",
                                      "--tls-allow-1.2"])
    try:
        facts = data.path / "rempartd.facts"
        assert stat.S_IMODE(os.stat(facts).st_mode) == 0o600
        api = Api(data, port)
        status, headers, body = api.get("/api/v1/assessment", auditor)
        assert status == 200, body
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert body["schema_version"] == 1
        assert body["daemon"]["running"] is True
        by_id = {i["id"]: i for i in body["items"]}
        # The running daemon's facts: TLS 1.2 allowed, API on loopback.
        assert by_id["G14"]["points"] == 1
        assert "--tls-allow-1.2" in by_id["G14"]["remediation"]
        assert "127.0.0.1" in by_id["G9"]["evidence"]
        assert body["points"] == 28
        cli = report(data)
        assert cli["daemon"]["running"] is True
        assert points(cli) == points(body)
        for key in (user, helpdesk):
            status, headers, body = api.get("/api/v1/assessment", key)
            assert_error(status, headers, body, 403, "forbidden")
        status, headers, body = api.get("/api/v1/assessment")
        assert_error(status, headers, body, 401, "unauthorized")
    finally:
        rc = d.stop()
        log = d.log.read_text()
        assert "ERROR: AddressSanitizer" not in log, log
        assert "runtime error" not in log, log
        assert rc == 0, log
    assert not (data.path / "rempartd.facts").exists()
    assert report(data)["daemon"]["running"] is False
