# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# Writes the hostile frames of scenario 10 into the directory argv[1], one
# file per kind (each file one length-prefixed frame), made with CPython's own
# pickle so that they are what a hostile Python peer would send. Every
# structure also carries an object whose __reduce__ would create the canary
# file argv[2] if it were ever called. Prints "<name> <bytes>" per file.
import logging, os, pickle, pickletools, struct, sys

out, canary = sys.argv[1], sys.argv[2]


class Run:
    def __reduce__(self):
        return (os.system, ("touch " + canary,))


def record(**extra):
    rec = logging.LogRecord("hostile", logging.WARNING, "/srv/x.py", 1,
                            "attack", None, None, "f")
    d = dict(rec.__dict__)
    d.update(extra)
    return d


def write(name, obj, proto=2):
    # optimize() drops the memo PUTs nothing GETs: one byte per empty list.
    body = pickletools.optimize(pickle.dumps(obj, proto))
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(struct.pack(">L", len(body)) + body)
    print(name, len(body) + 4)


# Memo fan-out ("billion laughs"): 9 levels of 10 shared references to the
# level below: 10**9 leaves in under 1 KB.
x = ["lol", Run()]
for _ in range(9):
    x = [x] * 10
write("bomb_list", record(bomb=x))
y = {"k": "lol", "r": Run()}
for _ in range(14):
    y = {str(i): y for i in range(4)}
write("bomb_dict", record(bomb=y))
# As the message's arguments, and as the message itself.
write("bomb_args", record(msg="%s " * 10, args=tuple([x] * 10)))
write("bomb_msg", record(msg=x))
# Many extras sharing one expansion (0.5 billion leaves each).
write("bomb_extras", record(**{"e%d" % i: x for i in range(20)}))

# Huge integers: one just under the 4 MiB frame limit (LONG4), as created;
# one of 60 KiB (under the decoder's 64 KiB digit cap) as created and extra.
n = (1 << (8 * (4 * 1024 * 1024 - 4096))) - 12345
write("long4_4m", record(created=n))
m = (1 << (8 * 60 * 1024)) - 7
write("long_60k", record(created=m, big=m, big2=-m))

# Empty containers: a frame just under 4 MiB of empty lists / dicts (over the
# decode budget), and a 512 KiB one of empty lists that fits it (decoded,
# then held). Spliced in by hand (the pickler would memoize each one).
def containers(name, op, n):
    head, tail = pickletools.optimize(
        pickle.dumps(record(x="@@SPLICE@@"), 2)).split(
            b"X\x0a\x00\x00\x00@@SPLICE@@")
    body = head + b"](" + op * n + b"e" + tail
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(struct.pack(">L", len(body)) + body)
    print(name, len(body) + 4)


N = 4 * 1024 * 1024 - 4096
containers("empty_lists_4m", b"]", N)
containers("empty_dicts_4m", b"}", N)
containers("empty_lists_512k", b"]", 512 * 1024)
# Lists of 14 small ints: 9 heap units per byte, within the budget, so
# decoded (about 40 MB of heap each) and held while the consumer is stalled.
containers("int_lists_4m", b"](" + b"K\x07" * 14 + b"e", N // 31)

# Terminal injection: control sequences in every field a formatter prints,
# made by CPython's own SocketHandler.makePickle (exc_info, stack_info).
import logging.handlers

ESCAPES = [
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b]0;pwned\x07",  # window title
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",  # OSC 52: write the clipboard
    "\x1b[1A\x1b[2K",  # cursor up, erase the line
    "ok\rCRITICAL forged over this line",  # carriage return overwrite
    "\x9b31m\x9d0;c1\x9c",  # C1 CSI / OSC / ST
    "\u202eevil\u202c \u2066iso\u2069",  # bidi override and isolates
    "\x07\x08\x7f\x00",  # BEL, BS, DEL, NUL
    "\n12:00:00.000 CRITICAL root                 forged record line",
    "\n1700000000.000000 CRITICAL root forged record line",
]
h = logging.handlers.SocketHandler("127.0.0.1", 9)
frames = b""
for i, e in enumerate(ESCAPES):
    try:
        raise ValueError("boom " + e)
    except ValueError:
        exc = sys.exc_info()
    rec = logging.LogRecord("evil" + e, logging.ERROR, "/srv/" + e, 7,
                            "msg %s " + e, (e,), exc, "f" + e,
                            sinfo="Stack (most recent call last):\n" + e)
    rec.levelname = "ERROR" + e
    rec.__dict__["extra" + e] = e
    rec.__dict__["x"] = [e, {e: e}]
    frames += h.makePickle(rec)
with open(os.path.join(out, "ansi.bin"), "wb") as f:
    f.write(frames)
print("ansi", len(frames))
