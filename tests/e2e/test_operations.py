# test_operations.py - what an operator meets in the first week (issue 10):
# a capability-only run (monitor and `who` as uid 65534 with four
# capabilities, the capabilities left once it runs, one monitor at a time
# across root and non-root), bad input reported in one line before anything
# loads, syslog failures said and counted, and command lines shown exactly
# (JSON argv, text quoted as a shell would).
import json
import os
import re
import shlex
import socket
import subprocess
import tempfile
import urllib.request

import pytest

import harness
from test_policy import reclaim_rule
from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, Bindwatch, Holder, Requester,
                     bind_conflict, bindwatch_argv, check, eq, fail, for_port, free_port,
                     run_to_exit, socket_spec, start_bindwatch)

NOBODY_UID = 65534
CAPS = "+bpf,+perfmon,+dac_read_search,+sys_ptrace"
WITH_CAPS = (*NOBODY, f"--inh-caps={CAPS}", f"--ambient-caps={CAPS}")
LOCK_DIR = "/run/bindwatch"
# linux/capability.h
CAP_DAC_READ_SEARCH, CAP_KILL, CAP_SYS_PTRACE, CAP_SYS_ADMIN = 2, 5, 19, 21
CAP_PERFMON, CAP_BPF = 38, 39


def one_line(err):
    """The single line bindwatch wrote to stderr; fails if it wrote more."""
    lines = err.splitlines()
    eq(len(lines), 1, f"lines on stderr ({err!r})")
    return lines[0]


USAGE_POINTER = "; see bindwatch(8) or --help"  # how a usage error (exit 2) ends


def bad_input(args, expected_line, rc=2):
    """bindwatch ARGS exits rc after one line, expected_line (and, for a
    usage error, the pointer to the manual)."""
    got, out, err = run_to_exit(bindwatch_argv(*args))
    eq(got, rc, f"exit status of bindwatch {' '.join(args)} (stderr {err!r})")
    eq(one_line(err), expected_line + (USAGE_POINTER if rc == 2 else ""),
       f"message for {' '.join(args)}")
    eq(out, "", "stdout")


def test_operations_bad_cgroup():
    """--cgroup with a missing path, and with a directory outside cgroup2:
    one line each naming the path and why, exit 2, no libbpf message."""
    bad_input(["--cgroup", "/nonexistent"],
              "bindwatch: --cgroup: '/nonexistent': no such cgroup v2 directory")
    bad_input(["--cgroup", "/tmp"],
              "bindwatch: --cgroup: '/tmp': not a cgroup v2 directory (give a directory under "
              "the cgroup2 mount, or a path relative to its root, as /system.slice)")


def test_operations_bad_exec():
    """--exec naming a program that is not there, or not executable: exit 2
    at start, one line (the first conflict never has to find out)."""
    bad_input(["--exec", "/nonexistent --flag"],
              "bindwatch: --exec: '/nonexistent': no such program")
    bad_input(["--exec", "no-such-bindwatch-hook"],
              "bindwatch: --exec: 'no-such-bindwatch-hook': no such program")
    bad_input(["--exec", "/etc/passwd"], "bindwatch: --exec: '/etc/passwd': not an executable file")
    bad_input(["--exec", "/tmp"], "bindwatch: --exec: '/tmp': not an executable file")


def test_operations_log_link():
    """--log on a symbolic link: refused, saying links are refused (issue 9's
    check, here with its exit status and its one line)."""
    with tempfile.TemporaryDirectory() as d:
        target, link = os.path.join(d, "target"), os.path.join(d, "link")
        os.symlink(target, link)
        bad_input(["--log", link], f"bindwatch: --log: cannot use '{link}': a symbolic link "
                  "(links are refused)", rc=1)
        check(not os.path.exists(target), "the link's target was created")


def scrape_errors(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=RECORD_TIMEOUT) as r:
        text = r.read().decode()
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r'^bindwatch_output_errors_total\{sink="(\w+)"\} (\d+)$', text, re.M)}


def test_operations_syslog_missing(monitor):
    """--syslog without /dev/log: one warning at start; each record that
    cannot be sent counts in bindwatch_output_errors_total{sink="syslog"};
    once a syslog daemon is there, records reach it and that is said once."""
    if os.path.exists("/dev/log"):
        pytest.skip("/dev/log exists: the test plays a syslog daemon that is not there yet")
    mport = free_port()
    bw = monitor("--syslog", "--metrics", str(mport))
    err_at_start = bw.err.text()
    warnings = err_at_start.count("cannot reach the system log at /dev/log")
    eq(warnings, 1, f"warnings at start: {err_at_start!r}")
    eq(scrape_errors(mport), {"stdout": 0, "log": 0, "syslog": 0}, "errors before records")
    recs = [bind_conflict(bw)[0] for _ in range(3)]
    eq(scrape_errors(mport), {"stdout": 0, "log": 0, "syslog": len(recs)},
       "errors after 3 records with no /dev/log")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as log:
        log.bind("/dev/log")
        log.settimeout(RECORD_TIMEOUT)
        try:
            rec = bind_conflict(bw)[0]
            message = log.recv(65536).decode("utf-8", "replace")
        finally:
            os.unlink("/dev/log")
    check(f"127.0.0.1:{rec['port']} by " in message, f"syslog message {message!r}")
    check(message.startswith(f"<{(3 << 3) | 4}>"), f"priority of {message!r}")
    eq(scrape_errors(mport)["syslog"], len(recs), "errors once /dev/log was there")
    rc, err = bw.stop()
    eq(rc, 0, f"exit status (stderr {err!r})")
    eq(err.count("/dev/log"), 2, f"syslog reports (one failing, one working again) in {err!r}")
    check("sending records to the system log at /dev/log again" in err, f"recovery in {err!r}")


def test_operations_plurals():
    """One rule, one record: singular."""
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        path = os.path.join(d, "policy.yaml")
        with open(path, "w") as f:
            f.write(reclaim_rule(8080))
        rc, out, err = run_to_exit(bindwatch_argv("check-policy", path))
        eq((rc, out), (0, f"{path}: valid, 1 rule\n"), f"check-policy (stderr {err!r})")
    with start_bindwatch("--port", "1") as bw:
        rc, err = bw.stop()
    check(re.search(r"^bindwatch: 0 records, 0 lost$", err, re.M), f"summary in {err!r}")


def shell_word(arg):
    """arg as bindwatch quotes it (a shell reads it back as arg)."""
    if arg and re.fullmatch(r"[A-Za-z0-9%+,./:=@_-]+", arg):
        return arg
    return "'" + arg.replace("'", "'\\''") + "'"


def text_cmd(argv):
    """The cmd="..." field of a text record for argv."""
    line = " ".join(shell_word(a) for a in argv)
    check(shlex.split(line) == list(argv), f"the test's quoting of {argv!r}: {line!r}")
    return 'cmd="' + line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_operations_argv_exact():
    """A requester whose argv holds an empty argument, a space, quotes and a
    control character, against a holder whose argv holds a Python program
    and JSON: JSON argv gives them exactly (cmdline still joins them); the
    text record quotes them as a shell would, control bytes escaped."""
    args = ("", "daemon off;", "it's \"q\"", "tab\there", "end")
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "log")
        with Holder(socket_spec(listen=8)) as holder, Requester(args=args) as req:
            bw = start_bindwatch("--port", str(holder.port), "--log", log, json_output=False)
            with bw:
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=holder.port)
                line = bw.wait_line(lambda l: f":{holder.port} by ".encode() in l).decode()
                rc, err = bw.stop()
            with open(log, encoding="utf-8") as f:
                recs = [json.loads(l) for l in f]
    eq(rc, 0, f"exit status (stderr {err!r})")
    eq(len(recs), 1, "records in the log")
    rec = recs[0]
    r, h = rec["requester"], rec["holders"][0]
    eq(r["argv"], req.argv, "requester.argv")
    eq(r["cmdline"], " ".join(req.argv), "requester.cmdline")
    eq(h["argv"], holder.argv, "holders[0].argv")
    eq(rec["requester"]["cmdline_truncated"], False, "cmdline_truncated")
    want = text_cmd(req.argv).replace("\t", "\\x09")
    check(want in line, f"text record {line!r} lacks {want!r}")
    check(re.search(r"^bindwatch: 1 record, 0 lost$", err, re.M), f"summary in {err!r}")


def test_operations_argv_truncated(make_holder, make_requester, monitor):
    """--cmdline-max caps argv and cmdline alike (the first 64 bytes of
    the arguments), and says so."""
    args = ("x" * 40, "", "y y" * 20)
    holder, req = make_holder(socket_spec(listen=8)), make_requester(args=args)
    bw = monitor("--port", str(holder.port), "--cmdline-max", "64")
    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
             addr="127.0.0.1", port=holder.port)
    rec = bw.wait_record(for_port(holder.port))
    r = rec["requester"]
    eq(r["cmdline_truncated"], True, "cmdline_truncated")
    # a cut that ends an argument keeps no empty one after it
    joined = "\0".join(req.argv).encode()[:64].rstrip(b"\0")
    eq("\0".join(r["argv"]).encode(), joined, "argv: the first 64 bytes of the arguments")
    eq(r["cmdline"].encode(), joined.replace(b"\0", b" "), "cmdline: the same bytes")


# ------------------------------------------------------------ capabilities

def tracefs_mounted():
    out = subprocess.run(["stat", "-f", "-c", "%T", "/sys/kernel/tracing"],
                         capture_output=True, text=True)
    return out.stdout.strip() == "tracefs"


def caps_of(pid):
    """{"CapEff": set of capability numbers, ...} of process pid."""
    sets = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
                bits = int(value, 16)
                sets[key] = {i for i in range(64) if bits >> i & 1}
    return sets


class CapsBindwatch(Bindwatch):
    """A monitor run through prefix (setpriv ...)."""

    def __init__(self, prefix, *args):
        argv = [*prefix, *bindwatch_argv(*args, "--json")]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = harness.LineReader(self.proc.stdout)
        self.err = harness.LineReader(self.proc.stderr)
        self.mode, self.seen = None, []


class LockDir:
    """/run/bindwatch owned by uid 65534 (RuntimeDirectory= in the service),
    removed afterwards if the test made it."""

    def __enter__(self):
        self.made = not os.path.exists(LOCK_DIR)
        if self.made:
            os.mkdir(LOCK_DIR, 0o755)
        self.owner = os.stat(LOCK_DIR).st_uid
        os.chown(LOCK_DIR, NOBODY_UID, NOBODY_UID)
        return self

    def __exit__(self, *exc):
        lock = os.path.join(LOCK_DIR, "bindwatch.lock")
        if os.path.exists(lock):
            os.unlink(lock)
        if self.made:
            os.rmdir(LOCK_DIR)
        else:
            os.chown(LOCK_DIR, self.owner, self.owner)


def start_caps(*args, caps=CAPS):
    prefix = (*NOBODY, f"--inh-caps={caps}", f"--ambient-caps={caps}")
    bw = CapsBindwatch(prefix, *args)
    if not bw.wait_ready():
        fail(f"capability-only bindwatch exited {bw.proc.returncode}: {bw.err.text()!r}")
    return bw


def test_operations_capability_only():
    """uid 65534 with CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH and
    CAP_SYS_PTRACE (no root, tracefs mounted): the monitor starts, names
    the holder of a conflict (pid, exe, argv), keeps only
    DAC_READ_SEARCH and SYS_PTRACE once ready (no inheritable or ambient
    ones for hooks), and excludes a root monitor, and the reverse;
    `bindwatch who` works the same way."""
    if not tracefs_mounted():
        pytest.skip("tracefs is not mounted on /sys/kernel/tracing, and mounting it needs "
                    "CAP_SYS_ADMIN, which this run is meant to do without")
    with LockDir():
        with Holder(socket_spec(listen=8)) as holder:
            port = holder.port
            with start_caps("--port", str(port)) as bw:
                caps = caps_of(bw.proc.pid)
                eq(caps["CapEff"], {CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE}, "CapEff once ready")
                eq(caps["CapPrm"], {CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE}, "CapPrm once ready")
                eq((caps["CapInh"], caps["CapAmb"]), (set(), set()), "CapInh, CapAmb")
                with Requester() as req:
                    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                             addr="127.0.0.1", port=port)
                    rec = bw.wait_record(for_port(port))
                    eq(rec["requester"]["argv"], req.argv, "requester.argv")
                h = rec["holders"][0]
                eq((h["pid"], h["exe"], h["argv"]),
                   (holder.pid, os.path.realpath(PYTHON), holder.argv), "the holder named")
                # a root monitor meanwhile: refused
                rc, _, err = run_to_exit(bindwatch_argv("--port", str(port)))
                eq(rc, 1, f"a root monitor's exit status (stderr {err!r})")
                check(f"another bindwatch monitor is running (pid {bw.proc.pid}" in err,
                      f"a root monitor's refusal: {err!r}")
                # `who` with the same four capabilities
                rc, out, err = run_to_exit([*WITH_CAPS, *bindwatch_argv("who", str(port),
                                                                        "--json")])
                eq(rc, 0, f"who's exit status (stderr {err!r})")
                pids = [x["pid"] for x in json.loads(out)["holders"]]
                check(holder.pid in pids, f"who named {pids}, not {holder.pid}")
                rc, err = bw.stop()
            eq(rc, 0, f"exit status (stderr {err!r})")
            # the reverse: a root monitor runs, a capability-only one is refused
            with start_bindwatch("--port", str(port)) as root_bw:
                rc, _, err = run_to_exit([*WITH_CAPS, *bindwatch_argv("--port", str(port))])
                eq(rc, 1, f"a capability-only monitor's exit status (stderr {err!r})")
                check(f"another bindwatch monitor is running (pid {root_bw.proc.pid}" in err,
                      f"its refusal: {err!r}")


def test_operations_capability_reclaim_keeps_kill():
    """With a reclaim policy, CAP_KILL stays (and only then): a rule may
    have to signal another user's stale holder."""
    if not tracefs_mounted():
        pytest.skip("tracefs is not mounted on /sys/kernel/tracing")
    caps = CAPS + ",+kill"
    with tempfile.TemporaryDirectory() as d, LockDir():
        os.chmod(d, 0o755)
        path = os.path.join(d, "policy.yaml")
        with open(path, "w") as f:
            f.write(reclaim_rule(1))
        os.chmod(path, 0o644)
        with start_caps("--policy", path, caps=caps) as bw:
            eq(caps_of(bw.proc.pid)["CapEff"], {CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_KILL},
               "CapEff with a reclaim policy")
        with start_caps("--policy", path, "--dry-run", caps=caps) as bw:
            eq(caps_of(bw.proc.pid)["CapEff"], {CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE},
               "CapEff with --dry-run")


def test_operations_root_drops_capabilities(monitor):
    """A root monitor keeps, once ready, what it still uses: reading /proc,
    entering namespaces for holder lookup; no CAP_BPF, no CAP_KILL without
    a policy."""
    bw = monitor()
    eff = caps_of(bw.proc.pid)["CapEff"]
    eq(eff, {CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE, CAP_SYS_ADMIN}, "a root monitor's CapEff")
    rec = bind_conflict(bw)[0]  # names the requester (exe, argv) as before
    eq(len(rec["holders"]), 1, "holders named after the drop")


def test_operations_service_lock_dir():
    """A root monitor with a root-owned /run/bindwatch (the service's
    RuntimeDirectory=, where ProtectSystem=strict lets it write) locks
    there, naming its pid; a second monitor is refused, naming it too."""
    if os.path.exists(LOCK_DIR):
        pytest.skip(f"{LOCK_DIR} exists: it may be a running service's")
    os.mkdir(LOCK_DIR, 0o755)
    try:
        with start_bindwatch("--port", "1") as bw:
            with open(os.path.join(LOCK_DIR, "bindwatch.lock")) as f:
                eq(f.read(), f"{bw.proc.pid}\n", "the lock file's pid")
            rc, _, err = run_to_exit(bindwatch_argv("--port", "1"))
            eq(rc, 1, f"a second monitor's exit status (stderr {err!r})")
            check(f"another bindwatch monitor is running (pid {bw.proc.pid}" in err,
                  f"its refusal: {err!r}")
    finally:
        lock = os.path.join(LOCK_DIR, "bindwatch.lock")
        if os.path.exists(lock):
            os.unlink(lock)
        os.rmdir(LOCK_DIR)
