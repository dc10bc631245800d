"""Groups and tenants of the anti-fraud engine, end to end (R-FRAUD-1,
R-FRAUD-2, R-FRAUD-3, R-FRAUD-6, R-FRAUD-8).

A group gives its rights profile to its members that have none of their
own, and its tenant scopes ceilings and blocks over all its members.
Calls go out through an IP trunk to a SIPp carrier on CARRIER; every
change is made with the CLI and reaches the running daemon by its
reload."""
import time

from conftest import free_port
from test_calls import (ANSWERED, cdr_rows, finish, pbx, sipp, start_uac,
                        start_uas)
from test_trunk_calls import CARRIER, NO_PROBES, wait_log

__all__ = ["pbx", "sipp"]

UK = "0044201234567"
LOADED = 'msg="anti-fraud policy loaded"'


def ok(r):
    assert r.returncode == 0, r.stderr
    return r


def change(d, data, *args):
    """Runs a CLI change and waits for the daemon to load the policy."""
    before = d.log.read_text().count(LOADED)
    r = ok(data.cli(*args))
    deadline = time.time() + 10
    while d.log.read_text().count(LOADED) <= before:
        assert time.time() < deadline, d.log.read_text()[-2000:]
        time.sleep(0.05)
    return r


def setup_trunk(d, data, tmp_path, rates="+44 0.60 0 1 1 UK\n"):
    port = free_port()
    ok(data.cli("trunk", "add", "op1", "--kind", "ip", "--host", CARRIER,
                "--port", str(port), "--acl", CARRIER + "/32"))
    ok(data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                "op1"))
    path = tmp_path / "rates.txt"
    path.write_text(rates)
    ok(data.cli("rate", "import", str(path)))
    wait_log(d, 'msg="trunks loaded" trunks=1 usable=1 routes=1')
    return port


def refused(sipp, tmp_path, d, data, ext, name):
    """A call of ext to the UK, refused with 403; returns its record."""
    work = tmp_path / name
    work.mkdir()
    uac = start_uac(sipp, work, "uac", "call_uac_fail.xml", d.udp, ext,
                    data.secrets[ext], UK, data.realm)
    assert uac.wait() == 0, uac
    codes = [m.split()[1] for m in uac.received("SIP/2.0 ")]
    assert "403" in codes and "200" not in codes, uac
    rows = [r for r in cdr_rows(data)
            if r["caller_ext"] == ext and r["dialed"] == UK]
    assert rows and rows[-1]["disposition"] == "denied", rows
    return rows[-1]


def answered(sipp, tmp_path, d, data, ext, name, port):
    """A call of ext to the UK, answered by the carrier."""
    work = tmp_path / name
    work.mkdir()
    carrier = start_uas(sipp, work, "op1", "carrier_ok.xml", port,
                        addr=CARRIER)
    uac = start_uac(sipp, work, "uac", "call_uac.xml", d.udp, ext,
                    data.secrets[ext], UK, data.realm)
    rc_uac, rc_op = finish(uac, carrier)
    assert rc_uac == 0 and rc_op == 0, f"{uac}\n{carrier}"
    assert uac.counts() == (1, 0), uac
    assert len(carrier.received("INVITE ")) == 1, carrier


def test_group_profile_applies_to_members(sipp, pbx, data, tmp_path):
    d = pbx(*NO_PROBES)
    port = setup_trunk(d, data, tmp_path)
    ok(data.cli("group", "add", "lobbyg", "--profile", "lobby",
                "--description", "Lobby phones"))
    ok(data.cli("group", "add", "intl", "--profile", "international"))

    # A member of a lobby-profile group: internal and emergency only.
    change(d, data, "user", "set", "100", "--group", "lobbyg")
    row = refused(sipp, tmp_path, d, data, "100", "lobby")
    assert row["reason"], row

    # Moved to the international group: the call goes out.
    change(d, data, "user", "set", "100", "--group", "intl")
    answered(sipp, tmp_path, d, data, "100", "intl", port)

    # The user's own profile wins over the group's.
    change(d, data, "user", "set", "100", "--profile", "lobby")
    refused(sipp, tmp_path, d, data, "100", "own")
    show = ok(data.cli("group", "show", "intl")).stdout
    assert "100" in show and "lobby" in show, show

    # A change of the group's profile reaches its members on reload.
    change(d, data, "user", "set", "100", "--profile", "default")
    change(d, data, "group", "set", "intl", "--profile", "lobby")
    refused(sipp, tmp_path, d, data, "100", "group-changed")


def test_tenant_ceiling_blocks_its_users_only(sipp, pbx, data, tmp_path):
    d = pbx(*NO_PROBES)
    port = setup_trunk(d, data, tmp_path)
    ok(data.cli("group", "add", "acme-sales", "--profile", "international",
                "--tenant", "acme"))
    ok(data.cli("group", "add", "acme-support", "--profile",
                "international", "--tenant", "acme"))
    ok(data.cli("group", "add", "globex", "--profile", "international",
                "--tenant", "globex"))
    ok(data.cli("user", "set", "100", "--group", "acme-sales"))
    ok(data.cli("user", "set", "101", "--group", "acme-support"))
    ok(data.cli("user", "set", "102", "--group", "globex"))
    change(d, data, "ceiling", "set", "--tenant", "acme", "--daily", "0.05")
    listing = ok(data.cli("ceiling", "list")).stdout.splitlines()
    assert any(line.split()[:2] == ["tenant", "acme"] for line in listing), \
        listing

    # 100's call counts toward acme's ceiling: cut, and acme blocked.
    work = tmp_path / "cut"
    work.mkdir()
    carrier = start_uas(sipp, work, "op1", "carrier_ok.xml", port,
                        addr=CARRIER)
    uac = start_uac(sipp, work, "uac", "call_uac_wait_bye.xml", d.udp,
                    "100", data.secrets["100"], UK, data.realm, seconds=60)
    rc_uac, rc_op = finish(uac, carrier)
    assert rc_uac == 0 and rc_op == 0, f"{uac}\n{carrier}"
    rows = [r for r in cdr_rows(data) if r["caller_ext"] == "100"]
    assert rows[-1]["disposition"] in ANSWERED, rows
    assert "ceiling" in rows[-1]["reason"], rows
    deadline = time.time() + 5
    while True:
        blocks = ok(data.cli("fraud", "blocks")).stdout.splitlines()
        if any(line.split()[:2] == ["tenant", "acme"] for line in blocks):
            break
        assert time.time() < deadline, blocks
        time.sleep(0.1)

    # Both users of acme are refused with a denied record naming why;
    # a user of another tenant still calls out.
    for ext in ("100", "101"):
        row = refused(sipp, tmp_path, d, data, ext, f"blocked{ext}")
        assert row["reason"].startswith("fraud:"), row
    answered(sipp, tmp_path, d, data, "102", "globex", port)

    # The tenant's block survives a restart, and an admin lifts it.
    d.restart()
    refused(sipp, tmp_path, d, data, "101", "after-restart")
    change(d, data, "fraud", "unblock", "--tenant", "acme")
    change(d, data, "ceiling", "remove", "--tenant", "acme")
    answered(sipp, tmp_path, d, data, "101", "unblocked", port)


def test_group_and_switch_cli(data):
    # DISA and outdial: off by default, on and off again, audited.
    show = ok(data.cli("fraud", "show")).stdout
    assert "disa:             off" in show and \
        "outdial:          off" in show, show
    ok(data.cli("fraud", "set", "disa", "on"))
    assert "disa:             on" in ok(data.cli("fraud", "show")).stdout
    ok(data.cli("fraud", "set", "disa", "off"))
    ok(data.cli("fraud", "set", "outdial", "on"))
    show = ok(data.cli("fraud", "show")).stdout
    assert "disa:             off" in show and \
        "outdial:          on" in show, show
    r = data.cli("fraud", "set", "disa", "maybe")
    assert r.returncode == 2 and "on or off" in r.stderr, r
    audit = ok(data.cli("audit", "list")).stdout
    assert audit.count("fraud.set") >= 3, audit
    assert '"disa":true' in audit, audit

    # Unknown group, bad names: a clear error, nothing stored.
    r = data.cli("user", "set", "100", "--group", "nosuch")
    assert r.returncode == 1 and "no group nosuch" in r.stderr, r
    r = data.cli("group", "add", "g1", "--tenant", "Bad Tenant")
    assert r.returncode == 2 and "invalid --tenant" in r.stderr, r
    r = data.cli("group", "add", "G1")
    assert r.returncode == 2 and "invalid group name" in r.stderr, r
    r = data.cli("group", "add", "g1", "--profile", "nosuch")
    assert r.returncode == 1 and "no profile nosuch" in r.stderr, r
    r = data.cli("ceiling", "set", "--tenant", "nobody", "--daily", "5")
    assert r.returncode == 1 and "no tenant nobody" in r.stderr, r
    r = data.cli("ceiling", "set", "--tenant", "Bad!", "--daily", "5")
    assert r.returncode == 2 and "invalid tenant" in r.stderr, r
    listing = ok(data.cli("group", "list")).stdout.splitlines()
    assert len(listing) == 1, listing

    # A group with members is kept unless --force.
    ok(data.cli("group", "add", "g1", "--tenant", "t1"))
    ok(data.cli("user", "set", "100", "--group", "g1"))
    ok(data.cli("user", "set", "101", "--group", "g1"))
    r = data.cli("group", "remove", "g1")
    assert r.returncode == 1 and "has 2 members" in r.stderr, r
    assert "g1" in ok(data.cli("group", "list")).stdout
    r = data.cli("profile", "remove", "lobby")
    assert r.returncode == 0, r
    ok(data.cli("group", "set", "g1", "--profile", "staff"))
    r = data.cli("profile", "remove", "staff")
    assert r.returncode == 1, r
    ok(data.cli("group", "set", "g1", "--profile", "default", "--tenant",
                "none"))
    assert "tenant:      none" in ok(data.cli("group", "show", "g1")).stdout
    ok(data.cli("user", "set", "101", "--group", "none"))
    r = ok(data.cli("group", "remove", "g1", "--force"))
    assert "1 member taken out" in r.stdout, r.stdout
    assert "g1" not in ok(data.cli("group", "list")).stdout
    audit = ok(data.cli("audit", "list")).stdout
    for action in ("group.add", "group.set", "group.remove-force",
                   "user.set"):
        assert action in audit, audit
