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
