# requester.py PORT - the requester of test_release.py's conflict: one
# bind() of 127.0.0.1:PORT; exits 0 when it failed with EADDRINUSE, 1
# otherwise.
import errno
import socket
import sys

s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as e:
    sys.exit(0 if e.errno == errno.EADDRINUSE else 1)
sys.exit(1)
