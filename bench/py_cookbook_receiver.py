# Copyright 2026 the pylogging/socket-handler authors. MIT license.
# CPython's logging cookbook receiver ("Sending and receiving logging events
# across a network"): socketserver.ThreadingTCPServer + a
# StreamRequestHandler that reads the 4-byte length, the pickle, then
# pickle.loads + logging.makeLogRecord. Like the Deno receiver under test it
# only counts the records (no handler formatting/output). One fix: the
# 4-byte header read is looped (see handle()).
# Usage: python3 bench/py_cookbook_receiver.py N
# Prints {"port"}, then {"records","firstByteAt","doneAt"} (epoch ms) after N.
import json
import logging
import pickle
import socketserver
import struct
import sys
import threading
import time

n = int(sys.argv[1])
state = {"count": 0, "first": 0.0}
done = threading.Event()


class LogRecordStreamHandler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            chunk = self.connection.recv(4)
            # The cookbook stops when recv(4) returns fewer than 4 bytes;
            # on a fast stream a header split across segments does that,
            # so this loops for the rest (the only change to its logic).
            while 0 < len(chunk) < 4:
                more = self.connection.recv(4 - len(chunk))
                if not more:
                    break
                chunk = chunk + more
            if len(chunk) < 4:
                break
            if state["first"] == 0.0:
                state["first"] = time.time() * 1000.0
            slen = struct.unpack(">L", chunk)[0]
            chunk = self.connection.recv(slen)
            while len(chunk) < slen:
                chunk = chunk + self.connection.recv(slen - len(chunk))
            obj = self.unPickle(chunk)
            record = logging.makeLogRecord(obj)
            self.handleLogRecord(record)

    def unPickle(self, data):
        return pickle.loads(data)

    def handleLogRecord(self, record):
        state["count"] += 1
        if state["count"] == n:
            print(json.dumps({
                "records": n,
                "firstByteAt": state["first"],
                "doneAt": time.time() * 1000.0,
            }), flush=True)
            done.set()


class LogRecordSocketReceiver(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


server = LogRecordSocketReceiver(("127.0.0.1", 0), LogRecordStreamHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(json.dumps({"port": server.server_address[1]}), flush=True)
done.wait(600)
server.shutdown()
