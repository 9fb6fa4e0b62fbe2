# test_policy.py - end-to-end tests of --policy: the classic stale server
# reclaimed for the API that needs its port, and every safety rule: dry-run,
# the protect list, PID 1, cooldown, escalation, a holder that leaves by
# itself, check-policy and reloading on SIGHUP (one file per reload, even
# while the file is swapped under it).
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from test_options import samples, scrape
from harness import (PYTHON, RECORD_TIMEOUT, StdinChild, bindwatch_argv, check, child, end_child,
                     eq, fail, free_port, run_to_exit, running, socket_spec, start_bindwatch)

# The rule of these tests names the stale server by its command line.
STALE_CMDLINE = "stale_server"


class Proc:
    """A child python3 program (children/NAME, args) whose stdout lines can be read."""

    def __init__(self, name, *args):
        self.proc = subprocess.Popen([PYTHON, child(name), *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def line(self):
        line = self.proc.stdout.readline()
        if not line:
            fail(f"child {self.proc.args[1:]} ended: {self.proc.stderr.read()!r}")
        return line.split()

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.alive():
            self.proc.terminate()
        end_child(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def stale(port, behaviour="plain"):
    """children/stale_server.py on port (see there for behaviour), ready."""
    p = Proc("stale_server.py", port, behaviour)
    eq(p.line(), ["ready"], "stale server start")
    return p


def write_policy(tmp, text, mode=0o600):
    path = os.path.join(tmp, "policy.yaml")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def reclaim_rule(port, extra="", name="stale-squatter", holder=f'cmdline: "{STALE_CMDLINE}"'):
    return f'''version: 1
rules:
  - name: {name}
    match:
      port: {port}
      proto: tcp
      holder:
        {holder}
    action: reclaim
    reclaim:
{extra or "      grace: 3s"}
'''


def fail_bind(port):
    """One bind() of 127.0.0.1:port, which must fail with EADDRINUSE."""
    rc, _, err = run_to_exit([PYTHON, child("bind_once.py"), str(port), "127.0.0.1"])
    eq(rc, 0, f"bind of port {port} should fail with EADDRINUSE ({err.strip()})")


def conflict_on(bw, port):
    """Make one failing bind on port; return bindwatch's record for it."""
    fail_bind(port)
    return bw.wait_record(lambda r: r.get("event") == "conflict" and r.get("port") == port)


def gone(p, timeout=RECORD_TIMEOUT):
    try:
        p.proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def test_policy_classic_stale_server():
    """The classic case: a stale server squats the API's port; the API
    fails with EADDRINUSE; bindwatch terminates the squatter; the API's
    retry binds and answers. A holder on a port no rule names is left alone
    and its conflict logged."""
    port, other = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp, stale(port) as squatter, stale(other) as bystander:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            fail("the stale server did not answer 503")
        except urllib.error.HTTPError as e:
            eq((e.code, e.read()), (503, b"Stale process"), "the stale server's answer")
        policy = write_policy(tmp, reclaim_rule(port))
        metrics = free_port()
        with start_bindwatch("--policy", policy, "--metrics", str(metrics)) as bw, \
                Proc("api_server.py", port) as api:
            rec = bw.wait_record(lambda r: r.get("port") == port and "action" in r)
            action = rec["action"]
            eq((action["rule"], action["type"], action["result"]),
               ("stale-squatter", "reclaim", "reclaimed"), f"action {action}")
            eq(action["signals"], ["TERM"], "signals sent")
            eq(action["pids"], [squatter.pid], "pids signalled")
            eq(rec["holders"][0]["pid"], squatter.pid, "holder named")
            check(isinstance(action["freed_after_ms"], int), f"freed_after_ms {action}")
            check(gone(squatter), "the squatter is still running")
            words = api.line()
            eq(words[0], "bound", "API start")
            check(int(words[1]) >= 1, "the API never failed to bind: nothing was tested")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                eq(r.read(), b"API OK", "the API's answer")
            # the bystander's port: logged, not touched
            rec = conflict_on(bw, other)
            check("action" not in rec, f"a rule acted on port {other}: {rec.get('action')}")
            eq(rec["holders"][0]["pid"], bystander.pid, "bystander named as holder")
            time.sleep(0.5)
            check(bystander.alive(), "the bystander was signalled")
            _, body = scrape(metrics)
            eq(samples(body).get('bindwatch_reclaims_total{result="reclaimed"}'), 1.0,
               "reclaims in /metrics")


def reclaim_once(port, policy_text, *args):
    """bindwatch with policy_text and args; one failing bind on port; the
    conflict record (written once any reclaim has ended)."""
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, policy_text)
        with start_bindwatch("--policy", policy, *args) as bw:
            return conflict_on(bw, port)


def test_policy_forked_holders(make_holder):
    """Every process sharing the matched socket after fork() is signalled."""
    h = make_holder(socket_spec(listen=8), fork=True)
    rec = reclaim_once(h.port, reclaim_rule(h.port, holder=f"comm: {h.comm}"))
    action = rec["action"]
    eq((action["result"], sorted(action["pids"])), ("reclaimed", sorted([h.pid, h.child])),
       f"action {action}")
    for pid in (h.pid, h.child):
        check(not running(pid), f"holder process {pid} still running")


def test_policy_every_sharer_must_match():
    """A rule matched on the main holder (children/shared_listener.py, by its
    command line) does not reach a process sharing the socket that the rule
    does not describe (the sleep(1) it forked): protected, nobody signalled."""
    port = free_port()
    with Proc("shared_listener.py", port) as parent:
        eq(parent.line(), ["ready"], "shared listener start")
        rec = reclaim_once(port, reclaim_rule(port, holder='cmdline: "shared_listener"'))
        pids = sorted(h["pid"] for h in rec["holders"])
        eq(len(pids), 2, f"holders {rec['holders']}")
        eq(rec["holders"][0]["pid"], parent.pid, "main holder")
        action = rec["action"]
        eq((action["result"], action["signals"]), ("protected", []), f"action {action}")
        check("does not match the rule" in action["why"], f"why: {action['why']!r}")
        check(all(running(pid) for pid in pids), "a holder was signalled")
        os.kill(pids[1], signal.SIGKILL)


def test_policy_dry_run():
    """--dry-run decides and records, and signals nothing."""
    port = free_port()
    with stale(port) as squatter:
        rec = reclaim_once(port, reclaim_rule(port), "--dry-run")
        action = rec["action"]
        eq(action["result"], "dry-run", f"action {action}")
        eq((action["signals"], action["pids"]), (["TERM"], [squatter.pid]),
           "the signal and process it would use")
        time.sleep(0.3)
        check(squatter.alive(), "the squatter was signalled in a dry run")


def test_policy_protect_list():
    """A holder on the protect list is never signalled, whatever a rule says."""
    port = free_port()
    text = reclaim_rule(port).replace("rules:", f'protect:\n  exe: ["{os.path.realpath(PYTHON)}*"]\nrules:', 1)
    with stale(port) as squatter:
        rec = reclaim_once(port, text)
        eq((rec["action"]["result"], rec["action"]["signals"]), ("protected", []),
           f"action {rec['action']}")
        eq(rec["action"]["why"], "the holder is on the protect list (protect.exe "
           f'"{os.path.realpath(PYTHON)}*")', "why, naming the protect entry")
        time.sleep(0.3)
        check(squatter.alive(), "a protected holder was signalled")


def pid1_port():
    """A TCP port PID 1 listens on, as bindwatch who sees it, or None."""
    with open("/proc/net/tcp") as f:
        ports = {int(l.split()[1].split(":")[1], 16) for l in list(f)[1:] if l.split()[3] == "0A"}
    for port in sorted(ports):
        rc, out, _ = run_to_exit(bindwatch_argv("who", f"{port}/tcp", "--json"))
        if rc == 0 and any(h.get("pid") == 1 for h in json.loads(out)["holders"]):
            return port
    return None


def test_policy_pid1_refused():
    """A socket PID 1 holds is never reclaimed, whatever a rule says. Run
    with --dry-run, so a broken guard would show as "dry-run" and still
    signal nothing."""
    port = pid1_port()
    if port is None:
        pytest.skip("PID 1 holds no TCP listener that bindwatch who can see on this machine")
    rec = reclaim_once(port, reclaim_rule(port, holder="uid: 0"), "--dry-run")
    eq(rec["holders"][0]["pid"], 1, "holder of the port")
    eq((rec["action"]["result"], rec["action"]["signals"]), ("protected", []),
       f"action {rec['action']}")
    check("PID 1" in rec["action"]["why"], f"why: {rec['action']['why']!r}")


def test_policy_cooldown():
    """A holder restarted at once (as a service manager would) is not
    reclaimed again within the cooldown."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, reclaim_rule(port, "      grace: 3s\n      cooldown: 60s"))
        with start_bindwatch("--policy", policy) as bw:
            with stale(port) as first:
                rec = conflict_on(bw, port)
                eq(rec["action"]["result"], "reclaimed", f"first action {rec['action']}")
                check(gone(first), "the first squatter is still running")
            with stale(port) as again:
                rec = conflict_on(bw, port)
                eq((rec["action"]["result"], rec["action"]["signals"]), ("cooldown", []),
                   f"second action {rec['action']}")
                eq(rec["action"]["why"], "the same holder was reclaimed within the rule's "
                   "cooldown", "a real reclaim's cooldown")
                time.sleep(0.3)
                check(again.alive(), "the restarted holder was signalled within the cooldown")


def test_policy_dry_run_cooldown():
    """Under --dry-run the next conflict with the same holder waits for the
    cooldown as a real one would, and says that the reclaim it waits for
    was a dry-run: nothing was signalled."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, reclaim_rule(port, "      grace: 3s\n      cooldown: 60s"))
        with start_bindwatch("--policy", policy, "--dry-run") as bw, stale(port) as squatter:
            first = conflict_on(bw, port)["action"]
            again = conflict_on(bw, port)["action"]
            check(squatter.alive(), "the squatter was signalled in a dry run")
        eq(first["result"], "dry-run", f"first action {first}")
        eq((again["result"], again["cooldown"]["reclaim"], again["pids"]),
           ("cooldown", first["id"], []), f"second action {again}")
        eq(again["why"], "dry-run: the same holder would have been reclaimed within the rule's "
           "cooldown (nothing was signalled)", "the dry-run cooldown's why")


def two_rules(port, first_holder):
    """A reclaim rule on port for holders that are first_holder, then an alert rule."""
    return f"""version: 1
rules:
  - name: squatters
    match:
      port: {port}
      holder: {{{first_holder}}}
    action: reclaim
  - name: page
    match: {{port: {port}}}
    action: alert
"""


def test_policy_unmatched_outside_dry_run():
    """Without --dry-run, a record says why each rule naming its port that
    was tried before the one that matched did not match ("unmatched", and
    "; not matched:" in text); a record whose first rule matched carries
    none, and no dry-run's "policy" key."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, stale(port) as squatter:
        log = os.path.join(tmp, "bindwatch.log")
        policy = write_policy(tmp, two_rules(port, "comm: nosquatter"))
        with start_bindwatch("--policy", policy, "--log", log, json_output=False) as bw:
            fail_bind(port)
            line = bw.wait_line(lambda l: f":{port} ".encode() in l and b"rule page" in l)
        with open(log) as f:
            rec = [json.loads(l) for l in f if f'"port":{port},' in l][0]
        comm = rec["holders"][0]["comm"]
        eq(rec["action"], {"rule": "page", "type": "alert"}, "the rule that matched")
        eq([(u["rule"], u["line"], u["field"], u["want"], u["got"]) for u in rec["unmatched"]],
           [("squatters", 3, "holder.comm", "nosquatter", comm)], "the record's unmatched")
        check("policy" not in rec, f"a dry-run's key outside --dry-run: {rec}")
        check(f'; not matched: rule squatters: holder.comm "{comm}" does not match '
              '"nosquatter"'.encode() in line, f"the text record: {line!r}")
        print(f"    {line.decode(errors='replace').strip()}")

        # control: the first rule matches, nothing to explain
        policy = write_policy(tmp, two_rules(port, f'cmdline: "{STALE_CMDLINE}"'))
        rec = reclaim_once(port, open(policy).read(), "--dry-run")
        eq(rec["action"]["rule"], "squatters", "the first rule matched")
        check("unmatched" not in rec and "policy" not in rec, f"nothing unmatched: {rec}")
        check(squatter.alive(), "the squatter was signalled in a dry run")


def test_policy_escalate_to_kill():
    """A holder that ignores SIGTERM gets SIGKILL once the grace period is over."""
    port = free_port()
    with stale(port, "ignore-term") as squatter:
        rec = reclaim_once(port, reclaim_rule(port, "      grace: 500ms\n      escalate: KILL"))
        action = rec["action"]
        eq((action["result"], action["signals"]), ("reclaimed", ["TERM", "KILL"]),
           f"action {action}")
        check(action["freed_after_ms"] >= 500, f"freed before the grace period ended: {action}")
        check(gone(squatter), "the squatter survived SIGKILL")
        eq(squatter.proc.returncode, -signal.SIGKILL, "how the squatter ended")


def test_policy_holder_leaves_during_grace():
    """A holder that shuts down by itself within the grace period is not
    escalated against: the port is checked, and found free."""
    port = free_port()
    with stale(port, "slow-exit") as squatter:
        rec = reclaim_once(port, reclaim_rule(port, "      grace: 5s\n      escalate: KILL"))
        action = rec["action"]
        eq((action["result"], action["signals"]), ("reclaimed", ["TERM"]), f"action {action}")
        check(400 <= action["freed_after_ms"] < 5000, f"freed_after_ms {action}")
        check(gone(squatter), "the squatter did not leave")
        eq(squatter.proc.returncode, 0, "the squatter's own exit status")


def test_policy_stop_during_grace():
    """bindwatch stopped while a reclaim waits still writes its record."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp, stale(port, "ignore-term") as squatter:
        policy = write_policy(tmp, reclaim_rule(port, "      grace: 30s"))
        with start_bindwatch("--policy", policy) as bw:
            fail_bind(port)
            time.sleep(1)
            rc, stderr = bw.stop()
        eq(rc, 0, f"bindwatch exit code (stderr {stderr!r})")
        mine = [r for r in bw.records() if r.get("port") == port]
        eq(len(mine), 1, f"records for port {port}")
        action = mine[0]["action"]
        eq((action["result"], action["signals"]), ("timeout", ["TERM"]), f"action {action}")
        check("stopped" in action["why"], f"why: {action['why']!r}")
        check(squatter.alive(), "the squatter (ignoring TERM) died")


def test_policy_check_and_reload():
    """check-policy: 0 for a valid file, 1 naming file and line otherwise,
    and a file others may write is refused. SIGHUP reloads; a bad new
    policy keeps the old one running and says why."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_policy(tmp, reclaim_rule(8080))
        rc, out, err = run_to_exit(bindwatch_argv("check-policy", path))
        eq((rc, out.strip()), (0, f"{path}: valid, 1 rule"), f"check-policy (stderr {err!r})")
        bad = write_policy(tmp, reclaim_rule(8080).replace("proto:", "prot:"))
        rc, _, err = run_to_exit(bindwatch_argv("check-policy", bad))
        eq(rc, 1, "check-policy exit code for an unknown key")
        check(re.search(rf"{re.escape(bad)}:6: unknown key 'prot' in match", err), f"message {err!r}")
        write_policy(tmp, reclaim_rule(8080), mode=0o664)
        rc, _, err = run_to_exit(bindwatch_argv("check-policy", path))
        eq(rc, 1, "check-policy exit code for a group-writable file")
        check("writable by group or others" in err, f"message {err!r}")
        rc, _, err = run_to_exit(bindwatch_argv("--policy", path))
        eq(rc, 1, "bindwatch --policy with a group-writable file")

        port = free_port()
        path = write_policy(tmp, reclaim_rule(port), mode=0o600)
        with start_bindwatch("--policy", path, "--dry-run") as bw, stale(port):
            write_policy(tmp, "version: 2\n")
            bw.proc.send_signal(signal.SIGHUP)
            line = bw.err.next(time.monotonic() + RECORD_TIMEOUT)
            check(line and b"policy not reloaded" in line and b":1:" in line,
                  f"stderr after a bad reload: {line!r}")
            rec = conflict_on(bw, port)
            eq(rec["action"]["result"], "dry-run", "the old policy still in force")


def test_policy_exec_program_checked():
    """A rule's exec naming a program that does not exist, or a file that
    is not executable, is refused by check-policy and at start with the
    file and line, as --exec's is; one that exists is valid."""
    with tempfile.TemporaryDirectory() as tmp:
        rule = "version: 1\nrules:\n  - name: page\n    match: {port: 8080}\n" \
               "    action: alert\n    exec: [%s, \"{port}\"]\n"
        for prog, why in [("/nonexistent/page-oncall", "no such program"),
                          ("no-such-bindwatch-hook", "no such program"),
                          ("/etc/passwd", "not an executable file")]:
            path = write_policy(tmp, rule % prog)
            want = f"{path}:6: 'exec': '{prog}': {why}"
            rc, out, err = run_to_exit(bindwatch_argv("check-policy", path))
            eq(rc, 1, f"check-policy exit status for {prog} ({out!r})")
            check(want in err, f"check-policy's message {err!r}, expected {want!r}")
            rc, _, err = run_to_exit(bindwatch_argv("--policy", path))
            eq(rc, 1, f"the monitor's exit status for {prog}")
            check(want in err, f"the monitor's message {err!r}, expected {want!r}")
        path = write_policy(tmp, rule % "/usr/bin/logger")  # control: a real program
        rc, out, err = run_to_exit(bindwatch_argv("check-policy", path))
        eq((rc, out.strip()), (0, f"{path}: valid, 1 rule"), f"check-policy ({err!r})")


SWAP_RELOADS = 40  # reloads while the file is swapped: a mix is likelier than not in each
RELOADED_RE = re.compile(rb"policy reloaded from .*: (\d+) rules?, (\d+) expect rules?$")


class Swapper(StdinChild):
    """children/policy_swapper.py: files a and b put over path in turn, until closed."""

    def __init__(self, path, a, b):
        self.start_ready([PYTHON, child("policy_swapper.py"), path, a, b], "policy swapper")


def listener(closing, port):
    """A socket of this process listening on 127.0.0.1:port until the test ends."""
    s = closing.enter_context(socket.socket())
    s.bind(("127.0.0.1", port))
    s.listen()


def reloaded_counts(bw):
    """SIGHUP bw; its (rules, expect rules) from the line the reload says."""
    bw.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + RECORD_TIMEOUT
    while True:
        line = bw.err.next(deadline)
        check(line is not None, "bindwatch ended during a reload")
        check(b"not reloaded" not in line, f"a reload failed: {line!r}")
        m = RELOADED_RE.search(line)
        if m:
            return int(m.group(1)), int(m.group(2))


def test_policy_reload_swapped_file_is_one_file(closing, monitor, make_requester, tmp_path):
    """SIGHUP reads the policy once: while another process puts two valid
    files over its path in turn as fast as it can, every reload's rules
    and its expect rules come from one of them.  File A has a rule (a log
    rule on one port) and no expect rule, B no rule and an expect rule
    (another port, an owner no caller meets); after each reload a conflict
    on A's port and a successful bind on B's show which file each half is
    from, and both must be the file the reload line counts."""
    rule_port, expect_port, sentinel = free_port(), free_port(), free_port()
    a = f"version: 1\nrules:\n  - name: from-a\n    match: {{port: {rule_port}}}\n" \
        f"    action: log\n"
    b = f"version: 1\nexpect:\n  - name: from-b\n    port: {expect_port}\n" \
        f"    owner: {{uid: 4242}}\n    action: log\n"
    tmp = str(tmp_path)
    os.chmod(tmp, 0o700)
    file_a, file_b = (os.path.join(tmp, name) for name in ("a.yaml", "b.yaml"))
    for name, text in ((file_a, a), (file_b, b)):
        with open(name, "w") as f:
            f.write(text)
        os.chmod(name, 0o600)
    path = write_policy(tmp, a)
    listener(closing, rule_port)
    listener(closing, sentinel)
    req = make_requester()
    bw = monitor("--policy", path, "--window", "0", "--rate-limit", "0")
    closing.enter_context(Swapper(path, file_a, file_b))
    op = dict(op="bind", family="ipv4", proto="tcp")
    for i in range(SWAP_RELOADS):
        counts = reloaded_counts(bw)
        check(counts in ((1, 0), (0, 1)), f"reload {i}: {counts[0]} rules and "
              f"{counts[1]} expect rules: the two files mixed in one reload")
        addr = f"127.0.1.{i + 1}"
        req.call(None, port=expect_port, addr=addr, **op)
        req.call("EADDRINUSE", port=rule_port, addr="127.0.0.1", **op)
        seen = []
        rec = bw.wait_record(lambda r: seen.append(r) or (
            r.get("event") == "conflict" and r.get("port") == rule_port))
        # the ring's order: a record of the bind above comes before this one's
        req.call("EADDRINUSE", port=sentinel, addr="127.0.0.1", **op)
        bw.wait_record(lambda r: seen.append(r) or (
            r.get("event") == "conflict" and r.get("port") == sentinel))
        rules_from = "A" if (rec.get("action") or {}).get("rule") == "from-a" else "B"
        expect_from = "B" if any(r.get("event") == "unexpected-owner" and
                                 r.get("port") == expect_port and r.get("addr") == addr
                                 for r in seen) else "A"
        line_from = "A" if counts == (1, 0) else "B"
        eq((rules_from, expect_from), (line_from, line_from),
           f"reload {i}: the files the rules and the expect rules came from "
           f"(the reload line counted file {line_from})")


# ---------------------------------------------------------------- containers and pods

# The annotations Kubernetes' CRI plugin writes in a containerd task's OCI
# bundle (config.json), which the workload lookup reads.
CRI_ANNOTATIONS = {
    "io.kubernetes.cri.container-type": "container",
    "io.kubernetes.cri.sandbox-name": "web-7d9f",
    "io.kubernetes.cri.sandbox-uid": "4b0c8e5e-6c8a-4f4e-9f1e-0d3c2b1a0f9e",
    "io.kubernetes.cri.container-name": "nginx",
    "io.kubernetes.cri.image-name": "docker.io/library/nginx:1.25",
}
CRI_TASKS = "run/containerd/io.containerd.runtime.v2.task/k8s.io"


class CriTask:
    """A containerd task of the CRI, as the workload lookup sees one: its
    OCI bundle's config.json (root's, 0644) under a root given to the
    monitor as BINDWATCH_TEST_WORKLOAD_ROOT, for pod web-7d9f of namespace
    in Kubernetes' namespace, and its cgroup cri-containerd-ID.scope, made
    by root in a test unit (test_trust_names.Unit), that a process is put
    in. No containerd is involved: the real runtimes are
    test_workloads.py's."""

    def __init__(self, root, namespace):
        # imported here: test_trust_names imports this module
        from test_trust_names import Unit
        self.id = secrets.token_hex(32)
        bundle = os.path.join(root, CRI_TASKS, self.id)
        os.makedirs(bundle)
        spec = {"ociVersion": "1.0.2",
                "annotations": {**CRI_ANNOTATIONS,
                                "io.kubernetes.cri.sandbox-namespace": namespace}}
        path = os.path.join(bundle, "config.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        os.chmod(path, 0o644)
        self.unit = Unit("wl", delegated=False)
        self.scope = f"cri-containerd-{self.id}.scope"
        self.unit.root_mkdir(self.scope)

    def enter(self, pid):
        """Move process pid into the container's cgroup, as its runtime starts it."""
        with open(os.path.join(self.unit.dir, self.scope, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def close(self):
        self.unit.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def pod_rule(port):
    return f'''version: 1
protect:
  pod: {{namespace: [kube-system]}}
rules:
  - name: api-pod
    match:
      port: {port}
      holder:
        container: {{name: "api*"}}
    action: reclaim
  - name: web-pod
    match:
      port: {port}
      holder:
        pod: {{namespace: "*", container: nginx}}
        container: {{runtime: containerd}}
    action: reclaim
    reclaim:
      grace: 3s
'''


def pod_conflict(namespace):
    """A stale server in a CRI task of pod web-7d9f in namespace, a policy
    with a rule on that pod's container nginx and protect by pod namespace
    kube-system, one failing bind: the conflict record and the server."""
    port = free_port()
    root = tempfile.mkdtemp(prefix="bw-wl-")
    try:
        with CriTask(root, namespace) as task, stale(port) as server:
            task.enter(server.pid)
            env = {**os.environ, "BINDWATCH_TEST_WORKLOAD_ROOT": root}
            with tempfile.TemporaryDirectory() as tmp:
                policy = write_policy(tmp, pod_rule(port))
                with start_bindwatch("--policy", policy, env=env) as bw:
                    rec = conflict_on(bw, port)
            wl = rec["holders"][0].get("workload")
            check(wl is not None, f"the holder has no workload: {rec['holders'][0]}")
            eq((wl["runtime"], wl["id"], wl["source"]), ("containerd", task.id, "cgroup"),
               f"holder workload {wl}")
            eq(wl["pod"] and (wl["pod"]["namespace"], wl["pod"]["container"]),
               (namespace, "nginx"), f"holder pod {wl}")
            time.sleep(0.3)
            return rec, server.alive()
    finally:
        subprocess.run(["rm", "-rf", "--", root], check=True)


def test_policy_pod_protected_by_namespace():
    """A holder in a pod of namespace kube-system, which protect names, is
    never signalled, though a rule keyed on its pod's container matches
    (after one on a container name it does not have)."""
    rec, alive = pod_conflict("kube-system")
    action = rec.get("action")
    check(action is not None, f"no rule matched: {rec}")
    eq((action["rule"], action["result"], action["signals"]), ("web-pod", "protected", []),
       f"action {action}")
    check("protect list" in action["why"], f"why: {action['why']!r}")
    check(alive, "a holder in a protected pod namespace was signalled")


def test_policy_pod_rule_reclaims():
    """Control: the same holder in a pod of namespace default matches the
    rule on its pod's container and is reclaimed."""
    rec, alive = pod_conflict("default")
    action = rec.get("action")
    check(action is not None, f"no rule matched: {rec}")
    eq((action["rule"], action["result"]), ("web-pod", "reclaimed"), f"action {action}")
    check(not alive, "the holder in the pod was not reclaimed")
