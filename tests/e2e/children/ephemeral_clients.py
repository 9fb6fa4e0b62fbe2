# ephemeral_clients.py SPEC - clients that hold ephemeral ports, and a
# connect() that finds none.  SPEC is JSON: {"comm", "addr", "port", "n",
# "family"}.  It sets its comm, makes n TCP connections to addr:port (each
# takes an ephemeral port of the namespace it runs in; n may be 0), then
# prints {"pid", "ports": [their local ports]}; then, for each line on
# stdin, one more connect() to addr:port, answered with {"errno": NAME or
# null, "port": its local port or null}, the socket closed.  It exits when
# stdin closes, holding its connections until then.
import errno
import json
import socket
import sys

from childlib import FAMILY, set_comm

spec = json.loads(sys.argv[1])
set_comm(spec["comm"].encode())
family = FAMILY[spec.get("family", "ipv4")]
dest = (spec["addr"], spec["port"])
held = []
for _ in range(spec["n"]):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect(dest)
    held.append(s)
print(json.dumps({"pid": __import__("os").getpid(),
                  "ports": [s.getsockname()[1] for s in held]}), flush=True)
for _ in sys.stdin:
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.connect(dest)
        out = {"errno": None, "port": s.getsockname()[1]}
    except OSError as e:
        out = {"errno": errno.errorcode.get(e.errno, str(e.errno)), "port": None}
    s.close()
    print(json.dumps(out), flush=True)
