# bind_once.py PORT ADDR - one bind() of ADDR:PORT with SO_REUSEADDR; exits
# 0 when it failed with EADDRINUSE, 2 when it failed otherwise, 1 when it
# succeeded.
import errno
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((sys.argv[2], int(sys.argv[1])))
except OSError as e:
    sys.exit(0 if e.errno == errno.EADDRINUSE else 2)
sys.exit(1)
