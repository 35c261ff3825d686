# Sends records with CPython's logging.handlers.SocketHandler, for the web
# viewer's browser test (tests/web_viewer_test.ts).
#
# Usage: viewer_sender.py HOST PORT base
#          records of a small logger tree ("shop", "shop.db", "shop.db.pool",
#          "shop.dbx", "shop.web", "worker", the root) at every level, with
#          extras, an exception and a stack; prints one JSON line per record
#          with the fields the page must show.
#        viewer_sender.py HOST PORT hostile
#          records whose message, logger name and extras are markup, script
#          URLs, 1 MB strings, control and bidi characters; prints "DONE".
import json
import logging
import logging.handlers
import sys

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
handler = logging.handlers.SocketHandler(host, port)
seen = []


class Capture(logging.Handler):
    def emit(self, record):
        seen.append(record)


def logger(name):
    log = logging.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)
    if mode == "base":
        log.addHandler(Capture())
    return log


if mode == "base":
    logger("shop").info("service started on port %d", 8080)
    logger("shop.db").debug("connect to %s", "db-1", extra={"dsn": "pg://db-1"})
    logger("shop.db.pool").warning("pool exhausted: needle in the pool")
    logger("shop.dbx").error("user 17 failed", extra={"user": "needle-man"})
    try:
        {}["cart"]
    except KeyError:
        logger("shop.web").exception(
            "request failed", extra={"request_id": "req-123", "status": 500})
    logger("worker").critical("user 9 crashed", stack_info=True)
    logger("").info("plain root record")
    handler.close()
    formatter = logging.Formatter()
    for r in seen:
        exc_text = formatter.formatException(r.exc_info) if r.exc_info else None
        stack = r.stack_info
        print(json.dumps({
            "name": r.name, "levelno": r.levelno, "levelname": r.levelname,
            "message": r.getMessage(), "exc_text": exc_text,
            "stack_info": stack, "lineno": r.lineno, "funcName": r.funcName,
            "process": r.process,
            "extras": {k: getattr(r, k) for k in
                       ("dsn", "user", "request_id", "status")
                       if hasattr(r, k)},
        }))
elif mode == "hostile":
    mb = "W" * (1 << 20)
    log = logger("<script>window.__pwned=1</script>")
    log.warning("<script>window.__pwned = 2</script>")
    log = logger("evil")
    log.error('<img src=x onerror="window.__pwned=3">',
              extra={"html": '<img src=x onerror="window.__pwned=4">'})
    log.info("javascript:window.__pwned=5",
             extra={"url": "javascript:window.__pwned=6"})
    log.info(mb, extra={"big": mb})
    log.info(u"ctl \x00\x07\b\r\n\x1b[31mred\x1b[0m\x85 end")
    logger(u"a\u202eb").info(u"bidi \u202eevil\u202c \u2067x\u2069 \u200f")
    log.info("\n" * 1000 + "after newlines")
    log.info("keys", extra={"<b onmouseover=alert(1)>": "key",
                            "__proto__": "p", "constructor": "c"})
    try:
        raise ValueError("<script>window.__pwned=7</script>" + mb)
    except ValueError:
        log.exception("hostile traceback")
    handler.close()
    print("DONE")
sys.stdout.flush()
