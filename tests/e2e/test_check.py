# test_check.py - end-to-end tests of `bindwatch check` and `bindwatch wait`:
# for each way the kernel refuses (or allows) a bind, real sockets hold a
# port, check answers, and right after it a child makes the real bind()
# with the same options in the same namespace as the same uid: the two
# answers must agree, and be the one the case is about.  wait must return
# when the holder goes and give up at its timeout when it does not.
import json
import socket
import subprocess
import time

import pytest

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, Holder, bindwatch_argv, check, child, eq,
                     fail, free_port, run_to_exit, socket_spec)

NOBODY_UID = 65534
TCP_TIMEWAIT_LEN_MS = 60 * 1000  # include/net/tcp.h: how long TIME_WAIT lasts
EXIT_FREE, EXIT_BUSY, EXIT_USAGE = 0, 1, 2


def target(op):
    """The [ADDR:]PORT/proto argument of check for op."""
    addr = f"[{op['addr']}]" if op["family"] == "ipv6" else op["addr"]
    return f"{addr}:{op['port']}/{op['proto']}"


def check_argv(cmd, op, netns=None, uid=None, extra=()):
    argv = [cmd, target(op), "--json", *extra]
    for flag in ("reuseaddr", "reuseport", "v6only", "listen"):
        if op.get(flag):
            argv.append("--" + flag)
    if op.get("device"):
        argv += ["--dev", op["device"]]
    if uid is not None:
        argv += ["--uid", str(uid)]
    if netns:
        argv += ["--netns", netns.path]
    return bindwatch_argv(*argv)


def kernel_says(op, netns=None, uid=None):
    """What a real bind() with op's options says now: "free" or "busy"."""
    prefix = (netns.exec_prefix() if netns else []) + (list(NOBODY) if uid == NOBODY_UID else [])
    rc, out, err = run_to_exit([*prefix, PYTHON, child("probe_bind.py"), json.dumps(op)])
    eq(rc, 0, f"probe bind {op} exit status (stderr {err.strip()!r})")
    check(out.strip() in ("free", "busy"), f"probe bind {op}: {out.strip()!r}")
    return out.strip()


def request(family="ipv4", proto="tcp", addr="127.0.0.1", port=0, v6only=None, **opts):
    """A bind to check and to make; v6only is always explicit for IPv6, so the
    probe does not depend on net.ipv6.bindv6only."""
    if family == "ipv6" and v6only is None:
        v6only = False
    return dict(family=family, proto=proto, addr=addr, port=port, v6only=v6only, **opts)


def agree(op, expect, reason=None, netns=None, uid=None):
    """check answers expect (with reason when busy), and so does the kernel.
    Returns check's JSON answer."""
    rc, out, err = run_to_exit(check_argv("check", op, netns, uid))
    kernel = kernel_says(op, netns, uid)  # right after: the holders have not moved
    try:
        ans = json.loads(out)
    except ValueError:
        fail(f"check {op}: exit {rc}, not JSON: {out!r} (stderr {err.strip()!r})")
    eq(ans["answer"], kernel, f"check {op} vs the kernel's bind()")
    eq(ans["answer"], expect, f"check {op}")
    eq(rc, EXIT_FREE if expect == "free" else EXIT_BUSY, f"check {op} exit status")
    eq(ans["event"], "check", "event")
    eq((ans["port"], ans["addr"], ans["proto"]), (op["port"], op["addr"], op["proto"]),
       "the request as check read it")
    if expect == "busy":
        check(ans["holders"], f"check {op}: busy without holders: {ans!r}")
        eq(ans["reason"], reason, f"check {op} reason")
        check(ans["reason_text"], f"check {op}: empty reason_text")
    else:
        eq((ans["holders"], ans["reason"]), ([], None), f"check {op}: free, holders and reason")
    return ans


def holder(*sockets, netns=None, uid=None):
    return Holder(*sockets, uid=uid, prefix=netns.exec_prefix() if netns else ())


def listener_cases(netns=None):
    with holder(socket_spec(listen=1, reuseaddr=True), netns=netns) as h:
        ans = agree(request(port=h.port), "busy", "listener", netns)
        eq(ans["holders"][0]["pid"], h.pid, "the listener's pid")
        # SO_REUSEADDR never gets past a listener
        agree(request(port=h.port, reuseaddr=True), "busy", "listener", netns)
        agree(request(addr="127.0.0.2", port=h.port), "free", netns=netns)


def bound_cases(netns=None):
    with holder(socket_spec(reuseaddr=True), netns=netns) as h:
        agree(request(port=h.port), "busy", "bound", netns)
        agree(request(port=h.port, reuseaddr=True), "free", netns=netns)
        agree(request(port=h.port, reuseaddr=True, listen=True), "free", netns=netns)


def time_wait_cases(netns=None):
    prefix = netns.exec_prefix() if netns else []
    for reuse in (True, False):
        rc, out, err = run_to_exit([*prefix, PYTHON, child("time_wait.py"),
                                    "1" if reuse else "0"])
        eq(rc, 0, f"making a TIME_WAIT socket (stderr {err.strip()!r})")
        port = int(out)
        ans = agree(request(port=port), "busy", "time-wait", netns)
        tw = ans["holders"][0]
        eq((tw["pid"], tw["state"], tw["reuseaddr"]), (None, "TIME_WAIT", reuse),
           "the TIME_WAIT holder")
        left = tw["timewait_left_ms"]
        check(type(left) is int and 0 < left <= TCP_TIMEWAIT_LEN_MS,
              f"timewait_left_ms {left!r}: expected 1 to {TCP_TIMEWAIT_LEN_MS}")
        # the hint is right exactly when the kernel lets a SO_REUSEADDR bind through
        eq(ans["reuseaddr_would_free"], reuse, "reuseaddr_would_free")
        agree(request(port=port, reuseaddr=True), "free" if reuse else "busy",
              None if reuse else "time-wait", netns)


def overlap_cases(netns=None):
    with holder(socket_spec(addr="0.0.0.0", listen=1), netns=netns) as h:
        agree(request(port=h.port), "busy", "wildcard-overlap", netns)
    with holder(socket_spec(listen=1), netns=netns) as h:
        agree(request(addr="0.0.0.0", port=h.port), "busy", "wildcard-overlap", netns)


def dual_stack_cases(netns=None):
    with holder(socket_spec(family="ipv6", addr="::", listen=1, v6only=False),
                netns=netns) as h:
        agree(request(addr="0.0.0.0", port=h.port), "busy", "dual-stack-overlap", netns)
    with holder(socket_spec(addr="0.0.0.0", listen=1), netns=netns) as h:
        agree(request(family="ipv6", addr="::", port=h.port), "busy", "dual-stack-overlap",
              netns)
        agree(request(family="ipv6", addr="::", port=h.port, v6only=True), "free",
              netns=netns)
    with holder(socket_spec(family="ipv6", addr="::", listen=1, v6only=True),
                netns=netns) as h:
        agree(request(addr="0.0.0.0", port=h.port), "free", netns=netns)


def reuseport_cases(netns=None):
    with holder(socket_spec(listen=1, reuseport=True), netns=netns) as h:
        agree(request(port=h.port, reuseport=True), "free", netns=netns)
        agree(request(port=h.port), "busy", "reuseport-one-sided", netns)
    with holder(socket_spec(listen=1, reuseport=True), netns=netns, uid=NOBODY_UID) as h:
        agree(request(port=h.port, reuseport=True), "busy", "reuseport-uid-mismatch", netns)
        agree(request(port=h.port, reuseport=True), "free", netns=netns, uid=NOBODY_UID)


def udp_cases(netns=None):
    with holder(socket_spec(proto="udp", reuseaddr=True), netns=netns) as h:
        agree(request(proto="udp", port=h.port), "busy", "udp-no-reuse", netns)
        agree(request(proto="udp", port=h.port, reuseaddr=True), "free", netns=netns)


def device_cases(netns):
    """A socket bound to lo against one on another device (one end of a veth
    pair in netns): different devices never clash, an unbound socket does."""
    rc, _, err = run_to_exit(netns.exec_prefix() + [netns.ip, "link", "add", "bwd0",
                                                    "type", "veth", "peer", "name", "bwd1"])
    if rc != 0:
        pytest.skip(f"cannot create a veth pair: {err.strip()}")
    with holder(socket_spec(listen=1, device="lo"), netns=netns) as h:
        agree(request(port=h.port, device="bwd0"), "free", netns=netns)
        agree(request(port=h.port, device="lo"), "busy", "listener", netns)
        agree(request(port=h.port), "busy", "listener", netns)


CASES = {
    "listener": listener_cases, "bound": bound_cases, "time-wait": time_wait_cases,
    "wildcard-overlap": overlap_cases, "dual-stack": dual_stack_cases,
    "reuseport": reuseport_cases, "udp": udp_cases,
}


@pytest.mark.parametrize("cases", list(CASES.values()), ids=list(CASES))
def test_check_as_the_kernel_answers(cases):
    cases()


@pytest.mark.parametrize("cases", list(CASES.values()), ids=list(CASES))
def test_check_in_another_netns_as_the_kernel_answers(cases, netns):
    cases(netns)


def test_check_device_in_netns(netns):
    device_cases(netns)


def test_check_text_time_wait_and_hint():
    rc, out, err = run_to_exit([PYTHON, child("time_wait.py"), "1"])
    eq(rc, 0, f"making a TIME_WAIT socket (stderr {err.strip()!r})")
    port = int(out)
    rc, out, err = run_to_exit(bindwatch_argv("check", f"127.0.0.1:{port}"))
    eq(rc, EXIT_BUSY, f"check exit status (stderr {err.strip()!r})")
    check(out.startswith(f"busy tcp 127.0.0.1:{port}; held by (no process) TIME_WAIT"),
          f"text answer: {out!r}")
    check(" s left)" in out and "; time-wait: " in out, f"time left and reason: {out!r}")
    check(out.rstrip().endswith("SO_REUSEADDR on the new socket would make the bind succeed"),
          f"the SO_REUSEADDR hint: {out!r}")


def test_check_usage_errors():
    cases = [
        (["check"], "expected one"),
        (["check", "70000"], "port from 1 to 65535"),
        (["check", "::1:8080"], "brackets"),
        (["check", "8080/sctp"], "/tcp or /udp"),
        (["check", "8080", "--v6only"], "--v6only"),
        (["check", "8080/udp", "--listen"], "--listen"),
        (["check", "8080", "--uid", "bob"], "--uid"),
        (["check", "8080", "--timeout", "1s"], "--timeout"),
        (["wait", "8080"], "--timeout"),
        (["wait", "8080", "--timeout", "soon"], "--timeout"),
        (["check", "8080", "--netns", "/run/netns/x", "--pid", "1"], "--netns and --pid"),
        (["check", "8080", "--dev", "no-such-dev0"], "--dev"),
    ]
    for args, named in cases:
        rc, out, err = run_to_exit(bindwatch_argv(*args))
        eq(rc, EXIT_USAGE, f"bindwatch {' '.join(args)} exit status (stderr {err!r})")
        check(named in err, f"bindwatch {' '.join(args)}: stderr does not name {named!r}: "
              f"{err!r}")
        eq(len(err.splitlines()), 1, f"bindwatch {' '.join(args)}: lines on stderr ({err!r})")
        check(err.rstrip().endswith("; see bindwatch-check(8) or --help"),
              f"bindwatch {' '.join(args)}: no pointer to the manual: {err!r}")


def have_ipv6():
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        return False
    return True


def every_address(cmd, port, *extra):
    """bindwatch CMD :PORT --json EXTRA: (exit status, [(family, addr, answer)],
    the answers)."""
    rc, out, err = run_to_exit(bindwatch_argv(cmd, f":{port}", "--json", *extra))
    try:
        answers = [json.loads(line) for line in out.splitlines()]
    except ValueError:
        fail(f"{cmd} :{port}: exit {rc}, not JSON lines: {out!r} (stderr {err.strip()!r})")
    return rc, [(a["family"], a["addr"], a["answer"]) for a in answers], answers


def test_colon_port_is_both_families():
    """:PORT answers for bind(0.0.0.0:PORT) and bind([::]:PORT), each as the
    kernel does, and is free only when both are: a listener on [::1] leaves
    the IPv4 wildcard free but not [::]."""
    if not have_ipv6():
        pytest.skip("no IPv6 here: :PORT's [::] half cannot be bound to compare")
    with Holder(socket_spec("ipv6", addr="::1", listen=1)) as h:
        rc, answers, full = every_address("check", h.port)
        eq(answers, [("ipv4", "0.0.0.0", "free"), ("ipv6", "::", "busy")],
           f"check :{h.port} answers")
        eq(rc, EXIT_BUSY, f"check :{h.port} exit status")
        eq(full[1]["holders"][0]["pid"], h.pid, "the [::] answer's holder")
        eq(kernel_says(request(addr="0.0.0.0", port=h.port)), "free", "bind(0.0.0.0)")
        eq(kernel_says(request("ipv6", addr="::", port=h.port)), "busy", "bind([::])")
        # control: 0.0.0.0:PORT, as a bare PORT, asks for IPv4 only
        agree(request(addr="0.0.0.0", port=h.port), "free")
    with Holder(socket_spec(addr="127.0.0.1", listen=1)) as h:
        rc, answers, _ = every_address("check", h.port)
        eq((rc, answers), (EXIT_BUSY, [("ipv4", "0.0.0.0", "busy"), ("ipv6", "::", "busy")]),
           f"check :{h.port} against an IPv4 listener")
    port = free_port()
    rc, answers, _ = every_address("check", port)
    eq((rc, answers), (EXIT_FREE, [("ipv4", "0.0.0.0", "free"), ("ipv6", "::", "free")]),
       f"check :{port} of a free port")


def wait_through_holder(holder, wait_argv, check_argv):
    """wait_argv started while holder (a Holder) holds its port: check_argv
    says busy meanwhile and wait keeps waiting; then the holder is closed.
    wait's (exit status, stdout, stderr)."""
    proc = subprocess.Popen(wait_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        rc, _, err = run_to_exit(check_argv)
        eq(rc, EXIT_BUSY, f"{check_argv[1:]} while the holder lives (stderr {err.strip()!r})")
        if proc.poll() is not None:
            fail(f"wait returned while the port was still held: {proc.communicate()!r}")
        holder.close()
        out, err = proc.communicate(timeout=RECORD_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        fail("wait still running after the holder exited")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc.returncode, out, err


def test_wait_colon_port_plain_seconds():
    """A deploy script's line, `bindwatch wait :PORT --timeout 5`: plain
    seconds and every address; it returns free once the holder exits."""
    with Holder(socket_spec(addr="0.0.0.0", listen=1)) as h:
        port = h.port
        rc, out, err = wait_through_holder(h, bindwatch_argv("wait", f":{port}", "--timeout", "5"),
                                           bindwatch_argv("check", f":{port}"))
    eq((rc, err), (EXIT_FREE, ""), f"wait :{port} exit status and stderr")
    eq(out.splitlines(), [f"free tcp 0.0.0.0:{port}", f"free tcp [::]:{port}"], "wait's answers")


def test_wait_timeout_in_plain_seconds():
    """--timeout 1 is a second, not a millisecond: wait gives up after it."""
    with Holder(socket_spec(listen=1)) as h:
        start = time.monotonic()
        rc, answers, _ = every_address("wait", h.port, "--timeout", "1")
        waited = time.monotonic() - start
    eq((rc, [a[2] for a in answers]), (EXIT_BUSY, ["busy", "busy"]), "wait --timeout 1")
    check(waited >= 1.0, f"wait --timeout 1 gave up after {waited:.3f} s")


def test_wait_returns_when_the_holder_exits():
    with Holder(socket_spec(listen=1)) as h:
        op = request(port=h.port)
        rc, out, err = wait_through_holder(h, check_argv("wait", op, extra=("--timeout", "60s")),
                                           check_argv("check", op))
    eq(rc, EXIT_FREE, f"wait exit status (stdout {out!r}, stderr {err!r})")
    eq(json.loads(out)["answer"], "free", "wait's last answer")
    eq(kernel_says(op), "free", "the kernel's answer after wait")


def test_wait_times_out_while_held():
    with Holder(socket_spec(listen=1)) as h:
        op = request(port=h.port)
        for timeout in ("300ms", "0"):
            rc, out, err = run_to_exit(check_argv("wait", op, extra=("--timeout", timeout)))
            eq(rc, EXIT_BUSY, f"wait --timeout {timeout} exit status (stderr {err!r})")
            ans = json.loads(out)
            eq((ans["answer"], ans["reason"], ans["holders"][0]["pid"]),
               ("busy", "listener", h.pid), f"wait --timeout {timeout}: the last answer")


def test_check_with_a_monitor_running(monitor):
    """With a monitor running, check answers through the iterators it pinned:
    the same answers, TIME_WAIT time left included."""
    bw = monitor()
    listener_cases()
    time_wait_cases()
    rc, stderr = bw.stop()
    eq(rc, 0, f"monitor exit code (stderr {stderr!r})")
