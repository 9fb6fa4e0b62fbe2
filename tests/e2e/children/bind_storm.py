# bind_storm.py PORT SECONDS - fails bind() of 127.0.0.1:PORT (with
# SO_REUSEADDR, like a retrying server) for SECONDS seconds, every
# millisecond; prints the number of failures.
import errno
import socket
import sys
import time

PAUSE = 0.001  # seconds between two attempts

port, seconds = int(sys.argv[1]), float(sys.argv[2])
n, end = 0, time.monotonic() + seconds
while True:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        sys.exit("bind succeeded")
    except OSError as e:
        assert e.errno == errno.EADDRINUSE
        n += 1
    s.close()
    if time.monotonic() >= end:
        break
    time.sleep(PAUSE)
print(n, flush=True)
