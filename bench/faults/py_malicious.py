# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# Prints "V <hex>" valid CPython SocketHandler frames (protocols 0-5) for the
# fuzz corpus and "M <name> <hex>" malicious frames that, if unpickled by
# pickle.loads, would create the canary file argv[1].
import logging, logging.handlers, os, pickle, struct, subprocess, sys, builtins

canary = sys.argv[1]
cmd = "touch " + canary
rec = logging.LogRecord("app.db", logging.WARNING, "/srv/app.py", 42,
                        "user %s: %d ms", ("alice", 1200), None, "handler")
h = logging.handlers.SocketHandler("127.0.0.1", 9)
frame = h.makePickle(rec)
print("V", frame.hex())
d = dict(rec.__dict__); d["msg"] = rec.getMessage(); d["args"] = None; d["exc_info"] = None
d.pop("message", None)
for proto in range(0, 6):
    body = pickle.dumps(d, proto)
    print("V", (struct.pack(">L", len(body)) + body).hex())

class R:
    def __init__(self, f, a): self.f, self.a = f, a
    def __reduce__(self): return (self.f, self.a)

def frame_of(body): return (struct.pack(">L", len(body)) + body).hex()
mal = []
for proto in range(0, 6):
    mal.append(("REDUCE os.system p%d" % proto, pickle.dumps(R(os.system, (cmd,)), proto)))
    mal.append(("REDUCE eval p%d" % proto, pickle.dumps(R(eval, ("__import__('os').system(%r)" % cmd,)), proto)))
    mal.append(("REDUCE subprocess.call p%d" % proto, pickle.dumps(R(subprocess.call, (["touch", canary],)), proto)))
    mal.append(("REDUCE builtins.exec p%d" % proto, pickle.dumps(R(builtins.exec, ("import os; os.system(%r)" % cmd,)), proto)))
    # inside a record dict (a poisoned field)
    dd = dict(d); dd["msg"] = R(os.system, (cmd,))
    mal.append(("REDUCE in record p%d" % proto, pickle.dumps(dd, proto)))
c = cmd.encode()
mal.append(("INST", b"(S'" + c + b"'\nios\nsystem\n."))
mal.append(("OBJ", b"(cos\nsystem\nS'" + c + b"'\no."))
mal.append(("NEWOBJ", b"\x80\x02csubprocess\nPopen\n(X" + struct.pack("<I", 5) + b"touch" + b"X" + struct.pack("<I", len(canary)) + canary.encode() + b"l\x85\x81."))
mal.append(("NEWOBJ_EX", b"\x80\x04csubprocess\nPopen\n)}\x92."))
mal.append(("BUILD", b"\x80\x02cos\nsystem\n}b."))
mal.append(("STACK_GLOBAL", b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c" + bytes([len(c)]) + c + b"\x85R."))
mal.append(("EXT1", b"\x80\x02\x82\x01."))
mal.append(("PERSID", b"P" + c + b"\n."))
for name, body in mal:
    print("M", name.replace(" ", "_"), frame_of(body))
