"""'rempart audit prune' and 'audit retention' through the
administration API (R-ADMIN-2, R-AUDIT-1): POST /api/v1/audit/prune and
the audit retention of /api/v1/settings, with the daemon running (no
SIGHUP needed), against its HTTPS API with a key, and the refusals:
roles, fields, a broken chain."""
import json
import time

from test_api import assert_error, make_key
from test_audit_cli import assert_intact, rows, tamper
from test_cli_api import ME, check_log, ok, pbx  # noqa: F401


def test_prune_and_retention_through_the_daemon(pbx, data, tmp_path):
    (data.path / "rempartd.pid").unlink()
    r = ok(data.cli("audit", "retention", "730"))
    assert r.stdout == "audit retention: 730 days\n"
    r = data.cli("audit", "retention", "200")
    assert r.returncode == 0 and "under a year" in r.stderr
    assert ok(data.cli("audit", "retention")).stdout == \
        "audit retention: 200 days\n"
    r = data.cli("audit", "retention", "36501")
    assert r.returncode == 2 and "1-36500 days" in r.stderr
    last = rows(data)[-1]
    assert last[1:5] == ("local:" + ME, "admin", "local", "audit.retention")
    assert json.loads(last[6]) == {"days": 730}
    assert json.loads(last[7]) == {"days": 200}

    r = ok(data.cli("audit", "prune"))
    assert r.stdout.startswith("removed 0 audit entries older than ")
    time.sleep(2.2)
    n = len(rows(data))
    r = ok(data.cli("audit", "prune", "--older-than", "1s"))
    assert f"removed {n} " in r.stdout
    got = rows(data)
    assert [g[4] for g in got] == ["audit.prune"]
    assert got[0][1:4] == ("local:" + ME, "admin", "local")
    after = json.loads(got[0][7])
    assert after["removed"] == n
    assert r.stdout.rstrip().endswith(after["older_than"])
    assert not got[0][6]  # no "before"

    # The same through the HTTPS API with a key.
    api = pbx.api
    admin, ident = make_key(data, "admin")
    auditor, _ = make_key(data, "auditor")
    helpdesk, _ = make_key(data, "helpdesk")

    def call(key, body):
        return api.get("/api/v1/audit/prune", key, method="POST",
                       body=json.dumps(body).encode()
                       if body is not None else None,
                       headers={"Content-Type": "application/json"})

    for key in (auditor, helpdesk):
        status, headers, body = call(key, {})
        assert_error(status, headers, body, 403, "forbidden")
    for bad in ({"older_than_seconds": 0}, {"older_than_seconds": "1s"},
                {"older_than_seconds": 36501 * 86400}):
        status, headers, body = call(admin, bad)
        assert_error(status, headers, body, 400, "invalid_body")
        assert "older_than_seconds" in body["error"]["message"]
    status, headers, body = call(admin, {"older": 1})
    assert_error(status, headers, body, 400, "invalid_body")
    status, _, body = call(admin, None)
    assert status == 200 and body["removed"] == 0, body
    last = rows(data)[-1]
    assert last[1:5] == ("apikey:" + ident, "admin", "127.0.0.1",
                         "audit.prune")

    # The CLI against the remote API; 'audit verify' stays local.
    key_file = tmp_path / "key"
    key_file.write_text(admin + "\n")
    remote = ["--api", f"https://127.0.0.1:{pbx.api_port}",
              "--api-key-file", str(key_file),
              "--api-ca", str(data.path / "tls" / "cert.pem")]
    r = ok(data.cli(*remote, "audit", "retention", "400"))
    assert r.stdout == "audit retention: 400 days\n"
    assert rows(data)[-1][1] == "apikey:" + ident
    r = ok(data.cli(*remote, "audit", "prune"))
    assert r.stdout.startswith("removed 0 audit entries older than ")
    r = data.cli(*remote, "audit", "verify")
    assert r.returncode == 2 and "daemon's host only" in r.stderr
    key_file.write_text(auditor + "\n")
    r = data.cli(*remote, "audit", "prune")
    assert r.returncode == 1
    assert r.stderr == "rempart: not allowed for this key\n"
    n = len(rows(data))
    assert_intact(data, n, rows(data)[-1][0])


def test_prune_refused_on_a_broken_chain(data):
    tamper(data, "DELETE FROM audit WHERE seq = 3")
    time.sleep(1.2)
    r = data.cli("audit", "prune", "--older-than", "1s")
    assert r.returncode == 1
    assert r.stderr.endswith("rempart: the audit chain is broken; nothing "
                             "removed (run 'rempart audit verify')\n")
    assert len(rows(data)) == 6
