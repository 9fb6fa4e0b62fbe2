# test_trust_signals.py - end-to-end tests of what a hostile local user
# (nobody, through harness.NOBODY) cannot make a root bindwatch do with its
# signals (doc/security.md): a signal reaches only the process the
# decision was about, even when the holder exec()s a setuid-root program in
# the grace period; only signals delivered are recorded; and the uid a
# holder is judged by is the one its record gives and replay reads. Each
# attack has a control: nobody's own squatter is still reclaimed.
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, Requester, bindwatch_argv, check, child,
                     end_child, eq, fail, free_port, run_to_exit, running, start_bindwatch)
from test_policy import write_policy

NOBODY_UID = 65534


def build(tmp, name, mode=0o755):
    """tests/e2e/children/NAME.c compiled to tmp/NAME (root's), with mode."""
    cc = shutil.which("cc")
    if not cc:
        pytest.skip("no C compiler (cc) to build the test's child programs")
    out = os.path.join(tmp, name)
    rc, _, err = run_to_exit([cc, "-O2", "-Wall", "-o", out, child(name + ".c")])
    eq(rc, 0, f"cc {name}.c ({err.strip()})")
    os.chmod(out, mode)
    return out


def setuid_dir():
    """A temporary directory nobody may enter, where a setuid-root program works."""
    if os.statvfs(tempfile.gettempdir()).f_flag & os.ST_NOSUID:
        pytest.skip(f"{tempfile.gettempdir()} is mounted nosuid: no setuid program to exec")
    with open("/proc/self/status") as f:
        if any(line.split() == ["NoNewPrivs:", "1"] for line in f):
            pytest.skip("the tests run with no_new_privs: a setuid program gains nothing")
    tmp = tempfile.TemporaryDirectory()
    os.chmod(tmp.name, 0o755)
    return tmp


class Child:
    """A child program (argv) with its stdout read line by line; closed on exit."""

    def __init__(self, *argv):
        self.proc = subprocess.Popen(list(map(str, argv)), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def line(self):
        line = self.proc.stdout.readline().strip()
        if not line:
            fail(f"child {self.proc.args} ended: {self.proc.stderr.read()!r}")
        return line

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        end_child(self.proc)


def squatter(binary, port, mode, *args):
    """nobody's exec_on_term holding 127.0.0.1:port, in mode (see the program)."""
    c = Child(*NOBODY, binary, port, mode, *args)
    eq(c.line(), "ready", "the squatter's start")
    return c


def escalating_rule(port, exe):
    return f'''version: 1
rules:
  - name: squatter
    match:
      port: {port}
      proto: tcp
      holder: {{exe: "{exe}", uid: {NOBODY_UID}}}
    action: reclaim
    reclaim:
      signal: TERM
      grace: 2s
      escalate: KILL
'''


def uids(pid):
    """The real, effective and saved uids of process pid."""
    with open(f"/proc/{pid}/status") as f:
        line = next(l for l in f if l.startswith("Uid:"))
    return tuple(int(u) for u in line.split()[1:4])


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def reclaim_by_nobody(policy, port):
    """bindwatch with policy; nobody fails a bind on port: the record with its action."""
    with start_bindwatch("--policy", policy) as bw, Requester(prefix=NOBODY) as req:
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                 port=port)
        rec = bw.wait_record(lambda r: r.get("port") == port and "action" in r)
        return rec, bw.seen[-1]


# ---------------------------------------------------------------- item 1: every signal re-checked

def test_trust_no_kill_after_setuid_exec():
    """nobody's squatter, reclaimed at nobody's request with TERM then KILL,
    exec()s a setuid-root program in the grace period (keeping the socket):
    that program becomes root through and through, and the escalation, which
    nobody could never send it, is not sent. The record says failed, why
    names the holder and what changed, and lists TERM only."""
    with setuid_dir() as tmp:
        holder_bin = build(tmp, "exec_on_term")
        root_bin = build(tmp, "setuid_hold", 0o4755)
        port = free_port()
        policy = write_policy(tmp, escalating_rule(port, holder_bin))
        with squatter(holder_bin, port, "exec", root_bin) as h:
            rec, _ = reclaim_by_nobody(policy, port)
            got = h.line()  # from the setuid program, after TERM
            if got != "uids 0 0 0":
                pytest.skip(f"the setuid-root program did not become root here: {got!r}")
            action = rec["action"]
            eq((action["rule"], action["result"]), ("squatter", "failed"), f"action {action}")
            eq(action["signals"], ["TERM"], "signals delivered")
            eq(action["pids"], [h.pid], "the reclaim's target")
            why = action["why"]
            for part in (f"holder {h.pid} is not the process the decision was about",
                         "it exec'd another program (its executable changed)",
                         "its uids (real, effective, saved) 65534, 65534, 65534 are now 0, 0, 0",
                         "SIGKILL was sent to no holder"):
                check(part in why, f"why lacks {part!r}: {why!r}")
            time.sleep(0.5)  # a SIGKILL sent would have landed by now
            check(running(h.pid), "the setuid-root program was killed")
            eq(uids(h.pid), (0, 0, 0), "its uids")
            eq(os.readlink(f"/proc/{h.pid}/exe"), root_bin, "what it runs")
            check(not port_free(port), "the port is free: its holder was killed")
            print(f"    why: {why}")


def test_trust_own_squatter_still_killed():
    """The control: the same squatter ignoring TERM without exec()ing
    anything is still reclaimed at nobody's request: KILL after the grace
    period, the port free."""
    with setuid_dir() as tmp:
        holder_bin = build(tmp, "exec_on_term")
        port = free_port()
        policy = write_policy(tmp, escalating_rule(port, holder_bin))
        with squatter(holder_bin, port, "ignore") as h:
            rec, _ = reclaim_by_nobody(policy, port)
            action = rec["action"]
            eq((action["result"], action["signals"], action["pids"]),
               ("reclaimed", ["TERM", "KILL"], [h.pid]), f"action {action}")
            eq(h.proc.wait(RECORD_TIMEOUT), -signal.SIGKILL, "how the squatter ended")
            check(port_free(port), "the port is still held")


def test_trust_signal_to_nobody_not_recorded():
    """A squatter that hands its socket to a child and exits on TERM is gone
    at the escalation: no KILL goes to anyone, and none is recorded (the
    record lists only signals delivered). The child, never diagnosed, is
    not signalled either."""
    with setuid_dir() as tmp:
        holder_bin = build(tmp, "exec_on_term")
        port = free_port()
        policy = write_policy(tmp, escalating_rule(port, holder_bin))
        with squatter(holder_bin, port, "fork-exit") as h:
            rec, _ = reclaim_by_nobody(policy, port)
            words = h.line().split()
            eq(words[0], "child", "the squatter's child")
            child = int(words[1])
            action = rec["action"]
            eq((action["result"], action["signals"], action["pids"]),
               ("timeout", ["TERM"], [h.pid]), f"action {action}")
            check(running(child), "the child holding the socket was signalled")
            eq(h.proc.wait(RECORD_TIMEOUT), 0, "the squatter's own exit")


# ---------------------------------------------------------------- item 8: the uid that acts

def may_signal_as_nobody(pid):
    """Whether kill(2) lets nobody signal process pid (signal 0 sends nothing)."""
    rc, _, _ = run_to_exit([*NOBODY, "kill", "-0", str(pid)])
    return rc == 0


def replayed(policy, tmp, line):
    """check-policy --replay --json of the one record line: its answer."""
    log = os.path.join(tmp, "bindwatch.log")
    with open(log, "wb") as f:
        f.write(line + b"\n")
    rc, out, err = run_to_exit(bindwatch_argv("check-policy", policy, "--replay", log, "--json"))
    eq(rc, 0, f"check-policy --replay ({err.strip()})")
    answer, summary = (json.loads(l) for l in out.splitlines())  # one conflict, then the summary
    check("summary" in summary, f"the last line is not the summary: {summary!r}")
    return answer


def decided_and_replayed(ruid, euid, suid):
    """A root server changes users to (ruid, euid, suid) after binding; nobody
    fails a bind on its port under a reclaim rule. (record, replay answer,
    whether kill(2) let nobody signal the server, whether it still runs)."""
    with tempfile.TemporaryDirectory() as tmp, \
            Child(PYTHON, child("drop_after_bind.py"), ruid, euid, suid) as srv:
        words = srv.line().split()
        eq(words[0], "ready", "the server's start")
        port = int(words[1])
        eq(uids(srv.pid), (ruid, euid, suid), "the server's uids")
        nobody_may = may_signal_as_nobody(srv.pid)
        policy = write_policy(tmp, f'''version: 1
rules:
  - name: worker
    match:
      port: {port}
      holder: {{cmdline: "drop_after_bind"}}
    action: reclaim
    reclaim: {{grace: 2s}}
''')
        rec, line = reclaim_by_nobody(policy, port)
        answer = replayed(policy, tmp, line)
        time.sleep(0.5)  # a signal sent would have landed by now
        return rec, answer, nobody_may, running(srv.pid)


def check_agree(rec, answer, uid):
    """The live decision, the record and the replay agree: on the holder's
    uid (the process's real uid) and on the outcome."""
    h = rec["holders"][0]
    eq(h["uid"], 0, "holders[0].uid, the socket's owner (root bound it)")
    eq(answer["holder"]["uid"], uid, "the uid replay judged the holder by")
    live, again = rec["action"], answer["decision"]
    eq(again["result"], {"reclaimed": "would-reclaim"}.get(live["result"], live["result"]),
       f"replay's result ({again}) against the monitor's ({live})")
    if live["result"] != "reclaimed":
        eq(again["why"], live["why"], "replay's why against the monitor's")


def test_trust_uid_judged_is_the_real_one():
    """A root server acting as nobody for a while (setresuid(0, 65534, 0)):
    kill(2) would not let nobody signal it, and neither does bindwatch at
    nobody's request: protected, naming uid 0. The record gives the socket's
    owner (0) and the process's uids (0, 65534, 0); replaying it decides the
    same, for the same reason."""
    rec, answer, nobody_may, alive = decided_and_replayed(0, NOBODY_UID, 0)
    check(not nobody_may, "kill(2) let nobody signal root's process")
    h = rec["holders"][0]
    eq((h["ruid"], h["euid"], h["suid"]), (0, NOBODY_UID, 0), "holders[0].ruid, euid, suid")
    eq(rec["action"]["result"], "protected", f"action {rec['action']}")
    check(rec["action"]["why"].startswith(
        f"the holder runs as uid 0 and the requester as uid {NOBODY_UID}"),
        f"why: {rec['action']['why']!r}")
    check_agree(rec, answer, 0)
    check(alive, "root's server was signalled")


def test_trust_uid_judged_dropped_worker():
    """The control: a server root started that dropped to nobody for good
    (setresuid(65534, 65534, 65534), as nginx's workers) is nobody's, which
    kill(2) agrees with: reclaimed at nobody's request. Its record says so
    (socket owner 0, process uids 65534) and replay agrees: would-reclaim."""
    rec, answer, nobody_may, alive = decided_and_replayed(NOBODY_UID, NOBODY_UID, NOBODY_UID)
    check(nobody_may, "kill(2) did not let nobody signal its own process")
    eq(rec["action"]["result"], "reclaimed", f"action {rec['action']}")
    check_agree(rec, answer, NOBODY_UID)
    h = rec["holders"][0]
    eq((h["ruid"], h["euid"], h["suid"]), (NOBODY_UID,) * 3, "holders[0].ruid, euid, suid")
    check(not alive, "the server still runs")
