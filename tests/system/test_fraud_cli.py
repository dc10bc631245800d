"""The rempart CLI: anti-fraud configuration (schema migration 7): rights
profiles, user profiles, the rate table, ceilings, blocks and rules.
R-FRAUD-1, R-FRAUD-2, R-FRAUD-3, R-FRAUD-5, R-ADMIN-4."""
import sqlite3


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def failed(r, code, text):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert text in r.stderr, r.stderr
    return r


def fields(r):
    out = {}
    for line in ok(r).stdout.splitlines():
        key, value = line.split(":", 1)
        out[key] = value.strip()
    return out


def audit(data):
    conn = sqlite3.connect(str(data.path / "rempart.db"))
    try:
        return conn.execute("SELECT action, object, before, after FROM audit"
                            " ORDER BY seq").fetchall()
    finally:
        conn.close()


def last_audit(data):
    return audit(data)[-1]


def test_seeded_profiles(data):
    r = ok(data.cli("profile", "list"))
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:]}
    assert set(rows) == {"lobby", "staff", "international"}
    assert rows["staff"][1] == "default"
    assert rows["lobby"][2] == "internal,emergency"
    for row in rows.values():
        assert "premium" not in row[2] and "high-risk" not in row[2]
    assert "international" in rows["international"][2]
    assert ok(data.cli("profile", "default")).stdout.strip() == "staff"
    assert fields(data.cli("user", "show", "100"))["profile"] == "default"


def test_profile_add_set_show_remove(data):
    ok(data.cli("profile", "add", "office", "--classes",
                "internal,emergency,national", "--window",
                "international=mon-fri/08:00-19:00", "--window",
                "mobile=mon-fri/08:00-19:00", "--allow", "+3312, +4420",
                "--deny", "+33899"))
    f = fields(data.cli("profile", "show", "office"))
    assert f["classes"] == "internal,emergency,national"
    assert f["window"] == "mobile,international=mon-fri/08:00-19:00"
    assert f["allow"] == "+3312,+4420"
    assert f["deny"] == "+33899"
    assert f["default"] == "no"
    assert last_audit(data)[:2] == ("profile.add", "office")

    ok(data.cli("profile", "set", "office", "--window", "none", "--deny",
                "none", "--classes", "internal,emergency,mobile"))
    f = fields(data.cli("profile", "show", "office"))
    assert (f["classes"], f["window"], f["deny"], f["allow"]) == (
        "internal,emergency,mobile", "none", "none", "+3312,+4420")
    action, obj, before, after = last_audit(data)
    assert (action, obj) == ("profile.set", "office")
    assert "+33899" in before and "+33899" not in after

    failed(data.cli("profile", "add", "office", "--classes", "internal"), 1,
           "already exists")
    failed(data.cli("profile", "set", "nosuch", "--classes", "internal"), 1,
           "no profile nosuch")
    failed(data.cli("profile", "show", "nosuch"), 1, "no profile nosuch")

    # In use by a user, then by the default: refused.
    ok(data.cli("user", "set", "101", "--profile", "office"))
    assert fields(data.cli("user", "show", "101"))["profile"] == "office"
    assert last_audit(data)[:2] == ("user.set", "101")
    failed(data.cli("profile", "remove", "office"), 1,
           "in use by extension 101")
    ok(data.cli("user", "set", "101", "--profile", "default"))
    assert fields(data.cli("user", "show", "101"))["profile"] == "default"
    ok(data.cli("profile", "default", "office"))
    assert last_audit(data)[:2] == ("profile.default", "office")
    assert ok(data.cli("profile", "default")).stdout.strip() == "office"
    failed(data.cli("profile", "remove", "office"), 1,
           "is the default profile")
    ok(data.cli("profile", "default", "staff"))
    r = ok(data.cli("profile", "remove", "office"))
    assert "removed" in r.stdout
    assert last_audit(data)[:2] == ("profile.remove", "office")
    failed(data.cli("profile", "remove", "office"), 1, "no profile office")


def test_profile_errors(data):
    failed(data.cli("profile", "add", "p1", "--classes", "internal,intl"), 2,
           "invalid --classes 'internal,intl'")
    failed(data.cli("profile", "add", "p1", "--classes", "internal",
                    "--allow", "33"), 2, "invalid --allow '33'")
    failed(data.cli("profile", "add", "p1", "--classes", "internal",
                    "--window", "international=mon-fri/08:00-25:00"), 2,
           "invalid --window")
    failed(data.cli("profile", "add", "p1", "--classes", "internal",
                    "--window", "international=mon-fri/08:00-19:00",
                    "--window", "mobile=sat/08:00-19:00"), 2,
           "same days and hours")
    failed(data.cli("profile", "add", "p1", "--classes",
                    "internal,international", "--window",
                    "international=mon-fri/08:00-19:00"), 2,
           "both in --classes and in a window")
    failed(data.cli("profile", "add", "P 1", "--classes", "internal"), 2,
           "invalid profile name")
    failed(data.cli("profile", "add", "p1"), 2, "needs --classes")
    failed(data.cli("profile", "default", "nosuch"), 1, "no profile nosuch")
    failed(data.cli("user", "set", "100", "--profile", "nosuch"), 1,
           "no profile nosuch")
    failed(data.cli("user", "set", "100", "--profile", "Bad!"), 2,
           "invalid --profile")
    failed(data.cli("profile", "show", "p1"), 1, "no profile p1")
    assert all(a[0] not in ("profile.add", "user.set") for a in audit(data))


RATES = """# prefix per_minute setup first incr label
+ 0.50 0 60 60 rest of the world
+33 0.02 0 1 1 France
+336 0.10 0.05 30 6 France mobile
"""


def test_rates(data, tmp_path):
    good = tmp_path / "rates.txt"
    good.write_text(RATES)
    r = ok(data.cli("rate", "import", str(good)))
    assert "3 rates imported" in r.stdout
    action, obj, _, after = last_audit(data)
    assert (action, obj) == ("rate.import", "rates")
    assert '"rates":3' in after
    lines = ok(data.cli("rate", "list")).stdout.splitlines()
    assert lines[0].split()[:3] == ["PREFIX", "PER_MINUTE", "SETUP"]
    assert [line.split()[0] for line in lines[1:]] == ["+", "+33", "+336"]
    f = fields(data.cli("rate", "show", "+33612345678"))
    assert (f["prefix"], f["per minute"], f["setup"]) == (
        "+336", "0.100000", "0.050000")
    assert f["label"] == "France mobile"
    assert f["one minute"] == "0.150000"
    assert fields(data.cli("rate", "show", "33144556677"))["prefix"] == "+33"
    assert fields(data.cli("rate", "show", "+15551234"))["prefix"] == "+"
    failed(data.cli("rate", "show", "+33abc"), 2, "invalid number")

    bad = tmp_path / "bad.txt"
    bad.write_text("+44 0.02 0 1 1\n\n+49 0.0x 0 1 1\n")
    failed(data.cli("rate", "import", str(bad)), 1,
           "bad.txt:3: bad per-minute amount")
    lines = ok(data.cli("rate", "list")).stdout.splitlines()
    assert len(lines) == 4, "a bad file changes nothing"
    failed(data.cli("rate", "import", str(tmp_path / "none.txt")), 1,
           "none.txt")

    only = tmp_path / "only.txt"
    only.write_text("+44 0.02 0 1 1\n")
    ok(data.cli("rate", "import", str(only)))
    failed(data.cli("rate", "show", "+33612345678"), 1, "no rate for")


def test_ceilings(data):
    ok(data.cli("ceiling", "set", "user", "100", "--hourly", "5",
                "--daily", "20.5"))
    ok(data.cli("ceiling", "set", "global", "--daily", "1000"))
    action, obj, before, after = last_audit(data)
    assert (action, obj) == ("ceiling.set", "global")
    assert '"daily":1000000000' in after
    ok(data.cli("ceiling", "set", "user", "100", "--hourly", "none"))
    lines = ok(data.cli("ceiling", "list")).stdout.splitlines()
    rows = [line.split() for line in lines[1:]]
    assert rows == [["global", "-", "none", "1000.000000"],
                    ["user", "100", "none", "20.500000"]]
    failed(data.cli("ceiling", "set", "user", "100", "--daily", "12,5"), 2,
           "invalid --daily '12,5'")
    failed(data.cli("ceiling", "set", "user", "100", "--daily", "0"), 2,
           "invalid --daily")
    failed(data.cli("ceiling", "set", "user", "999", "--daily", "1"), 1,
           "no extension 999")
    failed(data.cli("ceiling", "set", "user", "100"), 2, "needs --hourly")
    r = ok(data.cli("ceiling", "remove", "user", "100"))
    assert "removed" in r.stdout
    assert last_audit(data)[:2] == ("ceiling.remove", "user:100")
    failed(data.cli("ceiling", "remove", "user", "100"), 1, "no ceiling")
    assert len(ok(data.cli("ceiling", "list")).stdout.splitlines()) == 2


def test_blocks(data):
    assert len(ok(data.cli("fraud", "blocks")).stdout.splitlines()) == 1
    ok(data.cli("fraud", "block", "user", "100", "--reason", "lost phone"))
    assert last_audit(data)[:2] == ("fraud.block", "user:100")
    ok(data.cli("fraud", "block", "global"))
    lines = ok(data.cli("fraud", "blocks")).stdout.splitlines()
    assert [line.split()[:3] for line in lines[1:]] == [
        ["global", "-", "manual"], ["user", "100", "manual"]]
    assert "lost phone" in lines[2]
    failed(data.cli("fraud", "block", "user", "999"), 1, "no extension 999")
    failed(data.cli("fraud", "block", "user", "100", "--reason", "a\tb"), 2,
           "invalid --reason")

    ok(data.cli("fraud", "unblock", "user", "100", "--reason", "found"))
    action, obj, _, after = last_audit(data)
    assert (action, obj) == ("fraud.unblock", "user:100")
    assert "found" in after
    failed(data.cli("fraud", "unblock", "user", "100"), 1, "is not blocked")
    lines = ok(data.cli("fraud", "blocks")).stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["global"]
    failed(data.cli("fraud", "unblock", "tenant", "x"), 1, "is not blocked")
    failed(data.cli("fraud", "block", "--tenant", "x"), 1, "no tenant x")
    failed(data.cli("fraud", "unblock", "--tenant", "X!"), 2,
           "invalid tenant")
    failed(data.cli("fraud", "unblock", "planet", "x"), 2, "usage")


def rules(data):
    out = {}
    for line in ok(data.cli("fraud", "rules")).stdout.splitlines()[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            out[key] = value.strip()
        else:
            name, mode, count, window = line.split()
            out[name] = (mode, count, window)
    return out


def test_rules(data):
    r = rules(data)
    assert r["sequential"] == ("block", "5", "600s")
    assert r["call-rate"] == ("deny", "10", "60s")
    assert r["business hours"] == "mon-fri/08:00-19:00"
    ok(data.cli("fraud", "rule", "sequential", "--mode", "alert", "--count",
                "6", "--tail-digits", "3"))
    action, obj, before, after = last_audit(data)
    assert (action, obj) == ("fraud.rule", "sequential")
    assert '"mode":"block"' in before and '"mode":"alert"' in after
    ok(data.cli("fraud", "rule", "off-hours-intl", "--mode", "deny",
                "--hours", "mon-sat/07:00-20:00"))
    ok(data.cli("fraud", "set", "--utc-offset", "-60", "--cut-running", "no",
                "--ceiling-block", "window"))
    assert last_audit(data)[:2] == ("fraud.set", "options")
    r = rules(data)
    assert r["sequential"] == ("alert", "6", "600s")
    assert r["tail digits"] == "3"
    assert r["off-hours-intl"][0] == "deny"
    assert r["business hours"] == "mon-sat/07:00-20:00"
    assert r["utc offset"] == "-60 min"
    assert r["cut running"] == "no"
    assert r["ceiling block"] == "until the window ends"

    n = len(audit(data))
    failed(data.cli("fraud", "rule", "call-rate", "--count", "99"), 2,
           "invalid settings for call-rate")
    failed(data.cli("fraud", "rule", "call-rate", "--mode", "maybe"), 2,
           "invalid --mode 'maybe'")
    failed(data.cli("fraud", "rule", "nosuch", "--mode", "off"), 2,
           "no rule 'nosuch'")
    failed(data.cli("fraud", "rule", "short-burst", "--window", "0"), 2,
           "invalid settings for short-burst")
    failed(data.cli("fraud", "set", "--utc-offset", "2000"), 2,
           "invalid --utc-offset")
    failed(data.cli("fraud", "rule", "spend-spike", "--min-spend", "x"), 2,
           "invalid --min-spend")
    assert len(audit(data)) == n
    assert rules(data)["call-rate"] == ("deny", "10", "60s")


def test_audit_chain_verifies(data):
    ok(data.cli("profile", "add", "p2", "--classes", "internal"))
    ok(data.cli("ceiling", "set", "global", "--hourly", "10"))
    ok(data.cli("audit", "verify"))
    r = ok(data.cli("audit", "list"))
    assert "profile.add" in r.stdout and "ceiling.set" in r.stdout
