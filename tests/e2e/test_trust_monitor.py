# test_trust_monitor.py - end-to-end tests of the monitor's own bounds
# against a hostile local user (nobody, through harness.NOBODY): command
# lines and holder lists in records are capped, one user's binds cannot
# push another's out of the ledger, and one monitor runs at a time (see
# doc/security.md).
import os
import subprocess
import time

from harness import (EXIT_TIMEOUT, NOBODY, PYTHON, Requester, check, child, eq, for_port, hold,
                     run_to_exit, socket_spec, start_bindwatch)

BPFFS = "/sys/fs/bpf"
LONG_ARG = "x" * (120 * 1024)  # a command line of over 120 KiB


def pin_dirs():
    return {d for d in os.listdir(BPFFS) if d.startswith("bindwatch-v")}


def test_monitor_one_at_a_time():
    """A second monitor is refused while one runs, naming its pid; a monitor
    killed with SIGKILL leaves nothing that stops the next one, which
    removes every stale pin directory and serves `who` from its own."""
    stale = os.path.join(BPFFS, "bindwatch-v1-00000000")  # left by a killed monitor
    os.makedirs(stale, exist_ok=True)
    first = start_bindwatch()
    try:
        started = time.monotonic()
        rc, _, err = run_to_exit([first.proc.args[0]])
        eq(rc, 1, f"exit status of a second monitor (stderr {err!r})")
        check(f"another bindwatch monitor is running (pid {first.proc.pid}" in err,
              f"the second monitor does not say why: {err!r}")
        check(time.monotonic() - started < EXIT_TIMEOUT, "the second monitor hung")
        check(first.proc.poll() is None, "the first monitor stopped")
        check(not os.path.exists(stale), f"{stale} left in place by the first monitor")
    finally:
        first.proc.kill()  # no clean-up: pins and the lock file stay
        first.proc.wait()
    left = pin_dirs()
    check(left, "the killed monitor left no pins: nothing to test the clean-up with")
    os.makedirs(stale, exist_ok=True)
    listener, port = hold("ipv4", "tcp", "127.0.0.1")
    with listener, start_bindwatch() as bw:
        check(not os.path.exists(stale), f"stale pins {stale} not removed")
        eq(len(pin_dirs()), 1, f"pin directories while one monitor runs: {pin_dirs()}")
        rc, out, err = run_to_exit([bw.proc.args[0], "who", f"{port}/tcp", "--json"])
        eq(rc, 0, f"who with a monitor up (stderr {err!r})")
        check(f'"pid":{os.getpid()}' in out.replace(" ", ""), f"who does not name us: {out!r}")


def test_monitor_cmdline_capped():
    """nobody fails a bind with a 120 KiB command line: the record keeps
    4096 bytes of it and says it was cut; --cmdline-max sets the limit."""
    listener, port = hold("ipv4", "tcp", "127.0.0.1")
    with listener:
        for args, limit in (((), 4096), (("--cmdline-max", "100"), 100)):
            with start_bindwatch("--port", str(port), *args) as bw, \
                    Requester(prefix=NOBODY, args=(LONG_ARG,)) as req:
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=port)
                rec = bw.wait_record(for_port(port))
            r = rec["requester"]
            eq(r["uid"], 65534, "requester.uid")
            eq(len(r["cmdline"].encode()), limit, "bytes of requester.cmdline kept")
            eq(r["cmdline_truncated"], True, "requester.cmdline_truncated")
            check(r["cmdline"].startswith(PYTHON), f"cmdline head: {r['cmdline'][:80]!r}")
            # the holder is this process: cut only where its own command line is longer
            with open("/proc/self/cmdline", "rb") as f:
                own = f.read().rstrip(b"\0").replace(b"\0", b" ")
            eq(rec["holders"][0]["cmdline_truncated"], len(own) > limit,
               f"holders[0].cmdline_truncated ({len(own)} bytes of this process's command line)")
        rc, _, err = run_to_exit([bw.proc.args[0], "--cmdline-max", "10"])
        eq(rc, 2, "exit status for --cmdline-max 10")
        check("--cmdline-max: '10': expected a number from 64 to 1048576" in err,
              f"message for --cmdline-max 10: {err!r}")


def test_monitor_holders_capped():
    """nobody shares one listening socket among 41 processes, each with a
    120 KiB command line (children/shared_holder.py): a conflict on its port
    lists 16 holders with cut command lines and counts the other 25, in
    JSON and in text."""
    children = 40
    holder = subprocess.Popen([*NOBODY, PYTHON, child("shared_holder.py"), str(children),
                               LONG_ARG],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = int(holder.stdout.readline())
        for json_output in (True, False):
            with start_bindwatch("--port", str(port), json_output=json_output) as bw, \
                    Requester() as req:
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=port)
                if json_output:
                    rec = bw.wait_record(for_port(port))
                else:
                    line = bw.wait_line(lambda l: f":{port} by {req.comm}[".encode() in l)
        eq(len(rec["holders"]), 16, "holders listed")
        eq(rec["holders_omitted"], children + 1 - 16, "holders_omitted")
        check(all(h["uid"] == 65534 and h["cmdline_truncated"] for h in rec["holders"]),
              f"holders: {[(h['uid'], h['cmdline_truncated']) for h in rec['holders']]}")
        check(len(line) < 16 * 4096 + 4096 + 2048, f"text line of {len(line)} bytes")
        check(line.decode().endswith(f" and {children + 1 - 16} more; listener: a listening "
                                     "socket already has this address and port"),
              f"text line does not count the omitted holders: {line[-200:]!r}")
    finally:
        holder.stdin.close()
        holder.wait(EXIT_TIMEOUT)


def test_monitor_ledger_share(monitor, make_holder):
    """nobody binds 6,000 sockets after root's listener bound its port: the
    conflict on root's port still says who bound it (one user's binds
    cannot push another's out of the ledger)."""
    bw, holder = monitor(), make_holder(socket_spec(listen=8), exit=True)
    rc, out, err = run_to_exit([*NOBODY, PYTHON, child("bind_many.py"), "6000"], timeout=120)
    eq((rc, out.strip()), (0, "done"), f"nobody's binds (stderr {err!r})")
    with Requester() as req:
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                 port=holder.port)
        rec = bw.wait_record(for_port(holder.port))
    b = rec["holders"][0]["bound_by"]
    check(b is not None, "bound_by is null: nobody's binds pushed root's out of the ledger")
    eq((b["pid"], b["exited"]), (holder.pid, True), "bound_by (the binder, exited)")
