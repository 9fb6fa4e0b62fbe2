# listeners_flood.py N - holds N listeners on free ports of 127.0.0.1 and
# fails a bind() on each (N incidents of its own); prints "done".
import errno
import socket
import sys

n, held = int(sys.argv[1]), []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    held.append(s)
for s in held:
    t = socket.socket()
    try:
        t.bind(s.getsockname())
        sys.exit("bind succeeded")
    except OSError as e:
        assert e.errno == errno.EADDRINUSE
    t.close()
print("done", flush=True)
