# A CPython logging receiver for the interop tests (Python 2.7 and 3.x).
#
# Listens on 127.0.0.1 (port 0, or a Unix socket path given as argv[2]),
# prints "PORT <n>" (or "READY"), then reads frames exactly as the logging
# cookbook's receiver does: a 4-byte big-endian length, pickle.loads,
# logging.makeLogRecord, and a Formatter using every standard field. Each
# formatted record is printed as one JSON line {"line": ..., "types": {...}}.
# Stops after argv[1] records or 30 s. "--- Logging error ---" from the
# logging module goes to stderr, which the tests check is empty.
import json
import logging
import os
import pickle
import socket
import struct
import sys

count = int(sys.argv[1])
unix_path = sys.argv[2] if len(sys.argv) > 2 else None

fields = [
    "asctime", "msecs", "relativeCreated", "name", "levelname", "levelno",
    "pathname", "filename", "module", "lineno", "funcName", "thread",
    "threadName", "process", "processName", "message",
]
if sys.version_info >= (3, 12):
    fields.append("taskName")
fmt = "|".join("%(" + f + ")s" for f in fields)
formatter = logging.Formatter(fmt)


class Capture(logging.Handler):
    def emit(self, record):
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        types = dict((k, type(v).__name__) for k, v in record.__dict__.items())
        extras = {}
        for k in ("user", "request_id", "dropped", "tags", "extra_name", "seq", "sender"):
            if k in record.__dict__:
                extras[k] = record.__dict__[k]
        out = {"line": line, "types": types, "exc_text": record.exc_text,
               "extras": extras, "name": record.name, "msg": record.getMessage(),
               "levelno": record.levelno}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


handler = Capture()
handler.setFormatter(formatter)

if unix_path:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(unix_path)
    server.listen(5)
    sys.stdout.write("READY\n")
else:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    sys.stdout.write("PORT %d\n" % server.getsockname()[1])
sys.stdout.flush()
server.settimeout(30)


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


received = 0
while received < count:
    conn, _ = server.accept()
    conn.settimeout(30)
    while received < count:
        head = recv_exact(conn, 4)
        if head is None:
            break
        slen = struct.unpack(">L", head)[0]
        body = recv_exact(conn, slen)
        if body is None:
            sys.stderr.write("torn frame\n")
            break
        record = logging.makeLogRecord(pickle.loads(body))
        handler.handle(record)
        received += 1
    conn.close()
server.close()
if unix_path:
    os.unlink(unix_path)
