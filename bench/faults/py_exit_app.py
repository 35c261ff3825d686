# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# CPython's counterpart of exit_app.ts: py_exit_app.py <how> <port> <count>
# <sender>; how: SIGTERM/SIGINT/SIGHUP (waits to be signalled), throw (an
# uncaught exception), exit (sys.exit(0) right after logging, 2 KB records);
# sender: socket (SocketHandler), udp (DatagramHandler) or none.
import logging, logging.handlers, sys, time

how, port, count, sender = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
logger = logging.getLogger("app")
logger.setLevel(logging.INFO)
logger.propagate = False
if sender == "socket":
    logger.addHandler(logging.handlers.SocketHandler("127.0.0.1", port))
elif sender == "udp":
    logger.addHandler(logging.handlers.DatagramHandler("127.0.0.1", port))
pad = " " + "x" * 2000 if how == "exit" else ""
for i in range(count):
    logger.info("record %d" + pad, i)
print("LOGGED", flush=True)
if how == "throw":
    raise RuntimeError("boom")
elif how == "exit":
    sys.exit(0)
else:
    while True:
        time.sleep(1)
