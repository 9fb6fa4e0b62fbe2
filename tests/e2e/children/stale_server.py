# stale_server.py PORT BEHAVIOUR - a squatter on 127.0.0.1:PORT: an HTTP
# server answering 503 "Stale process".  BEHAVIOUR "plain"; "ignore-term":
# it ignores SIGTERM; "slow-exit": it leaves 0.4 s after SIGTERM, on its
# own.  Prints "ready" once it listens.
import http.server
import os
import signal
import sys
import threading

SLOW_EXIT = 0.4  # seconds from SIGTERM to its own exit, with "slow-exit"

port, behaviour = int(sys.argv[1]), sys.argv[2]


class Stale(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(503)
        self.end_headers()
        self.wfile.write(b"Stale process")

    def log_message(self, *args):
        pass


if behaviour == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
elif behaviour == "slow-exit":
    signal.signal(signal.SIGTERM, lambda *a: threading.Timer(SLOW_EXIT, os._exit, (0,)).start())
server = http.server.HTTPServer(("127.0.0.1", port), Stale)
print("ready", flush=True)
server.serve_forever()
