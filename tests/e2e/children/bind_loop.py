# bind_loop.py PORT N - binds 127.0.0.1:PORT N times, closing each socket
# (N successful calls); prints the seconds the loop took.
import socket
import sys
import time

port, n = int(sys.argv[1]), int(sys.argv[2])
start = time.monotonic()
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.close()
print(time.monotonic() - start, flush=True)
