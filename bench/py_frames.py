# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# Writes K frames exactly as CPython's logging.handlers.SocketHandler sends
# them (SocketHandler.makePickle of logger.info("request %d served in %s ms",
# i, 12.5) records), concatenated, to OUT.
# Usage: python3 bench/py_frames.py K OUT
import logging
import logging.handlers
import sys

k, out = int(sys.argv[1]), sys.argv[2]
handler = logging.handlers.SocketHandler("127.0.0.1", 9)
logger = logging.getLogger("bench")
with open(out, "wb") as f:
    for i in range(k):
        record = logger.makeRecord(
            "bench", logging.INFO, __file__, 1,
            "request %d served in %s ms", (i, 12.5), None,
        )
        f.write(handler.makePickle(record))
