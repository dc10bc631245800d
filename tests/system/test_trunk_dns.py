"""Operators' servers found through DNS (RFC 3263, R-TRUNK-1).

A real DNS server (dnsmasq, on a loopback port, with no upstream) serves
the zone carrier.test: a NAPTR record for SIP over UDP naming the SRV
domain, two SRV records of different priorities and the A record of
each target. A trunk whose host is the bare name carrier.test sends its
calls to the SRV target of the best priority (a SIPp carrier on
CARRIER); a name that does not exist leaves its trunk unusable and the
call gets 503, with the reason in the log."""
import shutil
import subprocess
import time

import pytest

from conftest import free_port
from test_calls import (ANSWERED, cdr_for, disposition, final_code, finish,
                        pbx, refused, sipp, start_uac, start_uas)
from test_trunk_calls import CARRIER, NO_PROBES, NUMBER, wait_log

__all__ = ["pbx", "sipp"]  # fixtures shared with test_calls.py


@pytest.fixture
def dns(tmp_path):
    """dnsmasq on 127.0.0.1:port serving carrier.test; yields the port
    and the SIP port the best SRV record names."""
    exe = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    port, sip_port, backup_port = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [exe, "--keep-in-foreground", "--conf-file=/dev/null",
         "--no-resolv", "--no-hosts", "--no-poll", "--user=root",
         "--pid-file=", "--bind-interfaces", "--listen-address=127.0.0.1",
         f"--port={port}",
         "--naptr-record=carrier.test,10,50,s,SIP+D2U,,"
         "_sip._udp.carrier.test",
         "--naptr-record=carrier.test,20,50,s,SIP+D2T,,"
         "_sip._tcp.carrier.test",
         f"--srv-host=_sip._udp.carrier.test,sbc1.carrier.test,"
         f"{sip_port},10,50",
         f"--srv-host=_sip._udp.carrier.test,sbc2.carrier.test,"
         f"{backup_port},20,50",
         f"--host-record=sbc1.carrier.test,{CARRIER}",
         "--host-record=tls.carrier.test,127.0.0.1",
         "--host-record=sbc2.carrier.test,127.0.0.9",
         f"--log-facility={tmp_path / 'dnsmasq.log'}", "--log-queries"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.3)
    assert proc.poll() is None, proc.stderr.read()
    yield port, sip_port
    proc.terminate()
    proc.wait(timeout=10)


def test_trunk_host_name_located_by_naptr_and_srv(sipp, pbx, data,
                                                  tmp_path, dns):
    dns_port, sip_port = dns
    d = pbx(*NO_PROBES, "--dns", f"127.0.0.1:{dns_port}")
    r = data.cli("trunk", "add", "op1", "--kind", "ip", "--host",
                 "carrier.test", "--acl", CARRIER + "/32")
    assert r.returncode == 0, r.stderr
    r = data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                 "op1")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="trunk host resolved" trunk=op1 host=carrier.test '
             f'addr={CARRIER} port={sip_port} targets=2')
    op1 = start_uas(sipp, tmp_path, "op1", "carrier_ok.xml", sip_port,
                    addr=CARRIER)
    uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp, "100",
                    data.secrets["100"], NUMBER, data.realm)
    rc_uac, rc_op1 = finish(uac, op1)
    assert rc_uac == 0 and rc_op1 == 0, f"{uac}\n{op1}"
    got = op1.received("INVITE ")[0]
    # The Request-URI keeps the operator's domain.
    assert got.startswith(f"INVITE sip:{NUMBER}@carrier.test:"), got
    log = (tmp_path / "dnsmasq.log").read_text()
    assert "NAPTR" in log and "SRV" in log, log
    row = cdr_for(data, "100", NUMBER)
    assert disposition(row) in ANSWERED and "via op1" in row["reason"], row


def test_unknown_trunk_host_leaves_it_unusable(sipp, pbx, data, tmp_path,
                                               dns):
    dns_port, _ = dns
    d = pbx(*NO_PROBES, "--dns", f"127.0.0.1:{dns_port}")
    r = data.cli("trunk", "add", "op1", "--kind", "ip", "--host",
                 "nowhere.carrier.test", "--acl", CARRIER + "/32")
    assert r.returncode == 0, r.stderr
    r = data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                 "op1")
    assert r.returncode == 0, r.stderr
    wait_log(d, 'msg="trunk host not resolved" trunk=op1 '
             'host=nowhere.carrier.test')
    uac = refused(sipp, d, data, tmp_path, callee=NUMBER)
    assert final_code(uac) == 503, uac


def make_certs(tmp_path, name):
    """A test CA and a server certificate for `name` it signed; returns
    (ca.pem, cert+key PEM)."""
    def run(*args):
        r = subprocess.run(["openssl", *args], cwd=tmp_path,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=rempart test CA", "-days", "2")
    run("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj",
        f"/CN={name}")
    (tmp_path / "san.ext").write_text(f"subjectAltName=DNS:{name}\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey",
        "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "2",
        "-extfile", "san.ext")
    both = tmp_path / "srv-both.pem"
    both.write_text((tmp_path / "srv.pem").read_text() +
                    (tmp_path / "srv.key").read_text())
    return tmp_path / "ca.pem", both


@pytest.mark.parametrize("cert_name,answered", [
    ("tls.carrier.test", True), ("impostor.test", False)])
def test_tls_trunk_checks_the_operator_certificate(
        sipp, pbx, data, tmp_path, dns, cert_name, answered):
    """R-CRYPTO-1: a TLS trunk to tls.carrier.test (found in DNS) opens
    its own TLS 1.3 connection and checks the operator's certificate
    against that name and the CA given with --trunk-ca. baresip, with a
    certificate for the name, answers the call; with a certificate for
    another name, nothing is sent to it and the caller gets 503."""
    from test_calls_baresip import Phone, two_free_ports
    dns_port, _ = dns
    ca, cert = make_certs(tmp_path, cert_name)
    d = pbx(*NO_PROBES, "--dns", f"127.0.0.1:{dns_port}", "--trunk-ca",
            str(ca))
    wav = tmp_path / "silence.wav"
    import wave
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 8000 * 5)
    account = (f"<sip:{NUMBER}@tls.carrier.test;transport=tls>;regint=0;"
               "answermode=auto")
    op = Phone(tmp_path, "operator", account, wav, certificate=cert)
    try:
        r = data.cli("trunk", "add", "op1", "--kind", "ip", "--host",
                     "tls.carrier.test", "--port", str(op.port + 1),
                     "--transport", "tls", "--acl", "127.0.0.9/32")
        assert r.returncode == 0, r.stderr
        r = data.cli("route", "add", "out", "--pattern", "0.", "--trunks",
                     "op1")
        assert r.returncode == 0, r.stderr
        wait_log(d, 'msg="trunk host resolved" trunk=op1')
        if answered:
            uac = start_uac(sipp, tmp_path, "uac", "call_uac.xml", d.udp,
                            "100", data.secrets["100"], NUMBER, data.realm)
            op.event("CALL_ESTABLISHED")
            assert uac.wait() == 0, uac
            assert uac.counts() == (1, 0), uac
            row = cdr_for(data, "100", NUMBER)
            assert disposition(row) in ANSWERED, row
        else:
            uac = refused(sipp, d, data, tmp_path, callee=NUMBER)
            assert final_code(uac) == 503, uac
            assert "INVITE sip:" not in op.output(), op.output()[-3000:]
    finally:
        op.stop()
