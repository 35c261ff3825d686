# A CPython TLS log receiver for the TLS interop tests (python3's ssl module).
#
# usage: tls_receiver.py COUNT CERT KEY [CA]
# Listens on 127.0.0.1 port 0 with an ssl-wrapped socket (with CA: client
# certificates are required and verified against it), prints "PORT <n>",
# then reads frames as the logging cookbook's receiver does (4-byte length,
# pickle.loads, makeLogRecord) and prints each record as "REC <formatted>".
# A failed handshake prints "TLSERR <reason>" and the next connection is
# accepted. Stops after COUNT records or 20 s.
import logging
import pickle
import socket
import ssl
import struct
import sys
import time

count = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
if len(sys.argv) > 4:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(sys.argv[4])

formatter = logging.Formatter("%(name)s|%(levelname)s|%(levelno)s|%(message)s|%(user)s")
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen(5)
sys.stdout.write("PORT %d\n" % server.getsockname()[1])
sys.stdout.flush()
deadline = time.time() + 20


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


received = 0
while received < count and time.time() < deadline:
    server.settimeout(max(0.1, deadline - time.time()))
    try:
        raw, _ = server.accept()
    except socket.timeout:
        break
    raw.settimeout(max(0.1, deadline - time.time()))
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError) as e:
        sys.stdout.write("TLSERR %s\n" % (getattr(e, "reason", None) or e))
        sys.stdout.flush()
        raw.close()
        continue
    try:
        while received < count:
            head = recv_exact(conn, 4)
            if head is None:
                break
            body = recv_exact(conn, struct.unpack(">L", head)[0])
            if body is None:
                sys.stdout.write("TORN\n")
                break
            record = logging.makeLogRecord(pickle.loads(body))
            if not hasattr(record, "user"):
                record.user = "-"
            sys.stdout.write("REC %s\n" % formatter.format(record))
            sys.stdout.flush()
            received += 1
    except (ssl.SSLError, OSError) as e:
        sys.stdout.write("TLSERR %s\n" % (getattr(e, "reason", None) or e))
        sys.stdout.flush()
    conn.close()
server.close()
