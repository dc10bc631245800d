"""The configuration as a YAML file: `rempart config export` and
`rempart config import` (R-ADMIN-5, R-ADMIN-4)."""
import hashlib
import json
import os
import sqlite3
import subprocess

from test_api import make_key
from test_api_changes import call
from test_fraud_cli_api import pbx  # noqa: F401

SECRET = "Op3rator-Trunk-S3cret"


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def query(data, sql, *args):
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def audit(data):
    return query(data, "SELECT action, object, before, after FROM audit"
                 " ORDER BY seq")


def db_digest(data):
    """Every configuration table, to prove nothing changed."""
    h = hashlib.sha256()
    for table in ("users", "trunks", "routes", "dids", "rights_profiles",
                  "settings", "bans", "audit", "rates", "fraud_ceilings",
                  "fraud_rules"):
        for row in query(data, f"SELECT * FROM {table} ORDER BY 1"):
            h.update(repr(row).encode())
    return h.hexdigest()


def demo(data):
    ok(data.cli("profile", "add", "sales", "--classes",
                "internal,emergency,national", "--window",
                "international=mon-fri/08:00-19:00", "--allow", "+3314"))
    ok(data.cli("trunk", "add", "op1", "--kind", "register", "--host",
                "sip.operator.example", "--username", "33123456789",
                "--secret-stdin", "--codecs", "PCMA,opus",
                stdin=SECRET + "\n"))
    ok(data.cli("trunk", "add", "ip1", "--kind", "ip", "--host",
                "192.0.2.10", "--acl", "192.0.2.0/24"))
    ok(data.cli("route", "add", "fr", "--pattern", "0ZXXXXXXXX",
                "--trunks", "op1,ip1", "--strip", "1", "--prepend", "+33"))
    ok(data.cli("did", "add", "+33123456789", "--to", "100",
                "--alternate", "101"))
    ok(data.cli("user", "set", "100", "--profile", "sales", "--acl",
                "10.0.0.0/8", "--srtp", "required"))
    ok(data.cli("ceiling", "set", "global", "--hourly", "10",
                "--daily", "50"))
    ok(data.cli("bans", "add", "203.0.113.0/24", "--permanent",
                "--reason", "scanner"))
    ok(data.cli("bans", "add", "198.51.100.9", "--for", "1h"))


def export(data, tmp_path, name="conf.yaml"):
    path = tmp_path / name
    ok(data.cli("config", "export", str(path)))
    return path


def test_export_has_everything_but_secrets(data, tmp_path):
    demo(data)
    text = export(data, tmp_path).read_text()
    assert text.splitlines()[2] == "rempart_config: 1"
    for needle in ('name: "sales"', 'name: "op1"', 'secret: "set"',
                   'pattern: "0ZXXXXXXXX"', 'number: "+33123456789"',
                   'addr: "203.0.113.0/24"', 'hourly: "10.000000"',
                   'acl: ["10.0.0.0/8"]', 'default_profile:'):
        assert needle in text, needle
    assert SECRET not in text
    # A temporary ban is state, not configuration.
    assert "198.51.100.9" not in text
    # stdout gives the same text.
    assert ok(data.cli("config", "export")).stdout == text


def test_import_of_export_is_a_no_op(data, tmp_path):
    demo(data)
    path = export(data, tmp_path)
    before = db_digest(data)
    r = ok(data.cli("config", "import", str(path)))
    assert r.stdout.strip() == "no changes"
    assert db_digest(data) == before


def test_edit_changes_exactly_what_was_edited(data, tmp_path):
    demo(data)
    path = export(data, tmp_path)
    text = path.read_text()
    text = text.replace('host: "192.0.2.10"', 'host: "192.0.2.11"')
    text = text.replace('    ext: "100"\n    alternate: "101"\n',
                        '    ext: "100"\n    alternate: "102"\n')
    text = text.replace('''  - name: "fr"
    pattern: "0ZXXXXXXXX"''', '''  - name: "fr2"
    pattern: "0ZXXXXXXXX"''')
    path.write_text(text)
    seq = len(audit(data))

    r = ok(data.cli("config", "import", str(path), "--dry-run"))
    lines = r.stdout.splitlines()
    assert "~ trunk ip1: host" in lines
    assert "~ did +33123456789: alternate" in lines
    assert "+ route fr2" in lines
    assert "- route fr" in lines
    assert lines[-1] == "4 changes (dry run: nothing changed)"
    assert len(audit(data)) == seq
    assert "192.0.2.10" in ok(data.cli("trunk", "list")).stdout

    r = ok(data.cli("config", "import", str(path)))
    assert "4 changes applied" in r.stdout
    trunks = ok(data.cli("trunk", "list")).stdout
    assert "192.0.2.11" in trunks and "192.0.2.10" not in trunks
    assert "sip.operator.example" in trunks
    routes = ok(data.cli("route", "list")).stdout
    assert "fr2" in routes and "\nfr " not in routes
    dids = ok(data.cli("did", "list")).stdout
    assert "102" in dids
    # One audit entry per changed object, no secret in any.
    entries = audit(data)[seq:]
    assert sorted((a, o) for a, o, _, _ in entries) == sorted([
        ("config.trunk.set", "ip1"), ("config.did.set", "+33123456789"),
        ("config.route.add", "fr2"), ("config.route.remove", "fr")])
    assert all(SECRET not in b + a for _, _, b, a in entries)
    assert "intact" in ok(data.cli("audit", "verify")).stdout
    # The trunk kept its secret: a second import changes nothing.
    assert ok(data.cli("config", "import", str(path))).stdout.strip() == \
        "no changes"


def test_removed_objects_and_users(data, tmp_path):
    demo(data)
    path = tmp_path / "small.yaml"
    path.write_text('rempart_config: 1\n'
                    'users:\n'
                    '  - ext: "100"\n'
                    '  - ext: "101"\n')
    r = ok(data.cli("config", "import", str(path)))
    assert "- trunk op1" in r.stdout and "- profile sales" in r.stdout
    assert "user 102" not in r.stdout
    assert "op1" not in ok(data.cli("trunk", "list")).stdout
    # Users the file leaves out stay unless --prune-users.
    assert "102" in ok(data.cli("user", "list")).stdout
    r = ok(data.cli("config", "import", str(path), "--prune-users"))
    assert "- user 105" in r.stdout
    users = ok(data.cli("user", "list")).stdout
    assert "100" in users and "105" not in users


def test_new_users_and_trunk_secrets(data, tmp_path, monkeypatch):
    base = export(data, tmp_path).read_text()
    path = tmp_path / "new.yaml"
    path.write_text(base.replace("users:\n", 'users:\n  - ext: "777"\n', 1))
    before = db_digest(data)
    r = data.cli("config", "import", str(path))
    assert r.returncode == 1
    assert "user 777 does not exist" in r.stderr
    assert "rempart user add 777" in r.stderr
    trunk = ('trunks:\n  - name: "op9"\n    kind: "register"\n'
             '    host: "sip.example.net"\n    username: "u9"\n')
    path.write_text(base.replace("trunks: []\n", trunk +
                                 '    secret: "set"\n'))
    r = data.cli("config", "import", str(path))
    assert r.returncode == 1
    assert "trunk set op9 --secret-stdin" in r.stderr
    assert db_digest(data) == before
    # secret_env: the secret comes from the environment, never the file.
    path.write_text(base.replace("trunks: []\n", trunk +
                                 "    secret_env: RP_OP9_SECRET\n"))
    r = data.cli("config", "import", str(path))
    assert r.returncode == 1 and "RP_OP9_SECRET is not set" in r.stderr
    assert db_digest(data) == before
    monkeypatch.setenv("RP_OP9_SECRET", SECRET)
    r = ok(data.cli("config", "import", str(path)))
    assert "+ trunk op9" in r.stdout
    text = export(data, tmp_path, "after.yaml").read_text()
    assert 'secret: "set"' in text and SECRET not in text
    row = query(data, "SELECT secret FROM trunks WHERE name = 'op9'")
    assert row and SECRET.encode() not in bytes(row[0][0])


# (text to replace, its replacement, the line that must be named, the
# message): one edit each.
BAD = {
    "wrong type": ("    channels: 10\n", "    channels: [4]\n",
                   "channels: [4]", "channels: expected a whole number"),
    "unknown key": ("    port: 0\n", '    port: 0\n    colour: "blue"\n',
                    "colour", "unknown key 'colour'"),
    "bad CIDR": ('acl: ["192.0.2.0/24"]', 'acl: ["192.0.2.7/24"]',
                 "192.0.2.7/24", "acl: up to 32 addresses or networks"),
    "unknown profile": ('profile: "sales"', 'profile: "nope"', "nope",
                        "unknown profile 'nope'"),
}


def test_bad_files_refused_with_lines(data, tmp_path):
    demo(data)
    good = export(data, tmp_path).read_text()
    before = db_digest(data)
    for name, (old, new, marker, message) in BAD.items():
        assert old in good, name
        text = good.replace(old, new, 1)
        line = text[:text.index(marker)].count("\n") + 1
        path = tmp_path / "bad.yaml"
        path.write_text(text)
        r = data.cli("config", "import", str(path))
        assert r.returncode == 1, name
        assert f"bad.yaml:{line}: " in r.stderr, (name, r.stderr)
        assert message in r.stderr, (name, r.stderr)
        assert "nothing changed" in r.stderr
        assert db_digest(data) == before, name
    path = tmp_path / "syntax.yaml"
    path.write_text("rempart_config: 1\nusers: [\n")
    r = data.cli("config", "import", str(path))
    assert r.returncode == 1 and "YAML" in r.stderr
    assert "syntax.yaml:" in r.stderr
    assert data.cli("config", "import").returncode == 2
    assert data.cli("config", "frobnicate").returncode == 2
    assert db_digest(data) == before
    assert "intact" in ok(data.cli("audit", "verify")).stdout


def test_trunk_secret_from_the_importers_environment(pbx, data, tmp_path):
    """Through a running daemon or another host's API, secret_env is
    read where the import is run, never in the daemon's environment
    (R-ADMIN-5)."""
    admin, _ = make_key(data, "admin")
    base = export(data, tmp_path).read_text()
    trunk = ('trunks:\n  - name: "op9"\n    kind: "register"\n'
             '    host: "sip.example.net"\n    username: "u9"\n'
             '    secret_env: RP_OP9_SECRET\n')
    path = tmp_path / "new.yaml"
    path.write_text(base.replace("trunks: []\n", trunk))
    # The daemon has no such variable; the CLI's is what counts.
    env = dict(os.environ, RP_OP9_SECRET=SECRET)
    r = subprocess.run([str(data.rempart), "--data", str(data.path),
                        "config", "import", str(path)],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "+ trunk op9" in r.stdout
    row = query(data, "SELECT secret FROM trunks WHERE name = 'op9'")
    assert row and row[0][0] and SECRET.encode() not in bytes(row[0][0])
    # Over HTTPS: the YAML alone has no variables to read...
    now = export(data, tmp_path, "now.yaml").read_text()
    path.write_text(now.replace("trunks:\n", trunk.replace("op9", "op8"), 1))
    yaml = path.read_bytes()
    s, _, body = pbx.api.get("/api/v1/config/import", admin, method="POST",
                             body=yaml,
                             headers={"Content-Type": "application/yaml"})
    assert s == 400 and "RP_OP9_SECRET is not set" in json.dumps(body), body
    # ...the JSON form carries them.
    for bad in ({"file": 5}, {"file": "x", "other": 1},
                {"file": "x", "secret_env": []},
                {"file": "x", "secret_env": {"A": 1}}, [1]):
        s, _, body = call(pbx.api, "POST", "/api/v1/config/import", admin,
                          bad)
        assert s == 400 and body["error"]["code"] in (
            "invalid_body",), (bad, body)
    s, _, body = call(pbx.api, "POST", "/api/v1/config/import", admin,
                      {"file": yaml.decode(),
                       "secret_env": {"RP_OP9_SECRET": SECRET}})
    assert s == 200 and body["applied"] is True, body
    assert [(c["op"], c["kind"], c["key"]) for c in body["changes"]] == [
        ("add", "trunk", "op8")]
    assert SECRET not in (data.path / "rempart.db").read_bytes().decode(
        "latin-1")
