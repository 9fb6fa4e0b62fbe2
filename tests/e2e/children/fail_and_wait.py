# fail_and_wait.py ADDR PORT [ARG...] - one bind() of ADDR:PORT that should
# fail with EADDRINUSE; prints "failed" ("bound", or "errno N" otherwise)
# and waits for stdin to close, so /proc still shows the process (and its
# command line, ARGs included) while bindwatch reads it.
import errno
import socket
import sys

s = socket.socket()
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
    print("bound", flush=True)
except OSError as e:
    print("failed" if e.errno == errno.EADDRINUSE else f"errno {e.errno}", flush=True)
sys.stdin.read()
