"""The rempart CLI: the hash-chained audit log. R-ADMIN-4."""
import hashlib
import os
import pwd
import re
import sqlite3
import time

import pytest

DROP_TRIGGERS = """
DROP TRIGGER audit_append_only; DROP TRIGGER audit_no_update;
DROP TRIGGER audit_no_delete; DROP TRIGGER audit_anchor_insert;
DROP TRIGGER audit_anchor_update; DROP TRIGGER audit_anchor_no_delete;
"""
INTACT_RE = re.compile(r"^audit chain intact: (\d+) entries, last #(\d+)$")


def db(data):
    return sqlite3.connect(str(data.path / "rempart.db"),
                           isolation_level=None)


def rows(data):
    conn = db(data)
    try:
        return conn.execute(
            "SELECT seq, actor, role, source, action, object, before, after"
            " FROM audit ORDER BY seq").fetchall()
    finally:
        conn.close()


def tamper(data, sql):
    conn = db(data)
    try:
        conn.executescript(DROP_TRIGGERS + sql)
    finally:
        conn.close()


def verify(data):
    r = data.cli("audit", "verify")
    return r.returncode, (r.stdout + r.stderr).strip()


def assert_intact(data, count, last):
    rc, out = verify(data)
    assert rc == 0, out
    m = INTACT_RE.match(out)
    assert m, out
    assert (int(m.group(1)), int(m.group(2))) == (count, last)


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def test_cli_actions_are_audited(data):
    me = pwd.getpwuid(os.geteuid()).pw_name
    # init --demo: the init itself and the six demo users.
    got = rows(data)
    assert [(r[4], r[5]) for r in got] == [("init", "")] + [
        ("user.add", str(e)) for e in range(100, 106)]
    assert '"realm":"rempart.test"' in got[0][7]

    ok(data.cli("user", "add", "200", "--name", "Alice",
                "--generate-secret"))
    ok(data.cli("user", "passwd", "200", "--generate-secret"))
    ok(data.cli("user", "disable", "200"))
    ok(data.cli("user", "enable", "200"))
    ok(data.cli("user", "set", "200", "--srtp", "required", "--codecs",
                "opus,PCMA"))
    ok(data.cli("bans", "add", "192.0.2.7", "--for", "1h", "--reason",
                "lab"))
    ok(data.cli("bans", "remove", "192.0.2.7"))
    # Failed actions change nothing and leave no entry.
    assert data.cli("user", "disable", "999").returncode == 1
    assert data.cli("bans", "remove", "192.0.2.8").returncode == 1
    assert data.cli("user", "add", "200", "--name", "X",
                    "--generate-secret").returncode == 1

    got = rows(data)
    assert len(got) == 14
    assert [r[0] for r in got] == list(range(1, 15))
    # The commands made through the API are the local socket's
    # administrator; 'init' still writes the store.
    for r in got:
        if r[4] == "init" or r[0] <= 7:
            assert r[1:4] == (me, "admin", "cli")
        else:
            assert r[1:4] == ("local:" + me, "admin", "local")
    new = [(r[4], r[5], r[6], r[7]) for r in got[7:]]
    assert new[0][:2] == ("user.add", "200")
    assert '"name":"Alice"' in new[0][3] and '"enabled":true' in new[0][3]
    assert new[1] == ("user.passwd", "200", "",
                      '{"credentials":"replaced"}')
    assert new[2] == ("user.disable", "200", '{"enabled":true}',
                      '{"enabled":false}')
    assert new[3] == ("user.enable", "200", '{"enabled":false}',
                      '{"enabled":true}')
    # The API writes the members sorted.
    assert new[4] == ("user.set", "200",
                      '{"codecs":"any","srtp":"optional"}',
                      '{"codecs":"opus,PCMA","srtp":"required"}')
    assert new[5][:3] == ("bans.add", "192.0.2.7", "")
    assert '"reason":"lab"' in new[5][3]
    assert new[6][:2] == ("bans.remove", "192.0.2.7")
    assert '"reason":"lab"' in new[6][2] and new[6][3] == ""

    assert_intact(data, 14, 14)

    r = ok(data.cli("audit", "list"))
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["SEQ", "TIME", "(UTC)"]
    assert len(lines) == 15
    assert lines[-1].split()[0] == "14" and "bans.remove" in lines[-1]
    r = ok(data.cli("audit", "list", "--limit", "2"))
    assert [l.split()[0] for l in r.stdout.splitlines()[1:]] == ["13", "14"]
    r = ok(data.cli("audit", "list", "--since", "1h"))
    assert len(r.stdout.splitlines()) == 15
    r = ok(data.cli("audit", "list", "--since", "2000-01-01",
                    "--limit", "1"))
    assert len(r.stdout.splitlines()) == 2
    for bad in (["--limit", "0"], ["--limit", "x"], ["--since", "yesterday"],
                ["--bogus"]):
        assert data.cli("audit", "list", *bad).returncode == 2


def test_secrets_never_in_audit(data):
    given = "kT8#vQ2!mZ7$wR4p"
    stdin_secret = "Zr5!pL9#xW2$qN7m"
    ok(data.cli("user", "add", "300", "--name", "Carol", "--secret", given))
    ok(data.cli("user", "passwd", "300", "--secret-stdin",
                stdin=stdin_secret + "\n"))
    r = ok(data.cli("user", "passwd", "300", "--generate-secret"))
    generated = re.search(r"secret (\S+) \(shown once\)", r.stdout).group(1)
    secrets = [given, stdin_secret, generated, *data.secrets.values()]
    exts = {given: "300", stdin_secret: "300", generated: "300"}
    exts.update({s: e for e, s in data.secrets.items()})
    forbidden = []
    for s in secrets:
        ha1 = f"{exts[s]}:{data.realm}:{s}".encode()
        forbidden += [s, hashlib.md5(ha1).hexdigest(),
                      hashlib.sha256(ha1).hexdigest()]
    conn = db(data)
    try:
        text = "\n".join(
            "|".join(str(v) for v in row)
            for row in conn.execute("SELECT * FROM audit"))
        text += "\n".join(
            str(row) for row in conn.execute("SELECT * FROM settings"))
    finally:
        conn.close()
    text += ok(data.cli("audit", "list")).stdout
    for f in forbidden:
        assert f not in text
        assert f.upper() not in text


def test_triggers_refuse_changes(data):
    conn = db(data)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM audit WHERE seq = 2")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM audit")
    finally:
        conn.close()
    assert_intact(data, 7, 7)


@pytest.mark.parametrize("sql, seq, reason", [
    ("UPDATE audit SET after = '{\"realm\":\"evil\"}' WHERE seq = 1", 1,
     "hash mismatch"),
    ("UPDATE audit SET actor = 'mallory' WHERE seq = 3", 3, "hash mismatch"),
    ("UPDATE audit SET object = '999' WHERE seq = 5", 5, "hash mismatch"),
    ("UPDATE audit SET at_ms = at_ms - 1000 WHERE seq = 7", 7,
     "hash mismatch"),
    ("UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 4", 4,
     "prev_hash mismatch"),
    ("DELETE FROM audit WHERE seq = 4", 4, "missing"),
    ("DELETE FROM audit WHERE seq = 4;"
     "UPDATE audit SET seq = seq - 1 WHERE seq > 4", 4, "prev_hash mismatch"),
    ("UPDATE audit SET seq = 100 WHERE seq = 2;"
     "UPDATE audit SET seq = 2 WHERE seq = 3;"
     "UPDATE audit SET seq = 3 WHERE seq = 100", 2, "prev_hash mismatch"),
    ("DELETE FROM audit WHERE seq >= 6", 6, "tail record"),
])
def test_tampering_detected(data, sql, seq, reason):
    assert_intact(data, 7, 7)
    tamper(data, sql)
    rc, out = verify(data)
    assert rc == 1, out
    assert out.startswith(f"audit chain broken at entry #{seq}: "), out
    assert reason in out, out
    # Retention refuses to erase the evidence.
    r = data.cli("audit", "prune", "--older-than", "1s")
    assert r.returncode == 1
    assert "broken" in r.stderr


def test_prune_keeps_chain_verifiable(data):
    r = ok(data.cli("audit", "retention"))
    assert "400 days" in r.stdout
    ok(data.cli("audit", "retention", "730"))
    assert "730 days" in ok(data.cli("audit", "retention")).stdout
    assert data.cli("audit", "retention", "0").returncode == 2
    # Nothing is a year old yet.
    ok(data.cli("audit", "prune"))
    assert len(rows(data)) == 9
    # The cut-off is now - 1 s in whole seconds: wait long enough that
    # it falls after the last entry whatever the sub-second phase.
    time.sleep(2.2)
    r = ok(data.cli("audit", "prune", "--older-than", "1s"))
    assert "removed 9 " in r.stdout
    got = rows(data)
    assert [g[4] for g in got] == ["audit.prune"]
    assert_intact(data, 1, 10)
    ok(data.cli("user", "disable", "100"))
    assert_intact(data, 2, 11)
    # Removing the oldest entry left is caught: the anchor is keyed.
    tamper(data, "DELETE FROM audit WHERE seq = 10")
    rc, out = verify(data)
    assert rc == 1
    assert out.startswith("audit chain broken at entry #10: "), out
