"""The rempart CLI: init, users, the SIP-secret policy, and errors.
R-AUTH-1, R-CRYPTO-3."""
import os
import stat


def test_init_creates_keys_and_no_default_secret(data):
    key = data.path / "keys" / "master.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(data.path / "keys").st_mode) == 0o700
    assert (data.path / "tls" / "cert.pem").is_file()
    # Demo secrets are generated, all different, and strong.
    assert len(set(data.secrets.values())) == 6
    assert all(len(s) >= 16 for s in data.secrets.values())
    # The HA1s at rest are encrypted: no demo secret-derived text leaks.
    db = (data.path / "rempart.db").read_bytes()
    for s in data.secrets.values():
        assert s.encode() not in db


def test_init_twice_refused(data):
    r = data.cli("init")
    assert r.returncode == 1
    assert "already initialised" in r.stderr


def test_user_add_policy_and_errors(data):
    r = data.cli("user", "add", "200", "--name", "Alice", "--secret", "1234")
    assert r.returncode == 1 and "shorter than 16" in r.stderr
    r = data.cli("user", "add", "200", "--name", "Alice", "--secret",
                 "200-Password-200x")
    assert r.returncode == 1 and "refused" in r.stderr
    r = data.cli("user", "add", "200", "--name", "Alice", "--secret-stdin",
                 stdin="kT8#vQ2!mZ7$wR4p\n")
    assert r.returncode == 0, r.stderr
    r = data.cli("user", "add", "200", "--name", "Alice",
                 "--generate-secret")
    assert r.returncode == 1 and "already exists" in r.stderr
    r = data.cli("user", "add", "a b", "--name", "x", "--generate-secret")
    assert r.returncode == 2
    r = data.cli("user", "add", "201", "--generate-secret")
    assert r.returncode == 2 and "--name" in r.stderr
    r = data.cli("user", "disable", "404")
    assert r.returncode == 1 and "no extension" in r.stderr
    r = data.cli("user", "frobnicate", "200")
    assert r.returncode == 2
    r = data.cli("user", "list")
    assert r.returncode == 0 and "Alice" in r.stdout


def test_not_initialised(rempart, tmp_path):
    import subprocess
    r = subprocess.run([str(rempart), "--data", str(tmp_path / "none"),
                        "user", "list"], capture_output=True, text=True)
    assert r.returncode == 1
    assert "not initialised" in r.stderr
