"""The daemon against SIPp (Debian's sip-tester), an independent SIP
implementation: digest registration, a wrong password, OPTIONS and a
short load. R-CALL-1, R-AUTH-4.

SIPp runs in the foreground, bounded by -m (calls) and -timeout, and is
judged by its exit code (0: every call succeeded) and its statistics.
SIPp 3.6 answers only MD5 challenges and takes the first one: see
sipp/register.xml for how the scenarios reach rempartd's MD5 challenge,
which comes second."""
import csv
import pathlib
import shutil
import subprocess

import pytest

from conftest import Daemon, free_port
from sipclient import Client, status_of

SCENARIOS = pathlib.Path(__file__).resolve().parent / "sipp"


@pytest.fixture(scope="session")
def sipp():
    exe = shutil.which("sipp")
    if exe is None:
        pytest.fail("sipp not installed (Debian package sip-tester)")
    return exe


@pytest.fixture
def trusted_daemon(rempartd, data):
    """The daemon with loopback trusted: the perimeter guard's per-source
    request limit (50 a second) would throttle a load from one address,
    and this load is for the registrar, not the guard."""
    d = Daemon(rempartd, data, extra=["--trusted", "127.0.0.1/32"])
    yield d
    rc = d.stop()
    log = d.log.read_text()
    assert "ERROR: AddressSanitizer" not in log, log
    assert "runtime error" not in log, log
    assert rc == 0, log


def users_file(path, users):
    """An injection file: field0 the user, field1 its credentials."""
    lines = ["SEQUENTIAL"]
    for user, secret in users:
        lines.append(f"{user};[authentication username={user} "
                     f"password={secret}]")
    path.write_text("\n".join(lines) + "\n")
    return path


class Run:
    def __init__(self, proc, stats, errors):
        self.rc = proc.returncode
        self.out = proc.stdout + proc.stderr
        self.errors = errors.read_text() if errors.exists() else ""
        self.stats = stats

    def __str__(self):
        return (f"sipp exit {self.rc}\nstats {self.stats}\nerrors:\n"
                f"{self.errors[-4000:]}\noutput:\n{self.out[-2000:]}")


def run_sipp(sipp, daemon, data, tmp_path, scenario, users=None,
             calls=1, rate=10):
    """Runs SIPp to its end: `calls` calls of `scenario` at `rate` per
    second, against the daemon's UDP port."""
    name = pathlib.Path(scenario).stem
    stats = tmp_path / f"{name}_stats.csv"
    errors = tmp_path / f"{name}_errors.log"
    args = [sipp, f"127.0.0.1:{daemon.udp}", "-sf", str(SCENARIOS / scenario),
            "-s", data.realm, "-auth_uri", data.realm,
            "-i", "127.0.0.1", "-p", str(free_port()),
            "-m", str(calls), "-r", str(rate),
            "-timeout", "30s", "-timeout_error", "-nostdin",
            "-trace_err", "-error_file", str(errors),
            "-trace_stat", "-stf", str(stats)]
    if users is not None:
        args += ["-inf", str(users_file(tmp_path / f"{name}_users.csv",
                                        users))]
    proc = subprocess.run(args, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    last = {}
    if stats.exists():
        rows = list(csv.reader(stats.open(), delimiter=";"))
        if len(rows) >= 2:
            last = dict(zip(rows[0], rows[-1]))
    return Run(proc, last, errors)


def counts(run):
    return (int(run.stats.get("SuccessfulCall(C)", -1)),
            int(run.stats.get("FailedCall(C)", -1)))


def test_register_digest(sipp, daemon, data, tmp_path):
    """401 with the challenges, then 200 to MD5 credentials."""
    run = run_sipp(sipp, daemon, data, tmp_path, "register.xml",
                   users=[("100", data.secrets["100"])])
    assert run.rc == 0, run
    assert counts(run) == (1, 0), run
    assert daemon.alive()


def test_register_wrong_password(sipp, daemon, data, tmp_path):
    """Credentials with a wrong password get 401 again."""
    run = run_sipp(sipp, daemon, data, tmp_path, "register_wrong.xml",
                   users=[("101", data.secrets["101"] + "x")])
    assert run.rc == 0, run
    assert counts(run) == (1, 0), run
    # And the right password, in the same run of the daemon, still works.
    run = run_sipp(sipp, daemon, data, tmp_path, "register.xml",
                   users=[("101", data.secrets["101"])])
    assert run.rc == 0, run


def test_wrong_password_fails_the_success_scenario(sipp, daemon, data,
                                                   tmp_path):
    """The check of the tests above has teeth: register.xml with a wrong
    password is a failed call and a non-zero exit."""
    run = run_sipp(sipp, daemon, data, tmp_path, "register.xml",
                   users=[("102", "not-the-Secret-0000")])
    assert run.rc != 0, run
    assert counts(run) == (0, 1), run


def test_options(sipp, daemon, data, tmp_path):
    run = run_sipp(sipp, daemon, data, tmp_path, "options.xml")
    assert run.rc == 0, run
    assert counts(run) == (1, 0), run


def test_register_load(sipp, trusted_daemon, data, tmp_path):
    """200 digest registrations of the six demo users, 100 a second:
    every one succeeds at the first try and the daemon keeps serving."""
    daemon = trusted_daemon
    run = run_sipp(sipp, daemon, data, tmp_path, "register.xml",
                   users=sorted(data.secrets.items()), calls=200, rate=100)
    assert run.rc == 0, run
    assert counts(run) == (200, 0), run
    assert int(run.stats["TotalCallCreated"]) == 200, run
    # Every request answered in time: SIPp had nothing to resend.
    assert int(run.stats["Retransmissions(C)"]) == 0, run
    assert daemon.alive()
    c = Client(daemon.udp)
    resp, _, _ = c.register("103", data.secrets["103"], data.realm)
    assert status_of(resp) == 200, resp
    c.close()
    assert "event=throttle" not in daemon.log.read_text()


def test_register_load_within_guard_limits(sipp, daemon, data, tmp_path):
    """Untrusted, 20 registrations a second (40 requests, under the
    guard's 50 a second) from one address, as an office behind one NAT:
    none throttled, none lost."""
    run = run_sipp(sipp, daemon, data, tmp_path, "register.xml",
                   users=sorted(data.secrets.items()), calls=60, rate=20)
    assert run.rc == 0, run
    assert counts(run) == (60, 0), run
    assert int(run.stats["Retransmissions(C)"]) == 0, run
    assert "event=throttle" not in daemon.log.read_text()
