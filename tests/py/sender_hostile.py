# Sends records whose msg, name and extras hold terminal control sequences
# (CSI clear screen, OSC 52 clipboard, OSC 0 title, CR overwrite, BEL, C1,
# bidi overrides) and forged record lines, with CPython's own
# logging.handlers.SocketHandler, for tests/cli_output_test.ts.
# Usage: sender_hostile.py HOST PORT. Prints "DONE" at the end.
import logging
import logging.handlers
import sys

host, port = sys.argv[1], int(sys.argv[2])
handler = logging.handlers.SocketHandler(host, port)
FORGED = "\n12:00:00.000 INFO fake line"
NASTY = ("\x1b[2J\x1b[H" "\x1b]52;c;ZXZpbA==\x07" "\x1b]0;pwned\x07"
         "over\rwrite" "\x07bell" "\x9b31mC1\x85" "\u202egnp.exe\u202c"
         "\u2066iso\u2069" "\x7fdel\x00nul\ttab")
logger = logging.getLogger("evil\x1b[31m.name" + FORGED)
logger.setLevel(logging.DEBUG)
logger.addHandler(handler)
logger.propagate = False
logger.warning("msg " + NASTY + FORGED,
               extra={"evil\x1b]0;k\x07": NASTY + FORGED, "plain": 1})
try:
    raise ValueError("boom" + FORGED + "\x1b[2J")
except ValueError:
    logger.exception("with traceback" + FORGED)
logger.error("with stack" + FORGED, stack_info=True)
logging.addLevelName(25, "LVL\x1b[5m" + FORGED)
logger.log(25, "custom level")
handler.close()
sys.stdout.write("DONE\n")
