# test_trust_sinks.py - end-to-end tests of what a hostile local user (nobody,
# through harness.NOBODY) cannot make a root bindwatch do: see
# doc/security.md.  Here, through what bindwatch writes and runs: the --log
# file, alert hooks, the metrics endpoint, and text and syslog records.
import json
import os
import queue
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, Requester, bindwatch_argv, check, child, eq,
                     fail, free_port, hold, run_to_exit, start_bindwatch)

NOBODY_UID = 65534


def sticky_dir(tmp):
    """A directory like /tmp (world-writable, sticky) inside tmp."""
    os.chmod(tmp, 0o755)
    path = os.path.join(tmp, "shared")
    os.mkdir(path)
    os.chmod(path, 0o1777)
    return path


def as_nobody(*argv):
    rc, out, err = run_to_exit([*NOBODY, *argv])
    eq(rc, 0, f"{argv} as nobody (stderr {err!r})")
    return out


def stderr_line(bw, pattern, timeout=RECORD_TIMEOUT):
    """The first stderr line of bw matching the regular expression pattern."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = bw.err.next(deadline)
        except queue.Empty:
            fail(f"no stderr line matching {pattern!r} within {timeout}s: {bw.err.lines!r}")
        if line is None:
            fail(f"bindwatch exited; no stderr line matching {pattern!r}: {bw.err.lines!r}")
        text = line.decode("utf-8", "replace")
        if re.search(pattern, text):
            return text


def refused_log(path, why):
    """bindwatch --log path exits 1 at once, naming path and why."""
    start = time.monotonic()
    rc, _, stderr = run_to_exit(bindwatch_argv("--log", path))
    elapsed = time.monotonic() - start
    eq(rc, 1, f"exit code of --log {path} (stderr {stderr!r})")
    check(path in stderr and why in stderr, f"stderr does not name {path} and {why!r}: {stderr!r}")
    print(f"  --log {os.path.basename(path)} refused in {elapsed:.3f}s: {stderr.strip()}")


# ---------------------------------------------------------------- --log

def test_log_fifo_refused_at_start():
    """A FIFO that nobody put at the --log path (no reader) is refused at
    once, not waited on for ever."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(sticky_dir(tmp), "bindwatch.log")
        as_nobody("mkfifo", path)
        refused_log(path, "a FIFO, not a regular file")


def test_log_foreign_file_refused():
    """A log file nobody pre-created with mode 0666 is refused (and left as
    it was); so is a file of root's that others may write."""
    with tempfile.TemporaryDirectory() as tmp:
        shared = sticky_dir(tmp)
        path = os.path.join(shared, "bindwatch.log")
        as_nobody(PYTHON, child("world_writable.py"), path)
        eq(os.stat(path).st_mode & 0o777, 0o666, "mode of nobody's file")
        refused_log(path, f"owned by uid {NOBODY_UID}")
        with open(path) as f:
            eq(f.read(), "x", "content of nobody's file")
        loose = os.path.join(shared, "loose.log")
        with open(loose, "w"):
            pass
        os.chmod(loose, 0o664)
        refused_log(loose, "writable by group or others (chmod go-w)")


def test_log_fifo_refused_at_reopen():
    """logrotate renames the log; nobody puts a FIFO at the path in the
    sticky directory and keeps it open for reading; at SIGHUP bindwatch
    refuses it at once, says so, and goes on writing to the old file."""
    with tempfile.TemporaryDirectory() as tmp:
        shared = sticky_dir(tmp)
        path, rotated = os.path.join(shared, "bindwatch.log"), os.path.join(shared, "old.log")
        holder, port = hold("ipv4", "tcp", "127.0.0.1")
        with holder, start_bindwatch("--log", path, "--port", str(port)) as bw, \
                Requester(prefix=NOBODY) as req:
            req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                     port=port)
            first = bw.wait_record(lambda r: r.get("port") == port)
            os.rename(path, rotated)
            as_nobody("mkfifo", "-m", "0666", path)
            # a reader, so that opening the FIFO for writing would succeed
            reader = subprocess.Popen([*NOBODY, PYTHON, child("fifo_reader.py"), path],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            try:
                eq(reader.stdout.readline(), b"open\n", "the FIFO reader's start")
                start = time.monotonic()
                bw.proc.send_signal(signal.SIGHUP)
                line = stderr_line(bw, "at reopen")
                elapsed = time.monotonic() - start
                check(path in line and "FIFO" in line and "still writing to the old file" in line,
                      f"reopen message: {line!r}")
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=port)
                second = bw.wait_record(lambda r: r.get("port") == port)
            finally:
                reader.stdin.close()
                got = reader.stdout.read().decode().strip()
                reader.wait()
            eq(got, "0", "bytes the FIFO's reader got")
            bw.stop()
        with open(rotated) as f:
            logged = [json.loads(line) for line in f]
        eq([r for r in logged if r.get("port") == port], [first, second],
           "records in the old (renamed) log")
        print(f"  FIFO refused {elapsed:.3f}s after SIGHUP: {line.strip()}")


# ---------------------------------------------------------------- hooks

def wait_for(predicate, what, timeout=RECORD_TIMEOUT):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            fail(f"{what} within {timeout}s")
        time.sleep(0.05)
    return time.monotonic()


def hook_runs(out, uid):
    return [n for n in os.listdir(out) if n.startswith(f"{uid}.")]


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=RECORD_TIMEOUT) as r:
        return r.read().decode()


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    fail(f"no {name} in {text!r}")


def test_hook_queue_fair_to_other_users():
    """nobody makes NOISE conflicts while the hook (2 s, --exec-max 4) is
    slow; then root makes one: root's hook runs at once (nobody holds only
    half the slots), and the hooks the full queue could not take are
    counted exactly, in hooks_dropped records and the metric."""
    noise = 120
    with tempfile.TemporaryDirectory() as tmp:
        script, out = child("queue_hook.py"), os.path.join(tmp, "out")
        os.mkdir(out)
        holder, port = hold("ipv4", "tcp", "127.0.0.1")
        mport = free_port()
        # --rate-limit 0, --exec-interval 0: the queue itself is under test, not the
        # record budget nor the one alert per incident
        with holder, start_bindwatch("--exec", f"{PYTHON} {script} {out}", "--exec-max", "4",
                                     "--exec-interval", "0",
                                     "--window", "0", "--rate-limit", "0", "--port", str(port),
                                     "--metrics", str(mport)) as bw:
            with Requester(prefix=NOBODY) as noisy:
                for _ in range(noise):
                    noisy.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                               addr="127.0.0.1", port=port)
            wait_for(lambda: len(hook_runs(out, NOBODY_UID)) >= 2, "no noise hook ran")
            with Requester() as real:
                start = time.monotonic()
                real.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                          addr="127.0.0.1", port=port)
                ran = wait_for(lambda: hook_runs(out, 0), "root's hook did not run")
            noise_ran_then = len(hook_runs(out, NOBODY_UID))
            # a tick writes the drop count
            wait_for(lambda: any(r.get("event") == "hooks_dropped"
                                           for r in map(json.loads, bw.out.lines)),
                               "no hooks_dropped record")
            metric_dropped = metric(scrape(mport), "bindwatch_hooks_dropped_total")
            rc, stderr = bw.stop()
        eq(rc, 0, f"exit code (stderr {stderr!r})")
        records = bw.records()
        noise_ran = len(hook_runs(out, NOBODY_UID))
    conflicts = [r for r in records if r.get("port") == port and r["event"] == "conflict"]
    eq(len([r for r in conflicts if r["requester"]["uid"] == NOBODY_UID]), noise,
       "noise conflict records")
    drops = sum(r["count"] for r in records if r["event"] == "hooks_dropped")
    m = re.search(r"(\d+) queued hooks not run", stderr)
    not_run = int(m.group(1)) if m else 0
    eq(noise_ran + drops + not_run, noise,
       f"noise hooks run ({noise_ran}) + dropped ({drops}) + queued at exit ({not_run})")
    check(drops > 0, "the queue never filled: the test shows nothing")
    eq(metric_dropped, float(drops), "bindwatch_hooks_dropped_total")
    print(f"  root's hook ran {ran - start:.2f}s after its conflict, when {noise_ran_then} of "
          f"{noise} noise hooks had run; {drops} dropped, {not_run} queued at exit")


# ---------------------------------------------------------------- metrics

def test_metrics_survive_slowloris():
    """nobody opens 100 slow connections from 127.0.0.2; the per-address
    limit keeps all but a few out, and a scrape from 127.0.0.1 is served."""
    slow = 100
    mport = free_port()
    with start_bindwatch("--metrics", f"0.0.0.0:{mport}") as bw:
        loris = subprocess.Popen([*NOBODY, PYTHON, child("slowloris.py"), str(mport), str(slow)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            line = loris.stdout.readline()
            if not line:
                fail(f"slowloris did not start: exit status {loris.wait()}")
            alive = json.loads(line)["alive"]
            time.sleep(4)  # past a header line and the idle timeout
            timings = []
            for _ in range(3):
                start = time.monotonic()
                body = scrape(mport)
                timings.append(time.monotonic() - start)
                check("bindwatch_info" in body, f"scrape body: {body!r}")
            loris.stdin.close()
            later = json.loads(loris.stdout.readline())["alive"]
        finally:
            if not loris.stdin.closed:
                loris.stdin.close()
            loris.wait()
        bw.stop()
    check(alive <= 4, f"{alive} of {slow} slow connections from one address were kept")
    check(max(timings) < 2, f"scrapes took {timings}")
    print(f"  {alive} of {slow} slow connections kept ({later} after 4 s of trickling); "
          f"scrapes from another address took {', '.join(f'{t * 1000:.0f} ms' for t in timings)}")


# ---------------------------------------------------------------- text and syslog

FORGED = "sshd[1] uid=0 "
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
LSEP = "\u2028"  # LINE SEPARATOR


def text_line(bw, pid):
    return bw.wait_line(lambda line: f"[{pid}] uid={NOBODY_UID}".encode() in line).decode()


def test_text_quotes_forged_comm():
    """A comm of "sshd[1] uid=0 " prints quoted, so the line names the real
    pid and uid; a U+202E or U+2028 in a comm prints as \\x escapes, in
    text and (as \\u escapes) in JSON."""
    holder, port = hold("ipv4", "tcp", "127.0.0.1")
    op = dict(op="bind", family="ipv4", proto="tcp", addr="127.0.0.1", port=port)
    with holder:
        with start_bindwatch("--port", str(port), json_output=False) as bw:
            with Requester(FORGED, prefix=NOBODY) as forger:
                forger.call("EADDRINUSE", **op)
                forged = text_line(bw, forger.pid)
            with Requester(f"ev{RLO}gpj{LSEP}x", prefix=NOBODY) as bidi:
                bidi.call("EADDRINUSE", **op)
                line = text_line(bw, bidi.pid)
        with start_bindwatch("--port", str(port)) as bw, \
                Requester(f"a{RLO}b{LSEP}", prefix=NOBODY) as req:
            req.call("EADDRINUSE", **op)
            bw.wait_record(lambda r: r.get("port") == port)
            raw = bw.seen[-1].decode()
    check(f' by "{FORGED}"[{forger.pid}] uid={NOBODY_UID}' in forged, f"text line: {forged!r}")
    check(RLO not in line and LSEP not in line, f"raw U+202E/U+2028 in {line!r}")
    check(f' by "ev\\xe2\\x80\\xaegpj\\xe2\\x80\\xa8x"[{bidi.pid}]' in line,
          f"text line: {line!r}")
    check('"comm":"a\\u202eb\\u2028"' in raw, f"JSON line: {raw!r}")
    print(f"  text: {forged.split(' by ', 1)[1][:40]!r}, {line.split(' by ', 1)[1][:40]!r}")


def test_syslog_escapes_comm():
    """--syslog gets the same quoted, escaped comm as the text line.  The
    test plays the syslog daemon on /dev/log (skipped if one runs)."""
    if os.path.exists("/dev/log"):
        pytest.skip("/dev/log exists: a real syslog daemon would get the test's messages")
    holder, port = hold("ipv4", "tcp", "127.0.0.1")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as log:
        log.bind("/dev/log")
        log.settimeout(RECORD_TIMEOUT)
        try:
            with holder, start_bindwatch("--syslog", "--port", str(port)) as bw, \
                    Requester(f"x]{RLO} uid=0", prefix=NOBODY) as req:
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=port)
                bw.wait_record(lambda r: r.get("port") == port)
                while True:
                    try:
                        message = log.recv(65536)
                    except socket.timeout:
                        fail(f"no syslog message for port {port}")
                    if f":{port} by ".encode() in message:
                        break
        finally:
            os.unlink("/dev/log")
    check(RLO.encode() not in message, f"raw U+202E in {message!r}")
    want = f' by "x]\\xe2\\x80\\xae uid=0"[{req.pid}] uid={NOBODY_UID}'.encode()
    check(want in message, f"syslog message {message!r} lacks {want!r}")
    print(f"  syslog: {message.split(b' by ', 1)[1][:60]!r}")
