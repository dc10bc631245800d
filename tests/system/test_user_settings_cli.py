"""The rempart CLI: per-user media and access settings (user set, user
show). R-CRYPTO-2, R-NET-1."""
import sqlite3
import time


def show(data, ext):
    r = data.cli("user", "show", ext)
    assert r.returncode == 0, r.stderr
    fields = {}
    for line in r.stdout.splitlines():
        key, value = line.split(":", 1)
        fields[key] = value.strip()
    return fields


def test_show_defaults(data):
    f = show(data, "100")
    assert f["extension"] == "100"
    assert f["name"] == "Demo 100"
    assert f["state"] == "enabled"
    assert (f["srtp"], f["codecs"], f["acl"]) == ("optional", "any", "any")
    assert f["created"].endswith("Z") and f["updated"].endswith("Z")
    # No secret, sealed or not, is shown.
    r = data.cli("user", "show", "100")
    assert data.secrets["100"] not in r.stdout
    assert "ha1" not in r.stdout.lower()


def test_set_and_show(data):
    r = data.cli("user", "set", "101", "--srtp", "required", "--codecs",
                 "opus, PCMA,telephone-event", "--acl",
                 "192.0.2.0/24, 2001:DB8:0::/32,::ffff:198.51.100.9")
    assert r.returncode == 0, r.stderr
    assert "101" in r.stdout
    f = show(data, "101")
    assert f["srtp"] == "required"
    assert f["codecs"] == "opus,PCMA,telephone-event"
    # Stored normalised.
    assert f["acl"] == "192.0.2.0/24,2001:db8::/32,198.51.100.9"
    # Others are untouched.
    assert show(data, "100")["srtp"] == "optional"

    # One option changes one setting and keeps the others.
    assert data.cli("user", "set", "101", "--srtp",
                    "optional").returncode == 0
    f = show(data, "101")
    assert f["srtp"] == "optional"
    assert f["codecs"] == "opus,PCMA,telephone-event"
    assert f["acl"].startswith("192.0.2.0/24")
    assert data.cli("user", "set", "101", "--codecs", "any").returncode == 0
    assert data.cli("user", "set", "101", "--acl", "any").returncode == 0
    f = show(data, "101")
    assert (f["srtp"], f["codecs"], f["acl"]) == ("optional", "any", "any")


def test_list_shows_srtp(data):
    assert data.cli("user", "set", "102", "--srtp",
                    "required").returncode == 0
    r = data.cli("user", "list")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["EXTENSION", "STATE", "SRTP", "NAME"]
    rows = {l.split()[0]: l.split(None, 3) for l in lines[1:]}
    assert rows["102"][1:] == ["enabled", "required", "Demo 102"]
    assert rows["100"][1:] == ["enabled", "optional", "Demo 100"]


def test_stored_in_database(data):
    assert data.cli("user", "set", "103", "--srtp", "required", "--codecs",
                    "G722", "--acl", "10.0.0.0/8").returncode == 0
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        row = conn.execute("SELECT srtp, codecs, acl FROM users "
                           "WHERE ext = '103'").fetchone()
    finally:
        conn.close()
    assert row == ("required", "G722", "10.0.0.0/8")


def test_bad_values(data):
    before = show(data, "104")
    bad = [
        ("--srtp", "always"),
        ("--srtp", ""),
        ("--codecs", "op us"),
        ("--codecs", "opus,"),
        ("--codecs", "opus,OPUS"),
        ("--codecs", "x" * 33),
        ("--codecs", ",".join(f"c{i}" for i in range(17))),
        ("--codecs", "=cmd"),
        ("--acl", "192.0.2.7/24"),
        ("--acl", "192.0.2.0/33"),
        ("--acl", "host.example"),
        ("--acl", "192.0.2.1,"),
        ("--acl", ",".join(f"10.0.{i}.0/24" for i in range(33))),
    ]
    for opt, value in bad:
        args = [opt, value]
        if opt != "--srtp":
            args = ["--srtp", "required"] + args
        r = data.cli("user", "set", "104", *args)
        assert r.returncode == 2, (opt, value, r.stderr)
        assert opt in r.stderr, r.stderr
    # Nothing was written, not even the valid --srtp of a bad command.
    assert show(data, "104") == before


def test_usage_errors(data):
    r = data.cli("user", "set", "104")
    assert r.returncode == 2 and "--srtp, --codecs or --acl" in r.stderr
    r = data.cli("user", "set", "104", "--srtp")
    assert r.returncode == 2
    r = data.cli("user", "set", "104", "--srtp", "required", "--srtp",
                 "optional")
    assert r.returncode == 2
    r = data.cli("user", "set", "104", "--color", "blue")
    assert r.returncode == 2
    r = data.cli("user", "set", "a b", "--srtp", "required")
    assert r.returncode == 2 and "invalid extension" in r.stderr
    r = data.cli("user", "show", "104", "extra")
    assert r.returncode == 2


def test_unknown_extension(data):
    r = data.cli("user", "set", "999", "--srtp", "required")
    assert r.returncode == 1 and "no extension 999" in r.stderr
    r = data.cli("user", "show", "999")
    assert r.returncode == 1 and "no extension 999" in r.stderr


def test_daemon_reloads(daemon):
    """The running daemon is told to reload, and loads the settings."""
    data = daemon.data
    offset = daemon.log.stat().st_size
    r = data.cli("user", "set", "105", "--srtp", "required", "--codecs",
                 "PCMA", "--acl", "127.0.0.0/8,::1")
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 10
    while time.time() < deadline:
        if "users reloaded" in daemon.log.read_text()[offset:]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("no reload:\n" + daemon.log.read_text())
    assert daemon.alive()
