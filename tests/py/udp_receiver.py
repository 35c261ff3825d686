# A CPython UDP log receiver, as consumers of logging.handlers.DatagramHandler
# are written: one recvfrom per record, pickle.loads(data[4:]).
#
# usage: udp_receiver.py COUNT FAMILY QUIET_MS
# Binds 127.0.0.1 (FAMILY 4) or ::1 (FAMILY 6) port 0, prints "PORT <n>",
# then prints "REC <formatted>" per datagram (or "BADLEN <prefix> <size>"
# when the length prefix is not the datagram size minus 4). Stops after
# COUNT datagrams, after QUIET_MS of silence once at least one arrived (or
# 3 s with none), or after 20 s.
import logging
import pickle
import socket
import struct
import sys
import time

count = int(sys.argv[1])
family = socket.AF_INET6 if sys.argv[2] == "6" else socket.AF_INET
quiet = int(sys.argv[3]) / 1000.0
formatter = logging.Formatter("%(name)s|%(levelname)s|%(levelno)s|%(message)s|%(user)s")
sock = socket.socket(family, socket.SOCK_DGRAM)
sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
sys.stdout.write("PORT %d\n" % sock.getsockname()[1])
sys.stdout.flush()
deadline = time.time() + 20
got = 0
while got < count and time.time() < deadline:
    sock.settimeout(quiet if got > 0 else 3.0)
    try:
        data, _ = sock.recvfrom(70000)
    except socket.timeout:
        break
    got += 1
    (slen,) = struct.unpack(">L", data[:4])
    if slen != len(data) - 4:
        sys.stdout.write("BADLEN %d %d\n" % (slen, len(data)))
        continue
    record = logging.makeLogRecord(pickle.loads(data[4:]))
    if not hasattr(record, "user"):
        record.user = "-"
    sys.stdout.write("REC %s\n" % formatter.format(record))
    sys.stdout.flush()
sock.close()
