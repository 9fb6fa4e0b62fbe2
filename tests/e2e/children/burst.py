# burst.py COMM PORT N SECONDS - fails bind() on 127.0.0.1:PORT, as comm
# COMM, N times (or for SECONDS seconds when N is 0), then prints {"pid",
# "failures"}: the EADDRINUSE failures it saw, counted by the caller of
# bind() itself.
import errno
import json
import os
import socket
import sys
import time

from childlib import set_comm

comm, port, n, seconds = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
set_comm(comm)
s = socket.socket()
bind, addr, failures, i = s.bind, ("127.0.0.1", port), 0, 0
end = time.monotonic() + seconds
while (i < n) if n else (time.monotonic() < end):
    i += 1
    try:
        bind(addr)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
        failures += 1
print(json.dumps({"pid": os.getpid(), "failures": failures}), flush=True)
