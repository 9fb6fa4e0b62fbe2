# api_server.py PORT - the API that needs PORT: binds 127.0.0.1:PORT,
# retrying every 0.1 s for up to 20 s as a service manager's Restart= would,
# then serves "API OK".  Prints "bound N" with the number of failed
# attempts once it has the port.
import http.server
import sys
import time

RETRY = 0.1     # seconds between attempts
GIVE_UP = 20    # seconds

port = int(sys.argv[1])


class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"API OK")

    def log_message(self, *args):
        pass


failures, deadline = 0, time.monotonic() + GIVE_UP
while True:
    try:
        server = http.server.HTTPServer(("127.0.0.1", port), Api)
        break
    except OSError:
        failures += 1
        if time.monotonic() > deadline:
            sys.exit("api: port never came free")
        time.sleep(RETRY)
print("bound", failures, flush=True)
server.serve_forever()
