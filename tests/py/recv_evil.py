# Malicious pickles for the receiver tests: each, when unpickled by CPython's
# pickle.loads, runs os.system("touch MARKER").
#
# Usage: recv_evil.py MARKER [--selftest]
# Prints one JSON line per payload: {"name": ..., "hex": <pickle bytes>}.
# With --selftest, first unpickles one payload itself (proving the payloads
# really execute when given to pickle.loads).
import binascii
import json
import os
import pickle
import sys

marker = sys.argv[1]
command = "touch " + marker


class Evil(object):
    def __reduce__(self):
        return (os.system, (command,))


class EvilState(object):
    # BUILD path: __setstate__ is looked up on a class found by GLOBAL.
    def __reduce__(self):
        return (os.system, (command,), None)


payloads = []
for proto in range(0, pickle.HIGHEST_PROTOCOL + 1):
    payloads.append(("evil-p%d" % proto, pickle.dumps(Evil(), proto)))
record = {"name": "x", "msg": "hi", "levelno": 20, "levelname": "INFO",
          "evil": Evil()}
payloads.append(("record-with-evil-extra-p1", pickle.dumps(record, 1)))
payloads.append(("record-with-evil-extra-p2", pickle.dumps(record, 2)))
payloads.append(("evil-build", pickle.dumps(EvilState(), 2)))
# Hand-written: builtins.eval via GLOBAL + REDUCE, protocol 0 text.
payloads.append(("eval-p0", (
    "cbuiltins\neval\n(V__import__('os').system(%r)\ntR." % command
).encode("ascii")))

if "--selftest" in sys.argv:
    pickle.loads(payloads[1][1])

for name, data in payloads:
    sys.stdout.write(json.dumps(
        {"name": name, "hex": binascii.hexlify(data).decode("ascii")}) + "\n")
