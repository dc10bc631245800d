"""A real softphone, Debian's baresip, registers to the daemon over UDP
and over TLS, and is refused with a wrong password. R-CALL-1, R-AUTH-4,
R-NET-2.

baresip runs headless: no UI module (stdio cannot poll /dev/null), no
audio, a private config directory per test, and our own PID to stop it.
Whether it registered is checked from both sides: an authenticated
REGISTER query (no Contact, RFC 3261 §10.2.3) must list baresip's
contact, and baresip must print its "200 OK" line."""
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import Daemon, free_port
from sipclient import (Client, digest_params, digest_response, header,
                       parse, status_of)

BARESIP = shutil.which("baresip") or "/usr/bin/baresip"
MODULES = "/usr/lib/baresip/modules"
# Our queries come from another loopback address: a refused baresip on
# 127.0.0.1 may get that address banned (R-NET-2).
QUERY_FROM = "127.0.0.3"
WAIT_S = 15


@pytest.fixture
def daemon(rempartd, data):
    """Debian 12's baresip (libre 1.1.0) gives up on a challenge whose
    algorithm it lacks, even when an MD5 one comes with it: its phones
    need the MD5-only setting, as many deployed phones do."""
    d = Daemon(rempartd, data, extra=["--digest", "md5"])
    yield d
    assert d.stop() == 0


def two_free_ports():
    """A port p with p and p + 1 free for UDP and TCP: baresip listens
    for UDP and TCP on the sip_listen port and for TLS on the next."""
    for _ in range(50):
        p = free_port()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no two free ports")


class Baresip:
    """baresip with a config directory of its own, in the foreground."""

    def __init__(self, tmp_path, account, cafile=None):
        self.dir = tmp_path / "baresip"
        self.dir.mkdir()
        self.port = two_free_ports()
        self.tls_port = self.port + 1
        config = [
            "poll_method\tepoll",
            f"module_path\t{MODULES}",
            f"sip_listen\t127.0.0.1:{self.port}",
        ]
        if cafile:
            config.append(f"sip_cafile\t{cafile}")
        # Only the account loader: no UI, audio, video or NAT modules.
        config.append("module_tmp\taccount.so")
        (self.dir / "config").write_text("\n".join(config) + "\n")
        (self.dir / "accounts").write_text(account + "\n")
        self.out = tmp_path / "baresip.out"
        with open(self.out, "w") as f:
            # -s: the SIP trace goes to the output too, for diagnosis;
            # -t: baresip quits by itself should this test die.
            self.proc = subprocess.Popen(
                [BARESIP, "-f", str(self.dir), "-s", "-t", "120"],
                stdin=subprocess.DEVNULL, stdout=f,
                stderr=subprocess.STDOUT)

    def output(self):
        # Without its colour escapes.
        return re.sub(r"\x1b\[[0-9;]*m", "", self.out.read_text())

    def stop(self):
        """SIGTERM (baresip unregisters), then SIGKILL: never by name."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def account(user, secret, transport, port, realm):
    """An account line for baresip 1.0: the domain does not resolve, so
    the REGISTER is routed by the outbound proxy parameter."""
    return (f"<sip:{user}@{realm};transport={transport}>;"
            f"auth_pass={secret};"
            f'outbound="sip:127.0.0.1:{port};transport={transport}";'
            f"regint=600")


def bindings(daemon, data, user):
    """The contacts bound to a user, by an authenticated REGISTER query."""
    q = Client(daemon.udp, bind=QUERY_FROM)
    try:
        uri = f"sip:{data.realm}"
        q.send(q.request("REGISTER", uri, user, data.realm, contact=False))
        chal = q.recv()
        assert status_of(chal) == 401, chal
        p = digest_params(header(parse(chal)[1], "WWW-Authenticate")[0])
        resp = digest_response(p["algorithm"], user, p["realm"],
                               data.secrets[user], "REGISTER", uri,
                               p["nonce"], "00000001", "bq1")
        q.send(q.request("REGISTER", uri, user, data.realm, [
            f'Authorization: Digest username="{user}", '
            f'realm="{p["realm"]}", nonce="{p["nonce"]}", uri="{uri}", '
            f'response="{resp}", algorithm={p["algorithm"]}, qop=auth, '
            f'nc=00000001, cnonce="bq1", opaque="{p["opaque"]}"'],
            contact=False))
        ok = q.recv()
        assert status_of(ok) == 200, ok
        return header(parse(ok)[1], "Contact")
    finally:
        q.close()


def gave_up(out):
    """baresip's own report that it stopped trying, e.g. "reg:
    sip:100@rempart.test: Register: Function not implemented"."""
    m = re.search(r"^reg: \S+: Register: (.+)$", out, re.M)
    return m.group(1) if m else None


def ok_line(user, realm, transport):
    """baresip's line for a registration answered 200, e.g.
    "100@rempart.test: {0/UDP/v4} 200 OK () [1 binding]"."""
    return re.compile(rf"^{user}@{re.escape(realm)}: "
                      rf"\{{\d+/{transport.upper()}/v4\}} 200 OK", re.M)


def register_and_check(daemon, data, tmp_path, transport):
    user = "100"
    port = daemon.udp if transport == "udp" else daemon.tls
    cert = data.path / "tls" / "cert.pem"
    b = Baresip(tmp_path, account(user, data.secrets[user], transport, port,
                                  data.realm),
                cafile=cert if transport == "tls" else None)
    bport = b.port if transport == "udp" else b.tls_port
    mine = re.compile(rf"<sip:{user}-[^@>]*@127\.0\.0\.1:{bport}[;>]")
    ok = ok_line(user, data.realm, transport)
    try:
        deadline = time.time() + WAIT_S
        while True:
            out = b.output()
            why = gave_up(out)
            assert why is None, (
                f"baresip gave up: {why}\n{out}\n--- rempartd:\n"
                f"{daemon.log.read_text()}")
            assert b.proc.poll() is None, f"baresip exited:\n{out}"
            contacts = bindings(daemon, data, user)
            if any(mine.search(c) for c in contacts) and \
                    ok.search(out):
                break
            assert time.time() < deadline, (
                f"no binding for baresip after {WAIT_S} s: {contacts}\n"
                f"{out}\n--- rempartd:\n{daemon.log.read_text()}")
            time.sleep(0.3)
        if transport == "tls":
            assert ";transport=tls" in next(
                c for c in contacts if mine.search(c)), contacts
    finally:
        b.stop()


def test_baresip_registers_over_udp(daemon, data, tmp_path):
    register_and_check(daemon, data, tmp_path, "udp")


def test_baresip_registers_over_tls(daemon, data, tmp_path):
    """R-CRYPTO-1: over TLS 1.3, the daemon's self-signed certificate
    given to baresip as its CA."""
    register_and_check(daemon, data, tmp_path, "tls")


def test_baresip_wrong_password_refused(daemon, data, tmp_path):
    """No binding, and the daemon logs the failures; baresip 1.0.0 retries
    at once with the same wrong secret, so its source gets banned.""" 
    user = "100"
    b = Baresip(tmp_path, account(user, "Wrong-Password-1234", "udp",
                                  daemon.udp, data.realm))
    try:
        deadline = time.time() + WAIT_S
        while True:
            out = b.output()
            log = daemon.log.read_text()
            why = gave_up(out)
            assert why is None, (
                f"baresip gave up: {why}\n{out}\n--- rempartd:\n{log}")
            if "event=ban src=127.0.0.1" in log:
                break
            assert time.time() < deadline, (
                f"no ban seen in {WAIT_S} s\n{out}\n--- rempartd:\n"
                f"{log}")
            time.sleep(0.3)
        assert not ok_line(user, data.realm, "udp").search(out), out
        assert bindings(daemon, data, user) == []
        assert re.search(r"event=auth_failure src=127\.0\.0\.1 "
                         rf'transport=udp user="{user}"', log), log
    finally:
        b.stop()
