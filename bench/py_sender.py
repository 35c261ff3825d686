# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# CPython's own logging.handlers.SocketHandler as the baseline sender.
# Usage: python3 bench/py_sender.py PORT N
# Prints {"startAt", "endAt"} (epoch ms): before the first logging call and
# after the last one returned (SocketHandler sends synchronously).
import json
import logging
import logging.handlers
import sys
import time

port, n = int(sys.argv[1]), int(sys.argv[2])
logger = logging.getLogger("bench")
logger.setLevel(logging.INFO)
logger.propagate = False
handler = logging.handlers.SocketHandler("127.0.0.1", port)
logger.addHandler(handler)
info = logger.info
start = time.time() * 1000.0
for i in range(n):
    info("request %d served in %s ms", i, 12.5)
end = time.time() * 1000.0
handler.close()
print(json.dumps({"startAt": start, "endAt": end}), flush=True)
