"""The web console end to end in real headless Chromium (R-ADMIN-3,
R-OPS-1, R-AUTH-6): tests/console/console_e2e.mjs drives Debian's
chromium with playwright-core through login with TOTP enrolment, an
extension created on the page, its registration on the dashboard, its
call's record, a ban, a fraud block and the audit log. This file starts
the daemon and the SIP side and answers the script's steps over stdio:
a real softphone (baresip) registers as the new extension, and SIPp
calls from it to a SIPp callee registered as 101."""
import json
import os
import pathlib
import shutil
import subprocess
import threading
import time

import pytest

from conftest import Daemon, free_port
from test_admin_login import PASSWORD, add_admin
from test_api import tcp_port
from test_baresip import Baresip, account, gave_up, ok_line
from test_calls import (finish, register_at, start_uac, start_uas,
                        wait_cdr)

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "tests" / "console"
CHROMIUM = "/usr/bin/chromium"
RUN_S = 240


@pytest.fixture
def pbx(rempartd, data):
    port = tcp_port()
    d = Daemon(rempartd, data, extra=["--digest", "md5", "--api",
                                      f"127.0.0.1:{port}"])
    d.api_port = port
    yield d
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


def reloads(d):
    return d.log.read_text().count('msg="users reloaded"')


class Steps:
    """The SIP side of the script's steps."""

    def __init__(self, d, data, tmp_path, reloaded):
        self.d, self.data, self.tmp = d, data, tmp_path
        self.reloaded = reloaded
        self.phone = None
        self.sipp = shutil.which("sipp")

    def register(self, ext, secret):
        # The extension was created through the API, which asked the
        # daemon to reload its users: wait for that before registering.
        deadline = time.time() + 10
        while reloads(self.d) <= self.reloaded:
            assert time.time() < deadline, "no reload after user creation"
            time.sleep(0.1)
        self.phone = Baresip(self.tmp, account(ext, secret, "udp",
                                               self.d.udp, self.data.realm))
        ok = ok_line(ext, self.data.realm, "udp")
        deadline = time.time() + 15
        while not ok.search(self.phone.output()):
            out = self.phone.output()
            assert gave_up(out) is None, out
            assert self.phone.proc.poll() is None, out
            assert time.time() < deadline, out
            time.sleep(0.2)

    def call(self, caller, secret, callee):
        port = free_port()
        register_at(self.d, self.data, callee, port)
        uas = start_uas(self.sipp, self.tmp, "uas", "call_uas.xml", port)
        uac = start_uac(self.sipp, self.tmp, "uac", "call_uac.xml",
                        self.d.udp, caller, secret, callee, self.data.realm)
        rc_uac, rc_uas = finish(uac, uas)
        assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"

    def livecall(self, caller, secret, callee):
        """A call that stays up until someone else ends it."""
        port = free_port()
        register_at(self.d, self.data, callee, port)
        self.live = (
            start_uac(self.sipp, self.tmp, "live_uac",
                      "call_uac_wait_bye.xml", self.d.udp, caller, secret,
                      callee, self.data.realm, seconds=90),
            start_uas(self.sipp, self.tmp, "live_uas", "call_uas.xml", port,
                      seconds=90))

    def livecall_end(self, caller, callee):
        """Ended from the page: both sides got a BYE and the record says
        an administrator ended it."""
        uac, uas = self.live
        rc_uac, rc_uas = finish(uac, uas)
        assert rc_uac == 0 and rc_uas == 0, f"{uac}\n{uas}"
        assert uac.received("BYE ") and uas.received("BYE "), f"{uac}\n{uas}"
        row = wait_cdr(self.data, lambda r: r.get("caller_ext") == caller
                       and r.get("dialed") == callee
                       and "ended by admin" in r.get("reason", ""))
        assert row["disposition"] == "answered", row

    def close(self):
        for p in getattr(self, "live", ()):
            if p.proc.poll() is None:
                p.proc.kill()
        if self.phone is not None:
            self.phone.stop()


def test_console_end_to_end(pbx, data, tmp_path):
    node = shutil.which("node")
    assert node, "node not installed (run scripts/deps)"
    assert os.access(CHROMIUM, os.X_OK), "chromium not installed " \
        "(run scripts/deps)"
    assert (CONSOLE / "node_modules" / "playwright-core").is_dir(), \
        "playwright-core missing: run scripts/deps"
    assert shutil.which("sipp"), "sipp not installed (run scripts/deps)"
    before = reloads(pbx)
    add_admin(data, "opal")
    r = data.cli("fraud", "block", "user", "102", "--reason",
                 "console test block")
    assert r.returncode == 0, r.stderr
    # The block's own reload first, so that the one awaited later is
    # the page's.
    deadline = time.time() + 10
    while reloads(pbx) <= before:
        assert time.time() < deadline, "no reload after fraud block"
        time.sleep(0.1)
    time.sleep(0.5)
    env = dict(os.environ, CONSOLE_URL=f"https://127.0.0.1:{pbx.api_port}/",
               ADMIN_NAME="opal", ADMIN_PASSWORD=PASSWORD,
               BLOCKED_EXT="102", CHROMIUM=CHROMIUM)
    errf = open(tmp_path / "node.err", "w")
    proc = subprocess.Popen([node, str(CONSOLE / "console_e2e.mjs")],
                            cwd=CONSOLE, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=errf, text=True)
    # The whole run is bounded: past RUN_S the script is killed.
    timer = threading.Timer(RUN_S, proc.kill)
    timer.start()
    steps = Steps(pbx, data, tmp_path, reloads(pbx))
    done, seen = False, []
    try:
        for line in proc.stdout:
            line = line.strip()
            if line == "DONE":
                done = True
                continue
            if not line.startswith("STEP "):
                continue
            _, name, arg = line.split(" ", 2)
            seen.append(name)
            arg = json.loads(arg)
            if name == "register":
                steps.register(arg["ext"], arg["secret"])
            elif name == "call":
                steps.call(arg["from"], arg["secret"], arg["to"])
            elif name == "livecall":
                steps.livecall(arg["from"], arg["secret"], arg["to"])
            elif name == "livecall_end":
                steps.livecall_end(arg["from"], arg["to"])
            else:
                pytest.fail(f"unknown step {name}")
            proc.stdin.write(json.dumps({"ok": True}) + "\n")
            proc.stdin.flush()
        rc = proc.wait(timeout=30)
    finally:
        timer.cancel()
        steps.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        errf.close()
    err = (tmp_path / "node.err").read_text()
    assert rc == 0 and done, f"console test failed (rc {rc}):\n{err}\n" \
        f"--- rempartd:\n{pbx.log.read_text()[-4000:]}"
    assert seen == ["register", "call", "livecall", "livecall_end"], seen
    # What the page did is in the store: the CLI agrees.
    r = data.cli("user", "show", "200")
    assert r.returncode == 0 and "Console test" in r.stdout, r.stdout
    r = data.cli("fraud", "blocks")
    assert "console test block" not in r.stdout, r.stdout
    r = data.cli("audit", "verify")
    assert r.returncode == 0, r.stdout + r.stderr
