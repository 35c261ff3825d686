# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# CPython receiver for scenario 7: reads SocketHandler frames and loads every
# pickle with an Unpickler whose find_class always raises (nothing runs).
# Prints "PORT <n>"; on stdin "exit" prints "RESULT <json>".
import json, pickle, socket, struct, sys, threading, io

# Only the data constructors CPython's own protocol 0-2 pickles use for
# sets, frozensets and bytes; anything else (os.system, eval, ...) refused.
ALLOWED = {("builtins", "set"), ("__builtin__", "set"), ("builtins", "frozenset"),
           ("__builtin__", "frozenset"), ("_codecs", "encode"),
           ("builtins", "bytearray"), ("__builtin__", "bytearray")}

class Safe(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError("global %s.%s refused" % (module, name))

stats = {"frames": 0, "decoded": 0, "notices": 0, "failures": [], "nonDict": 0, "torn": 0}
lock = threading.Lock()

def serve(conn):
    buf = b""
    with conn:
        while True:
            chunk = conn.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 4:
                (n,) = struct.unpack(">L", buf[:4])
                if len(buf) < 4 + n:
                    break
                body, buf = buf[4:4 + n], buf[4 + n:]
                with lock:
                    stats["frames"] += 1
                try:
                    d = Safe(io.BytesIO(body)).load()
                    with lock:
                        if not isinstance(d, dict):
                            stats["nonDict"] += 1
                        elif d.get("name") == "pylogging.socket_handler":
                            stats["notices"] += 1
                        else:
                            stats["decoded"] += 1
                except Exception as e:
                    with lock:
                        if len(stats["failures"]) < 20:
                            stats["failures"].append(repr(e)[:200])
                        stats["failures_n"] = stats.get("failures_n", 0) + 1
    if buf:
        with lock:
            stats["torn"] += 1

srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
print("PORT", srv.getsockname()[1], flush=True)

def accept():
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()

threading.Thread(target=accept, daemon=True).start()
for line in sys.stdin:
    if line.strip() == "exit":
        break
import time; time.sleep(0.3)
with lock:
    print("RESULT " + json.dumps(stats), flush=True)
