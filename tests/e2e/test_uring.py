# test_uring.py - end-to-end tests of binds and listens made through
# io_uring (IORING_OP_BIND, IORING_OP_LISTEN: Linux 6.11), which take
# neither the bind() nor the listen() system call: recorded like theirs,
# with the requester, the socket options and the holder, and "via":
# "io_uring".  The requests come from children/uring_call.c (liburing);
# every test skips, saying why, on a kernel without the opcodes.
import json
import os
import socket

import pytest

from harness import (Holder, UringCall, bind_conflict, check, check_record, check_socket, eq,
                     for_port, free_port, socket_spec)
from test_capture import in_mode

# fexit sees io_uring's binds in inet_bind itself; the tracepoints through
# io_uring's own completion tracepoint; cgroup mode in its bind hooks and
# its socket state tracepoint; auto is whichever the kernel takes
MODES = ("tracepoint", "auto", "cgroup", "fexit")
PROTOS = ("tcp", "udp")
# what the holder of each proto makes the kernel say (records.md, reason codes)
REASON = {"tcp": "listener", "udp": "udp-no-reuse"}


def check_uring_requester(rec, call):
    """The requester block names the uring_call child and the thread that
    submitted the request."""
    req = rec["requester"]
    eq(req["pid"], call.pid, "requester.pid")
    eq(req["comm"], "uring_call", "requester.comm")
    eq(req["cmdline"], " ".join(call.argv), "requester.cmdline")
    eq(req["exited"], False, "requester.exited")
    eq(req["uid"], os.getuid(), "requester.uid")


def check_holder(rec, pid, reason):
    holders = rec.get("holders")
    check(isinstance(holders, list) and holders, f"no holders: {holders!r}")
    eq(holders[0]["pid"], pid, "holders[0].pid")
    eq(rec["reason"], reason, f"reason ({rec.get('reason_text')!r})")


def uring_bind(proto):
    """scenario: another process holds a port, an io_uring bind of it fails."""
    def scenario(bw):
        listen = 16 if proto == "tcp" else None
        with Holder(socket_spec(proto=proto, listen=listen)) as holder:
            with UringCall("bind", proto, "127.0.0.1", holder.port) as call:
                eq(call.result(), -98, "io_uring bind result (-EADDRINUSE)")
                rec = bw.wait_record(for_port(holder.port))
                check_record(rec, bw, "conflict", "bind", "EADDRINUSE", "ipv4", proto,
                             "127.0.0.1", holder.port)
                eq(rec["via"], "io_uring", "via")
                check_socket(rec)
                check_uring_requester(rec, call)
                check_holder(rec, holder.pid, REASON[proto])
    return scenario


def uring_listen(bw):
    """Two SO_REUSEADDR sockets bind one port; this process listens on the
    first, and the second's IORING_OP_LISTEN fails."""
    port = free_port()
    with socket.socket() as first:
        first.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        first.bind(("127.0.0.1", port))
        with UringCall("listen", "tcp", "127.0.0.1", port) as call:
            first.listen()
            call.go()
            eq(call.result(), -98, "io_uring listen result (-EADDRINUSE)")
            rec = bw.wait_record(for_port(port))
            check_record(rec, bw, "conflict", "listen", "EADDRINUSE", "ipv4", "tcp",
                         "127.0.0.1", port)
            eq(rec["via"], "io_uring", "via")
            check_socket(rec, reuseaddr=True)
            check_uring_requester(rec, call)
            check_holder(rec, os.getpid(), "listen-conflict")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("proto", PROTOS)
def test_uring_bind_conflict(mode, proto):
    in_mode(mode, uring_bind(proto))


@pytest.mark.parametrize("mode", MODES)
def test_uring_listen_conflict(mode):
    in_mode(mode, uring_listen)


def test_uring_bind_free_port(monitor):
    """The control: an io_uring bind of a free port succeeds and is no
    record; a bind() conflict made after it is the next record, with
    "via":"syscall"."""
    bw = monitor()
    port = free_port()
    with UringCall("bind", "tcp", "127.0.0.1", port) as call:
        eq(call.result(), 0, "io_uring bind of a free port")
        rec, _, _ = bind_conflict(bw)
        eq(rec["via"], "syscall", "via of a bind() system call")
    about = [line for line in bw.seen if json.loads(line).get("port") == port]
    eq(about, [], "records of the successful io_uring bind")


def test_uring_text(monitor):
    """Text records say how the call was made when it was not a system call."""
    bw = monitor(json_output=False)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with UringCall("bind", "tcp", "127.0.0.1", port) as call:
            eq(call.result(), -98, "io_uring bind result (-EADDRINUSE)")
            line = bw.wait_line(lambda l: f":{port} ".encode() in l)
    check(f"bind EADDRINUSE via io_uring tcp 127.0.0.1:{port} by uring_call[{call.pid}]"
          .encode() in line, f"text record: {line!r}")
