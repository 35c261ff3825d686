# Sends records with CPython's logging.handlers.DatagramHandler.
# usage: udp_sender.py HOST PORT
import logging
import logging.handlers
import sys

handler = logging.handlers.DatagramHandler(sys.argv[1], int(sys.argv[2]))
logger = logging.getLogger("py.udp")
logger.propagate = False
logger.setLevel(logging.DEBUG)
logger.addHandler(handler)
logger.info("hello %s", "udp", extra={"user": "carol"})
logger.warning("second")
logger.error("caf\u00e9 %d", 3)
handler.close()
