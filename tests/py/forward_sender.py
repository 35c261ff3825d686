# Sends records with CPython's logging.handlers.SocketHandler, for the
# forwarding tests (tests/rsyslog_forward_test.ts) and the web viewer's
# (tests/cli_web_test.ts, tests/web_viewer_test.ts, bench/web_viewer.ts).
#
# Usage: forward_sender.py HOST PORT fields
#          five records of logger "app.web" (every level, a multi-line and
#          non-ASCII message, extras with '"', '\' and ']', an exception);
#          prints one JSON line per record with what a forwarder must carry.
#        forward_sender.py HOST PORT count N RATE [SIZE]
#          N records "r<i>" at RATE records/s (with SIZE: "r<i> xxx…", SIZE
#          'x' after the space); prints "DONE".
import json
import logging
import logging.handlers
import os
import sys
import time

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
logger = logging.getLogger("app.web")
logger.setLevel(logging.DEBUG)
logger.propagate = False
handler = logging.handlers.SocketHandler(host, port)
logger.addHandler(handler)

if mode == "fields":
    seen = []

    class Capture(logging.Handler):
        def emit(self, record):
            seen.append(record)

    capture = Capture()
    logger.addHandler(capture)
    logger.debug("debug %d", 1)
    logger.info(u"multi\nline \u00e9 \U0001F600")
    logger.warning('quote " back \\ bracket ]',
                   extra={"user": 'b"o\\b]', "request_id": 42})
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    logger.critical("crit")
    handler.close()
    formatter = logging.Formatter()
    for r in seen:
        exc_text = formatter.formatException(r.exc_info) if r.exc_info else None
        print(json.dumps({
            "levelno": r.levelno, "levelname": r.levelname,
            "message": r.getMessage(), "exc_text": exc_text,
            "created": r.created, "lineno": r.lineno, "funcName": r.funcName,
            "process": r.process, "thread": r.thread,
            "threadName": r.threadName, "pathname": r.pathname,
            "user": getattr(r, "user", None),
            "request_id": getattr(r, "request_id", None),
        }))
elif mode == "count":
    n, rate = int(sys.argv[4]), float(sys.argv[5])
    pad = "x" * int(sys.argv[6]) if len(sys.argv) > 6 else None
    t0 = time.time()
    for i in range(n):
        if pad is None:
            logger.info("r%d", i)
        else:
            logger.info("r%d %s", i, pad)
        if i % 100 == 99:
            ahead = (i + 1) / rate - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
    handler.close()
    print("DONE")
sys.stdout.flush()
