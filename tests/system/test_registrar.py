"""The registrar with digest authentication, against the real daemon.
R-CALL-1, R-AUTH-4, R-AUTH-5, R-CRYPTO-1, R-TRUNK-5, R-NET-5."""
import re
import socket
import subprocess
import time

import pytest

from sipclient import Client, header, parse, rand, status_of


def test_register_udp_sha256_and_md5(daemon, data):
    for alg in ("SHA-256", "MD5"):
        c = Client(daemon.udp)
        resp, _, _ = c.register("100", data.secrets["100"], data.realm,
                                alg=alg)
        assert status_of(resp) == 200, resp
        contacts = header(parse(resp)[1], "Contact")
        assert any(f":{c.local[1]};" in v and "expires=600" in v
                   for v in contacts), resp
        assert header(parse(resp)[1], "Date")
        c.close()


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_register_streams(daemon, data, transport):
    port = daemon.udp if transport == "tcp" else daemon.tls
    c = Client(port, transport)
    resp, _, _ = c.register("101", data.secrets["101"], data.realm)
    assert status_of(resp) == 200, resp
    c.close()


def test_two_contacts_for_one_aor(daemon, data):
    """R-TRUNK-5: a device may register several contacts."""
    a, b = Client(daemon.udp), Client(daemon.udp)
    assert status_of(a.register("102", data.secrets["102"],
                                data.realm)[0]) == 200
    resp, _, _ = b.register("102", data.secrets["102"], data.realm)
    assert status_of(resp) == 200
    assert len(header(parse(resp)[1], "Contact")) == 2, resp


def normalise(resp):
    """The parts that differ on every answer whatever the request: the
    fresh nonce and To tag."""
    text = resp.decode()
    text = re.sub(r'nonce="[^"]*"', 'nonce="N"', text)
    text = re.sub(r";tag=[0-9a-z]+\r\n", ";tag=T\r\n", text)
    # The branch is ours, random per request, and echoed back.
    text = re.sub(r"branch=z9hG4bK[0-9a-f]+", "branch=B", text)
    return text


def test_no_user_enumeration(daemon, data):
    """R-AUTH-5: a wrong password for a known user and any password for
    an unknown one get byte-identical answers (but for nonce and tag)."""
    answers = []
    for user, secret in (("100", "wrong-Secret-123456"),
                         ("999", "wrong-Secret-123456"),
                         ("100", data.secrets["100"] + "x")):
        c = Client(daemon.udp)
        # The same Call-ID, tags and branch in every try, so that only
        # the user differs in what we send.
        c.call_id = "enum@test"
        c.from_tag = "ftag"
        resp, _, _ = c.register(user, secret, data.realm)
        assert status_of(resp) == 401
        # The user name appears in From/To we sent; mask it back.
        answers.append(normalise(resp).replace(f"sip:{user}@", "sip:U@")
                       .replace(f"{c.local[1]}", "PORT"))
        c.close()
    assert answers[0] == answers[1] == answers[2]
    # The first challenge, with no credentials, is the same too.
    c = Client(daemon.udp)
    c.call_id = "enum@test"
    c.from_tag = "ftag"
    c.send(c.request("REGISTER", f"sip:{data.realm}", "999", data.realm,
                     ["Expires: 600"], cseq=1))
    first = normalise(c.recv()).replace("sip:999@", "sip:U@").replace(
        f"{c.local[1]}", "PORT")
    assert first.split("\r\n")[0] == answers[0].split("\r\n")[0]
    assert [l.split(":")[0] for l in first.split("\r\n")] == \
        [l.split(":")[0] for l in answers[0].split("\r\n")]


def test_nonce_replay_refused(daemon, data):
    """R-AUTH-4: the same credentials (same nonce, same nc) sent again in
    a new transaction are refused."""
    c = Client(daemon.udp)
    resp, chal, auth = c.register("103", data.secrets["103"], data.realm)
    assert status_of(resp) == 200
    c.send(c.request("REGISTER", f"sip:{data.realm}", "103", data.realm,
                     ["Expires: 600", auth]))
    assert status_of(c.recv()) == 401


def test_registrations_survive_restart(daemon, data):
    c = Client(daemon.udp)
    assert status_of(c.register("104", data.secrets["104"],
                                data.realm)[0]) == 200
    time.sleep(0.3)  # the store writer commits in the background
    daemon.restart()
    q = Client(daemon.udp)
    # A REGISTER without Contact is a query: it lists the bindings.
    q.send(q.request("REGISTER", f"sip:{data.realm}", "104", data.realm,
                     contact=False))
    chal = q.recv()
    assert status_of(chal) == 401
    from sipclient import digest_params, digest_response
    p = [digest_params(v) for v in header(parse(chal)[1],
                                           "WWW-Authenticate")][0]
    uri = f"sip:{data.realm}"
    resp = digest_response(p["algorithm"], "104", p["realm"],
                           data.secrets["104"], "REGISTER", uri, p["nonce"],
                           "00000001", "abc")
    auth = (f'Authorization: Digest username="104", realm="{p["realm"]}", '
            f'nonce="{p["nonce"]}", uri="{uri}", response="{resp}", '
            f'algorithm={p["algorithm"]}, qop=auth, nc=00000001, '
            f'cnonce="abc"')
    q.send(q.request("REGISTER", uri, "104", data.realm, [auth],
                     contact=False))
    ok = q.recv()
    assert status_of(ok) == 200, ok
    assert any(f":{c.local[1]};" in v
               for v in header(parse(ok)[1], "Contact")), ok


def test_interval_too_brief(daemon, data):
    c = Client(daemon.udp)
    resp, _, _ = c.register("105", data.secrets["105"], data.realm,
                            expires=10)
    assert status_of(resp) == 423
    assert header(parse(resp)[1], "Min-Expires") == ["60"]


def test_malformed_flood_keeps_serving(daemon, data):
    """1,000 malformed messages: each answered 400 or dropped, and the
    server keeps serving."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.2)
    bad = [
        b"INVITE sip:a@b SIP/2.0\r\n\r\n",
        b"\x00\xff garbage",
        b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\n"
        b"CSeq: 99999999999 OPTIONS\r\n\r\n",
        b"REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: y\r\n"
        b"CSeq: 1 REGISTER\r\nContact: *, <sip:a@b>\r\nExpires: 0\r\n"
        b"Content-Length: 5\r\n\r\n",
        b"SIP/2.0 200 OK\r\n\r\n",
    ]
    answered = 0
    for i in range(1000):
        msg = bad[i % len(bad)].replace(b"branch=z9hG4bK",
                                        b"branch=z9hG4bK%d" % i)
        s.sendto(msg, ("127.0.0.1", daemon.udp))
    deadline = time.time() + 3
    while time.time() < deadline:
        try:
            r = s.recv(65535)
        except socket.timeout:
            break
        assert status_of(r) == 400, r
        answered += 1
    assert daemon.alive()
    c = Client(daemon.udp)
    c.send(c.request("OPTIONS", f"sip:{data.realm}", "100", data.realm))
    assert status_of(c.recv()) == 200


def test_no_product_in_headers(daemon, data):
    """R-NET-5: no Server or User-Agent header that names the product."""
    c = Client(daemon.udp)
    c.send(c.request("OPTIONS", f"sip:{data.realm}", "100", data.realm))
    resp = c.recv()
    assert status_of(resp) == 200
    names = [n.lower() for n, _ in parse(resp)[1]]
    assert "server" not in names and "user-agent" not in names
    assert b"rempart" not in resp.lower().replace(b"rempart.test", b"")


def openssl_connect(port, version):
    return subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", version],
        input="", capture_output=True, text=True, timeout=20)


def test_tls_versions(daemon):
    """R-CRYPTO-1: TLS 1.3 accepted, TLS 1.2 and older refused."""
    ok = openssl_connect(daemon.tls, "-tls1_3")
    assert "TLSv1.3" in ok.stdout, ok.stdout + ok.stderr
    for old in ("-tls1_2", "-tls1_1"):
        r = openssl_connect(daemon.tls, old)
        assert r.returncode != 0
        assert "Cipher is (NONE)" in r.stdout, r.stdout
        assert "no peer certificate available" in r.stdout


def test_unknown_method_and_require(daemon, data):
    c = Client(daemon.udp)
    c.send(c.request("SUBSCRIBE", f"sip:200@{data.realm}", "100", data.realm))
    assert status_of(c.recv()) == 501
    # An INVITE without credentials is challenged before anything else,
    # whether the number exists or not (R-AUTH-5).
    c.send(c.request("INVITE", f"sip:200@{data.realm}", "100", data.realm))
    r = c.recv()
    assert status_of(r) == 407
    assert header(parse(r)[1], "Proxy-Authenticate")
    c.send(c.request("OPTIONS", f"sip:{data.realm}", "100", data.realm,
                     ["Require: foo, bar"]))
    r = c.recv()
    assert status_of(r) == 420
    assert header(parse(r)[1], "Unsupported") == ["foo, bar"]


def test_cli_changes_reach_the_running_daemon(daemon, data):
    """A user added or disabled with the CLI takes effect at once: the
    CLI signals the daemon, which reloads its users."""
    r = data.cli("user", "add", "300", "--name", "New", "--generate-secret")
    assert r.returncode == 0, r.stderr
    secret = re.search(r"secret (\S+) \(shown once\)", r.stdout).group(1)
    deadline = time.time() + 5
    while "users reloaded" not in daemon.log.read_text():
        assert time.time() < deadline, daemon.log.read_text()
        time.sleep(0.05)
    c = Client(daemon.udp)
    assert status_of(c.register("300", secret, data.realm)[0]) == 200
    assert data.cli("user", "disable", "300").returncode == 0
    deadline = time.time() + 5
    while daemon.log.read_text().count("users reloaded") < 2:
        assert time.time() < deadline
        time.sleep(0.05)
    c = Client(daemon.udp)
    assert status_of(c.register("300", secret, data.realm)[0]) == 401


def query_contacts(port, data, user):
    """The contacts bound to a user, by an authenticated REGISTER query
    (no Contact header: RFC 3261 §10.2.3)."""
    from sipclient import digest_params, digest_response
    q = Client(port)
    q.send(q.request("REGISTER", f"sip:{data.realm}", user, data.realm,
                     contact=False))
    chal = q.recv()
    p = digest_params(header(parse(chal)[1], "WWW-Authenticate")[0])
    uri = f"sip:{data.realm}"
    resp = digest_response(p["algorithm"], user, p["realm"],
                           data.secrets[user], "REGISTER", uri, p["nonce"],
                           "00000001", "q1")
    q.send(q.request("REGISTER", uri, user, data.realm, [
        f'Authorization: Digest username="{user}", realm="{p["realm"]}", '
        f'nonce="{p["nonce"]}", uri="{uri}", response="{resp}", '
        f'algorithm={p["algorithm"]}, qop=auth, nc=00000001, cnonce="q1"'],
        contact=False))
    ok = q.recv()
    assert status_of(ok) == 200, ok
    q.close()
    return header(parse(ok)[1], "Contact")


def test_binding_expires(rempartd, data):
    """A binding disappears when its interval runs out."""
    from conftest import Daemon
    d = Daemon(rempartd, data, extra=["--min-expires", "1"])
    try:
        c = Client(d.udp)
        resp, _, _ = c.register("100", data.secrets["100"], data.realm,
                                expires=2)
        assert status_of(resp) == 200
        assert len(query_contacts(d.udp, data, "100")) == 1
        time.sleep(3)
        assert query_contacts(d.udp, data, "100") == []
    finally:
        assert d.stop() == 0


def test_privilege_drop(rempartd, data):
    """Started as root with --user, the daemon runs as that user and
    still serves and persists registrations."""
    import os
    from conftest import Daemon
    if os.geteuid() != 0:
        pytest.fail("this test needs root, as CI runs")
    d = Daemon(rempartd, data, extra=["--user", "nobody"])
    try:
        status = open(f"/proc/{d.proc.pid}/status").read()
        uid = re.search(r"^Uid:\s+(\d+)", status, re.M).group(1)
        assert uid == str(__import__("pwd").getpwnam("nobody").pw_uid)
        c = Client(d.udp)
        assert status_of(c.register("101", data.secrets["101"],
                                    data.realm)[0]) == 200
        time.sleep(0.3)
    finally:
        assert d.stop() == 0
    assert "not persisted" not in d.log.read_text(), d.log.read_text()


@pytest.mark.parametrize("mode,offered", [("md5", ["MD5"]),
                                          ("sha256", ["SHA-256"])])
def test_digest_setting(rempartd, data, mode, offered):
    """--digest chooses the algorithms offered; one not offered is
    refused when a client answers with it anyway."""
    from conftest import Daemon
    from sipclient import digest_params
    d = Daemon(rempartd, data, extra=["--digest", mode])
    try:
        c = Client(d.udp)
        c.send(c.request("REGISTER", f"sip:{data.realm}", "100", data.realm))
        chal = c.recv()
        algs = [digest_params(v)["algorithm"]
                for v in header(parse(chal)[1], "WWW-Authenticate")]
        assert algs == offered
        resp, _, _ = c.register("100", data.secrets["100"], data.realm,
                                alg=offered[0])
        assert status_of(resp) == 200
        if mode == "sha256":
            # MD5 credentials computed anyway are not accepted.
            from sipclient import digest_response
            p = digest_params(header(parse(chal)[1],
                                     "WWW-Authenticate")[0])
            uri = f"sip:{data.realm}"
            r = digest_response("MD5", "100", p["realm"],
                                data.secrets["100"], "REGISTER", uri,
                                p["nonce"], "00000001", "c5")
            c.send(c.request("REGISTER", uri, "100", data.realm, [
                f'Authorization: Digest username="100", '
                f'realm="{p["realm"]}", nonce="{p["nonce"]}", uri="{uri}", '
                f'response="{r}", algorithm=MD5, qop=auth, nc=00000001, '
                f'cnonce="c5"']))
            assert status_of(c.recv()) == 401
    finally:
        assert d.stop() == 0


def test_rport_and_received(daemon, data):
    """RFC 3581: the answer's top Via says where the request came from."""
    c = Client(daemon.udp)
    c.send(c.request("OPTIONS", f"sip:{data.realm}", "100", data.realm))
    resp = c.recv()
    top = header(parse(resp)[1], "Via")[0]
    assert f";received=127.0.0.1;rport={c.local[1]}" in top, top
    assert top.count("rport") == 1
