# harness.py - the domain code of the bindwatch end-to-end tests: starting
# and stopping bindwatch, requester child processes that make real failing
# bind()/listen() calls, port holders, network namespaces and record
# checks.  conftest.py makes fixtures of them; the child programs are files
# in children/.
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("BINDWATCH") or os.path.join(REPO, "bindwatch")
PYTHON = "/usr/bin/python3"
CHILDREN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "children")

# A command prefix that runs a child as an unprivileged local user (nobody),
# the attacker of the trust tests; it exec()s the command, so pids match.
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")

# BW_E2E_CAPTURE=DIR: every bindwatch a test starts leaves its stdout in
# DIR/TEST.N.out (TEST: the test's name without "test_", parameters
# included), for tests/e2e/compare_records.py (same records before and
# after a change to the code, minus times and pids).
CAPTURE_DIR = os.environ.get("BW_E2E_CAPTURE")
CURRENT_TEST = None  # set by conftest.py
_captured = {}       # test name -> bindwatch instances captured so far

READY_TIMEOUT = 60   # seconds to wait for the "ready" line
RECORD_TIMEOUT = 20  # seconds to wait for an expected record
EXIT_TIMEOUT = 20    # seconds to wait for bindwatch / a child to exit

READY_RE = re.compile(rb"ready \(mode: (\w+)\)")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


# ---------------------------------------------------------------- outcomes

def fail(message):
    raise AssertionError(message)


def check(condition, message):
    if not condition:
        fail(message)


def eq(actual, expected, what):
    if actual != expected:
        fail(f"{what}: expected {expected!r}, got {actual!r}")


# ---------------------------------------------------------------- processes

class LineReader:
    """Reads a binary stream line by line in a thread, into a queue."""

    def __init__(self, stream):
        self.queue = queue.Queue()
        self.lines = []  # every line read so far
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for line in iter(stream.readline, b""):
            self.lines.append(line)
            self.queue.put(line)
        self.queue.put(None)  # EOF

    def next(self, deadline):
        """Next line (bytes), None at EOF; raises queue.Empty at the deadline."""
        return self.queue.get(timeout=max(0.0, deadline - time.monotonic()))

    def text(self):
        self.thread.join(EXIT_TIMEOUT)
        return b"".join(self.lines).decode("utf-8", "replace")


def end_child(proc):
    """A child that exits when its stdin closes: close it, wait, kill if stuck."""
    if not proc.stdin.closed:
        proc.stdin.close()
    try:
        proc.wait(EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def next_line(out, proc, what):
    """The next line child proc writes to out (its LineReader), within
    RECORD_TIMEOUT; else end the child (so that its stderr ends) and fail
    saying what, with that stderr."""
    try:
        line = out.next(time.monotonic() + RECORD_TIMEOUT)
    except queue.Empty:
        line = None
    if not line:
        end_child(proc)
        fail(f"{what}; stderr: {proc.stderr.read().decode('utf-8', 'replace')!r}")
    return line


def terminate(proc):
    """SIGTERM to a child that is still running, SIGKILL if it lingers; reaped."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


class StdinChild:
    """A child process (self.proc) that exits when its stdin closes; as a
    context manager, closed on exit."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        end_child(self.proc)

    def start_ready(self, argv, what):
        """Start argv as self.proc, its stdin, stdout and stderr pipes, and
        wait for its "ready" line; fail, naming what, when another comes."""
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line != b"ready\n":
            self.close()
            fail(f"{what} did not start: {line!r} {self.proc.stderr.read()!r}")


def running(pid):
    """Whether pid is a live process (not gone, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def run_to_exit(argv, env=None, timeout=EXIT_TIMEOUT):
    """Run a command that should exit on its own; return (rc, stdout, stderr)."""
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        fail(f"{argv} still running after {timeout}s")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def bindwatch_argv(*args):
    if not os.access(BINARY, os.X_OK):
        fail(f"no executable {BINARY} (run make)")
    return [BINARY, *args]


def mode_args(mode):
    """Command-line arguments selecting a capture mode; "auto" is the default."""
    return [] if mode == "auto" else ["--mode", mode]


class Bindwatch:
    """A running bindwatch. Use as a context manager so it is always stopped."""

    def __init__(self, *args, json_output=True, env=None, prefix=()):
        """prefix: a command that runs (exec()s) bindwatch, e.g. in another
        root (tests/static/empty-root.sh)."""
        argv = [*prefix, *bindwatch_argv(*args, *(["--json"] if json_output else []))]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.out = LineReader(self.proc.stdout)
        self.err = LineReader(self.proc.stderr)
        self.mode = None  # capture mode from the ready line
        self.seen = []    # stdout lines consumed so far (bytes)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # SIGTERM first: a monitor killed outright leaves its pins in bpffs
        terminate(self.proc)
        if CAPTURE_DIR:
            self._capture()

    def _capture(self):
        self.out.thread.join(EXIT_TIMEOUT)
        n = _captured[CURRENT_TEST] = _captured.get(CURRENT_TEST, 0) + 1
        with open(os.path.join(CAPTURE_DIR, f"{CURRENT_TEST}.{n}.out"), "wb") as f:
            f.write(b"".join(self.out.lines))

    def wait_ready(self, timeout=READY_TIMEOUT):
        """True once the ready line is printed; False if bindwatch exited first.
        Kills bindwatch before failing at the timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.err.next(deadline)
            except queue.Empty:
                self.proc.kill()
                fail(f"no ready line within {timeout}s; stderr: {self.err.text()!r}")
            if line is None:
                self.proc.wait(EXIT_TIMEOUT)
                return False
            m = READY_RE.search(line)
            if m:
                self.mode = m.group(1).decode()
                return True

    def next_line(self, deadline):
        """Next stdout line (bytes, without the newline); fails at EOF."""
        line = self.out.next(deadline)
        if line is None:
            fail(f"bindwatch stdout closed (rc={self.proc.wait(EXIT_TIMEOUT)}); "
                 f"stderr: {self.err.text()!r}")
        self.seen.append(line)
        return line.rstrip(b"\n")

    def next_record(self, deadline):
        line = self.next_line(deadline)
        try:
            rec = json.loads(line.decode("utf-8"))  # strict: JSON must be UTF-8
        except ValueError as e:
            fail(f"stdout line is not valid UTF-8 JSON ({e}): {line!r}")
        check(isinstance(rec, dict), f"stdout line is not a JSON object: {line!r}")
        return rec

    def _wait(self, reader, match, forbid, timeout, what):
        deadline = time.monotonic() + timeout
        start = len(self.seen)
        while True:
            try:
                item = reader(deadline)
            except queue.Empty:
                seen = self.seen[start:]
                fail(f"no {what} within {timeout}s; saw {len(seen)} line(s): "
                     f"{[s[:400] for s in seen[-5:]]!r}")
            if forbid is not None and forbid(item):
                fail(f"unexpected record before the expected one: {item!r}")
            if match(item):
                return item

    def wait_record(self, match, forbid=None, timeout=RECORD_TIMEOUT):
        """First JSON record for which match() is true; fails if a record for
        which forbid() is true comes first, or at the timeout."""
        return self._wait(self.next_record, match, forbid, timeout, "matching record")

    def wait_line(self, match, timeout=RECORD_TIMEOUT):
        """First text-mode stdout line (bytes) for which match() is true."""
        return self._wait(self.next_line, match, None, timeout, "matching line")

    def records(self):
        """Every JSON record bindwatch printed, once it has stopped."""
        return [json.loads(line) for line in self.out.lines]

    def stop(self, sig=signal.SIGTERM):
        """Signal bindwatch, wait for it; return (exit code, stderr text).
        Afterwards self.out.lines holds every stdout line it printed."""
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail(f"bindwatch still running {EXIT_TIMEOUT}s after {sig.name}")
        self.out.thread.join(EXIT_TIMEOUT)
        return rc, self.err.text()


def start_bindwatch(*args, json_output=True, env=None, prefix=()):
    """Start bindwatch and wait for its ready line; fail if it exits instead."""
    bw = Bindwatch(*args, json_output=json_output, env=env, prefix=prefix)
    if not bw.wait_ready():
        fail(f"bindwatch {' '.join(args)} exited {bw.proc.returncode} before ready; "
             f"stderr: {bw.err.text()!r}")
    return bw


def new_marker():
    """A unique comm for a requester: "bwreq-" and 8 hex digits (14 bytes)."""
    return "bwreq-" + secrets.token_hex(4)


class Requester(StdinChild):
    """A long-lived child process that makes socket calls on request."""

    def __init__(self, comm=None, prefix=(), args=()):
        """prefix: a command that runs the requester, e.g. ("ip", "netns",
        "exec", NAME); it must exec() it, so the pid stays the child's.
        args: more command-line arguments, which the requester ignores."""
        if comm is None:
            comm = new_marker()
        self.comm_bytes = (comm.encode() if isinstance(comm, str) else comm)[:15]
        self.comm = self.comm_bytes.decode("utf-8", "replace")  # as JSON should show it
        self.marker = "--bw-marker=" + secrets.token_hex(6)
        self.argv = [PYTHON, child("requester.py"), self.marker, self.comm_bytes.hex(), *args]
        self.proc = subprocess.Popen([*prefix, *self.argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.out = LineReader(self.proc.stdout)

    def call(self, expect, **op):
        """Run one operation (see children/requester.py); check that it ended with
        errno name `expect` (None: success); return {"pid", "tid", "errno"}."""
        self.proc.stdin.write((json.dumps(op) + "\n").encode())
        self.proc.stdin.flush()
        try:
            line = self.out.next(time.monotonic() + RECORD_TIMEOUT)
        except queue.Empty:
            line = None
        if line is None:
            self.proc.kill()
            fail(f"requester gave no answer to {op}; stderr: "
                 f"{self.proc.stderr.read().decode('utf-8', 'replace')!r}")
        result = json.loads(line)
        check("error" not in result, f"requester {op} raised {result.get('error')}")
        eq(result["errno"], expect, f"outcome of requester call {op}")
        return result


# ---------------------------------------------------------------- sockets

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}
TYPES = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}


def hold(family, proto, addr):
    """A socket in this process bound to a free port (listening, for TCP);
    returns (socket, port). Keep a reference while the port must stay taken."""
    s = socket.socket(FAMILIES[family], TYPES[proto])
    s.bind((addr, 0))
    if proto == "tcp":
        s.listen()
    return s, s.getsockname()[1]


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- record checks

def _cgroup_v2(pid):
    """(path of pid's cgroup v2, mount point of cgroup2 or None)."""
    with open(f"/proc/{pid}/cgroup") as f:
        path = next((l.split(":", 2)[2].strip() for l in f if l.startswith("0::")), None)
    with open("/proc/self/mounts") as f:
        mount = next((l.split()[1] for l in f if l.split()[2] == "cgroup2"), None)
    return path, mount


def check_schema(rec):
    """Every documented key is there with a value of the documented type."""
    eq(rec.get("version"), 1, "version")
    check(isinstance(rec.get("time"), str) and TIME_RE.match(rec["time"]),
          f"time is not RFC 3339 UTC with 9 fractional digits: {rec.get('time')!r}")
    for key in ("mono_ns", "port", "count"):
        check(type(rec.get(key)) is int, f"{key} is not an integer: {rec.get(key)!r}")
    check(rec["count"] >= 1, f"count < 1: {rec['count']}")
    for key in ("event", "syscall", "proto", "family", "addr", "mode"):
        check(isinstance(rec.get(key), str), f"{key} is not a string: {rec.get(key)!r}")
    check(rec.get("errno", 0) is None or isinstance(rec.get("errno"), str),
          f"errno is not a string or null: {rec.get('errno', '(missing)')!r}")
    sock = rec.get("socket")
    check(isinstance(sock, dict), f"socket is not an object: {sock!r}")
    for key in ("reuseaddr", "reuseport", "freebind", "transparent"):
        check(type(sock.get(key)) is bool, f"socket.{key} is not a bool: {sock.get(key)!r}")
    check(type(sock.get("protocol")) is int, f"socket.protocol: {sock.get('protocol')!r}")
    req = rec.get("requester")
    check(isinstance(req, dict), f"requester is not an object: {req!r}")
    for key in ("pid", "tid", "ppid", "uid", "gid", "cgroup_id", "netns", "start_boottime_ns"):
        check(type(req.get(key)) is int, f"requester.{key} is not an integer: {req.get(key)!r}")
    for key in ("exe", "cmdline", "cgroup", "unit", "container", "netns_name"):
        check(key in req and (req[key] is None or isinstance(req[key], str)),
              f"requester.{key} is not a string or null: {req.get(key, '(missing)')!r}")
    check(type(req.get("exited")) is bool, f"requester.exited: {req.get('exited')!r}")
    check(req["container"] is None or re.fullmatch(r"[0-9a-f]{64}", req["container"]),
          f"requester.container: {req['container']!r}")


def check_record(rec, bw, event, syscall, errno_name, family, proto, addr, port):
    """The record's top-level fields."""
    check_schema(rec)
    expected = {"event": event, "syscall": syscall, "errno": errno_name, "family": family,
                "proto": proto, "addr": addr, "port": port, "mode": bw.mode}
    for key, value in expected.items():
        eq(rec[key], value, key)
    sock = rec["socket"]
    eq(sock["type"], {"tcp": "stream", "udp": "dgram"}[proto], "socket.type")
    eq(sock["protocol"], {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP}[proto],
       "socket.protocol")
    if family == "ipv4":
        eq(sock["v6only"], None, "socket.v6only (ipv4)")
    else:
        check(type(sock["v6only"]) is bool, f"socket.v6only (ipv6) not a bool: {sock['v6only']!r}")


def check_socket(rec, **expected):
    """Socket fields that the test set (or left at their defaults)."""
    defaults = {"reuseaddr": False, "reuseport": False, "bound_dev": None, "bound_ifindex": None,
                "freebind": False, "transparent": False}
    for key, value in dict(defaults, **expected).items():
        eq(rec["socket"].get(key, "(missing)"), value, f"socket.{key}")


def check_requester(rec, requester, result):
    """The requester block describes this live requester child and thread."""
    req = rec["requester"]
    eq(req["pid"], requester.pid, "requester.pid")
    eq(req["tid"], result["tid"], "requester.tid")
    eq(req["ppid"], os.getpid(), "requester.ppid")
    eq(req["uid"], os.getuid(), "requester.uid")
    eq(req["gid"], os.getgid(), "requester.gid")
    eq(req["comm"], requester.comm, "requester.comm")
    eq(req["exited"], False, "requester.exited")
    eq(req["exe"], os.path.realpath(PYTHON), "requester.exe")
    eq(req["cmdline"], " ".join(requester.argv), "requester.cmdline")
    check(requester.marker in req["cmdline"], "marker argument missing from cmdline")
    eq(req["netns"], os.stat(f"/proc/{requester.pid}/ns/net").st_ino, "requester.netns")
    path, mount = _cgroup_v2(requester.pid)
    if req["cgroup"] is not None:
        eq(req["cgroup"], path, "requester.cgroup")
    if path is not None and mount is not None:
        eq(req["cgroup_id"], os.stat(mount + path).st_ino, "requester.cgroup_id")


def for_port(port):
    """Predicate: the record is about this port."""
    return lambda rec: rec.get("port") == port


# ---------------------------------------------------------------- shared scenarios

def bind_conflict(bw, family="ipv4", proto="tcp", addr="127.0.0.1", requester=None, **sockopts):
    """A holder takes a port, a requester binds it too and fails with
    EADDRINUSE; check and return (record, requester, call result).
    sockopts (reuseport, v6only, device, freebind, transparent) go to the requester socket."""
    holder, port = hold(family, proto, addr)
    own = requester is None
    req = Requester() if own else requester
    try:
        with holder:
            result = req.call("EADDRINUSE", op="bind", family=family, proto=proto,
                              addr=addr, port=port, **sockopts)
            rec = bw.wait_record(for_port(port))
            check_record(rec, bw, "conflict", "bind", "EADDRINUSE", family, proto, addr, port)
            check_requester(rec, req, result)
            return rec, req, result
    finally:
        if own:
            req.close()


def listen_conflict(bw, requester=None):
    """Two SO_REUSEADDR sockets bind one port, the second listen() fails."""
    port = free_port()
    own = requester is None
    req = Requester() if own else requester
    try:
        result = req.call("EADDRINUSE", op="listen", family="ipv4", proto="tcp",
                          addr="127.0.0.1", port=port, reuseaddr=True)
        rec = bw.wait_record(for_port(port))
        check_record(rec, bw, "conflict", "listen", "EADDRINUSE", "ipv4", "tcp", "127.0.0.1", port)
        check_socket(rec, reuseaddr=True)
        check_requester(rec, req, result)
        return rec, req, result
    finally:
        if own:
            req.close()


# ---------------------------------------------------------------- holders

def new_holder_comm():
    """A unique comm for a holder: "bwhold-" and 8 hex digits (15 bytes)."""
    return "bwhold-" + secrets.token_hex(4)


def socket_spec(family="ipv4", proto="tcp", addr="127.0.0.1", port=0, listen=None, **opts):
    """One socket of a Holder spec (opts: reuseaddr, reuseport, v6only)."""
    return dict(family=family, proto=proto, addr=addr, port=port, listen=listen, **opts)


class Holder(StdinChild):
    """A child process holding sockets (see children/holder.py) until closed.
    Attributes: pid (of the process that opened the sockets: the binder,
    already exited and reaped, with exit=True), start_ticks, sockets
    ([{"fd", "port"}]), port (of the first socket), child (pid of the
    forked child or None), comm, argv.  args: more command-line arguments,
    which the holder ignores (what a process claims to be in its argv)."""

    def __init__(self, *sockets, comm=None, uid=None, fork=False, exit=False, prefix=(),
                 args=()):
        self.comm = comm or new_holder_comm()
        spec = {"comm": self.comm, "uid": uid, "sockets": list(sockets), "fork": fork,
                "exit": exit}
        self.argv = [PYTHON, child("holder.py"), json.dumps(spec), *args]
        self.proc = subprocess.Popen([*prefix, *self.argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = LineReader(self.proc.stdout)
        try:
            line = self.out.next(time.monotonic() + RECORD_TIMEOUT)
        except queue.Empty:
            line = None
        if not line:
            self.close()
            fail(f"holder {spec} did not start; stderr: "
                 f"{self.proc.stderr.read().decode('utf-8', 'replace')!r}")
        info = json.loads(line)
        self.pid, self.start_ticks = info["pid"], info["start_ticks"]
        self.sockets, self.child = info["sockets"], info["child"]
        self.port = self.sockets[0]["port"] if self.sockets else None
        self.exit = exit
        if exit:  # wait until the binder has exited and been reaped
            try:
                line = self.out.next(time.monotonic() + RECORD_TIMEOUT)
            except queue.Empty:
                line = None
            done = json.loads(line) if line else None
            if done != {"exited": self.pid, "status": 0}:
                self.close()
                fail(f"holder's binder {self.pid} did not exit cleanly: {done!r}")

    def inode(self, index=0):
        """Inode of the holder's socket number index, from /proc/PID/fd
        (of the child when the binder has exited)."""
        return socket_inode(self.child if self.exit else self.pid, self.sockets[index]["fd"])


def socket_inode(pid, fd):
    """Inode of the socket open as fd in process pid ("socket:[N]" link)."""
    link = os.readlink(f"/proc/{pid}/fd/{fd}")
    m = re.fullmatch(r"socket:\[(\d+)\]", link)
    check(m, f"/proc/{pid}/fd/{fd} is not a socket: {link!r}")
    return int(m.group(1))


def socket_fds(pid):
    """{fd: socket inode} of every socket process pid has open."""
    fds = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            m = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{name}"))
        except FileNotFoundError:
            continue
        if m:
            fds[int(name)] = int(m.group(1))
    return fds


def boottime_ns_to_ticks(ns):
    """/proc/PID/stat field 22 (clock ticks) for a start time in ns since boot."""
    return ns // (10**9 // os.sysconf("SC_CLK_TCK"))


class Netns:
    """A new network namespace "bwt-XXXXXXXX" with lo up, deleted on exit.
    Skips the test when ip is missing or cannot create namespaces."""

    def __init__(self):
        self.ip = shutil.which("ip")
        if not self.ip:
            pytest.skip("ip (iproute2) is not installed")
        self.name = "bwt-" + secrets.token_hex(4)
        self.path = f"/run/netns/{self.name}"
        rc, _, err = run_to_exit([self.ip, "netns", "add", self.name])
        if rc != 0:
            pytest.skip(f"ip netns add failed: {err.strip()}")
        try:
            rc, _, err = run_to_exit(self.exec_prefix() + [self.ip, "link", "set", "lo", "up"])
            check(rc == 0, f"cannot set lo up in {self.name}: {err.strip()}")
            self.inode = os.stat(self.path).st_ino
        except BaseException:
            self.delete()
            raise

    def exec_prefix(self):
        """A command prefix that runs (exec()s) a command in the namespace."""
        return [self.ip, "netns", "exec", self.name]

    def delete(self):
        subprocess.run([self.ip, "netns", "delete", self.name], capture_output=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.delete()


# ---------------------------------------------------------------- children

_built = {}


def child(name):
    """The path of the child program children/NAME (run by path, so that a
    record shows it in the child's command line)."""
    return os.path.join(CHILDREN_DIR, name)


def child_binary(name, libs=()):
    """tests/e2e/children/NAME.c compiled with cc, once per run, into a
    directory every user may read (children run as nobody too), linked
    with libs (["-luring"]); skips the test when there is no C compiler."""
    if name in _built:
        return _built[name]
    cc = shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler (cc) to build tests/e2e/children/" + name + ".c")
    out_dir = tempfile.mkdtemp(prefix="bw-children-")
    os.chmod(out_dir, 0o755)
    path = os.path.join(out_dir, name)
    rc, _, err = run_to_exit([cc, "-O2", "-Wall", "-o", path,
                              os.path.join(CHILDREN_DIR, name + ".c"), *libs])
    if rc != 0:
        fail(f"building children/{name}.c failed: {err!r}")
    _built[name] = path
    return path


class UringCall(StdinChild):
    """children/uring_call.c: a bind (or a listen, after a bind() of its
    own with SO_REUSEADDR, once go() is called) through io_uring, never
    through the system calls.  Attributes: pid, argv, and after result():
    res (0 or -errno), tid, inode.  Skips the test when the kernel refuses
    io_uring or lacks the opcode."""

    def __init__(self, op, proto, addr, port, *opts):
        self.argv = [child_binary("uring_call", libs=["-luring"]), op, proto, addr, str(port),
                     *opts]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.out = LineReader(self.proc.stdout)
        if op == "listen":
            self._line()

    def _line(self):
        info = json.loads(next_line(self.out, self.proc, f"{self.argv} gave no answer"))
        if "skip" in info:
            self.close()
            pytest.skip(f"uring_call: {info['skip']}")
        return info

    def go(self):
        """listen: make the request now."""
        self.proc.stdin.write(b"go\n")
        self.proc.stdin.flush()

    def result(self):
        """Wait for the request's result; set res, tid and inode."""
        info = self._line()
        self.res, self.tid, self.inode = info["res"], info["tid"], info["inode"]
        return self.res


class Squatter(StdinChild):
    """children/squatter.c: a process holding a port by MODE ("fd",
    "inflight", "io_uring"; see there) until closed, as uid (NOBODY's
    prefix for 65534).  Attributes: pid, proto, port, inode (of the socket),
    carrier_inode (the unix socket or ring holding it), argv."""

    def __init__(self, mode, proto="tcp", port=0, hops=1, prefix=()):
        self.proto = proto
        self.argv = [child_binary("squatter"), mode, proto, str(port), str(hops)]
        self.proc = subprocess.Popen([*prefix, *self.argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = LineReader(self.proc.stdout)
        info = json.loads(next_line(self.out, self.proc, f"squatter {self.argv} did not start"))
        if "skip" in info:
            self.close()
            pytest.skip(f"squatter {mode}: {info['skip']}")
        self.pid, self.port = info["pid"], info["port"]
        self.inode, self.carrier_inode = info["inode"], info["carrier_inode"]
