"""The alert channels and the configuration file through the HTTPS API
(R-FRAUD-4, R-ADMIN-5, R-ADMIN-2, R-ADMIN-4): secrets write-only,
fields checked by name, roles enforced, every change audited as the
command line audits it; `rempart alert` and `rempart config` reach the
running daemon's API and the change is seen at once."""
import http.client
import json
import os
import pwd
import socket
import threading

from test_alert_cli import Receiver, SECRET
from test_api import assert_error
from test_api_changes import call, keys, pbx  # noqa: F401 (fixtures)


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def put(api, path, key, body):
    return call(api, "PUT", path, key, body)


def raw(api, method, path, key, body=None, ctype="application/yaml"):
    conn = api.connect()
    conn.request(method, path, body=body, headers={
        "Authorization": "Bearer " + key, "Content-Type": ctype})
    r = conn.getresponse()
    out = r.status, dict(r.getheaders()), r.read()
    conn.close()
    return out


def audit(api, key, prefix):
    status, _, body = api.get("/api/v1/audit?limit=1000", key)
    assert status == 200, body
    return [e for e in body["items"] if e["action"].startswith(prefix)]


def test_alerts(pbx, data, keys):
    api, admin = pbx.api, keys["admin"]
    rec = Receiver()
    try:
        for role in ("admin", "auditor"):
            status, _, body = api.get("/api/v1/alerts", keys[role])
            assert status == 200 and body["webhook"] is None, body
        for role in ("helpdesk", "user"):
            status, h, body = api.get("/api/v1/alerts", keys[role])
            assert_error(status, h, body, 403, "forbidden")
        hook = {"url": rec.url(), "secret": SECRET}
        status, h, body = put(api, "/api/v1/alerts/webhook",
                              keys["auditor"], hook)
        assert_error(status, h, body, 403, "forbidden")
        for bad, field in (({"url": "http://hooks.example.com/x",
                             "secret": SECRET}, "url"),
                           ({"url": rec.url(), "secret": "short"}, "secret"),
                           ({"url": rec.url(), "secret": SECRET,
                             "ca_file": "/nonexistent/ca.pem"}, "ca_file")):
            status, h, body = put(api, "/api/v1/alerts/webhook", admin, bad)
            assert_error(status, h, body, 400, "invalid_body")
            assert f"'{field}'" in body["error"]["message"], body
        status, h, body = put(api, "/api/v1/alerts/email", admin, {
            "url": "smtp://127.0.0.1:2525", "from": "pbx@rempart.test",
            "to": "ops@example.com\nBcc: x@evil.test"})
        assert_error(status, h, body, 400, "invalid_body")
        assert "'to'" in body["error"]["message"]
        status, h, body = put(api, "/api/v1/alerts/limits", admin,
                              {"rate_per_min": 0})
        assert_error(status, h, body, 400, "invalid_body")
        assert audit(api, admin, "alert.") == []

        status, _, body = put(api, "/api/v1/alerts/webhook", admin, hook)
        assert status == 200 and body["secret"] == "set", body
        status, _, body = api.get("/api/v1/alerts", keys["auditor"])
        assert body["webhook"] == {"url": rec.url(), "secret_set": True,
                                   "ca_file": ""}, body
        assert SECRET not in json.dumps(body)
        status, _, body = put(api, "/api/v1/alerts/limits", admin,
                              {"dedupe_s": 60})
        assert status == 200 and body == {"dedupe_s": 60,
                                          "rate_per_min": 10}, body

        status, _, body = call(api, "POST", "/api/v1/alerts/test", admin)
        assert status == 200, body
        assert body == {"results": [{"channel": "webhook",
                                     "delivered": True}],
                        "delivered": True}
        assert len(rec.requests) == 1
        status, _, body = call(api, "DELETE", "/api/v1/alerts/webhook",
                               admin)
        assert status == 200 and body["url"] == "", body
        status, h, body = call(api, "POST", "/api/v1/alerts/test", admin)
        assert_error(status, h, body, 409, "no_channel")

        entries = audit(api, admin, "alert.")
        assert [(e["action"], e["object"]) for e in entries] == [
            ("alert.webhook.set", "webhook"), ("alert.limits", "limits"),
            ("alert.webhook.remove", "webhook")]
        assert SECRET not in json.dumps(entries)
        assert entries[0]["actor"] == "apikey:" + keys["admin_id"]

        # The command line goes through the running daemon's API.
        r = ok(data.cli("alert", "webhook", rec.url(), "--secret-stdin",
                        stdin=SECRET + "\n"))
        assert SECRET not in r.stdout + r.stderr
        status, _, body = api.get("/api/v1/alerts", admin)
        assert body["webhook"]["url"] == rec.url()
        r = ok(data.cli("alert", "show"))
        assert "webhook secret: set" in r.stdout
        assert "dedupe: 60 s" in r.stdout
        me = pwd.getpwuid(os.getuid()).pw_name
        last = audit(api, admin, "alert.")[-1]
        assert (last["action"], last["actor"], last["role"]) == (
            "alert.webhook.set", "local:" + me, "admin")
    finally:
        rec.close()


def test_config(pbx, data, keys):
    api, admin = pbx.api, keys["admin"]
    for role in ("admin", "auditor"):
        status, h, text = raw(api, "GET", "/api/v1/config", keys[role])
        assert status == 200, text
        assert h["Content-Type"].startswith("application/yaml")
        assert b"rempart_config: 1" in text
    base = text.decode()
    for role in ("helpdesk", "user"):
        status, h, _ = raw(api, "GET", "/api/v1/config", keys[role])
        assert status == 403
    new = base.replace("trunks: []\n", 'trunks:\n  - name: "ip9"\n'
                       '    kind: "ip"\n    host: "192.0.2.9"\n'
                       '    acl: ["192.0.2.0/24"]\n')
    assert new != base
    status, _, _ = raw(api, "POST", "/api/v1/config/import",
                       keys["auditor"], new.encode())
    assert status == 403
    status, h, body = raw(api, "POST", "/api/v1/config/import", admin,
                          new.encode(), ctype="text/html")
    assert status == 415, body
    # JSON is the form that carries secret_env variables: YAML is not it.
    status, h, body = raw(api, "POST", "/api/v1/config/import", admin,
                          new.encode(), ctype="application/json")
    assert status == 400 and b"invalid_body" in body, body
    status, h, body = raw(api, "POST", "/api/v1/config/import?dry_run=maybe",
                          admin, new.encode())
    assert status == 400 and b"dry_run" in body, body

    status, _, body = raw(api, "POST", "/api/v1/config/import?dry_run=true",
                          admin, new.encode())
    body = json.loads(body)
    assert status == 200, body
    assert body["dry_run"] is True and body["applied"] is False
    assert [(c["op"], c["kind"], c["key"]) for c in body["changes"]] == [
        ("add", "trunk", "ip9")]
    assert audit(api, admin, "config.") == []

    bad = new.replace('host: "192.0.2.9"', 'host: "192.0.2.9"\n'
                      '    colour: "blue"')
    line = bad[:bad.index("colour")].count("\n") + 1
    status, _, body = raw(api, "POST", "/api/v1/config/import", admin,
                          bad.encode())
    body = json.loads(body)
    assert status == 400 and body["error"]["code"] == "invalid_config"
    assert any(e["line"] == line and "unknown key 'colour'" in e["message"]
               for e in body["error"]["errors"]), body

    status, _, body = raw(api, "POST", "/api/v1/config/import", admin,
                          new.encode())
    body = json.loads(body)
    assert status == 200 and body["applied"] is True, body
    entries = audit(api, admin, "config.")
    assert [(e["action"], e["object"]) for e in entries] == [
        ("config.trunk.add", "ip9")]
    assert json.loads(entries[0]["after"])["host"] == "192.0.2.9"
    status, _, body = api.get("/api/v1/trunks/ip9", admin)
    assert status == 200, body

    # The command line through the running daemon: the change is seen
    # at once, without a signal.
    path = data.path / "conf.yaml"
    ok(data.cli("config", "export", str(path)))
    assert 'name: "ip9"' in path.read_text()
    path.write_text(base)
    r = ok(data.cli("config", "import", str(path), "--dry-run"))
    assert "- trunk ip9" in r.stdout and "dry run" in r.stdout
    r = ok(data.cli("config", "import", str(path)))
    assert "1 changes applied" in r.stdout
    status, _, body = api.get("/api/v1/trunks/ip9", admin)
    assert status == 404, body
    me = pwd.getpwuid(os.getuid()).pw_name
    last = audit(api, admin, "config.")[-1]
    assert (last["action"], last["actor"]) == ("config.trunk.remove",
                                               "local:" + me)


def test_slow_alert_test_holds_up_no_other_request(pbx, data, keys):
    """A test alert to a receiver that never answers waits out its two
    tries; meanwhile the API answers other requests, over HTTPS and on
    the local socket (R-ADMIN-3: the dashboard keeps refreshing)."""
    api, admin = pbx.api, keys["admin"]
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    status, _, body = put(api, "/api/v1/alerts/webhook", admin,
                          {"url": url, "secret": SECRET})
    assert status == 200, body
    outcome = {}

    def run_test():
        conn = http.client.HTTPSConnection("127.0.0.1", api.port,
                                           context=api.ctx, timeout=60)
        conn.request("POST", "/api/v1/alerts/test",
                     headers={"Authorization": "Bearer " + admin})
        r = conn.getresponse()
        outcome["status"], outcome["body"] = r.status, json.loads(r.read())
        conn.close()

    tester = threading.Thread(target=run_test)
    tester.start()
    try:
        # The test's first try has reached the receiver.
        silent.settimeout(15)
        held, _ = silent.accept()
        assert tester.is_alive()
        status, _, body = api.get("/api/v1/status", keys["auditor"])
        assert status == 200, body
        r = data.cli("user", "show", "100")
        assert r.returncode == 0, r.stderr
        # Both answered while the test alert still waits.
        assert tester.is_alive() and "status" not in outcome
        tester.join(60)
        assert not tester.is_alive()
        held.close()
    finally:
        silent.close()
        tester.join(60)
    assert outcome["status"] == 200, outcome
    assert outcome["body"]["delivered"] is False, outcome
    assert outcome["body"]["results"][0]["error"], outcome
