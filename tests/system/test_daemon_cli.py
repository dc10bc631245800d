"""The daemon's command line: version, help and bad options."""
import re
import subprocess


def run(exe, *args):
    return subprocess.run([str(exe), *args], capture_output=True, text=True,
                          timeout=10)


def test_version(rempartd):
    r = run(rempartd, "--version")
    assert r.returncode == 0
    assert re.fullmatch(r"rempartd \d+\.\d+\.\d+\n", r.stdout)


def test_unknown_option_is_an_error(rempartd):
    r = run(rempartd, "--no-such-option")
    assert r.returncode == 2
    assert "unknown option" in r.stderr
    assert "usage:" in r.stderr


def test_data_option_needs_a_directory(rempartd):
    r = run(rempartd, "--data")
    assert r.returncode == 2
    assert "--data needs a directory" in r.stderr
