# Sends records carrying pickled objects through CPython's own
# logging.handlers.SocketHandler, for tests/receiver_objects_python_test.ts.
#
# Usage: sender_objects.py HOST PORT
# Each record carries `value` (an object, as an extra), `expect_repr` and
# `expect_str` (what this Python prints for it) and its message is
# "%s" % value. Prints one JSON line per record sent, then DONE.
import collections
import datetime
import decimal
import json
import logging
import logging.handlers
import sys
import uuid

try:
    import pathlib
except ImportError:  # Python 2
    pathlib = None
try:
    import enum
except ImportError:
    enum = None
try:
    import dataclasses
except ImportError:
    dataclasses = None


class Plain(object):
    def __init__(self):
        self.a = 1
        self.b = "x"


P = collections.namedtuple("P", "x y")
values = []


def add(name, v):
    values.append((name, v))


tz = datetime.timezone(datetime.timedelta(hours=2)) \
    if hasattr(datetime, "timezone") else None
add("datetime", datetime.datetime(2024, 1, 2, 3, 4, 5))
add("datetime_us", datetime.datetime(2024, 1, 2, 3, 4, 5, 123456))
if tz is not None:
    add("datetime_tz", datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=tz))
    add("timezone_utc", datetime.timezone.utc)
    add("timezone", tz)
add("date", datetime.date(2024, 1, 2))
add("time", datetime.time(3, 4, 5))
add("timedelta", datetime.timedelta(days=1, seconds=2, microseconds=3))
add("timedelta_neg", datetime.timedelta(days=-1, seconds=5))
add("decimal", decimal.Decimal("1.10"))
add("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678"))
if pathlib is not None:
    add("path", pathlib.PurePosixPath("/tmp/x.log"))
add("ordereddict", collections.OrderedDict([("a", 1), ("b", 2)]))
add("defaultdict", collections.defaultdict(list, {"a": [1]}))
add("deque", collections.deque([1, 2], maxlen=5))
add("counter", collections.Counter("aab"))
add("namedtuple", P(1, 2))
add("complex", complex(1, -2))
add("range", range(1, 10, 2) if sys.version_info[0] > 2 else xrange(1, 10, 2))  # noqa: F821
add("exception", ValueError("bad", 3))
add("exception1", KeyError("k"))
add("plain", Plain())
if enum is not None:
    class Color(enum.Enum):
        RED = 1
    add("enum", Color.RED)
if dataclasses is not None:
    Order = dataclasses.make_dataclass("Order", [("id", int), ("total", float)])
    Order.__module__ = "__main__"
    add("dataclass", Order(7, 2.5))
if sys.version_info >= (3, 7):  # Logger.__reduce__ (getLogger) since 3.7
    add("logger", logging.getLogger("app.db"))
    add("root_logger", logging.getLogger())

host, port = sys.argv[1], int(sys.argv[2])
handler = logging.handlers.SocketHandler(host, port)
log = logging.getLogger("objects")
log.propagate = False
log.addHandler(handler)
log.setLevel(logging.DEBUG)


def out(d):
    sys.stdout.write(json.dumps(d) + "\n")


for name, v in values:
    log.info("value %s", v, extra={
        "kind": name, "value": v, "expect_repr": repr(v),
        "expect_str": str(v)})
    out({"kind": name})
# exc_info, stack_info, an adapter, and a Logger object in the record.
try:
    1 / 0
except ZeroDivisionError:
    log.exception("failed %s", decimal.Decimal("2"),
                  extra={"kind": "exc_info", "when": datetime.date(2024, 1, 2)})
out({"kind": "exc_info"})
if sys.version_info[0] > 2:
    log.info("stack", stack_info=True, extra={"kind": "stack_info"})
    out({"kind": "stack_info"})
adapter = logging.LoggerAdapter(log, {"kind": "adapter",
                                      "when": datetime.date(2024, 1, 3)})
adapter.warning("adapted")
out({"kind": "adapter"})
if sys.version_info >= (3, 7):
    log.info("with logger", extra={"kind": "logger_extra",
                                   "logger": logging.getLogger("app")})
    out({"kind": "logger_extra"})
handler.close()
sys.stdout.write("DONE\n")
