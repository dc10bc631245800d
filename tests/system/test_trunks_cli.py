"""The rempart CLI: operator trunks, outbound routes, DIDs and service
continuity settings (storage and CLI; schema migration 5). R-CRYPTO-3,
R-ADMIN-4."""
import json
import sqlite3
import time

SECRET = "Op3rator-Trunk-S3cret"


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def fields(r):
    out = {}
    for line in ok(r).stdout.splitlines():
        key, value = line.split(":", 1)
        out[key] = value.strip()
    return out


def query(data, sql, *args):
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def audit(data):
    return query(data, "SELECT action, object, before, after FROM audit"
                 " ORDER BY seq")


def add_reg(data, name="op1", *extra, secret=SECRET):
    return data.cli("trunk", "add", name, "--kind", "register", "--host",
                    "sip.operator.example", "--username", "33123456789",
                    "--secret-stdin", *extra, stdin=secret + "\n")


def add_ip(data, name="ip1", *extra):
    return data.cli("trunk", "add", name, "--kind", "ip", "--host",
                    "192.0.2.10", "--port", "5060", "--acl",
                    "192.0.2.0/24, 2001:DB8::/32", *extra)


def test_trunk_add_show_list(data):
    r = ok(add_reg(data, "op1", "--transport", "tls", "--auth-user",
                   "auth33", "--realm", "operator.example", "--codecs",
                   "PCMA, opus", "--outbound-cid", "+33123456789",
                   "--channels", "4", "--expires", "300"))
    assert "op1" in r.stdout
    assert SECRET not in r.stdout + r.stderr
    f = fields(data.cli("trunk", "show", "op1"))
    assert f["kind"] == "register"
    assert f["transport"] == "tls"
    assert f["host"] == "sip.operator.example"
    assert f["port"] == "default"
    assert f["username"] == "33123456789"
    assert f["auth user"] == "auth33"
    assert f["realm"] == "operator.example"
    assert f["secret"] == "set"
    assert f["codecs"] == "PCMA,opus"
    assert f["outbound cid"] == "+33123456789"
    assert f["channels"] == "4"
    assert f["expires"] == "300"
    assert f["state"] == "enabled"

    ok(add_ip(data))
    f = fields(data.cli("trunk", "show", "ip1"))
    assert (f["kind"], f["port"], f["secret"]) == ("ip", "5060", "none")
    assert f["acl"] == "192.0.2.0/24,2001:db8::/32"
    assert f["transport"] == "udp"

    r = ok(data.cli("trunk", "list"))
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "TRANSPORT", "HOST", "PORT",
                                "CHANNELS", "STATE"]
    assert [l.split()[0] for l in lines[1:]] == ["ip1", "op1"]
    assert SECRET not in r.stdout


def test_secret_never_in_clear(data):
    ok(add_reg(data))
    # Sealed: nonce, ciphertext and tag, nothing readable.
    rows = query(data, "SELECT secret FROM trunks WHERE name = 'op1'")
    assert len(rows) == 1 and rows[0][0] is not None
    assert SECRET.encode() not in bytes(rows[0][0])
    assert len(rows[0][0]) == 1 + 12 + len(SECRET) + 16
    assert query(data, "SELECT count(*) FROM trunks WHERE instr(secret, ?)"
                 " > 0", SECRET.encode()) == [(0,)]
    # Nowhere in the files, the audit log included.
    for p in data.path.glob("rempart.db*"):
        assert SECRET.encode() not in p.read_bytes(), p
    for action, obj, before, after in audit(data):
        assert SECRET not in before + after
    # A changed secret is not shown either.
    ok(data.cli("trunk", "set", "op1", "--secret-stdin",
                stdin="N3w-Secret-Value\n"))
    for p in data.path.glob("rempart.db*"):
        assert b"N3w-Secret-Value" not in p.read_bytes(), p
    assert fields(data.cli("trunk", "show", "op1"))["secret"] == "set"


def test_trunk_bad_values(data):
    base = ["trunk", "add", "t", "--kind", "ip", "--host", "192.0.2.1",
            "--acl", "192.0.2.0/24"]
    bad = [
        (["--kind", "pbx"], "--kind"),
        (["--host", "bad host"], "--host"),
        (["--host", "192.0.2.300"], "--host"),
        (["--port", "0"], "--port"),
        (["--port", "65536"], "--port"),
        (["--port", "-1"], "--port"),
        (["--transport", "sctp"], "--transport"),
        (["--acl", "192.0.2.7/24"], "--acl"),
        (["--acl", "none"], "--acl"),
        (["--channels", "0"], "--channels"),
        (["--channels", "10001"], "--channels"),
        (["--codecs", "opus,OPUS"], "--codecs"),
        (["--outbound-cid", "0123456789"], "--outbound-cid"),
        (["--expires", "59"], "--expires"),
        (["--expires", "3601"], "--expires"),
        (["--username", "a@b"], "--username"),
        (["--realm", 'a"b'], "--realm"),
    ]
    for extra, opt in bad:
        # Later options override nothing: each is given once.
        args = list(base)
        for i in range(0, len(extra), 2):
            if extra[i] in args:
                j = args.index(extra[i])
                args[j + 1] = extra[i + 1]
            else:
                args += extra[i:i + 2]
        r = data.cli(*args)
        assert r.returncode == 2, (extra, r.stderr)
        assert opt in r.stderr, (extra, r.stderr)
    # An IP trunk without allowed networks is refused.
    r = data.cli("trunk", "add", "t", "--kind", "ip", "--host", "192.0.2.1")
    assert r.returncode == 2 and "--acl" in r.stderr
    # A registration trunk needs a username and a secret.
    r = data.cli("trunk", "add", "t", "--kind", "register", "--host",
                 "sip.example", "--secret-stdin", stdin=SECRET + "\n")
    assert r.returncode == 2 and "--username" in r.stderr
    r = data.cli("trunk", "add", "t", "--kind", "register", "--host",
                 "sip.example", "--username", "u")
    assert r.returncode == 2 and "--secret-stdin" in r.stderr
    r = add_reg(data, "t", secret="has space")
    assert r.returncode == 2 and "--secret-stdin" in r.stderr
    r = add_reg(data, "t", secret="")
    assert r.returncode == 2
    # Names, usage.
    for name in ("Op", "a b", "x" * 33, ""):
        r = data.cli("trunk", "add", name, "--kind", "ip", "--host",
                     "192.0.2.1", "--acl", "192.0.2.1")
        assert r.returncode == 2 and "invalid trunk name" in r.stderr
    assert data.cli("trunk", "add", "t").returncode == 2
    assert data.cli("trunk", "add", "t", "--kind", "ip", "--kind",
                    "ip").returncode == 2
    assert data.cli("trunk", "add", "t", "--color", "red").returncode == 2
    assert data.cli("trunk", "show").returncode == 2
    assert data.cli("trunk").returncode == 2
    # Nothing was written.
    assert query(data, "SELECT count(*) FROM trunks") == [(0,)]
    assert not [a for a in audit(data) if a[0].startswith("trunk.")]


def test_trunk_duplicate_and_missing(data):
    ok(add_ip(data))
    r = add_ip(data)
    assert r.returncode == 1 and "already exists" in r.stderr
    for verb in ("show", "disable", "enable", "remove"):
        r = data.cli("trunk", verb, "nope")
        assert r.returncode == 1 and "no trunk nope" in r.stderr, verb
    r = data.cli("trunk", "set", "nope", "--channels", "3")
    assert r.returncode == 1 and "no trunk nope" in r.stderr


def test_trunk_set_disable_enable_remove(data):
    ok(add_reg(data))
    ok(data.cli("trunk", "set", "op1", "--channels", "8", "--transport",
                "tcp"))
    f = fields(data.cli("trunk", "show", "op1"))
    assert (f["channels"], f["transport"], f["secret"]) == ("8", "tcp", "set")
    # A bad value leaves the trunk as it was.
    r = data.cli("trunk", "set", "op1", "--channels", "9", "--host", "a b")
    assert r.returncode == 2
    assert fields(data.cli("trunk", "show", "op1"))["channels"] == "8"

    ok(data.cli("trunk", "disable", "op1"))
    assert fields(data.cli("trunk", "show", "op1"))["state"] == "disabled"
    assert "disabled" in data.cli("trunk", "list").stdout
    ok(data.cli("trunk", "enable", "op1"))
    assert fields(data.cli("trunk", "show", "op1"))["state"] == "enabled"
    ok(data.cli("trunk", "remove", "op1"))
    assert data.cli("trunk", "show", "op1").returncode == 1

    acts = [(a, o) for a, o, _, _ in audit(data) if a.startswith("trunk.")]
    assert acts == [("trunk.add", "op1"), ("trunk.set", "op1"),
                    ("trunk.disable", "op1"), ("trunk.enable", "op1"),
                    ("trunk.remove", "op1")]
    entries = {a: (b, c) for a, o, b, c in audit(data)}
    after = json.loads(entries["trunk.add"][1])
    assert after["secret"] == "set" and after["host"] == "sip.operator.example"
    before, after = entries["trunk.set"]
    assert json.loads(before)["channels"] == 10
    assert json.loads(after)["channels"] == 8
    assert json.loads(entries["trunk.disable"][1]) == {"enabled": False}
    assert json.loads(entries["trunk.remove"][0])["kind"] == "register"
    assert entries["trunk.remove"][1] == ""
    rc = data.cli("audit", "verify")
    assert rc.returncode == 0, rc.stdout + rc.stderr


def test_routes(data):
    ok(add_reg(data, "op1"))
    ok(add_ip(data, "ip1"))
    r = ok(data.cli("route", "add", "fr", "--pattern", "0[1-9]xxxxxxxx",
                    "--trunks", "op1,ip1", "--strip", "1", "--prepend",
                    "+33"))
    assert "fr" in r.stdout
    ok(data.cli("route", "add", "mobile", "--pattern", "0[67]XXXXXXXX",
                "--trunks", "ip1", "--strip", "1", "--prepend", "+33",
                "--priority", "200"))
    ok(data.cli("route", "add", "intl", "--pattern", "00.", "--trunks",
                "ip1,op1", "--strip", "2", "--prepend", "+"))
    ok(data.cli("route", "add", "e164", "--pattern", "+.", "--trunks",
                "op1", "--priority", "5"))
    lines = ok(data.cli("route", "list")).stdout.splitlines()
    assert lines[0].split() == ["NAME", "PATTERN", "PRIORITY", "STRIP",
                                "PREPEND", "TRUNKS", "STATE"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows["fr"][1:] == ["0[1-9]XXXXXXXX", "100", "1", "+33",
                              "op1,ip1", "enabled"]
    assert [l.split()[0] for l in lines[1:]] == ["e164", "fr", "intl",
                                                "mobile"]

    def test(number):
        return fields(data.cli("route", "test", number))

    # The most specific pattern wins, whatever its priority.
    assert test("0612345678") == {"route": "mobile",
                                  "number": "+33612345678",
                                  "trunks": "ip1"}
    assert test("0123456789") == {"route": "fr", "number": "+33123456789",
                                  "trunks": "op1,ip1"}
    assert test("0044201234567") == {"route": "intl",
                                      "number": "+44201234567",
                                      "trunks": "ip1,op1"}
    assert test("+33123456789")["route"] == "e164"
    r = data.cli("route", "test", "12345")
    assert r.returncode == 1 and "no route for 12345" in r.stderr
    r = data.cli("route", "test", "12a")
    assert r.returncode == 2
    # A disabled trunk is left out of the candidates.
    ok(data.cli("trunk", "disable", "ip1"))
    f = test("0123456789")
    assert f["trunks"].startswith("op1") and "1 disabled" in f["trunks"]
    ok(data.cli("trunk", "enable", "ip1"))

    # A trunk in use cannot be removed.
    r = data.cli("trunk", "remove", "ip1")
    assert r.returncode == 1 and "used by route" in r.stderr
    for name in ("fr", "mobile", "intl"):
        ok(data.cli("route", "remove", name))
    ok(data.cli("trunk", "remove", "ip1"))
    r = data.cli("route", "remove", "fr")
    assert r.returncode == 1 and "no route fr" in r.stderr

    acts = [(a, o) for a, o, _, _ in audit(data) if a.startswith("route.")]
    assert acts[:4] == [("route.add", "fr"), ("route.add", "mobile"),
                        ("route.add", "intl"), ("route.add", "e164")]
    assert acts[4:] == [("route.remove", "fr"), ("route.remove", "mobile"),
                        ("route.remove", "intl")]
    after = json.loads([c for a, o, b, c in audit(data)
                        if (a, o) == ("route.add", "fr")][0])
    assert after["pattern"] == "0[1-9]XXXXXXXX"
    assert after["trunks"] == "op1,ip1"


def test_route_errors(data):
    ok(add_ip(data, "ip1"))
    base = ["route", "add", "r", "--pattern", "0.", "--trunks", "ip1"]
    bad = [
        (["--pattern", "0.1"], "--pattern"),
        (["--pattern", "A"], "--pattern"),
        (["--pattern", "[5-1]"], "--pattern"),
        (["--pattern", ""], "--pattern"),
        (["--trunks", "ip1,ip1"], "--trunks"),
        (["--trunks", "a,b,c,d,e,f,g,h,i"], "--trunks"),
        (["--trunks", "IP1"], "--trunks"),
        (["--priority", "x"], "--priority"),
        (["--priority", "1000001"], "--priority"),
        (["--strip", "21"], "--strip"),
        (["--prepend", "12a"], "--prepend"),
        (["--prepend", "1" * 21], "--prepend"),
    ]
    for extra, opt in bad:
        args = list(base)
        if extra[0] in args:
            args[args.index(extra[0]) + 1] = extra[1]
        else:
            args += extra
        r = data.cli(*args)
        assert r.returncode == 2, (extra, r.stderr)
        assert opt in r.stderr, (extra, r.stderr)
    r = data.cli("route", "add", "r", "--pattern", "0.", "--trunks",
                 "ip1,ghost")
    assert r.returncode == 1 and "no trunk ghost" in r.stderr
    r = data.cli("route", "add", "r", "--pattern", "0.")
    assert r.returncode == 2 and "--trunks" in r.stderr
    r = data.cli("route", "add", "Bad", "--pattern", "0.", "--trunks", "ip1")
    assert r.returncode == 2 and "invalid route name" in r.stderr
    assert query(data, "SELECT count(*) FROM routes") == [(0,)]
    ok(data.cli(*base))
    r = data.cli(*base)
    assert r.returncode == 1 and "already exists" in r.stderr
    assert data.cli("route", "frobnicate").returncode == 2


def test_dids(data):
    r = ok(data.cli("did", "add", "+33199999999", "--to", "100",
                    "--alternate", "101", "--ring-timeout", "20"))
    assert "+33199999999" in r.stdout
    ok(data.cli("did", "add", "+33199999998", "--to", "102", "--alternate",
                "+33612345678"))
    ok(data.cli("did", "add", "+33199999997", "--to", "103"))
    lines = ok(data.cli("did", "list")).stdout.splitlines()
    assert lines[0].split() == ["NUMBER", "EXTENSION", "ALTERNATE",
                                "TIMEOUT", "STATE"]
    rows = {l.split()[0]: l.split()[1:] for l in lines[1:]}
    assert rows == {
        "+33199999999": ["100", "101", "20", "enabled"],
        "+33199999998": ["102", "+33612345678", "30", "enabled"],
        "+33199999997": ["103", "-", "30", "enabled"],
    }
    bad = [
        ("33199", "--to", "100"),
        ("+0331", "--to", "100"),
        ("+33100", "--to", "a b"),
        ("+33100", "--to", "100", "--alternate", "+0"),
        ("+33100", "--to", "100", "--alternate", "100"),
        ("+33100", "--to", "100", "--ring-timeout", "4"),
        ("+33100", "--to", "100", "--ring-timeout", "301"),
        ("+33100",),
    ]
    for args in bad:
        r = data.cli("did", "add", *args)
        assert r.returncode == 2, (args, r.stderr)
    r = data.cli("did", "add", "+33100", "--to", "999")
    assert r.returncode == 1 and "no extension 999" in r.stderr
    r = data.cli("did", "add", "+33100", "--to", "100", "--alternate", "998")
    assert r.returncode == 1 and "no extension 998" in r.stderr
    r = data.cli("did", "add", "+33199999999", "--to", "100")
    assert r.returncode == 1 and "already exists" in r.stderr
    assert query(data, "SELECT count(*) FROM dids") == [(3,)]

    ok(data.cli("did", "remove", "+33199999997"))
    r = data.cli("did", "remove", "+33199999997")
    assert r.returncode == 1 and "no DID" in r.stderr
    acts = [(a, o) for a, o, _, _ in audit(data) if a.startswith("did.")]
    assert acts == [("did.add", "+33199999999"), ("did.add", "+33199999998"),
                    ("did.add", "+33199999997"),
                    ("did.remove", "+33199999997")]
    after = json.loads([c for a, o, b, c in audit(data)
                        if (a, o) == ("did.add", "+33199999999")][0])
    assert after == {"to": "100", "alternate": "101", "ring_timeout": 20,
                     "enabled": True}


def test_user_continuity(data):
    ok(data.cli("user", "set", "100", "--alternate", "101",
                "--outbound-number", "+33199999999"))
    f = fields(data.cli("user", "show", "100"))
    assert (f["alternate"], f["outbound"]) == ("101", "+33199999999")
    assert query(data, "SELECT alternate, outbound_number FROM users WHERE"
                 " ext = '100'") == [("101", "+33199999999")]
    ok(data.cli("user", "set", "100", "--alternate", "+33612345678"))
    f = fields(data.cli("user", "show", "100"))
    assert (f["alternate"], f["outbound"]) == ("+33612345678",
                                               "+33199999999")
    ok(data.cli("user", "set", "100", "--alternate", "none",
                "--outbound-number", "none"))
    f = fields(data.cli("user", "show", "100"))
    assert (f["alternate"], f["outbound"]) == ("none", "none")

    for args in (("--alternate", "100"), ("--alternate", "+0"),
                 ("--alternate", "a b"), ("--outbound-number", "0123"),
                 ("--outbound-number", "101")):
        r = data.cli("user", "set", "100", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert args[0] in r.stderr
    r = data.cli("user", "set", "100", "--alternate", "999")
    assert r.returncode == 1 and "no extension 999" in r.stderr
    # No partial write: the valid --srtp of a failed command is not kept.
    r = data.cli("user", "set", "100", "--srtp", "required", "--alternate",
                 "999")
    assert r.returncode == 1
    assert fields(data.cli("user", "show", "100"))["srtp"] == "optional"

    sets = [(b, c) for a, o, b, c in audit(data)
            if (a, o) == ("user.set", "100")]
    assert json.loads(sets[0][0]) == {"alternate": "",
                                      "outbound_number": ""}
    assert json.loads(sets[0][1]) == {"alternate": "101",
                                      "outbound_number": "+33199999999"}


def test_schema_version(data):
    assert query(data, "SELECT version FROM schema_version") == [(9,)]
    # The schema itself refuses an IP trunk without networks.
    ok(add_ip(data))
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        try:
            conn.execute("UPDATE trunks SET acl = '' WHERE name = 'ip1'")
            conn.commit()
            raise AssertionError("accepted an IP trunk without acl")
        except sqlite3.IntegrityError:
            pass
    finally:
        conn.close()


def test_daemon_told_to_reload(daemon):
    """Each change signals the running daemon, which stays up."""
    data = daemon.data
    offset = daemon.log.stat().st_size
    ok(add_ip(data))
    deadline = time.time() + 10
    while time.time() < deadline:
        if "reload" in daemon.log.read_text()[offset:]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no reload:\n" + daemon.log.read_text())
    ok(data.cli("route", "add", "all", "--pattern", ".", "--trunks", "ip1"))
    ok(data.cli("did", "add", "+33199999999", "--to", "100"))
    assert daemon.alive()
