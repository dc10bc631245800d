"""A real softphone call with encrypted media: two Debian baresip, 100
and 101, register over TLS with mandatory SRTP (SDES, mediaenc=
srtp-mand); 100 dials 101, which answers by itself; 100 sends a WAV file
(random noise) for a few seconds, then hangs up. R-CALL-1, R-CALL-2,
R-CRYPTO-1, R-CRYPTO-2.

Checked: both phones report the call established and SRTP in use
(baresip's ctrl_tcp events CALL_ESTABLISHED, CALL_MENC, and its log);
on the loopback (an AF_PACKET socket, so root), UDP packets flow to and
from the daemon's relay ports both ways, none carries the WAV's PCMU
bytes and none has the size of a plain PCMU packet (SRTP adds its
authentication tag); the CDR says media_encrypted=1.

baresip is run as in test_baresip.py (headless, private config, stopped
by PID) and driven through its ctrl_tcp module (netstring JSON on a
loopback port of its own): "dial", "hangup", and its events. The daemon
runs with `--digest md5` (Debian's baresip does MD5 only).

test_capture_* need no daemon: the same capture against a direct call
between the two phones shows the check has teeth (plain RTP is seen,
SRTP is not)."""
import csv
import io
import json
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import wave

import pytest

from conftest import Daemon, free_port

BARESIP = shutil.which("baresip") or "/usr/bin/baresip"
MODULES = "/usr/lib/baresip/modules"
RELAY_PORTS = range(20000, 30000)
WAIT_S = 15
ETH_P_ALL = 0x0003


@pytest.fixture
def daemon(rempartd, data):
    d = Daemon(rempartd, data, extra=["--digest", "md5"])
    yield d
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


@pytest.fixture(scope="module")
def noise_wav(tmp_path_factory):
    """10 s of random 16-bit noise at 8 kHz, and its PCMU (G.711 u-law)
    bytes: what a plain RTP stream of it would carry."""
    path = tmp_path_factory.mktemp("wav") / "noise.wav"
    rnd = random.Random(20261123)
    pcm = bytes(rnd.getrandbits(8) for _ in range(8000 * 2 * 10))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(pcm)
    return path, ulaw(pcm)


def ulaw(pcm):
    """G.711 u-law of little-endian 16-bit samples (ITU-T G.711, as
    baresip's g711 module computes it)."""
    out = bytearray()
    for (s,) in struct.iter_unpack("<h", pcm):
        sign = 0x80 if s < 0 else 0
        mag = min(-s if s < 0 else s, 32635) + 0x84
        exp = 7
        while exp > 0 and not mag & (0x4000 >> (7 - exp)):
            exp -= 1
        mant = (mag >> (exp + 3)) & 0x0F
        out.append(~(sign | (exp << 4) | mant) & 0xFF)
    return bytes(out)


def windows(data, n=8):
    return {data[i:i + n] for i in range(len(data) - n + 1)}


def carries(payload, known, n=8):
    return any(payload[i:i + n] in known
               for i in range(len(payload) - n + 1))


class Capture:
    """UDP/IPv4 packets on the loopback whose source or destination port
    is in `ports`: (src port, dst port, UDP payload). Each packet shows
    once (outgoing copies on lo are skipped)."""

    def __init__(self, ports):
        self.ports = ports
        self.packets = []
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_ev.is_set():
            try:
                frame, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 0x0F) * 4
            sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
            if sport in self.ports or dport in self.ports:
                self.packets.append((sport, dport,
                                     ip[ihl + 8:ihl + ulen]))

    def stop(self):
        self.stop_ev.set()
        self.thread.join(5)
        self.sock.close()
        return self.packets


class Phone:
    """baresip with a config directory of its own and ctrl_tcp."""

    def __init__(self, tmp_path, name, account, wav, cafile=None,
                 rtp_ports=None, certificate=None):
        self.name = name
        self.dir = tmp_path / f"baresip-{name}"
        self.dir.mkdir()
        self.port = two_free_ports()
        self.ctrl_port = free_port()
        config = [
            "poll_method\tepoll",
            f"module_path\t{MODULES}",
            f"sip_listen\t127.0.0.1:{self.port}",
            "net_interface\t127.0.0.1",
            f"audio_source\taufile,{wav}",
            f"audio_alert\taufile,{wav}",
            "audio_player\taufile,/dev/null",
            "module\tg711.so",
            "module\taufile.so",
            "module\tsrtp.so",
            "module_app\tmenu.so",
            "module_app\tctrl_tcp.so",
            f"ctrl_tcp_listen\t127.0.0.1:{self.ctrl_port}",
            "module_tmp\taccount.so",
        ]
        if cafile:
            config.append(f"sip_cafile\t{cafile}")
        if certificate:
            config.append(f"sip_certificate\t{certificate}")
        if rtp_ports:
            config.append(f"rtp_ports\t{rtp_ports[0]}-{rtp_ports[-1]}")
        (self.dir / "config").write_text("\n".join(config) + "\n")
        (self.dir / "accounts").write_text(account + "\n")
        self.out = tmp_path / f"baresip-{name}.out"
        self.events = []
        self.ctrl = None
        with open(self.out, "w") as f:
            # -s: the SIP trace in the output; -t: baresip quits by
            # itself should this test die.
            self.proc = subprocess.Popen(
                [BARESIP, "-f", str(self.dir), "-s", "-t", "90"],
                stdin=subprocess.DEVNULL, stdout=f,
                stderr=subprocess.STDOUT)
        deadline = time.time() + WAIT_S
        while self.ctrl is None:
            assert self.proc.poll() is None, self.output()
            try:
                self.ctrl = socket.create_connection(
                    ("127.0.0.1", self.ctrl_port), timeout=1)
            except OSError:
                assert time.time() < deadline, self.output()
                time.sleep(0.1)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        """Netstrings "LEN:JSON," from ctrl_tcp, into self.events."""
        buf = b""
        try:
            self.ctrl.settimeout(0.5)
        except OSError:
            return  # closed by stop() before this thread ran
        while True:
            try:
                chunk = self.ctrl.recv(65535)
            except socket.timeout:
                if self.proc.poll() is not None:
                    return
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while True:
                colon = buf.find(b":")
                if colon < 0 or not buf[:colon].isdigit():
                    break
                n = int(buf[:colon])
                if len(buf) < colon + 1 + n + 1:
                    break
                try:
                    self.events.append(json.loads(buf[colon + 1:
                                                      colon + 1 + n]))
                except ValueError:
                    pass
                buf = buf[colon + 1 + n + 1:]

    def command(self, command, params=None):
        msg = {"command": command, "token": command}
        if params is not None:
            msg["params"] = params
        data = json.dumps(msg).encode()
        self.ctrl.sendall(str(len(data)).encode() + b":" + data + b",")

    def event(self, kind, seconds=WAIT_S):
        """The first event of type `kind`, waited for."""
        deadline = time.time() + seconds
        while True:
            for e in list(self.events):
                if e.get("event") and e.get("type") == kind:
                    return e
            assert self.proc.poll() is None, self.output()
            assert time.time() < deadline, (
                f"baresip {self.name}: no {kind} in {seconds} s\n"
                f"events: {self.events}\n{self.output()[-6000:]}")
            time.sleep(0.1)

    def output(self):
        return re.sub(r"\x1b\[[0-9;]*m", "", self.out.read_text())

    def stop(self):
        if self.ctrl is not None:
            self.ctrl.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def two_free_ports():
    """p and p + 1 free: baresip listens for UDP/TCP on p, TLS on p + 1."""
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


def tls_account(user, secret, daemon, realm, answer=False):
    acc = (f"<sip:{user}@{realm};transport=tls>;auth_pass={secret};"
           f'outbound="sip:127.0.0.1:{daemon.tls};transport=tls";'
           f"regint=600;mediaenc=srtp-mand")
    return acc + (";answermode=auto" if answer else "")


def registered(phone, user, realm):
    """baresip's own line for a registration answered 200 over TLS."""
    ok = re.compile(rf"^{user}@{re.escape(realm)}: \{{\d+/TLS/v4\}} "
                    r"200 OK", re.M)
    deadline = time.time() + WAIT_S
    while not ok.search(phone.output()):
        assert phone.proc.poll() is None, phone.output()
        assert time.time() < deadline, phone.output()
        time.sleep(0.2)


def phones(tmp_path, daemon, data, wav):
    cert = data.path / "tls" / "cert.pem"
    callee = Phone(tmp_path, "101", tls_account(
        "101", data.secrets["101"], daemon, data.realm, answer=True),
        wav, cafile=cert)
    caller = Phone(tmp_path, "100", tls_account(
        "100", data.secrets["100"], daemon, data.realm), wav, cafile=cert)
    return caller, callee


def test_baresip_srtp_accounts_register_over_tls(daemon, data, tmp_path,
                                                 noise_wav):
    """The phones of the call test, as configured there (SRTP mandatory,
    ctrl_tcp, aufile), register over TLS."""
    caller, callee = phones(tmp_path, daemon, data, noise_wav[0])
    try:
        registered(callee, "101", data.realm)
        registered(caller, "100", data.realm)
        for p in (caller, callee):
            assert "Using media encryption 'srtp-mand'" in p.output()
    finally:
        caller.stop()
        callee.stop()


def test_baresip_call_tls_srtp(rempartd, daemon, data, tmp_path,
                               noise_wav):
    wav, pcmu = noise_wav
    caller, callee = phones(tmp_path, daemon, data, wav)
    cap = None
    try:
        registered(callee, "101", data.realm)
        registered(caller, "100", data.realm)
        cap = Capture(RELAY_PORTS)
        caller.command("dial", f"sip:101@{data.realm}")
        for p in (caller, callee):
            p.event("CALL_ESTABLISHED")
        menc = [p.event("CALL_MENC") for p in (caller, callee)]
        time.sleep(4)
        caller.command("hangup")
        for p in (caller, callee):
            p.event("CALL_CLOSED")
        packets = cap.stop()
        cap = None
    finally:
        if cap is not None:
            cap.stop()
        caller.stop()
        callee.stop()
    out = {p.name: p.output() for p in (caller, callee)}
    for name, text in out.items():
        assert "SRTP is Enabled" in text, text[-4000:]
    for e in menc:
        assert "AES" in e.get("param", ""), menc
    # The SDP both phones got points at the relay and is RTP/SAVP.
    for name, text in out.items():
        assert re.search(r"m=audio (\d+) RTP/SAVP", text), text[-4000:]
        assert "a=crypto:" in text, text[-4000:]
    # Media went through the relay, both ways, encrypted.
    to_relay = [p for p in packets if p[1] in RELAY_PORTS]
    from_relay = [p for p in packets if p[0] in RELAY_PORTS]
    assert len(to_relay) >= 100 and len(from_relay) >= 100, (
        len(to_relay), len(from_relay))
    known = windows(pcmu)
    rtp = [p for p in packets if len(p[2]) > 12 and p[2][0] >> 6 == 2
           and p[2][1] & 0x7F == 0]
    assert len(rtp) >= 100, len(rtp)
    for sport, dport, payload in rtp:
        assert len(payload) != 12 + 160, (sport, dport, len(payload))
        assert not carries(payload[12:], known), (sport, dport)
    # And the CDR.
    deadline = time.time() + 8
    while True:
        r = data.cli("cdr", "export", "--csv")
        assert r.returncode == 0, r.stderr
        rows = [x for x in csv.DictReader(io.StringIO(r.stdout))
                if x.get("caller_ext") == "100" and
                x.get("dialed") == "101"]
        if rows:
            break
        assert time.time() < deadline, r.stdout
        time.sleep(0.2)
    assert rows[-1]["media_encrypted"] in ("1", "true", "yes"), rows[-1]
    assert rows[-1]["disposition"].lower() == "answered", rows[-1]
    # The relay's own counters: packets went through it, both ways
    # (4 s of 20 ms packets each way is about 400).
    assert int(rows[-1]["rtp_packets"]) >= 200, rows[-1]


def test_trunk_call_to_a_did_reaches_baresip(daemon, data, tmp_path,
                                             noise_wav):
    """R-CALL-13, R-TRUNK-3: an operator (SIPp on the trunk's address)
    calls a DID without credentials; the daemon rings baresip as 101
    over TLS, which answers by itself; the operator's plain RTP leg and
    the phone's SRTP leg are bridged by the relay, and the record names
    the outside caller."""
    from test_trunk_calls import CARRIER
    from test_trunk_inbound import CALLER, DID, carrier_call
    wav, _ = noise_wav
    r = data.cli("trunk", "add", "op1", "--kind", "ip", "--host", CARRIER,
                 "--port", str(free_port()), "--acl", CARRIER + "/32")
    assert r.returncode == 0, r.stderr
    r = data.cli("did", "add", DID, "--to", "101")
    assert r.returncode == 0, r.stderr
    cert = data.path / "tls" / "cert.pem"
    account = (f"<sip:101@{data.realm};transport=tls>;"
               f"auth_pass={data.secrets['101']};"
               f'outbound="sip:127.0.0.1:{daemon.tls};transport=tls";'
               "regint=600;mediaenc=srtp;answermode=auto")
    phone = Phone(tmp_path, "101", account, wav, cafile=cert)
    try:
        registered(phone, "101", data.realm)
        op = carrier_call(shutil.which("sipp"), tmp_path, daemon, data)
        phone.event("CALL_ESTABLISHED")
        assert op.wait() == 0, op
        assert op.counts() == (1, 0), op
        phone.event("CALL_CLOSED")
    finally:
        phone.stop()
    deadline = time.time() + 8
    while True:
        r = data.cli("cdr", "export", "--csv")
        assert r.returncode == 0, r.stderr
        rows = [x for x in csv.DictReader(io.StringIO(r.stdout))
                if x.get("caller_number", "").lstrip("'") == CALLER and
                x.get("callee") == "101"]
        if rows:
            break
        assert time.time() < deadline, r.stdout
        time.sleep(0.2)
    assert rows[-1]["disposition"].lower() == "answered", rows[-1]
    assert rows[-1]["caller_ext"] == "", rows[-1]


# ------------------------------------ the capture check, without daemon


def direct_call(tmp_path, wav, mediaenc, rtp_ports):
    """100 calls 101 directly over UDP (no server), for 3 s; returns
    the packets seen on rtp_ports."""
    enc = f";mediaenc={mediaenc}" if mediaenc else ""
    callee = Phone(tmp_path, "101", "<sip:101@127.0.0.1>;regint=0;"
                   "answermode=auto" + enc, wav, rtp_ports=rtp_ports)
    caller = Phone(tmp_path, "100", "<sip:100@127.0.0.1>;regint=0" + enc,
                   wav, rtp_ports=rtp_ports)
    cap = Capture(rtp_ports)
    try:
        caller.command("dial", f"sip:101@127.0.0.1:{callee.port}")
        for p in (caller, callee):
            p.event("CALL_ESTABLISHED")
        time.sleep(3)
        caller.command("hangup")
        caller.event("CALL_CLOSED")
    finally:
        packets = cap.stop()
        caller.stop()
        callee.stop()
    return packets


@pytest.mark.parametrize("mediaenc", [None, "srtp-mand"])
def test_capture_tells_plain_from_srtp(tmp_path, noise_wav, mediaenc):
    wav, pcmu = noise_wav
    ports = range(41000 + (0 if mediaenc else 100),
                  41000 + (0 if mediaenc else 100) + 40)
    packets = direct_call(tmp_path, wav, mediaenc, ports)
    rtp = [p for p in packets if len(p[2]) > 12 and p[2][0] >> 6 == 2
           and p[2][1] & 0x7F == 0]
    assert len(rtp) >= 50, len(packets)
    known = windows(pcmu)
    plain = [p for p in rtp if carries(p[2][12:], known)]
    if mediaenc is None:
        assert len(plain) >= len(rtp) // 2, (len(plain), len(rtp))
        assert all(len(p[2]) == 172 for p in rtp)
    else:
        assert plain == [], len(plain)
        assert all(len(p[2]) != 172 for p in rtp)
