# attacker.py COMM [ARG...] - a long-lived attacker: sets its comm, then for
# each JSON command on stdin fails bind() with EADDRINUSE, counting the
# failures itself, and prints {"pid", "failures", "ports"} (ports: how many
# distinct ones it failed on); exits when stdin closes.  ARGs are only
# there to be seen in its command line.  Commands:
#   {"op": "addresses", "port": P, "seconds": S} or ... "n": N}: one socket
#     binds 127.x.y.z:P, a new address each time (P is held on 0.0.0.0);
#   {"op": "ports", "n": N}: N times, hold a new ephemeral port on 127.0.0.1
#     and fail to bind it again with a second socket (a new storm each).
import errno
import json
import os
import socket
import struct
import sys
import time

from childlib import set_comm

LOOPBACK = 127 << 24

set_comm(sys.argv[1].encode())


def failed(s, addr):
    try:
        s.bind(addr)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise
        return 1
    raise RuntimeError(f"bind {addr} succeeded")


def addresses(cmd):
    s, n, i = socket.socket(), 0, 0
    ports.add(cmd["port"])
    end = time.monotonic() + cmd.get("seconds", 0)
    while (i < cmd["n"]) if "n" in cmd else (time.monotonic() < end):
        i += 1
        n += failed(s, (socket.inet_ntoa(struct.pack("!I", LOOPBACK | i)), cmd["port"]))
    s.close()
    return n


def new_ports(cmd):
    s, n = socket.socket(), 0
    for _ in range(cmd["n"]):
        with socket.socket() as held:
            held.bind(("127.0.0.1", 0))
            held.listen()
            ports.add(held.getsockname()[1])
            n += failed(s, ("127.0.0.1", held.getsockname()[1]))
    s.close()
    return n


for line in sys.stdin:
    cmd, ports = json.loads(line), set()
    n = {"addresses": addresses, "ports": new_ports}[cmd["op"]](cmd)
    print(json.dumps({"pid": os.getpid(), "failures": n, "ports": len(ports)}), flush=True)
