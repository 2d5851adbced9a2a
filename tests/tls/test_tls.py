"""listenSSL gives TLS with no other change: HTTP transports and websockets."""

import base64
import json
import os
import re
import socket
import ssl
import subprocess
import sys

import pytest

pytest.importorskip("OpenSSL", reason="twisted[tls] is a test dependency (./run-tests installs it)")
pytest.importorskip("service_identity", reason="twisted[tls] is a test dependency (./run-tests installs it)")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    errors = folder / "server-stderr.txt"
    with open(errors, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "tests.tls.tls_server", cert, key],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        line = process.stdout.readline()
        found = re.search(r":(\d+)/", line)
        assert found, "the TLS server did not start: %r\n%s" % (line, errors.read_text()[-3000:])
        port = int(found.group(1))
        context = ssl.create_default_context(cafile=cert)
        yield port, context
    finally:
        process.kill()
        process.wait(timeout=10)


def tls_connect(port, context):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def read_until(sock, marker):
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_http_transports_over_tls(tls_server):
    port, context = tls_server
    with tls_connect(port, context) as sock:
        sock.sendall(b"POST /0/tls1/xhr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert read_until(sock, b"o\n").endswith(b"\r\n\r\no\n")
        body = b'["secret"]'
        sock.sendall(b"POST /0/tls1/xhr_send HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))
        assert read_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 204")
        sock.sendall(b"POST /0/tls1/xhr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert read_until(sock, b'a["secret"]\n').endswith(b'a["secret"]\n')


def test_websocket_over_tls(tls_server):
    port, context = tls_server
    key = base64.b64encode(os.urandom(16)).decode()
    with tls_connect(port, context) as sock:
        sock.sendall(("GET /0/tls2/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n" % key).encode())
        data = read_until(sock, b"\x81\x01o")
        assert data.startswith(b"HTTP/1.1 101")
        payload = json.dumps(["over tls"]).encode()
        mask = b"\x00\x00\x00\x00"
        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + payload)
        assert read_until(sock, b'a["over tls"]').endswith(b'a["over tls"]')
