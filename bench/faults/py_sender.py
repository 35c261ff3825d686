# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# CPython's logging.handlers.SocketHandler through the same script as app.ts:
# logs "s=<id> seq=<n>" at <rate>/s, prints LOGGED then RESULT <json>.
import json, logging, logging.handlers, resource, sys, time

port, sid, count, rate = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
h = logging.handlers.SocketHandler("127.0.0.1", port)
logger = logging.getLogger("app." + sid)
logger.setLevel(logging.INFO)
logger.addHandler(h)
logger.propagate = False
max_lat = 0.0
t0 = time.perf_counter()
chunk = max(1, round(rate / 200)) if rate > 0 else 500
seq = 0
while seq < count:
    end = min(count, seq + chunk)
    while seq < end:
        a = time.perf_counter()
        logger.info("s=%s seq=%d", sid, seq)
        lat = time.perf_counter() - a
        if lat > max_lat:
            max_lat = lat
        seq += 1
    if rate > 0:
        wait = t0 + seq / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
print("LOGGED", flush=True)
h.close()
print("RESULT " + json.dumps({
    "logged": count, "threw": 0, "maxLatencyMs": max_lat * 1000,
    "hwmKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}), flush=True)
