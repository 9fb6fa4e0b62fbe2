# holder.py SPEC - the port holder of harness.Holder.  SPEC is JSON:
# {"comm", "uid", "sockets": [{"family", "proto", "addr", "port",
# "reuseaddr", "reuseport", "v6only", "listen": backlog or null}], "fork",
# "exit"}.  It sets its comm, drops to "uid" if given (before socket(), so
# the sockets are owned by it), opens the sockets, forks if "fork" (the
# child shares them and waits too), then prints {"pid", "start_ticks",
# "sockets": [{"fd", "port"}], "child"} and waits for stdin to close.  With
# "exit", a forked "binder" process does all that instead and exits at
# once, leaving its child holding the sockets; the holder, a subreaper,
# then prints {"exited": binder pid, "status"} and waits.
import json
import os
import sys

from childlib import new_socket, set_child_subreaper, set_comm

STAT_STARTTIME = 19  # /proc/PID/stat field 22, counted after the comm's ")"

spec = json.loads(sys.argv[1])
set_comm(spec["comm"].encode())
if spec.get("uid") is not None:
    os.setgroups([])
    os.setgid(spec["uid"])
    os.setuid(spec["uid"])


def hold():
    keep, out = [], {"pid": os.getpid(), "sockets": [], "child": None}
    with open("/proc/self/stat") as f:
        out["start_ticks"] = int(f.read().rsplit(")", 1)[1].split()[STAT_STARTTIME])
    for op in spec["sockets"]:
        s = new_socket(op)
        keep.append(s)
        s.bind((op["addr"], op.get("port", 0)))
        if op.get("listen") is not None:
            s.listen(op["listen"])
        out["sockets"].append({"fd": s.fileno(), "port": s.getsockname()[1]})
    if spec.get("fork") or spec.get("exit"):
        out["child"] = os.fork()
        if out["child"] == 0:
            sys.stdin.read()
            os._exit(0)
    print(json.dumps(out), flush=True)
    if spec.get("exit"):
        os._exit(0)
    sys.stdin.read()


if spec.get("exit"):
    set_child_subreaper()  # the orphan stays ours
    binder = os.fork()
    if binder == 0:
        try:
            hold()
        finally:
            os._exit(1)
    status = os.waitpid(binder, 0)[1]
    print(json.dumps({"exited": binder, "status": status}), flush=True)
    sys.stdin.read()
else:
    hold()
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
