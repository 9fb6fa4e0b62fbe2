# requester.py MARKER COMM_HEX [ARG...] - the requester of harness.Requester:
# sets its comm (COMM_HEX, hex-encoded bytes), then for each JSON operation
# read on stdin makes the calls in a new thread (which inherits the comm)
# and prints {"pid", "tid", "errno"}; it exits when stdin closes, so it is
# still alive while bindwatch reads its /proc entries.  MARKER and ARGs
# are only there to be seen in its command line.
# Operations: {"op": "bind", ...socket}: one socket bound (kept open);
# {"op": "listen", ...socket}: two sockets bound to one port, both listen,
# the second's listen() is the call; socket: family, proto, addr, port and
# the options of childlib.new_socket.
import errno
import json
import os
import sys
import threading

from childlib import new_socket, set_comm

set_comm(bytes.fromhex(sys.argv[2]))
sockets = []


def attempt(call):
    try:
        call()
        return None
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def run(op, result):
    try:
        where = (op["addr"], op["port"])
        if op["op"] == "bind":
            s = new_socket(op)
            sockets.append(s)  # kept open for the rest of the requester's life
            result["errno"] = attempt(lambda: s.bind(where))
        elif op["op"] == "listen":  # two sockets bound to one port, both listen
            first, second = new_socket(op), new_socket(op)
            sockets.extend((first, second))
            first.bind(where)
            second.bind(where)
            first.listen()
            result["errno"] = attempt(second.listen)
        result["tid"] = threading.get_native_id()
    except Exception as e:
        result["error"] = repr(e)


for line in sys.stdin:
    result = {"pid": os.getpid()}
    worker = threading.Thread(target=run, args=(json.loads(line), result))
    worker.start()
    worker.join()
    print(json.dumps(result), flush=True)
