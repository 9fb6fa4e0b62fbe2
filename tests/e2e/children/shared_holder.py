# shared_holder.py N [ARG...] - one listening socket on 127.0.0.1 shared by
# N forked children: prints its port once they are forked, and waits with
# them for stdin to close.  ARGs are only there to be seen in its command
# line (and its children's).
import os
import socket
import sys

n = int(sys.argv[1])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
for _ in range(n):
    if os.fork() == 0:
        sys.stdin.read()
        os._exit(0)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
for _ in range(n):
    os.wait()
