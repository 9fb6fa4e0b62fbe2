# bind_many.py N - binds and closes N sockets, each on a port of its own
# (127.0.0.1:0); prints "done".
import socket
import sys

for _ in range(int(sys.argv[1])):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
print("done", flush=True)
