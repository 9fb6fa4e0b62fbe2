# probe_bind.py OP - the real bind() (and listen(), when asked) with the
# options of OP (JSON: a socket of childlib.new_socket, addr, port and
# "listen"), made once: prints "free", "busy" (EADDRINUSE) or "error ERRNO".
import errno
import json
import sys

from childlib import new_socket

op = json.loads(sys.argv[1])
s = new_socket(op)
try:
    s.bind((op["addr"], op["port"]))
    if op.get("listen"):
        s.listen()
    print("free")
except OSError as e:
    print("busy" if e.errno == errno.EADDRINUSE else "error " + errno.errorcode[e.errno])
