# test_holders.py - end-to-end tests of what a conflict record says about
# the sockets that block the request ("holders", "reason", "reason_text",
# the text-mode "; held by ..." tail), the ledger of binds bindwatch saw
# ("bound_by"), holder lookup in other network namespaces, and the one-shot
# `bindwatch who PORT` command. Holders are real processes (harness.Holder)
# that stay alive until the record about them has been read.
import json
import os
import re
import shutil
import socket
import tempfile
import time

import pytest

from harness import (NOBODY as AS_NOBODY, PYTHON, RECORD_TIMEOUT, TIME_RE, Holder, Netns,
                     Requester, Squatter,
                     bindwatch_argv, boottime_ns_to_ticks, check, check_record, check_requester,
                     check_socket, child, eq, fail, for_port, free_port, hold, listen_conflict,
                     run_to_exit, socket_fds, socket_spec, start_bindwatch)

REASONS = {"listener", "bound", "time-wait", "wildcard-overlap", "dual-stack-overlap",
           "reuseport-uid-mismatch", "reuseport-one-sided", "listen-conflict", "udp-no-reuse",
           "ephemeral-exhausted", "unknown"}
NOBODY = 65534
BACKLOG = 37  # an unusual listen() backlog, to recognise it in the record
# What a text line says of a live holding process after its COMM[PID]: its
# age, its unit if it has one, the head of its command line (doc/records.md,
# Text records; checked exactly by test_capture.test_text_holder).
TEXT_QUOTED = r'"(?:[^"\\]|\\.)*"'
HOLDER_ABOUT = (rf' up \d+[smhd](?:\d+[smhd])?'
                rf'(?: (?:unit|user_unit|container)=(?:{TEXT_QUOTED}|[^\s"]+))*'
                rf' cmd={TEXT_QUOTED}(?:\.\.\.)?')


# ---------------------------------------------------------------- checks

def is_int(v):
    return type(v) is int


def is_str_or_null(v):
    return v is None or isinstance(v, str)


def is_int_or_null(v):
    return v is None or type(v) is int


HOLDER_TYPES = {
    "pid": is_int_or_null, "comm": is_str_or_null, "fd": is_int_or_null,
    "start_boottime_ns": is_int_or_null, "uid": is_int, "exe": is_str_or_null,
    "cmdline": is_str_or_null, "cgroup": is_str_or_null, "unit": is_str_or_null,
    "container": is_str_or_null, "exited": lambda v: type(v) is bool,
    "gone": lambda v: type(v) is bool,
    "state": lambda v: isinstance(v, str), "proto": lambda v: isinstance(v, str),
    "family": lambda v: v in ("ipv4", "ipv6"), "addr": lambda v: isinstance(v, str),
    "port": is_int, "reuseaddr": lambda v: type(v) is bool,
    "reuseport": lambda v: type(v) is bool, "v6only": lambda v: v is None or type(v) is bool,
    "bound_ifindex": is_int_or_null, "accept_queue": is_int_or_null,
    "backlog": is_int_or_null, "inode": is_int_or_null,
    "bound_by": lambda v: v is None or isinstance(v, dict),
    "via": lambda v: v in (None, "fd", "in-flight", "io_uring"), "via_inode": is_int_or_null,
    "via_hops": is_int_or_null,
    "hidden_reason": lambda v: v in (None, "other-pidns", "in-flight", "unknown"),
}
BOUND_BY_TYPES = {"pid": is_int, "comm": lambda v: isinstance(v, str),
                  "start_boottime_ns": is_int,
                  "time": lambda v: isinstance(v, str) and TIME_RE.match(v),
                  "exited": lambda v: type(v) is bool}


def check_holder_schema(h, where):
    check(isinstance(h, dict), f"{where} is not an object: {h!r}")
    for key, ok in HOLDER_TYPES.items():
        check(key in h and ok(h[key]), f"{where}.{key}: {h.get(key, '(missing)')!r}")
    if h["bound_by"] is not None:
        for key, ok in BOUND_BY_TYPES.items():
            check(key in h["bound_by"] and ok(h["bound_by"][key]),
                  f"{where}.bound_by.{key}: {h['bound_by'].get(key, '(missing)')!r}")
    eq(h["hidden_reason"] is None, not h["hidden"], f"{where}.hidden_reason is null exactly "
       "when not hidden")
    eq(h["via_hops"] is None, h["via"] != "in-flight", f"{where}.via_hops is null exactly when "
       "not in flight")
    if h["pid"] is not None:
        check(h["via"] is not None, f"{where}.via is null for a named holder")
        eq(h["gone"], False, f"{where}.gone of a socket a process holds")
    if h["pid"] is None:
        for key in ("comm", "fd", "start_boottime_ns"):
            eq(h[key], None, f"{where}.{key} of a socket no process holds")
        eq(h["exited"], False, f"{where}.exited of a socket no process holds")
    eq(h["v6only"] is None, h["family"] == "ipv4", f"{where}.v6only is null exactly for ipv4")
    eq(h["accept_queue"] is None, h["state"] != "LISTEN",
       f"{where}.accept_queue is null exactly for non-listeners")
    eq(h["backlog"] is None, h["state"] != "LISTEN",
       f"{where}.backlog is null exactly for non-listeners")


def diagnosis(rec, reason=None):
    """The record's holders (checked against the schema); checks its reason."""
    holders = rec.get("holders")
    check(isinstance(holders, list), f"holders is not an array: {holders!r}")
    for i, h in enumerate(holders):
        check_holder_schema(h, f"holders[{i}]")
    check(rec.get("reason") in REASONS, f"reason: {rec.get('reason', '(missing)')!r}")
    check(isinstance(rec.get("reason_text"), str) and rec["reason_text"].strip(),
          f"reason_text: {rec.get('reason_text', '(missing)')!r}")
    if reason is not None:
        eq(rec["reason"], reason, f"reason (reason_text {rec['reason_text']!r})")
    return holders


def start_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def check_holder_process(h, holder, pid=None, uid=0, where="holder"):
    """h describes the live process pid (default holder.pid) of Holder holder."""
    pid = holder.pid if pid is None else pid
    eq(h["pid"], pid, f"{where}.pid")
    eq(h["comm"], holder.comm, f"{where}.comm")
    eq(h["fd"], holder.sockets[0]["fd"], f"{where}.fd")
    eq(boottime_ns_to_ticks(h["start_boottime_ns"]), start_ticks(pid),
       f"{where}.start_boottime_ns in clock ticks (/proc/{pid}/stat field 22)")
    eq(h["uid"], uid, f"{where}.uid")
    eq((h["ruid"], h["euid"], h["suid"]), (uid, uid, uid), f"{where}.ruid, euid, suid")
    eq(h["exited"], False, f"{where}.exited")
    eq(h["exe"], os.path.realpath(PYTHON), f"{where}.exe")
    eq(h["cmdline"], " ".join(holder.argv), f"{where}.cmdline")
    eq(h["inode"], holder.inode(), f"{where}.inode")


def check_endpoint(h, where="holder", **expected):
    for key, value in expected.items():
        eq(h[key], value, f"{where}.{key}")


def checked(rec, bw, req, result, port, family="ipv4", proto="tcp", addr="127.0.0.1",
            **sockopts):
    """rec, the record of req's failed bind() (result), checked (top level,
    socket options, requester)."""
    check_record(rec, bw, "conflict", "bind", "EADDRINUSE", family, proto, addr, port)
    check_socket(rec, **{k: v for k, v in sockopts.items() if k != "v6only"})
    check_requester(rec, req, result)
    return rec


def request(bw, req, port, family="ipv4", proto="tcp", addr="127.0.0.1", **sockopts):
    """req bind()s addr:port and fails with EADDRINUSE; the record about it,
    checked."""
    result = req.call("EADDRINUSE", op="bind", family=family, proto=proto, addr=addr,
                      port=port, **sockopts)
    return checked(bw.wait_record(for_port(port)), bw, req, result, port, family, proto,
                   addr, **sockopts)


class TextMonitor:
    """One monitor (one at a time may run) printing text, its JSON records
    in a --log file: both renderings of the same conflict."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.dir.name, "bindwatch.log")
        self.bw = start_bindwatch("--log", self.log, json_output=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bw.__exit__(*exc)
        self.dir.cleanup()

    def request(self, req, port):
        """req fails to bind 127.0.0.1:port: (checked JSON record, text line)."""
        result = req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                          addr="127.0.0.1", port=port)
        line = self.bw.wait_line(lambda l: f"tcp 127.0.0.1:{port} by {req.comm}[".encode() in l)
        deadline = time.monotonic() + RECORD_TIMEOUT
        while True:  # the log is written right after stdout
            with open(self.log) as f:
                rec = next((r for r in map(json.loads, f) if for_port(port)(r)), None)
            if rec or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        check(rec is not None, f"no record for port {port} in the --log file")
        return checked(rec, self.bw, req, result, port), line


@pytest.fixture
def text_monitor(closing):
    """A TextMonitor, stopped at the end of the test."""
    return closing.enter_context(TextMonitor())


# ---------------------------------------------------------------- records

def test_holders_tcp4_listener(text_monitor, make_holder, make_requester):
    """A listener in another process: pid, comm, fd, inode, queue and backlog,
    bound_by (bindwatch saw the bind), and the text-mode "held by" tail.
    A listener on 127.0.0.2 on the same port does not block 127.0.0.1 and
    must not be listed."""
    holder = make_holder(socket_spec(listen=BACKLOG))
    make_holder(socket_spec(addr="127.0.0.2", port=holder.port, listen=BACKLOG))
    req = make_requester()
    port = holder.port
    rec, line = text_monitor.request(req, port)
    holders = diagnosis(rec, "listener")
    eq(len(holders), 1, f"number of holders in {holders}")
    h = holders[0]
    check_holder_process(h, holder)
    check_endpoint(h, state="LISTEN", proto="tcp", family="ipv4", addr="127.0.0.1",
                   port=port, reuseaddr=False, reuseport=False, v6only=None,
                   bound_ifindex=None, accept_queue=0, backlog=BACKLOG)
    b = h["bound_by"]
    check(b is not None, "bound_by is null although bindwatch saw the bind")
    eq((b["pid"], b["comm"], b["start_boottime_ns"], b["exited"]),
       (holder.pid, holder.comm, h["start_boottime_ns"], False), "bound_by")
    text = line.decode("utf-8", "replace")
    tail = re.compile(rf"; held by {re.escape(holder.comm)}\[{holder.pid}\]{HOLDER_ABOUT} "
                      rf"uid=0 LISTEN tcp 127\.0\.0\.1:{port}; listener: ")
    m = tail.search(text)
    check(m, f"text line {text!r} lacks {tail.pattern!r}")
    check(f"{holder.comm}[{holder.pid}]" not in text[m.end():],
          f"text line names a second holder: {text!r}")


# ------------------------------------------- holders as the kernel had them

def kernel_owner_ports(rec):
    """The ports of the sockets the kernel had on the port at the call."""
    owners = rec.get("kernel_owners")
    check(isinstance(owners, list), f"kernel_owners is not an array: {owners!r}")
    eq(rec.get("kernel_owners_more"), False, "kernel_owners_more")
    return [o["port"] for o in owners]


@pytest.mark.parametrize("proto,reason,state", [("tcp", "listener", "LISTEN"),
                                                ("udp", "udp-no-reuse", "UDP")])
def test_holders_gone(monitor, proto, reason, state):
    """A holder that closes its socket microseconds after the failure (the
    holder and the requester are one process, which closes both at once
    and exits): the record still names it, as the kernel had it at the
    call, gone, with its binder from the ledger and the right reason."""
    bw = monitor()
    rc, out, err = run_to_exit([PYTHON, child("bind_then_close.py"), proto])
    eq(rc, 0, f"bind_then_close.py exit status (stderr {err!r})")
    words = out.split()
    eq(words[0::2], ["port", "errno"], f"bind_then_close.py output {out!r}")
    port, errno = int(words[1]), int(words[3])
    eq(errno, 98, "errno of the second bind (EADDRINUSE)")
    rec = bw.wait_record(for_port(port))
    eq(kernel_owner_ports(rec), [port], "ports of kernel_owners")
    holders = diagnosis(rec, reason)
    eq(len(holders), 1, f"number of holders in {holders}")
    h = holders[0]
    eq((h["gone"], h["pid"], h["state"]), (True, None, state), "holder gone, pid, state")
    check_endpoint(h, proto=proto, family="ipv4", addr="127.0.0.1", port=port)
    eq(h["inode"], rec["kernel_owners"][0]["inode"], "holder.inode")
    b = h["bound_by"]
    check(b is not None, "bound_by is null although bindwatch saw the bind")
    eq((b["pid"], b["comm"]), (rec["requester"]["pid"], rec["requester"]["comm"]),
       "bound_by pid and comm (the requester's own process bound it)")


def test_holders_gone_text(text_monitor):
    """The text line says "(gone)" where a holder's process would be, and
    who bound it."""
    rc, out, err = run_to_exit([PYTHON, child("bind_then_close.py"), "tcp"])
    eq(rc, 0, f"bind_then_close.py exit status (stderr {err!r})")
    port = int(out.split()[1])
    line = text_monitor.bw.wait_line(lambda l: f"tcp 127.0.0.1:{port} by ".encode() in l)
    text = line.decode("utf-8", "replace")
    tail = re.compile(rf"; held by \(gone\) LISTEN tcp 127\.0\.0\.1:{port} \(bound [^)]* ago by "
                      rf"python3\[\d+\][^)]*\); listener: ")
    check(tail.search(text), f"text line {text!r} lacks {tail.pattern!r}")


def test_holders_not_gone(monitor, make_holder, make_requester):
    """Control: a holder that keeps its socket is named by its process, as
    before, not gone, and is the socket the kernel had on the port."""
    bw = monitor()
    holder = make_holder(socket_spec(listen=BACKLOG))
    req = make_requester()
    rec = request(bw, req, holder.port)
    eq(kernel_owner_ports(rec), [holder.port], "ports of kernel_owners")
    holders = diagnosis(rec, "listener")
    eq(len(holders), 1, f"number of holders in {holders}")
    eq(holders[0]["gone"], False, "holder.gone")
    check_holder_process(holders[0], holder)
    eq(holders[0]["inode"], rec["kernel_owners"][0]["inode"], "holder.inode")


def wait_accept_queue(port, n):
    """Wait until the listener on 127.0.0.1:port has n connections waiting to
    be accepted (/proc/net/tcp shows them as its rx_queue)."""
    local = "0100007F:%04X" % port
    deadline = time.monotonic() + RECORD_TIMEOUT
    while True:
        with open("/proc/net/tcp") as f:
            queues = [int(l.split()[4].split(":")[1], 16) for l in f.readlines()[1:]
                      if l.split()[1] == local and l.split()[3] == "0A"]  # 0A: TCP_LISTEN
        if queues == [n]:
            return
        if time.monotonic() > deadline:
            fail(f"accept queue of 127.0.0.1:{port}: expected [{n}], got {queues}")
        time.sleep(0.01)


def test_holders_accept_queue(monitor, make_holder, make_requester):
    """Connections waiting to be accepted show in the listener's accept_queue
    (record and who); the sockets of those connections, which no process
    holds yet, come after it."""
    bw, holder, req = monitor(), make_holder(socket_spec(listen=BACKLOG)), make_requester()
    port = holder.port
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    try:
        wait_accept_queue(port, 2)
        rec = request(bw, req, port)
        holders = diagnosis(rec, "listener")
        check_holder_process(holders[0], holder)
        out, _ = who(f"{port}/tcp")
    finally:
        for c in clients:
            c.close()
    check_endpoint(holders[0], state="LISTEN", accept_queue=2, backlog=BACKLOG)
    eq([h["pid"] for h in holders[1:] if h["pid"] is not None], [],
       "pids of the holders after the listener")
    want = f"LISTEN      tcp 127.0.0.1:{port} {holder.comm}[{holder.pid}] "
    lines = [l for l in out.splitlines() if l.startswith(want)]
    eq(len(lines), 1, f"who lines for the listener in {out!r}")
    check(f" queue=2/{BACKLOG} " in lines[0], f"who line lacks queue=2/{BACKLOG}: {lines[0]!r}")


def test_holders_udp(monitor, make_holder, make_requester):
    bw, holder, req = monitor(), make_holder(socket_spec(proto="udp")), make_requester()
    rec = request(bw, req, holder.port, proto="udp")
    holders = diagnosis(rec, "udp-no-reuse")
    eq(len(holders), 1, f"number of holders in {holders}")
    check_holder_process(holders[0], holder)
    check_endpoint(holders[0], state="UDP", proto="udp", addr="127.0.0.1",
                   port=holder.port, accept_queue=None, backlog=None)


def test_holders_listen_conflict(monitor, make_requester):
    """listen() after a shared SO_REUSEADDR bind: the first (listening) socket
    holds the port; the requester's own second socket sits on the port too
    but is never listed."""
    bw, req = monitor(), make_requester()
    rec, _, _ = listen_conflict(bw, requester=req)
    fds = socket_fds(req.pid)
    eq(len(fds), 2, f"sockets of the requester {fds}")
    (first_fd, first), (_, second) = sorted(fds.items())  # created in fd order
    holders = diagnosis(rec, "listen-conflict")
    eq([h["inode"] for h in holders], [first], "inodes of the holders (first socket only)")
    check(second not in [h["inode"] for h in holders], "the requester's own socket is listed")
    h = holders[0]
    eq((h["pid"], h["fd"], h["comm"]), (req.pid, first_fd, req.comm), "holder pid, fd, comm")
    check_endpoint(h, state="LISTEN", proto="tcp", addr="127.0.0.1", port=rec["port"],
                   reuseaddr=True)


def tcp_states(port):
    """States (hex, as in /proc/net/tcp) of this namespace's IPv4 TCP sockets
    whose local address is 127.0.0.1:port."""
    local = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        return [l.split()[3] for l in f.readlines()[1:] if l.split()[1] == local]


def time_wait_port():
    """A port on 127.0.0.1 that only a TIME_WAIT socket holds: the server
    side of a loopback connection closes first, then the client."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            conn, _ = listener.accept()
            conn.close()  # active close: this end goes to TIME_WAIT
            client.settimeout(RECORD_TIMEOUT)
            eq(client.recv(1), b"", "client read after the server closed")
    deadline = time.monotonic() + RECORD_TIMEOUT
    while tcp_states(port) != ["06"]:  # 06: TCP_TIME_WAIT
        if time.monotonic() > deadline:
            fail(f"127.0.0.1:{port} not only in TIME_WAIT: states {tcp_states(port)}")
        time.sleep(0.01)
    return port


def check_time_wait(h, port):
    check_endpoint(h, "TIME_WAIT holder", pid=None, comm=None, fd=None, inode=None,
                   state="TIME_WAIT", proto="tcp", family="ipv4", addr="127.0.0.1", port=port,
                   bound_by=None)


def test_holders_time_wait(text_monitor, make_requester):
    req = make_requester()
    port = time_wait_port()
    rec, line = text_monitor.request(req, port)
    holders = diagnosis(rec, "time-wait")
    eq(len(holders), 1, f"number of holders in {holders}")
    check_time_wait(holders[0], port)
    # the time the kernel's timer has left, when it knows its HZ
    tail = re.compile(rf"; held by \(no process\) TIME_WAIT tcp 127\.0\.0\.1:{port}"
                      r"( \(\d+\.\d{3} s left\))?; time-wait: ")
    check(tail.search(line.decode("utf-8", "replace")),
          f"text line {line!r} lacks {tail.pattern!r}")


def test_holders_other_netns(held_port, netns, monitor, make_holder, make_requester):
    """Holder and requester in another network namespace, bindwatch in the
    root one: the lookup happens in the requester's namespace, so a listener
    on the same port in the root namespace is not listed."""
    port = held_port()  # the root namespace's listener
    bw = monitor()
    holder = make_holder(socket_spec(port=port, listen=BACKLOG), prefix=netns.exec_prefix())
    req = make_requester(prefix=netns.exec_prefix())
    eq(os.stat(f"/proc/{holder.pid}/ns/net").st_ino, netns.inode, "holder's namespace")
    rec = request(bw, req, port)
    eq(rec["requester"]["netns"], netns.inode, "requester.netns")
    holders = diagnosis(rec, "listener")
    check(os.getpid() not in [h["pid"] for h in holders],
          f"the root namespace's listener is listed: {holders}")
    eq(len(holders), 1, f"number of holders in {holders}")
    check_holder_process(holders[0], holder)


def test_holders_fork_shared(monitor, make_holder, make_requester):
    """One listening socket shared by a parent and its forked child: both
    processes are listed, on the same socket."""
    bw = monitor()
    holder = make_holder(socket_spec(listen=BACKLOG), fork=True)
    req = make_requester()
    rec = request(bw, req, holder.port)
    holders = diagnosis(rec, "listener")
    eq(sorted(h["pid"] for h in holders), sorted([holder.pid, holder.child]),
       "pids of the holders (parent and forked child)")
    for h in holders:
        check_holder_process(h, holder, pid=h["pid"], where=f"holder {h['pid']}")
        eq(h["state"], "LISTEN", f"holder {h['pid']}.state")


def test_holders_ledger(text_monitor, make_holder, make_requester):
    """A binder binds and listens, forks a child that inherits the socket,
    and exits: the holder is the child, bound_by names the binder, exited."""
    holder = make_holder(socket_spec(listen=BACKLOG), exit=True)
    req = make_requester()
    check(not os.path.exists(f"/proc/{holder.pid}"), f"binder {holder.pid} still exists")
    port = holder.port
    rec, line = text_monitor.request(req, port)
    holders = diagnosis(rec, "listener")
    eq(len(holders), 1, f"number of holders in {holders}")
    h = holders[0]
    check_holder_process(h, holder, pid=holder.child)
    b = h["bound_by"]
    check(b is not None, "bound_by is null although bindwatch saw the bind")
    eq(b["pid"], holder.pid, "bound_by.pid (the binder)")
    eq(b["comm"], holder.comm, "bound_by.comm")
    eq(boottime_ns_to_ticks(b["start_boottime_ns"]), holder.start_ticks,
       "bound_by.start_boottime_ns in clock ticks")
    eq(b["exited"], True, "bound_by.exited")
    text = line.decode("utf-8", "replace")
    want = re.compile(rf"; held by {re.escape(holder.comm)}\[{holder.child}\]{HOLDER_ABOUT} "
                      rf"uid=0 LISTEN tcp 127\.0\.0\.1:{port} \(bound \d+[smhd] ago by "
                      rf"{re.escape(holder.comm)}\[{holder.pid}\], since exited\); listener: ")
    check(want.search(text), f"text line {text!r} lacks {want.pattern!r}")


def reason_case(reason, holder_socket, holder_uid=None, **request_opts):
    """A holder with holder_socket (on a new port), a requester binding
    127.0.0.1 on that port with request_opts: the record gives `reason` and
    lists the holder first; returns the holder entry."""
    with start_bindwatch() as bw, Holder(holder_socket, uid=holder_uid) as holder, \
            Requester() as req:
        rec = request(bw, req, holder.port, **request_opts)
        holders = diagnosis(rec, reason)
        eq(len(holders), 1, f"number of holders in {holders}")
        check_holder_process(holders[0], holder, uid=0 if holder_uid is None else holder_uid)
        return holders[0]


def test_reason_bound():
    h = reason_case("bound", socket_spec())
    check_endpoint(h, state="BOUND", accept_queue=None, backlog=None)


def test_reason_wildcard_overlap():
    h = reason_case("wildcard-overlap", socket_spec(addr="0.0.0.0", listen=BACKLOG))
    check_endpoint(h, state="LISTEN", family="ipv4", addr="0.0.0.0")


def test_reason_dual_stack_overlap():
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError as e:
        pytest.skip(f"no IPv6 here: {e}")
    h = reason_case("dual-stack-overlap",
                    socket_spec("ipv6", addr="::", v6only=False, listen=BACKLOG))
    check_endpoint(h, state="LISTEN", family="ipv6", addr="::", v6only=False)


def test_reason_reuseport_uid_mismatch():
    h = reason_case("reuseport-uid-mismatch", socket_spec(reuseport=True, listen=BACKLOG),
                    holder_uid=NOBODY, reuseport=True)
    check_endpoint(h, state="LISTEN", reuseport=True, uid=NOBODY)


def test_reason_reuseport_one_sided():
    h = reason_case("reuseport-one-sided", socket_spec(reuseport=True, listen=BACKLOG))
    check_endpoint(h, state="LISTEN", reuseport=True)


SPLIT_TRAFFIC = "sharing the port would split its traffic between two programs"
SHARING_ADVICE = "sharing needs it on both"


def test_reuseport_advice_not_for_another_program():
    """The holder (holder.py) is another program than the requester
    (requester.py, both python3): the sentence must not advise SO_REUSEPORT
    on both, which would split the port's traffic between them."""
    with start_bindwatch() as bw, Holder(socket_spec(reuseport=True, listen=BACKLOG)) as holder, \
            Requester() as req:
        rec = request(bw, req, holder.port)
        diagnosis(rec, "reuseport-one-sided")
        eq(rec["reason_text"], "only the holder set SO_REUSEPORT; the holder is another "
           "program, and " + SPLIT_TRAFFIC, "the reason's sentence")


def test_reuseport_advice_not_for_another_user():
    """The holder is nobody's: the sentence says sharing would split traffic."""
    with start_bindwatch() as bw, \
            Holder(socket_spec(reuseport=True, listen=BACKLOG), uid=NOBODY) as holder, \
            Requester() as req:
        rec = request(bw, req, holder.port, reuseport=True)
        diagnosis(rec, "reuseport-uid-mismatch")
        check(SPLIT_TRAFFIC in rec["reason_text"] and "SO_REUSEPORT on" not in rec["reason_text"],
              f"the reason's sentence: {rec['reason_text']!r}")


def test_reuseport_advice_kept_for_the_same_program():
    """Control: a process that holds the port with SO_REUSEPORT and binds it
    again without is one program of one user: the advice stays."""
    port = free_port()
    with start_bindwatch() as bw, Requester() as req:
        req.call(None, op="bind", family="ipv4", proto="tcp", addr="127.0.0.1", port=port,
                 reuseport=True)
        rec = request(bw, req, port)
        holders = diagnosis(rec, "reuseport-one-sided")
        eq(holders[0]["pid"], req.pid, "the holder is the requester itself")
        eq(rec["reason_text"], "only the holder set SO_REUSEPORT; " + SHARING_ADVICE,
           "the reason's sentence")


# ---------------------------------------------------------------- who

def who(*args, expect_rc=0):
    """bindwatch who ARGS: checks the exit code (None: 0 or 1, for a port
    other sockets on the host may hold); returns (stdout, stderr)."""
    rc, out, err = run_to_exit(bindwatch_argv("who", *args))
    if expect_rc is None:
        check(rc in (0, 1), f"exit code of bindwatch who {' '.join(args)}: {rc} (stderr {err!r})")
    else:
        eq(rc, expect_rc, f"exit code of bindwatch who {' '.join(args)} (stderr {err!r})")
    return out, err


def who_json(*args, port, proto=None, netns=None, expect_rc=0):
    """bindwatch who ARGS --json: the object, its top level checked; its holders."""
    out, _ = who(*args, "--json", expect_rc=expect_rc)
    lines = out.splitlines()
    eq(len(lines), 1, f"lines of JSON output {out!r}")
    try:
        obj = json.loads(lines[0])
    except ValueError as e:
        fail(f"who --json printed invalid JSON ({e}): {lines[0]!r}")
    if netns is None:
        netns = os.stat("/proc/self/ns/net").st_ino
    for key, value in {"event": "who", "version": 1, "port": port, "proto": proto,
                       "netns": netns}.items():
        eq(obj.get(key, "(missing)"), value, f"who JSON {key}")
    check(isinstance(obj.get("time"), str) and TIME_RE.match(obj["time"]),
          f"who JSON time: {obj.get('time')!r}")
    holders = obj.get("holders")
    check(isinstance(holders, list), f"who JSON holders: {holders!r}")
    for i, h in enumerate(holders):
        check_holder_schema(h, f"holders[{i}]")
        eq(h["bound_by"], None, f"holders[{i}].bound_by")
    return holders


def on_addr(holders, addr):
    """The holders on this address: the tests own their address and port,
    but other sockets on the host may share the port number elsewhere."""
    return [h for h in holders if h["addr"] == addr]


def test_who_listener():
    with Holder(socket_spec(listen=BACKLOG)) as holder:
        port = holder.port
        holders = on_addr(who_json(str(port), port=port), "127.0.0.1")
        eq([h["pid"] for h in holders], [holder.pid], "pids of the holders on 127.0.0.1")
        check_holder_process(holders[0], holder)
        check_endpoint(holders[0], state="LISTEN", port=port, accept_queue=0, backlog=BACKLOG)
        out, _ = who(str(port))
    lines = [l for l in out.splitlines() if f" tcp 127.0.0.1:{port} " in l]
    eq(len(lines), 1, f"who lines on 127.0.0.1:{port} in {out!r}")
    want = (f"LISTEN      tcp 127.0.0.1:{port} {holder.comm}[{holder.pid}] "
            f"fd={holder.sockets[0]['fd']} uid=0 queue=0/{BACKLOG} cmd=\"")
    check(lines[0].startswith(want), f"who line {lines[0]!r} does not start with {want!r}")


def test_who_address(netns, make_holder):
    """who ADDR:PORT keeps the sockets a bind() to ADDR would meet (on ADDR
    or a wildcard covering it); :PORT and PORT are every address.  In a new
    namespace, so that only the test's sockets are on the port."""
    port = 8080
    prefix = netns.exec_prefix()
    local = make_holder(socket_spec(addr="127.0.0.1", port=port, listen=1), prefix=prefix)
    other = make_holder(socket_spec(addr="127.0.0.2", port=port, listen=1), prefix=prefix)

    def pids(target, expect_rc=0):
        found = who_json(target, "--netns", netns.path, port=port, netns=netns.inode,
                         proto="tcp" if target.endswith("/tcp") else None, expect_rc=expect_rc)
        return sorted(h["pid"] for h in found)
    both = sorted([local.pid, other.pid])
    eq(pids(str(port)), both, f"who {port}")
    eq(pids(f":{port}"), both, f"who :{port}")
    eq(pids(f"127.0.0.1:{port}"), [local.pid], f"who 127.0.0.1:{port}")
    eq(pids(f"127.0.0.2:{port}/tcp"), [other.pid], f"who 127.0.0.2:{port}/tcp")
    eq(pids(f"0.0.0.0:{port}"), both, f"who 0.0.0.0:{port} (the wildcard meets both)")
    eq(pids(f"127.0.0.3:{port}", expect_rc=1), [], f"who 127.0.0.3:{port}")
    _, err = who(f"127.0.0.3:{port}", "--netns", netns.path, expect_rc=1)
    check(f"nothing holds port {port} on 127.0.0.3" in err, f"who 127.0.0.3:{port}: {err!r}")


def test_who_nothing(netns):
    """Nothing on the port (in a new, empty network namespace): exit 1."""
    port = 8080
    out, err = who(str(port), "--netns", netns.path, expect_rc=1)
    eq(out, "", "stdout of who on a free port")
    check(str(port) in err, f"stderr does not name port {port}: {err!r}")
    eq(who_json(str(port), "--netns", netns.path, port=port, netns=netns.inode, expect_rc=1),
       [], "holders of a free port")


def test_who_udp():
    """/udp and /tcp select the protocol: a UDP holder and a TCP listener
    (this process) on one port number."""
    tcp_listener, port = hold("ipv4", "tcp", "127.0.0.1")
    with tcp_listener, Holder(socket_spec(proto="udp", port=port)) as holder:
        holders = who_json(f"{port}/udp", port=port, proto="udp")
        eq({h["proto"] for h in holders}, {"udp"}, "protocols with /udp")
        holders = on_addr(holders, "127.0.0.1")
        eq([h["pid"] for h in holders], [holder.pid], "pids of the holders on 127.0.0.1")
        check_holder_process(holders[0], holder)
        check_endpoint(holders[0], state="UDP", proto="udp", port=port)
        holders = who_json(f"{port}/tcp", port=port, proto="tcp")
        eq({h["proto"] for h in holders}, {"tcp"}, "protocols with /tcp")
        eq([(h["pid"], h["state"]) for h in on_addr(holders, "127.0.0.1")],
           [(os.getpid(), "LISTEN")], "holders on 127.0.0.1 with /tcp")
        holders = on_addr(who_json(str(port), port=port), "127.0.0.1")
        eq(sorted((h["proto"], h["pid"]) for h in holders),
           [("tcp", os.getpid()), ("udp", holder.pid)], "holders on 127.0.0.1 without /PROTO")


def test_who_time_wait():
    port = time_wait_port()
    holders = on_addr(who_json(f"{port}/tcp", port=port, proto="tcp"), "127.0.0.1")
    eq(len(holders), 1, f"number of holders on 127.0.0.1 in {holders}")
    check_time_wait(holders[0], port)


def test_who_netns(netns, make_holder):
    """--netns PATH and --pid PID look in that namespace only; without them,
    who looks in its own."""
    root_listener, port = hold("ipv4", "tcp", "127.0.0.1")
    with root_listener:
        holder = make_holder(socket_spec(port=port, listen=BACKLOG), prefix=netns.exec_prefix())
        holders = on_addr(who_json(str(port), port=port), "127.0.0.1")
        eq([h["pid"] for h in holders], [os.getpid()], "pids on 127.0.0.1 in the root namespace")
        for how in (["--netns", netns.path], ["--pid", str(holder.pid)]):
            holders = who_json(str(port), *how, port=port, netns=netns.inode)
            eq([h["pid"] for h in holders], [holder.pid], f"pids of the holders ({' '.join(how)})")
            check_holder_process(holders[0], holder)


def who_bad_usage(args, names):
    out, err = who(*args, expect_rc=2)
    eq(out, "", f"stdout of who {' '.join(args)}")
    check(names in err, f"stderr of who {' '.join(args)} does not name {names!r}: {err!r}")


@pytest.mark.unprivileged
def test_who_bad_port():
    who_bad_usage(["70000"], "70000")


@pytest.mark.unprivileged
def test_who_bad_proto():
    who_bad_usage(["80/sctp"], "80/sctp")


@pytest.mark.unprivileged
def test_who_netns_and_pid():
    who_bad_usage(["80", "--netns", "/run/netns/x", "--pid", "1"], "--netns")


VXLAN_PORT = 4789  # IANA's VXLAN port; the namespace is fresh, so it is free


def test_holders_kernel_socket(netns, monitor, make_requester):
    """A socket the kernel opened for itself (a VXLAN device's UDP socket)
    has no file and no process: who and conflict records name it as such."""
    ns = netns
    rc, _, err = run_to_exit(ns.exec_prefix() + [
        ns.ip, "link", "add", "vxbw0", "type", "vxlan", "id", "42",
        "dstport", str(VXLAN_PORT), "dev", "lo"])
    if rc != 0:
        pytest.skip(f"cannot create a VXLAN device: {err.strip()}")
    run_to_exit(ns.exec_prefix() + [ns.ip, "link", "set", "vxbw0", "up"])
    holders = who_json(f"{VXLAN_PORT}/udp", "--netns", ns.path, port=VXLAN_PORT,
                       proto="udp", netns=ns.inode)
    eq([(h["pid"], h["kernel"], h["state"]) for h in holders], [(None, True, "UDP")],
       "(pid, kernel, state) of the holders of the VXLAN port")
    bw, req = monitor("--port", str(VXLAN_PORT)), make_requester(prefix=ns.exec_prefix())
    req.call("EADDRINUSE", op="bind", family="ipv4", proto="udp", addr="0.0.0.0",
             port=VXLAN_PORT)
    rec = bw.wait_record(for_port(VXLAN_PORT))
    eq([(h["pid"], h["kernel"]) for h in rec["holders"]], [(None, True)],
           "(pid, kernel) of the record's holders")
    eq(rec["reason"], "udp-no-reuse", "reason")


def test_who_all_time_wait_beside_listener():
    """A listener and a TIME_WAIT socket on one port: who names the listener
    only (a busy server's port has thousands in TIME_WAIT); --all adds it."""
    listener, port = hold("ipv4", "tcp", "127.0.0.1")
    with listener:
        with socket.create_connection(("127.0.0.1", port)) as client:
            conn, _ = listener.accept()
            conn.close()  # active close: the server end goes to TIME_WAIT
            client.settimeout(RECORD_TIMEOUT)
            eq(client.recv(1), b"", "client read after the server closed")
        holders = on_addr(who_json(f"{port}/tcp", port=port, proto="tcp"), "127.0.0.1")
        eq([(h["pid"], h["state"]) for h in holders], [(os.getpid(), "LISTEN")],
           "(pid, state) of the holders without --all")
        holders = on_addr(who_json(f"{port}/tcp", "--all", port=port, proto="tcp"), "127.0.0.1")
        eq(sorted((h["pid"] or 0, h["state"]) for h in holders),
           [(0, "TIME_WAIT"), (os.getpid(), "LISTEN")], "(pid, state) of the holders with --all")


BPFFS = "/sys/fs/bpf"


def pin_dirs():
    """The monitor pin directories in bpffs: bindwatch-v1-HASH."""
    return sorted(n for n in os.listdir(BPFFS) if n.startswith("bindwatch-v1-")) \
        if os.path.isdir(BPFFS) else []


def test_who_uses_monitor_pins():
    """A running monitor pins its holder iterators; who answers through them
    (the same answer), and the pins go when the monitor stops."""
    listener, port = hold("ipv4", "tcp", "127.0.0.1")
    with listener:
        with start_bindwatch() as bw:
            # the monitor's: the newest (a monitor killed earlier may have left others)
            dirs = pin_dirs()
            check(dirs, f"no pin directory in {BPFFS}")
            mine = max(dirs, key=lambda d: os.stat(os.path.join(BPFFS, d)).st_mtime_ns)
            pins = sorted(os.listdir(os.path.join(BPFFS, mine)))
            eq(pins, ["indirect", "targets", "task", "tcp", "udp", "unix"], f"pins in {mine}")
            holders = on_addr(who_json(f"{port}/tcp", port=port, proto="tcp"), "127.0.0.1")
            eq([h["pid"] for h in holders], [os.getpid()], "holder pids through the pins")
            rc, stderr = bw.stop()
            eq(rc, 0, f"exit code (stderr {stderr!r})")
        check(mine not in pin_dirs(), f"{mine} left behind after the monitor stopped")
        holders = on_addr(who_json(f"{port}/tcp", port=port, proto="tcp"), "127.0.0.1")
        eq([h["pid"] for h in holders], [os.getpid()], "holder pids without a monitor")


def test_who_busy_listener():
    """A listener with hundreds of accepted connections on its port: the
    listener and one connection are named, and the lookup does not fail
    (hundreds of records from one process overflowed the iterator)."""
    listener, port = hold("ipv4", "tcp", "127.0.0.1")
    conns = 330
    with listener:
        clients, accepted = [], []
        for _ in range(conns):  # accept as we go: the backlog is smaller
            clients.append(socket.create_connection(("127.0.0.1", port)))
            accepted.append(listener.accept()[0])
        try:
            holders = on_addr(who_json(f"{port}/tcp", port=port, proto="tcp"), "127.0.0.1")
            eq([(h["pid"], h["state"]) for h in holders],
               [(os.getpid(), "LISTEN"), (os.getpid(), "ESTABLISHED")], "(pid, state) of the holders")
        finally:
            for s in clients + accepted:
                s.close()


def test_who_cannot_look():
    """Exit 3, not 1 ("free"), when who cannot look: a --pid that does not exist."""
    out, err = who("80", "--pid", "2147483646", expect_rc=3)
    check("cannot open" in err, f"stderr does not say why: {err!r}")


def test_who_hidden_holder():
    """who inside a pid namespace still names a listener held by a process
    outside it, which it cannot see: pid null, hidden, with the inode."""
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    listener, port = hold("ipv4", "tcp", "127.0.0.1")
    with listener:
        rc, out, err = run_to_exit(["unshare", "-p", "-f", "--mount-proc",
                                    *bindwatch_argv("who", f"{port}/tcp", "--json")])
        inode = os.fstat(listener.fileno()).st_ino
    eq(rc, 0, f"exit code of who (stderr {err!r})")
    holders = json.loads(out)["holders"]
    eq([(h["pid"], h["hidden"], h["hidden_reason"], h["state"], h["inode"]) for h in holders],
       [(None, True, "other-pidns", "LISTEN", inode)], "holders seen from inside the namespace")


def test_who_in_pid_namespace():
    """who run inside a pid namespace finds a holder in that namespace."""
    if not shutil.which("unshare"):
        pytest.skip("unshare (util-linux) is not installed")
    port = free_port()
    rc, out, err = run_to_exit(["unshare", "-p", "-f", "--mount-proc", child("who_in_pidns.sh"),
                                PYTHON, bindwatch_argv()[0], str(port)])
    eq(rc, 0, f"exit code of who inside the pid namespace (stderr {err!r})")
    check(f"127.0.0.1:{port} python3[" in out, f"who did not name the holder: {out!r}")


# ---------------------------------------------------------------- who's two sources

SOURCES = ("bpf", "sockdiag")


def comparable(holders):
    """A who --json holder list with what the sources may tell differently
    dropped or made coarse: the start time to the clock tick (/proc/PID/stat
    has no finer), SO_REUSEADDR and SO_REUSEPORT of a TIME_WAIT socket
    (the socket tables do not carry them), and its time left, which runs
    down between the two calls: both must know it, within the 60 s timer."""
    out = []
    for h in holders:
        h = dict(h)
        if h["start_boottime_ns"] is not None:
            h["start_boottime_ns"] = boottime_ns_to_ticks(h["start_boottime_ns"])
        if h["state"] == "TIME_WAIT":
            del h["reuseaddr"], h["reuseport"]
            left = h.pop("timewait_left_ms")
            check(left is not None and 0 < left <= 60000, f"TIME_WAIT time left {left}")
        out.append(h)
    return out


def sources_agree(args, port, proto=None, netns=None, expect=None):
    """who ARGS --json from the BPF iterators and from sock_diag and /proc:
    the same holders, in the same order; expect, a list of (pid, state),
    says what they must be."""
    got = {}
    for source in SOURCES:
        holders = who_json(*args, "--source", source, port=port, proto=proto, netns=netns,
                           expect_rc=None)
        got[source] = comparable(on_addr(holders, "127.0.0.1"))
    eq(got["sockdiag"], got["bpf"], f"holders of who {' '.join(args)} from sockdiag (vs bpf)")
    if expect is not None:
        eq([(h["pid"], h["state"]) for h in got["bpf"]], expect,
           f"(pid, state) of the holders of who {' '.join(args)}")


def test_who_sources_agree():
    """Both of who's sources name the same holders of the same real
    sockets: a listener with SO_REUSEADDR, a TCP socket only bound, a UDP
    socket, a listener shared by a process and its forked child, a
    TIME_WAIT socket, and a listener in another network namespace."""
    with Holder(socket_spec(listen=BACKLOG, reuseaddr=True)) as lis:
        sources_agree([f"{lis.port}/tcp", "--all"], lis.port, "tcp",
                      expect=[(lis.pid, "LISTEN")])
    with Holder(socket_spec()) as bound:
        sources_agree([f"{bound.port}/tcp"], bound.port, "tcp", expect=[(bound.pid, "BOUND")])
    with Holder(socket_spec(proto="udp")) as udp:
        sources_agree([str(udp.port)], udp.port, expect=[(udp.pid, "UDP")])
    with Holder(socket_spec(listen=BACKLOG), fork=True) as shared:
        sources_agree([f"{shared.port}/tcp"], shared.port, "tcp",
                      expect=sorted([(shared.pid, "LISTEN"), (shared.child, "LISTEN")]))
    port = time_wait_port()
    sources_agree([f"{port}/tcp"], port, "tcp", expect=[(None, "TIME_WAIT")])
    with Netns() as ns, \
            Holder(socket_spec(listen=BACKLOG), prefix=ns.exec_prefix()) as other:
        sources_agree([str(other.port), "--netns", ns.path], other.port, netns=ns.inode,
                      expect=[(other.pid, "LISTEN")])


def test_holder_in_flight_chain_named():
    """The carrier itself sent on, twice: who still names the process at
    the end of the chain, and says how many carriers it went through."""
    with Squatter("inflight", hops=3, prefix=AS_NOBODY) as sq:
        holders = who_json(f"{sq.port}/tcp", port=sq.port, proto="tcp")
        eq([(h["pid"], h["via"], h["via_hops"], h["inode"]) for h in holders],
           [(sq.pid, "in-flight", 3, sq.inode)], "(pid, via, via_hops, inode)")
        rc, out, err = run_to_exit(bindwatch_argv("who", f"{sq.port}/tcp"))
        check(f"squatter[{sq.pid}] (in flight on socket:[" in out and "itself in flight" in out,
              f"who's text does not say so: {out!r}")
