# slowclient.py - a slow HTTP client for the metrics endpoint's tests: keeps
# N connections per source address open to 127.0.0.1:PORT, each having sent
# "GET /metrics HTTP/1.1" and then one more header byte about every second,
# never ending its head (slowloris).  A connection the server closes is
# opened again on the next tick, so the pressure stays.  Runs until stdin
# closes; commands on stdin, one per line, each answered with one JSON line:
#   report  {"open": connections not closed by the server, "held": those of
#           them older than a tick, "opened": connections opened so far,
#           "closed": closed by the server so far, "longest": the longest
#           life, in seconds, of one the server closed after it had sent
#           at least one trickled byte}
#   scrape  one ordinary GET /metrics on a new connection, waited for:
#           {"status": HTTP status or null, "seconds": how long it took,
#           "error": null or why it failed}
# Usage: slowclient.py PORT N ADDR...  (ADDR: 127.0.0.1, or a range
# 127.0.1.1-127.0.1.250; a source address of 127.0.0.1 is left to the kernel)
import errno
import ipaddress
import json
import selectors
import socket
import sys
import time
import urllib.request

TICK = 1.0
REQUEST_LINE = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
TRICKLE = b"X-Slow: 1\r\n"
SCRAPE_TIMEOUT = 20


def addresses(specs):
    for spec in specs:
        first, _, last = spec.partition("-")
        lo = int(ipaddress.IPv4Address(first))
        hi = int(ipaddress.IPv4Address(last or first))
        for a in range(lo, hi + 1):
            yield str(ipaddress.IPv4Address(a))


class Conn:
    def __init__(self, source, port):
        self.source, self.sock, self.sent = source, None, 0
        self.opened = time.monotonic()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        if source != "127.0.0.1":
            s.bind((source, 0))
        err = s.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            raise OSError(err, f"connect from {source}")
        self.sock = s

    def closed_by_server(self):
        """Whether the server has closed (or reset) the connection."""
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def trickle(self):
        """Send the next byte of the head (the request line first)."""
        try:
            if self.sent == 0:
                self.sock.send(REQUEST_LINE)
            else:
                self.sock.send(TRICKLE[(self.sent - 1) % len(TRICKLE):][:1])
            self.sent += 1
        except (BlockingIOError, OSError):
            pass


def scrape(port):
    start = time.monotonic()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                    timeout=SCRAPE_TIMEOUT) as r:
            r.read()
            status, error = r.status, None
    except Exception as e:  # the test reports it, whatever it was
        status, error = getattr(e, "code", None), repr(e)
    return {"status": status, "seconds": time.monotonic() - start, "error": error}


def main():
    port, per_addr = int(sys.argv[1]), int(sys.argv[2])
    sources = [a for a in addresses(sys.argv[3:]) for _ in range(per_addr)]
    conns = [None] * len(sources)
    stats = {"opened": 0, "closed": 0, "longest": 0.0}
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ)
    next_tick = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_tick:
            next_tick = now + TICK
            for i, source in enumerate(sources):
                c = conns[i]
                if c is not None and c.closed_by_server():
                    if c.sent > 1:
                        stats["longest"] = max(stats["longest"], now - c.opened)
                    stats["closed"] += 1
                    c.sock.close()
                    c = conns[i] = None
                if c is None:
                    c = conns[i] = Conn(source, port)
                    stats["opened"] += 1
                c.trickle()
        if not sel.select(max(0.0, next_tick - time.monotonic())):
            continue
        line = sys.stdin.readline()
        if not line:
            return
        if line.strip() == "scrape":
            out = scrape(port)
        else:
            live = [c for c in conns if c is not None and not c.closed_by_server()]
            out = dict(stats, open=len(live),
                       held=sum(time.monotonic() - c.opened > TICK for c in live))
        print(json.dumps(out), flush=True)


main()
