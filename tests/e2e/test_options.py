# test_options.py - end-to-end tests of bindwatch's options and process
# behaviour: filters, --errors, --all, --log, NOTIFY_SOCKET, signals,
# running without privileges and command-line errors.
import errno
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import harness
from harness import (READY_TIMEOUT, RECORD_TIMEOUT, Requester, bind_conflict, bindwatch_argv,
                     check, check_record, check_requester, eq, fail, for_port, free_port, hold,
                     listen_conflict, run_to_exit, start_bindwatch)

UNREACHABLE = "198.51.100.1"  # TEST-NET-2: not local, so bind() fails EADDRNOTAVAIL
LOGROTATE_SNIPPET = os.path.join(harness.REPO, "scripts", "bindwatch.logrotate")
LOGROTATE_LOGS = "/var/log/bindwatch/*.log"  # what the snippet rotates
SERVICE_LOCK_DIR = "/run/bindwatch"  # a root monitor locks there when it is root's


def tcp4_bind(requester, expect, port, addr="127.0.0.1"):
    return requester.call(expect, op="bind", family="ipv4", proto="tcp", addr=addr, port=port)


def only_second_reported(bw, first, second):
    """first and second are (requester, port) pairs whose port is held: each
    bind()s it and fails, in that order. The filter under test must drop the
    first: no record of it may come before the second's (the ring buffer is
    FIFO, so it would)."""
    (other, other_port), (requester, port) = first, second
    tcp4_bind(other, "EADDRINUSE", other_port)
    result = tcp4_bind(requester, "EADDRINUSE", port)
    # other processes on the host may pass the filter too: only ours count
    rec = bw.wait_record(
        lambda rec: rec["requester"]["pid"] == requester.pid and rec["port"] == port,
        forbid=lambda rec: rec["requester"]["pid"] == other.pid and rec["port"] == other_port)
    check_record(rec, bw, "conflict", "bind", "EADDRINUSE", "ipv4", "tcp", "127.0.0.1", port)
    check_requester(rec, requester, result)


def test_filter_port(held_port, make_requester, monitor):
    p1, p2 = held_port(), held_port()
    span = f"{p1 + 1}-{p2}" if p1 < p2 else f"{p2}-{p1 - 1}"  # a range ending next to p1
    req, bw = make_requester(), monitor("--port", f"1,{span}")
    only_second_reported(bw, (req, p1), (req, p2))


def test_filter_comm(held_port, make_requester, monitor):
    port = held_port()
    other, req = make_requester(), make_requester()
    bw = monitor("--comm", f"bwnomatch,{req.comm}")
    only_second_reported(bw, (other, port), (req, port))


def test_filter_pid(held_port, make_requester, monitor):
    port = held_port()
    other, req = make_requester(), make_requester()
    bw = monitor("--pid", str(req.pid))
    only_second_reported(bw, (other, port), (req, port))


def cgroup2_mount():
    with open("/proc/self/mounts") as f:
        return next((l.split()[1] for l in f if l.split()[2] == "cgroup2"), None)


def test_filter_cgroup():
    """--cgroup PATH: only processes in that cgroup v2 (or below it)."""
    mount = cgroup2_mount()
    if mount is None:
        pytest.skip("no cgroup2 mount")
    path = os.path.join(mount, "bwtest-" + secrets.token_hex(4))
    os.mkdir(path)
    holder, port = hold("ipv4", "tcp", "127.0.0.1")
    try:
        with holder, Requester() as other, Requester() as req:
            with open(os.path.join(path, "cgroup.procs"), "w") as f:
                f.write(str(req.pid))
            with start_bindwatch("--cgroup", path) as bw:
                only_second_reported(bw, (other, port), (req, port))
    finally:
        os.rmdir(path)  # empty again once the requesters exited


def test_errors_all(monitor, make_requester):
    port = free_port()
    bw, req = monitor("--errors", "all"), make_requester()
    result = tcp4_bind(req, "EADDRNOTAVAIL", port, UNREACHABLE)
    rec = bw.wait_record(for_port(port))
    check_record(rec, bw, "error", "bind", "EADDRNOTAVAIL", "ipv4", "tcp", UNREACHABLE, port)
    check_requester(rec, req, result)


def test_errors_default_only_eaddrinuse(held_port, monitor, make_requester):
    port = held_port()
    bw, req = monitor(), make_requester()
    tcp4_bind(req, "EADDRNOTAVAIL", port, UNREACHABLE)
    result = tcp4_bind(req, "EADDRINUSE", port)
    rec = bw.wait_record(for_port(port),
                         forbid=lambda rec: rec.get("errno") != "EADDRINUSE"
                         or rec.get("addr") == UNREACHABLE)
    check_record(rec, bw, "conflict", "bind", "EADDRINUSE", "ipv4", "tcp", "127.0.0.1", port)
    check_requester(rec, req, result)


def test_all_reports_success(monitor, make_requester):
    port = free_port()
    bw, req = monitor("--all"), make_requester()
    result = tcp4_bind(req, None, port)
    rec = bw.wait_record(for_port(port))
    check_record(rec, bw, "ok", "bind", None, "ipv4", "tcp", "127.0.0.1", port)
    check_requester(rec, req, result)


def test_log_file():
    """The log gets exactly the JSON lines stdout got, and a second run
    appends to them (other processes on the host may add records of their
    own: both sinks must carry those too)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bindwatch.log")
        printed = []
        for run in range(2):  # the second run appends
            with start_bindwatch("--log", path) as bw:
                rec = bind_conflict(bw)[0]
                rc, stderr = bw.stop()
            eq(rc, 0, f"exit code (stderr {stderr!r})")
            printed += bw.records()
            check(rec in printed, f"stdout lacks the conflict record: {rec}")
            if run == 0:
                eq(oct(os.stat(path).st_mode & 0o777), oct(0o640), "mode of the new log file")
            with open(path, encoding="utf-8") as f:
                logged = [json.loads(line) for line in f]
            eq(logged, printed, "records in the log after run %d" % (run + 1))


def test_notify_socket():
    with tempfile.TemporaryDirectory() as tmp, \
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        path = os.path.join(tmp, "notify")
        sock.bind(path)
        sock.settimeout(READY_TIMEOUT)
        with start_bindwatch(env=dict(os.environ, NOTIFY_SOCKET=path)):
            try:
                message = sock.recv(4096)
            except socket.timeout:
                fail(f"nothing sent to NOTIFY_SOCKET within {READY_TIMEOUT}s")
    check(b"READY=1" in message.split(b"\n"), f"no READY=1 line in {message!r}")


def stop_summary(sig, conflicts):
    """After `conflicts` reported conflicts, signal bindwatch: it exits 0 with
    a summary line counting the records it printed."""
    with Requester() as req, start_bindwatch("--comm", req.comm) as bw:
        for _ in range(conflicts):
            bind_conflict(bw, requester=req)
        rc, stderr = bw.stop(sig)
    eq(rc, 0, f"exit code after {sig.name} (stderr {stderr!r})")
    eq(len(bw.out.lines), conflicts, "records printed")
    summary = [line for line in stderr.splitlines() if "records" in line and "lost" in line]
    eq(len(summary), 1, f"summary lines in stderr {stderr!r}")
    m = re.search(r"(\d+) records?\b.*?(\d+) lost", summary[0])
    check(m, f"summary line lacks the counts: {summary[0]!r}")
    eq(int(m.group(1)), conflicts, f"records in summary {summary[0]!r}")
    eq(int(m.group(2)), 0, f"lost in summary {summary[0]!r}")


def test_sigterm_summary():
    stop_summary(signal.SIGTERM, 2)


def test_sigint_summary():
    stop_summary(signal.SIGINT, 0)


def test_not_root():
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("setpriv is not installed")
    drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all"]
    rc, _, stderr = run_to_exit(drop + ["/bin/true"])
    if rc != 0:
        pytest.skip(f"setpriv cannot drop privileges here: {stderr.strip()}")
    rc, _, stderr = run_to_exit(drop + bindwatch_argv())
    eq(rc, 1, f"exit code without privileges (stderr {stderr!r})")
    lines = stderr.strip().splitlines()
    eq(len(lines), 1, f"stderr line count ({stderr!r})")
    check(re.search(r"root|CAP_BPF|privilege|permission|capabilit", lines[0], re.I),
          f"stderr does not say privileges are missing: {lines[0]!r}")


def bad_usage(args, stderr_check, page="bindwatch(8)"):
    """bindwatch ARGS exits 2 without starting, saying so in one line that
    ends with where to read more (not the whole help); stderr_check(stderr)
    holds."""
    rc, stdout, stderr = run_to_exit(bindwatch_argv(*args))
    eq(rc, 2, f"exit code of bindwatch {' '.join(args)} (stderr {stderr!r})")
    check(stderr_check(stderr), f"unexpected stderr for {' '.join(args)}: {stderr!r}")
    eq(stdout, "", "stdout")
    lines = stderr.splitlines()
    eq(len(lines), 1, f"lines on stderr of bindwatch {' '.join(args)} ({stderr!r})")
    check(lines[0].startswith("bindwatch: ") and lines[0].endswith(f"; see {page} or --help"),
          f"bindwatch {' '.join(args)}: not one line pointing to {page}: {lines[0]!r}")


@pytest.mark.unprivileged
def test_bad_flag():
    bad_usage(["--bogus"], lambda e: "unknown option '--bogus'" in e)


# (arguments, manual page, what the line must name), for every command
USAGE_ERRORS = [
    (["--window", "x"], "bindwatch(8)", "expected seconds or a duration"),
    (["--exec-timeout", "soon"], "bindwatch(8)", "--exec-timeout: 'soon'"),
    (["--exec-interval", "-1"], "bindwatch(8)", "--exec-interval: '-1'"),
    (["--metrics", "::1:9464"], "bindwatch(8)", "--metrics: '::1:9464'"),
    (["--log"], "bindwatch(8)", "--log needs a value"),
    (["--json=yes"], "bindwatch(8)", "--json takes no value"),
    (["-x"], "bindwatch(8)", "unknown option '-x'"),
    (["nonsense"], "bindwatch(8)", "'nonsense'"),
    (["who", "80", "--bogus"], "bindwatch-who(8)", "who: unknown option '--bogus'"),
    (["who"], "bindwatch-who(8)", "who: expected one"),
    (["who", "::1:80"], "bindwatch-who(8)", "brackets"),
    (["who", "80", "--source", "x"], "bindwatch-who(8)", "--source: 'x'"),
    (["check", ":80", "--bogus"], "bindwatch-check(8)", "check: unknown option '--bogus'"),
    (["check", "80", "--v6only"], "bindwatch-check(8)", "--v6only"),
    (["wait", ":80", "--timeout", "x"], "bindwatch-check(8)",
     "wait: --timeout: 'x': expected seconds or a duration (5, 5s, 250ms, 2m)"),
    (["wait", ":80", "--timeout"], "bindwatch-check(8)", "wait: --timeout needs a value"),
    (["wait", ":80"], "bindwatch-check(8)", "--timeout DURATION is required"),
    (["check-policy"], "bindwatch-policy(5)", "check-policy: expected one policy FILE"),
    (["check-policy", "p.yaml", "--bogus"], "bindwatch-policy(5)", "unknown option '--bogus'"),
]


@pytest.mark.unprivileged
@pytest.mark.parametrize("args,page,named", USAGE_ERRORS,
                         ids=[" ".join(c[0]) for c in USAGE_ERRORS])
def test_usage_error_is_one_line(args, page, named):
    """A deploy log gets one line and a pointer, exit 2, for every command."""
    bad_usage(args, lambda e: named in e, page)


@pytest.mark.unprivileged
@pytest.mark.parametrize("cmd", [[], ["who"], ["check"], ["wait"], ["check-policy"]],
                         ids=["monitor", "who", "check", "wait", "check-policy"])
def test_help_on_stdout(cmd):
    """Control: --help still prints the whole help, on stdout, exit 0."""
    rc, out, err = run_to_exit(bindwatch_argv(*cmd, "--help"))
    eq((rc, err), (0, ""), f"bindwatch {' '.join(cmd)} --help: exit status and stderr")
    check(out.startswith("Usage: bindwatch") and len(out.splitlines()) > 5,
          f"bindwatch {' '.join(cmd)} --help: {out!r}")


@pytest.mark.unprivileged
def test_bad_port():
    bad_usage(["--port", "80,70000"], lambda e: re.search(r"[\"'`‘“]70000[\"'’”]", e))


@pytest.mark.unprivileged
def test_bad_mode():
    bad_usage(["--mode", "warp"], lambda e: e.strip() != "")


def test_stdout_reader_gone():
    """bindwatch | head -n 1: once head exits, bindwatch stops too."""
    holder, port = hold("ipv4", "tcp", "127.0.0.1")
    pipeline = subprocess.Popen(
        ["sh", "-c", f"{' '.join(bindwatch_argv('--json', '--port', str(port)))} | head -n 1"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with holder, Requester() as req:
        deadline = time.monotonic() + READY_TIMEOUT
        # conflicts (those before "ready" go unseen) until head has its line
        # and bindwatch, writing the next, finds the pipe closed
        while pipeline.poll() is None and time.monotonic() < deadline:
            req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                     port=port)
            time.sleep(0.05)
    check(pipeline.poll() is not None, "bindwatch | head -n 1 still running after head exited")
    line = pipeline.stdout.read().decode()
    eq(json.loads(line)["port"], port, "port of the one record head printed")


def test_log_symlink_refused():
    """--log through a symbolic link is refused (bindwatch runs as root)."""
    with tempfile.TemporaryDirectory() as tmp:
        target, link = os.path.join(tmp, "target"), os.path.join(tmp, "link")
        os.symlink(target, link)
        rc, _, stderr = run_to_exit(bindwatch_argv("--log", link))
        eq(rc, 1, f"exit code (stderr {stderr!r})")
        check(link in stderr, f"stderr does not name {link}: {stderr!r}")
        check(not os.path.exists(target), "the link's target was created")


def rotate_by_signal(bw, path):
    os.rename(path, path + ".1")
    bw.proc.send_signal(signal.SIGHUP)


def rotate_by_logrotate(bw, path):
    """The shipped snippet, run by logrotate on path's directory: its
    postrotate reaches a monitor started without systemd through the pid in
    the lock (this one holds /run/bindwatch.lock: no /run/bindwatch)."""
    conf, state = path + ".conf", path + ".state"
    with open(LOGROTATE_SNIPPET, encoding="utf-8") as f:
        text = f.read()
    check(LOGROTATE_LOGS in text, f"{LOGROTATE_SNIPPET} does not rotate {LOGROTATE_LOGS}")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(text.replace(LOGROTATE_LOGS, os.path.join(os.path.dirname(path), "*.log")))
    rc, out, err = run_to_exit(["logrotate", "--force", "--state", state, conf])
    eq(rc, 0, f"logrotate's exit status (stdout {out!r}, stderr {err!r})")


@pytest.mark.parametrize("rotate", [rotate_by_signal, rotate_by_logrotate],
                         ids=["sighup", "logrotate"])
def test_log_rotation(rotate):
    """logrotate's way: rename the log, SIGHUP, by hand and as the shipped
    snippet does it without systemd; records before go to the old file,
    after to a new one, and together they are exactly what stdout got."""
    if rotate is rotate_by_logrotate:
        if not shutil.which("logrotate"):
            pytest.skip("logrotate is not installed")
        if os.path.isdir(SERVICE_LOCK_DIR):
            pytest.skip(f"{SERVICE_LOCK_DIR} exists: the monitor locks there, as a unit does")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bindwatch.log")
        with start_bindwatch("--log", path) as bw:
            first = bind_conflict(bw)[0]
            rotate(bw, path)
            deadline = time.monotonic() + RECORD_TIMEOUT
            while not os.path.exists(path):  # reopened once the loop sees the signal
                check(time.monotonic() < deadline, "no new log file after SIGHUP")
                time.sleep(0.01)
            second = bind_conflict(bw)[0]
            rc, stderr = bw.stop()
        eq(rc, 0, f"exit code (stderr {stderr!r})")
        printed = bw.records()
        with open(path + ".1", encoding="utf-8") as f:
            old = [json.loads(line) for line in f]
        with open(path, encoding="utf-8") as f:
            new = [json.loads(line) for line in f]
        check(first in old and second in new, "records not in the files they belong to")
        eq(old + new, printed, "records in the rotated and the new log")
        eq(oct(os.stat(path).st_mode & 0o777), oct(0o640), "mode of the new log file")


def test_log_full_disk_retried():
    """A full disk (ENOSPC) stops nothing: the records are kept, written
    whole once there is room again, and the failure and recovery are said
    once each."""
    with tempfile.TemporaryDirectory() as tmp:
        rc, _, err = run_to_exit(["mount", "-t", "tmpfs", "-o", "size=64k", "bwfull", tmp])
        if rc != 0:
            pytest.skip(f"cannot mount a tmpfs: {err.strip()}")
        try:
            path, filler = os.path.join(tmp, "bindwatch.log"), os.path.join(tmp, "filler")
            with start_bindwatch("--log", path) as bw:
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
                try:  # fill the disk up to the last byte
                    while True:
                        os.write(fd, b"x" * 512)
                except OSError as e:
                    eq(e.errno, errno.ENOSPC, "filling the tmpfs")
                finally:
                    os.close(fd)
                full = [bind_conflict(bw)[0] for _ in range(3)]
                os.unlink(filler)
                after = bind_conflict(bw)[0]
                rc, stderr = bw.stop()
            eq(rc, 0, f"exit code (stderr {stderr!r})")
            with open(path, encoding="utf-8") as f:
                logged = [json.loads(line) for line in f]
            eq(logged, full + [after], "records in the log after the disk had room again")
            eq(stderr.count("cannot write records to"), 1, f"failure reports in {stderr!r}")
            check("No space left on device" in stderr, f"ENOSPC not named in {stderr!r}")
            eq(stderr.count("writing records to " + path + " again; 0 records dropped"), 1,
               f"recovery reports in {stderr!r}")
        finally:
            run_to_exit(["umount", "-l", tmp])


def test_syslog_records():
    """--syslog: a conflict reaches syslog as daemon.warning with its text.
    The test plays the syslog daemon on /dev/log (skipped if one runs)."""
    if os.path.exists("/dev/log"):
        pytest.skip("/dev/log exists: a real syslog daemon would get the test's messages")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as log:
        log.bind("/dev/log")
        log.settimeout(RECORD_TIMEOUT)
        try:
            with start_bindwatch("--syslog") as bw:
                rec = bind_conflict(bw)[0]
                wanted = f"bind EADDRINUSE tcp 127.0.0.1:{rec['port']} by "
                while True:
                    try:
                        message = log.recv(65536).decode("utf-8", "replace")
                    except socket.timeout:
                        fail(f"no syslog message with {wanted!r}")
                    if wanted in message:
                        break
        finally:
            os.unlink("/dev/log")
    daemon_warning = (3 << 3) | 4  # LOG_DAEMON | LOG_WARNING
    check(message.startswith(f"<{daemon_warning}>"), f"priority of {message!r}")
    check(f"bindwatch[{bw.proc.pid}]: " in message, f"ident and pid in {message!r}")


def scrape(port, path="/metrics"):
    """(status, body) of an HTTP GET on 127.0.0.1:port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=RECORD_TIMEOUT) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def samples(text):
    """{'name{labels}': value} of a Prometheus text exposition."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def listener_on(port):
    """(family, addr, v6only) of the one socket listening on TCP port, from who."""
    rc, out, err = run_to_exit(bindwatch_argv("who", f"{port}/tcp", "--json"))
    eq(rc, 0, f"who {port} (stderr {err!r})")
    holders = json.loads(out)["holders"]
    eq(len(holders), 1, f"sockets on {port}: {holders}")
    return holders[0]["family"], holders[0]["addr"], holders[0]["v6only"]


def test_metrics_every_address(monitor):
    """--metrics :PORT listens on every address, IPv4 and IPv6 (one [::]
    socket without IPV6_V6ONLY); durations as plain seconds start the
    monitor as with units."""
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError as e:
        pytest.skip(f"no IPv6 here: {e}")
    port = free_port()
    monitor("--metrics", f":{port}", "--window", "2", "--exec-interval", "60",
            "--exec-timeout", "5")
    eq(listener_on(port), ("ipv6", "::", False), "the metrics socket")
    eq(scrape(port)[0], 200, "GET /metrics over IPv4")
    with urllib.request.urlopen(f"http://[::1]:{port}/metrics", timeout=RECORD_TIMEOUT) as r:
        eq(r.status, 200, "GET /metrics over IPv6")


def test_metrics_port_alone_is_loopback(monitor):
    """Control: --metrics PORT, without an address, stays on loopback."""
    port = free_port()
    monitor("--metrics", str(port))
    eq(listener_on(port), ("ipv4", "127.0.0.1", None), "the metrics socket")
    eq(scrape(port)[0], 200, "GET /metrics")


def test_metrics_endpoint(monitor, make_requester):
    """--metrics: a real HTTP client reads the counters after real conflicts."""
    port = free_port()
    bw, req = monitor("--metrics", str(port)), make_requester()
    before = samples(scrape(port)[1])
    for _ in range(2):
        bind_conflict(bw, requester=req)
    bind_conflict(bw, "ipv4", "udp", "127.0.0.1", requester=req)
    listen_conflict(bw, requester=req)
    status, text = scrape(port)
    eq(status, 200, "status of GET /metrics")
    after = samples(text)
    eq(scrape(port, "/")[0], 404, "status of GET /")

    def grew(key):
        return after.get(key, 0) - before.get(key, 0)
    # other processes on the host may add conflicts: at least ours are counted
    check(grew('bindwatch_conflicts_total{syscall="bind",proto="tcp"}') >= 2, f"tcp binds in {text}")
    check(grew('bindwatch_conflicts_total{syscall="bind",proto="udp"}') >= 1, f"udp binds in {text}")
    check(grew('bindwatch_conflicts_total{syscall="listen",proto="tcp"}') >= 1, f"listens in {text}")
    check(grew("bindwatch_holder_lookup_seconds_count") >= 4, f"lookups in {text}")
    eq(after.get("bindwatch_events_lost_total"), 0.0, "records lost")
    eq(after.get(f'bindwatch_info{{mode="{bw.mode}",version="0.1.0"}}'), 1.0, "bindwatch_info")
    eq(after.get('bindwatch_holder_lookup_seconds_bucket{le="+Inf"}'),
       after.get("bindwatch_holder_lookup_seconds_count"), "+Inf bucket equals the count")
