# test_capture.py - end-to-end tests of what bindwatch captures: bind() and
# listen() conflicts over TCP/UDP and IPv4/IPv6 in each capture mode, the
# socket options and requester details of a record, and the text output
# (what it says of a holding process).
import json
import os
import re
import socket
import subprocess
import time

import pytest

from harness import (NOBODY, PYTHON, Bindwatch, bind_conflict, check, check_record,
                     check_socket, child, eq, for_port, free_port, hold, listen_conflict,
                     mode_args, socket_spec, start_bindwatch)
from test_options import UNREACHABLE
from test_operations import shell_word, text_cmd

# The capture modes each conflict is made in: tracepoint, the default
# (auto), compat (tracepoint as kernels before 5.13 run it), cgroup (the
# cgroup hooks, no syscall tracepoint) and, where it works, fexit.
MODES = ("tracepoint", "auto", "compat", "cgroup", "fexit")
# Text-mode output must not carry raw control bytes (terminal escapes etc).
CONTROL_BYTES = set(range(0x20)) | {0x7f}
HOSTILE_COMM = b'a"b\\c\x1b[31m$(x)\xff'  # 15 bytes: quote, backslash, ESC, invalid UTF-8


def tcp4(bw):
    rec, _, _ = bind_conflict(bw)
    check_socket(rec)


def tcp6(bw):
    rec, _, _ = bind_conflict(bw, "ipv6", "tcp", "::1", v6only=True)
    check_socket(rec, v6only=True)


def udp4(bw):
    rec, _, _ = bind_conflict(bw, "ipv4", "udp", "127.0.0.1")
    check_socket(rec)


def listen(bw):
    listen_conflict(bw)


# Where the tracepoint programs park a request between entry and exit: the
# map type and size of "requests" (task-local storage, 5.13+; its size is
# reported as 0) and "inflight" (the hash older kernels use); the one not
# used is cut to one entry, task storage as an array.
PARKING = {"task": {"requests": ("task_storage", 0), "inflight": ("hash", 1)},
           "hash": {"requests": ("array", 1), "inflight": ("hash", 8192)}}


def check_parking(how):
    """The running monitor's parking maps are as PARKING[how] says."""
    maps = json.loads(subprocess.run(["bpftool", "-j", "map", "show"], check=True,
                                     capture_output=True, text=True).stdout)
    types = {m["name"]: (m["type"], m["max_entries"]) for m in maps
             if m.get("name") in PARKING[how]}
    eq(types, PARKING[how], "types and sizes of the parking maps")


def start_in_mode(mode, *args):
    """A ready bindwatch in this capture mode, with more arguments args;
    skips if the kernel refuses fexit.  "compat" is tracepoint mode the way
    kernels before 5.13 run it: requests parked in a hash, the task read by
    probe reads."""
    if mode == "compat":
        env = dict(os.environ, BINDWATCH_TEST_NO_TASK_STORAGE="1")
        bw = start_bindwatch("--mode", "tracepoint", *args, env=env)
        try:
            check_parking("hash")
        except BaseException:
            bw.stop()
            raise
        return bw
    if mode != "fexit":
        return start_bindwatch(*mode_args(mode), *args)
    bw = Bindwatch(*mode_args(mode), *args)
    if not bw.wait_ready():
        pytest.skip(f"kernel refuses fexit mode: {bw.err.text().strip()}")
    return bw


def in_mode(mode, scenario):
    """scenario(bw) with a monitor in this capture mode, which its ready line
    and (tracepoint) its parking maps must show."""
    with start_in_mode(mode) as bw:
        if mode == "tracepoint":
            check_parking("task")
        if mode != "auto":
            eq(bw.mode, "tracepoint" if mode == "compat" else mode, "mode in the ready line")
        scenario(bw)


@pytest.mark.parametrize("mode", MODES)
def test_tcp4_conflict(mode):
    in_mode(mode, tcp4)


@pytest.mark.parametrize("mode", MODES)
def test_tcp6_conflict(mode):
    in_mode(mode, tcp6)


@pytest.mark.parametrize("mode", MODES)
def test_udp4_conflict(mode):
    in_mode(mode, udp4)


@pytest.mark.parametrize("mode", MODES)
def test_listen_conflict(mode):
    in_mode(mode, listen)


def test_fexit_mode():
    with Bindwatch("--mode", "fexit") as bw:
        if bw.wait_ready():
            eq(bw.mode, "fexit", "mode in the ready line")
            tcp4(bw)
            pytest.skip("kernel accepts fexit, so the refusal check does not apply "
                        "(tcp4 conflict passed in fexit mode)")
        stderr = bw.err.text()
    eq(bw.proc.returncode, 1, f"exit code of --mode fexit (stderr {stderr!r})")
    check("fexit" in stderr.lower(), f"stderr does not mention fexit: {stderr!r}")
    with start_bindwatch() as bw:
        eq(bw.mode, "tracepoint", "auto mode when fexit is refused")


def test_socket_options(monitor):
    rec, _, _ = bind_conflict(monitor(), reuseport=True, device="lo", freebind=True,
                              transparent=True)
    check_socket(rec, reuseport=True, bound_dev="lo", bound_ifindex=socket.if_nametoindex("lo"),
                 freebind=True, transparent=True)


def text_line(bw, requester):
    """A TCP/IPv4 conflict by requester; the text line about it (bytes),
    checked to be free of control bytes; and the port."""
    holder, port = hold("ipv4", "tcp", "127.0.0.1")
    with holder:
        requester.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                       addr="127.0.0.1", port=port)
        line = bw.wait_line(lambda l: f"127.0.0.1:{port} ".encode() in l)
    bad = sorted(CONTROL_BYTES.intersection(line))
    check(not bad, f"raw control bytes {bad} in text line {line!r}")
    return line, port


def test_text_mode(monitor, make_requester):
    bw, req = monitor(json_output=False), make_requester()
    line, port = text_line(bw, req)
    expected = f"bind EADDRINUSE tcp 127.0.0.1:{port} by {req.comm}[{req.pid}]".encode()
    check(expected in line, f"text line {line!r} lacks {expected!r}")


def test_hostile_comm(make_requester):
    req = make_requester(HOSTILE_COMM)
    with start_bindwatch() as bw:
        bind_conflict(bw, requester=req)  # checks requester.comm == decoded bytes
    with start_bindwatch(json_output=False) as bw:
        line, _ = text_line(bw, req)
    check(f"[{req.pid}]".encode() in line, f"text line lacks the requester pid: {line!r}")


# ---------------------------------------------------------------- the holder in text

HOLDER_CMD_SHOWN = 80  # bytes of a holder's command line, quoted, a text line shows
AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def shown_age(up):
    """"3h12m" -> (11520, 60): the seconds an age shows, and its last unit's."""
    parts = re.findall(r"(\d+)([smhd])", up)
    return sum(int(n) * AGE_UNITS[u] for n, u in parts), AGE_UNITS[parts[-1][1]]


def test_text_holder(monitor, make_holder, make_requester):
    """A text conflict line says of the holding process what `who` would:
    how long it has run ("up"), its unit (a cgroup
    bwtest-text-XXXXXXXX.service it is put in), and the head of its command
    line, quoted as a shell would, escaped, cut at 80 bytes ("..." after
    the quote); the requester's command line stays whole, and a holder
    that is another process is not "(itself)"."""
    from test_trust_names import Unit  # imported here: it imports other test modules
    bw = monitor(json_output=False)
    holder, req = make_holder(socket_spec(listen=8)), make_requester()
    with Unit("text", delegated=False) as unit:
        unit.start(holder.pid)
        before = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                 port=holder.port)
        line = bw.wait_line(
            lambda l: f"tcp 127.0.0.1:{holder.port} by {req.comm}[".encode() in l).decode()
        after = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    quoted = " ".join(shell_word(a) for a in holder.argv)
    check(quoted.isascii() and len(quoted) > HOLDER_CMD_SHOWN, f"holder argv {quoted!r}")
    head = quoted[:HOLDER_CMD_SHOWN].replace("\\", "\\\\").replace('"', '\\"')
    held = re.compile(rf"; held by {re.escape(holder.comm)}\[{holder.pid}\] "
                      rf"up (\d+[smhd](?:\d+[smhd])?) unit={re.escape(unit.name)} "
                      rf'cmd="{re.escape(head)}"\.\.\. uid=0 LISTEN '
                      rf"tcp 127\.0\.0\.1:{holder.port}; listener: ")
    m = held.search(line)
    check(m, f"text line {line!r} lacks {held.pattern!r}")
    tick = 10**9 // os.sysconf("SC_CLK_TCK")
    start = holder.start_ticks * tick
    oldest, youngest = (after - start) // 10**9, (before - start - tick) // 10**9
    shown, last_unit = shown_age(m.group(1))
    check(shown <= oldest and shown + last_unit > youngest,
          f"age up {m.group(1)} of a holder {youngest}-{oldest} s old")
    whole = text_cmd(req.argv)
    check(len(whole) > HOLDER_CMD_SHOWN and f" by {req.comm}[{req.pid}] uid=0 " in line
          and whole + "; held by " in line, f"text line {line!r} lacks {whole!r}")
    check("(itself)" not in line, f"text line {line!r} says (itself) of another process")
    print(f"  holder: ...{line[m.start():m.end()][:110]!r}...")


def test_text_itself(monitor, make_requester):
    """A process that binds one port twice fails on a socket of its own: the
    line says it holds it "(itself)", not describing it a second time."""
    bw, req = monitor(json_output=False), make_requester()
    port = free_port()
    op = dict(op="bind", family="ipv4", proto="tcp", addr="127.0.0.1", port=port)
    req.call(None, **op)
    req.call("EADDRINUSE", **op)
    line = bw.wait_line(lambda l: f"tcp 127.0.0.1:{port} by {req.comm}[".encode() in l).decode()
    want = f"; held by {req.comm}[{req.pid}] (itself) uid=0 BOUND tcp 127.0.0.1:{port}; bound: "
    check(want in line, f"text line {line!r} lacks {want!r}")
    eq(line.count(" cmd="), 1, f"cmd= in {line!r} (the requester's only)")
    print(f"  {line[line.index('; held by'):][:80]!r}")


# ---------------------------------------------------------------- cgroup mode
# The cgroup mode sees a bind() before the kernel checks it and decides a
# failure once the call is over, maybe in another context (the socket's
# next bind(), its release at the requester's exit, a sweep): the records
# must be those of the other modes all the same.

PRIVILEGED_PORT = 1000  # below ip_unprivileged_port_start: EACCES for nobody
UNREACHABLE6 = "2001:db8::1"  # documentation prefix: not local, EADDRNOTAVAIL


def test_cgroup_requester_exits_at_once(held_port, monitor):
    """A requester that fails and exits at once: its record still has the
    command line it had at the call, taken then, not read from /proc."""
    port = held_port()
    bw = monitor("--mode", "cgroup")
    argv = [PYTHON, child("bind_once.py"), str(port), "127.0.0.1"]
    proc = subprocess.run(argv)
    eq(proc.returncode, 0, "bind_once.py's bind() failed with EADDRINUSE")
    rec = bw.wait_record(for_port(port))
    check_record(rec, bw, "conflict", "bind", "EADDRINUSE", "ipv4", "tcp", "127.0.0.1", port)
    eq(rec["requester"]["cmdline"], " ".join(argv), "requester.cmdline of an exited requester")


def test_cgroup_fail_then_bind_elsewhere(held_port, monitor):
    """A socket whose bind() fails, then binds elsewhere: one failure, one
    success (--all), each with its own outcome."""
    port = held_port()
    bw = monitor("--mode", "cgroup", "--all")
    out = subprocess.run([PYTHON, child("rebind.py"), "127.0.0.1", str(port)],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    eq(out[0], "failed", "rebind.py's first bind()")
    check(out[1].startswith("bound "), f"rebind.py's second bind(): {out[1]!r}")
    bw.wait_record(lambda rec: rec.get("port") == 0 and rec.get("errno") is None
                   and "rebind.py" in rec["requester"]["cmdline"])
    bw.stop()
    mine = [rec for rec in bw.records() if "rebind.py" in rec.get("requester", {}).get("cmdline", "")]
    eq(sorted((rec["port"], rec["errno"]) for rec in mine), [(0, None), (port, "EADDRINUSE")],
       "the records of rebind.py's two bind()s")


def test_cgroup_other_errors(monitor, make_requester):
    """EACCES and EADDRNOTAVAIL, which the cgroup mode decides from the
    kernel's rules at the call, are recorded as such with --errors all."""
    bw = monitor("--mode", "cgroup", "--errors", "all")
    port = free_port()
    req, nobody = make_requester(), make_requester(prefix=NOBODY)
    cases = [(nobody, "EACCES", "ipv4", "127.0.0.1", PRIVILEGED_PORT),
             (req, "EADDRNOTAVAIL", "ipv4", UNREACHABLE, port),
             (req, "EADDRNOTAVAIL", "ipv6", UNREACHABLE6, port)]
    for who, errno_name, family, addr, p in cases:
        result = who.call(errno_name, op="bind", family=family, proto="tcp", addr=addr, port=p)
        rec = bw.wait_record(lambda rec: rec.get("port") == p and rec.get("addr") == addr)
        check_record(rec, bw, "error", "bind", errno_name, family, "tcp", addr, p)
        eq(rec["requester"]["tid"], result["tid"], "requester.tid")


def test_cgroup_other_errors_not_conflicts(held_port, monitor, make_requester):
    """By default only EADDRINUSE is recorded: an EACCES or EADDRNOTAVAIL
    must not come out of the cgroup mode as a conflict."""
    port = held_port()
    bw = monitor("--mode", "cgroup")
    req, nobody = make_requester(), make_requester(prefix=NOBODY)
    nobody.call("EACCES", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                port=PRIVILEGED_PORT)
    req.call("EADDRNOTAVAIL", op="bind", family="ipv4", proto="tcp", addr=UNREACHABLE, port=port)
    req.call("EADDRNOTAVAIL", op="bind", family="ipv6", proto="tcp", addr=UNREACHABLE6, port=port)
    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1", port=port)
    rec = bw.wait_record(for_port(port), forbid=lambda rec: rec.get("addr") != "127.0.0.1")
    check_record(rec, bw, "conflict", "bind", "EADDRINUSE", "ipv4", "tcp", "127.0.0.1", port)
    bw.stop()
    eq([(r["port"], r["addr"]) for r in bw.records() if r.get("port") in (port, PRIVILEGED_PORT)],
       [(port, "127.0.0.1")], "records of the four bind()s")
