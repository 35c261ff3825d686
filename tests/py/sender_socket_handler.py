# Sends log records with CPython's own logging.handlers.SocketHandler
# (Python 2.7 and 3.x), for the receiver and CLI tests.
#
# Usage: sender_socket_handler.py HOST PORT [--unix PATH] [--mode M] [--fmt F]
#   --mode standard (default): debug/info/warning with extras/exception/
#          stack_info/critical with varied extra types, all via logger calls.
#   --mode mistyped: raw dicts with mistyped fields between good records,
#          all on one connection (sent through the same handler).
#   --fmt F: also print logging.Formatter(F).format() of the record a Python
#          receiver would rebuild (makeLogRecord(pickle.loads(frame[4:]))).
# Prints one JSON line per frame sent: {"sent": <dict>, "formatted": <str|null>}
# (ints beyond 2**53 as {"$bigint": "..."}, tuples as lists), then "DONE".
import json
import logging
import logging.handlers
import pickle
import struct
import sys

args = sys.argv[1:]
host, port = args[0], int(args[1])
unix = None
mode = "standard"
fmt = None
i = 2
while i < len(args):
    if args[i] == "--unix":
        unix = args[i + 1]
    elif args[i] == "--mode":
        mode = args[i + 1]
    elif args[i] == "--fmt":
        fmt = args[i + 1]
    i += 2

try:
    text_type = unicode  # noqa: F821 (Python 2)
except NameError:
    text_type = str


def plain(v):
    if isinstance(v, bool) or v is None or isinstance(v, float):
        return v
    if isinstance(v, (int,)) or type(v).__name__ == "long":
        if abs(v) > 2 ** 53:
            return {"$bigint": str(v)}
        return v
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return dict((k, plain(x)) for k, x in v.items())
    if isinstance(v, bytes) and bytes is not str:
        return {"$bytes": list(bytearray(v))}
    return v


class Capturing(logging.handlers.SocketHandler):
    def makePickle(self, record):
        data = logging.handlers.SocketHandler.makePickle(self, record)
        self.report(data)
        return data

    def report(self, data):
        d = pickle.loads(data[4:])
        formatted = None
        if fmt is not None:
            formatted = logging.Formatter(fmt).format(logging.makeLogRecord(d))
        out = {"sent": plain(d), "formatted": formatted}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if unix:
    handler = Capturing(unix, None)
else:
    handler = Capturing(host, port)
logger = logging.getLogger("interop.sender")
logger.setLevel(logging.DEBUG)
logger.addHandler(handler)
logger.propagate = False


def fail():
    return 1 / 0


if mode == "standard":
    logger.debug("debug %d", 1)
    logger.info("hello %s", "world")
    logger.warning(u"unicode h\xe9llo \U0001F600",
                   extra={"user": "bob", "request_id": 42, "tags": ["a", "b"]})
    try:
        fail()
    except ZeroDivisionError:
        logger.exception("failed %s", "op")
    if sys.version_info >= (3, 2):
        logger.error("with stack", stack_info=True)
    logger.critical("types", extra={"ratio": 0.5, "big": 2 ** 70, "neg": -7,
                                    "none": None, "flag": True,
                                    "nested": {"k": [1, 2]}, "pair": (1, "x")})
    logger.log(25, "custom level %s%%", 25)
elif mode == "mistyped":
    base = logging.makeLogRecord({"name": "bad.sender", "msg": "ok",
                                  "levelno": 20, "levelname": "INFO"})

    def send(overrides):
        d = dict(base.__dict__)
        d.update(overrides)
        s = pickle.dumps(d, 1)
        data = struct.pack(">L", len(s)) + s
        handler.report(data)
        handler.send(data)

    send({"msg": "first", "seq": 1})
    send({"msg": "levelno str", "levelno": "x", "seq": 2})
    send({"msg": "created str", "created": "yesterday", "seq": 3})
    send({"msg": "name int", "name": 42, "seq": 4})
    send({"msg": "lineno None", "lineno": None, "seq": 5})
    send({"msg": "after", "seq": 6})
handler.close()
sys.stdout.write("DONE\n")
sys.stdout.flush()
