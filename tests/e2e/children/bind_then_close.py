# bind_then_close.py - the holder and the requester in one process, as at
# a service's racing restart: a first socket takes 127.0.0.1:0 (listening
# for tcp), a second fails to bind the same address with EADDRINUSE, and
# both close at once, microseconds after the failure, before any lookup of
# the port could find the first.  Prints "port PORT errno ERRNO" and exits.
# Usage: python3 bind_then_close.py tcp|udp
import socket
import sys

kind = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
holder = socket.socket(socket.AF_INET, kind)
holder.bind(("127.0.0.1", 0))
if kind == socket.SOCK_STREAM:
    holder.listen()
port = holder.getsockname()[1]
requester = socket.socket(socket.AF_INET, kind)
try:
    requester.bind(("127.0.0.1", port))
    err = 0
except OSError as e:
    err = e.errno
holder.close()
requester.close()
print("port", port, "errno", err, flush=True)
