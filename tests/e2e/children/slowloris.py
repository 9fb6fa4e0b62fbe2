# slowloris.py PORT N - opens N connections to 127.0.0.1:PORT from
# 127.0.0.2 and starts a request on each; one second later prints
# {"alive": how many the server has not closed}; then sends one more header
# line on each every 3 s until stdin closes, and prints {"alive"} again.
import json
import select
import socket
import sys
import time

TRICKLE = 3  # seconds between header lines

port, n = int(sys.argv[1]), int(sys.argv[2])
conns = []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    conns.append(s)


def alive():
    n = 0
    for s in conns:
        if s.fileno() < 0:
            continue
        if select.select([s], [], [], 0)[0]:
            try:
                if not s.recv(1, socket.MSG_PEEK):
                    raise OSError
            except OSError:
                s.close()
                continue
        n += 1
    return n


time.sleep(1)
print(json.dumps({"alive": alive()}), flush=True)
while not select.select([sys.stdin], [], [], TRICKLE)[0]:
    for s in conns:
        try:
            s.sendall(b"X-Slow: 1\r\n")
        except OSError:
            pass
print(json.dumps({"alive": alive()}), flush=True)
