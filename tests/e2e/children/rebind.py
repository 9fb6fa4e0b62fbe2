# rebind.py ADDR PORT - one TCP socket, two bind()s: ADDR:PORT, expected
# to fail with EADDRINUSE, then ADDR:0 (a port the kernel picks), expected
# to succeed; prints each outcome ("failed", "bound PORT", or "errno N")
# on a line of its own and exits.  The cgroup capture mode decides the
# first failure at the second bind() of the same socket.
import errno
import socket
import sys

s = socket.socket()
for port in (int(sys.argv[2]), 0):
    try:
        s.bind((sys.argv[1], port))
        print(f"bound {s.getsockname()[1]}", flush=True)
    except OSError as e:
        print("failed" if e.errno == errno.EADDRINUSE else f"errno {e.errno}", flush=True)
