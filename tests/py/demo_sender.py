# Part of `deno task demo`: a real CPython program logging through Python's
# own logging.handlers.SocketHandler into the demo's receiver.
#
# Usage: python3 demo_sender.py PORT
# Prints "sent N" (the number of records logged) on stdout.
import logging
import logging.handlers
import sys

port = int(sys.argv[1])
handler = logging.handlers.SocketHandler("127.0.0.1", port)
logger = logging.getLogger("demo.python")
logger.setLevel(logging.DEBUG)
logger.propagate = False
logger.addHandler(handler)

sent = 0
logger.debug("hello from CPython %s", sys.version.split()[0])
sent += 1
logger.info("order %s placed", "A-17",
            extra={"user": "carol", "request_id": 4711})
sent += 1
logger.warning("disk %d%% full", 91, extra={"tags": ["disk", "alert"]})
sent += 1
try:
    {}["missing"]
except KeyError:
    logger.exception("lookup failed", extra={"request_id": 4712})
sent += 1

handler.close()  # SocketHandler sends synchronously; close() ends the connection
sys.stdout.write("sent %d\n" % sent)
