"""A minimal SIP user agent for system tests: builds requests, answers
digest challenges (MD5 or SHA-256, qop=auth), over UDP, TCP or TLS.
Written from RFC 3261 / RFC 7616 so tests can check exact bytes."""
import hashlib
import os
import re
import socket
import ssl


def rand(n=10):
    return os.urandom(n).hex()


def parse(data):
    """(start line, [(name, value)], body) of one message."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("utf-8", "replace").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + " " +
                           line.strip())
        elif ":" in line:
            n, v = line.split(":", 1)
            headers.append((n.strip(), v.strip()))
    return lines[0], headers, body


def header(headers, name):
    return [v for n, v in headers if n.lower() == name.lower()]


def status_of(data):
    return int(parse(data)[0].split(" ")[1])


def digest_params(value):
    return dict((k, v1 if v1 else v2) for k, v1, v2 in re.findall(
        r'(\w+)=(?:"([^"]*)"|([^\s,]+))', value))


def digest_response(alg, user, realm, secret, method, uri, nonce, nc,
                    cnonce, qop="auth"):
    h = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    ha1 = h(f"{user}:{realm}:{secret}".encode()).hexdigest()
    ha2 = h(f"{method}:{uri}".encode()).hexdigest()
    return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode()).hexdigest()


class Client:
    def __init__(self, port, transport="udp", host="127.0.0.1",
                 bind="127.0.0.1"):
        self.transport = transport
        self.server = (host, port)
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((bind, 0))
        else:
            raw = socket.create_connection(self.server, timeout=5,
                                           source_address=(bind, 0))
            if transport == "tls":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                raw = ctx.wrap_socket(raw)
            self.sock = raw
        self.sock.settimeout(5)
        self.local = self.sock.getsockname()
        self.buf = b""
        self.cseq = 0
        self.call_id = rand() + "@test"
        self.from_tag = rand(4)

    def close(self):
        self.sock.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.transport == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def recv(self, timeout=5):
        self.sock.settimeout(timeout)
        if self.transport == "udp":
            return self.sock.recv(65535)
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                m = re.search(rb"\r\n(?:Content-Length|l)\s*:\s*(\d+)",
                              self.buf[:end], re.I)
                total = end + 4 + (int(m.group(1)) if m else 0)
                if len(self.buf) >= total:
                    msg, self.buf = self.buf[:total], self.buf[total:]
                    return msg
            chunk = self.sock.recv(65535)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def request(self, method, uri, user, realm_host, extra=(), branch=None,
                contact=True, cseq=None, call_id=None, to_user=None):
        self.cseq = cseq if cseq is not None else self.cseq + 1
        branch = branch or "z9hG4bK" + rand()
        tp = self.transport.upper()
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/{tp} {self.local[0]}:{self.local[1]};"
            f"branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{user}@{realm_host}>;tag={self.from_tag}",
            f"To: <sip:{to_user or user}@{realm_host}>",
            f"Call-ID: {call_id or self.call_id}",
            f"CSeq: {self.cseq} {method}",
        ]
        if contact:
            lines.append(f"Contact: <sip:{user}@{self.local[0]}:"
                         f"{self.local[1]};transport={self.transport}>")
        lines += list(extra)
        lines.append("Content-Length: 0")
        return "\r\n".join(lines) + "\r\n\r\n"

    def transact(self, data, timeout=5):
        """Sends a request and returns the answer; over UDP it is sent
        again on RFC 3261 Timer E (500 ms, doubling) like a phone."""
        self.send(data)
        if self.transport != "udp":
            return self.recv(timeout)
        wait, waited = 0.5, 0.0
        while True:
            try:
                return self.recv(min(wait, timeout - waited))
            except socket.timeout:
                waited += wait
                if waited >= timeout:
                    raise
                wait = min(wait * 2, 4.0)
                self.send(data)

    def register(self, user, secret, realm, expires=600, alg="SHA-256",
                 nc="00000001"):
        """REGISTER, answer the challenge, return (final response,
        challenge params used)."""
        uri = f"sip:{realm}"
        first = self.transact(self.request("REGISTER", uri, user, realm,
                                           [f"Expires: {expires}"]))
        assert status_of(first) == 401, first
        chal = None
        for v in header(parse(first)[1], "WWW-Authenticate"):
            p = digest_params(v)
            if p.get("algorithm") == alg:
                chal = p
        assert chal is not None, first
        cnonce = rand(8)
        resp = digest_response(alg, user, chal["realm"], secret, "REGISTER",
                               uri, chal["nonce"], nc, cnonce)
        auth = (f'Authorization: Digest username="{user}", '
                f'realm="{chal["realm"]}", nonce="{chal["nonce"]}", '
                f'uri="{uri}", response="{resp}", algorithm={alg}, '
                f'qop=auth, nc={nc}, cnonce="{cnonce}", '
                f'opaque="{chal["opaque"]}"')
        return (self.transact(self.request("REGISTER", uri, user, realm,
                                           [f"Expires: {expires}", auth])),
                chal, auth)
