"""Shared fixtures for system tests: they run the real binaries built by
`make check` (REMPART_BUILD points at that build directory) against real
data directories, real sockets and real peers."""
import os
import pathlib
import re
import signal
import socket
import subprocess
import time

import pytest


@pytest.fixture(scope="session")
def build_dir():
    d = os.environ.get("REMPART_BUILD")
    if not d:
        d = pathlib.Path(__file__).resolve().parents[2] / "build" / "check"
    return pathlib.Path(d)


@pytest.fixture(scope="session")
def rempartd(build_dir):
    exe = build_dir / "src" / "main" / "rempartd"
    assert exe.is_file(), f"{exe} not built"
    return exe


@pytest.fixture(scope="session")
def rempart(build_dir):
    exe = build_dir / "src" / "main" / "rempart"
    assert exe.is_file(), f"{exe} not built"
    return exe


def free_port(kind=socket.SOCK_DGRAM):
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise RuntimeError("no free port")


class DataDir:
    """A data directory made by `rempart init --demo`."""

    def __init__(self, rempart, path):
        self.rempart = rempart
        self.path = path
        r = self.cli("init", "--realm", "rempart.test", "--demo")
        assert r.returncode == 0, r.stderr
        self.secrets = dict(re.findall(r"^\s+(\d+)\s+(\S+)$", r.stdout,
                                       re.M))
        assert len(self.secrets) == 6, r.stdout
        self.realm = "rempart.test"

    def cli(self, *args, stdin=None):
        return subprocess.run([str(self.rempart), "--data", str(self.path),
                               *args], capture_output=True, text=True,
                              input=stdin, timeout=30)


class Daemon:
    """The real rempartd on loopback ports of its own."""

    def __init__(self, exe, data, extra=()):
        self.exe = exe
        self.data = data
        self.udp = free_port()
        self.tls = free_port()
        self.extra = list(extra)
        self.proc = None
        self.log = data.path / "rempartd.log"
        self.start()

    def start(self):
        # Only what this run writes counts: the log is kept across runs.
        offset = self.log.stat().st_size if self.log.exists() else 0
        logf = open(self.log, "a")
        self.proc = subprocess.Popen(
            [str(self.exe), "--data", str(self.data.path),
             "--listen", f"udp:127.0.0.1:{self.udp}",
             "--listen", f"tcp:127.0.0.1:{self.udp}",
             "--listen", f"tls:127.0.0.1:{self.tls}", *self.extra],
            stdout=logf, stderr=subprocess.STDOUT)
        logf.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if "msg=started" in self.log.read_text()[offset:]:
                return
            if self.proc.poll() is not None:
                raise RuntimeError("rempartd exited:\n" +
                                   self.log.read_text())
            time.sleep(0.05)
        raise RuntimeError("rempartd did not start:\n" +
                           self.log.read_text())

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    def restart(self):
        assert self.stop() == 0
        self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture
def data(rempart, tmp_path):
    return DataDir(rempart, tmp_path / "var")


@pytest.fixture
def daemon(rempartd, data):
    d = Daemon(rempartd, data)
    yield d
    rc = d.stop()
    log = d.log.read_text()
    # Sanitizer reports fail the test that caused them.
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log
