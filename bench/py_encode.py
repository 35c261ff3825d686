# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# CPython's per-record encode cost: SocketHandler.makePickle(record) of the
# same logger.info("request %d served in %s ms", i, 12.5) record.
# Usage: python3 bench/py_encode.py ITERATIONS ROUNDS
# Prints {"rounds": {"makePickle": [records/s, ...]}}.
import json
import logging
import logging.handlers
import sys
import time

iterations, rounds = int(sys.argv[1]), int(sys.argv[2])
handler = logging.handlers.SocketHandler("127.0.0.1", 9)
logger = logging.getLogger("bench")
record = logger.makeRecord(
    "bench", logging.INFO, __file__, 1, "request %d served in %s ms", (42, 12.5), None
)
make = handler.makePickle
out = []
for _ in range(rounds):
    t0 = time.perf_counter()
    for _ in range(iterations):
        make(record)
    out.append(iterations / (time.perf_counter() - t0))
print(json.dumps({"rounds": {"makePickle": out}}), flush=True)
