# test_trust_hooks.py - end-to-end tests that nothing an alert hook starts
# outlives its run, nor bindwatch (doc/security.md): nobody's
# conflicts run root's hooks (--exec, and a policy rule's exec) that leave
# processes behind the three usual ways (children/escape_hook.sh: a
# background job, setsid, a double fork).  None is left once the hook exits,
# once its timeout kills it, or once bindwatch stops; and a normal hook
# runs as before.  Each under both containments: a cgroup per hook
# (cgroup.kill) and the subreaper fallback (BINDWATCH_TEST_NO_HOOK_CGROUP=1).
import glob
import json
import os
import tempfile
import time

import pytest

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, Requester, check, child, eq, hold, running,
                     run_to_exit, start_bindwatch)
from test_hooks import hook_command, hook_outputs
from test_policy import write_policy
from test_trust_sinks import NOBODY_UID, wait_for

ESCAPE_HOOK = child("escape_hook.sh")
BIND_FLOOD = child("bind_flood.py")
KINDS = ("background", "setsid", "daemon")
NO_CGROUP = "BINDWATCH_TEST_NO_HOOK_CGROUP"
CONTAINMENTS = ("cgroup", "subreaper")
HOOK_KINDS = ("exec", "rule")  # --exec, and a policy rule's exec
HOOK_CGROUP = "/bindwatch-hooks/hook-"
STOP_BOUND = 10      # seconds: at stop bindwatch waits 1 s, then kills (generous)
FLOOD_SECONDS = 10
FLOOD_PAUSE = 0.005  # between the flood's conflicts


def new_token():
    return "bwesc-" + os.urandom(6).hex()


def marked(token):
    """Pids of live processes (not zombies) with BW_ESCAPE_TOKEN=token in their environment."""
    mark = f"BW_ESCAPE_TOKEN={token}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if mark in f.read().split(b"\0") and running(int(pid)):
                    found.append(int(pid))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue  # gone, or not readable (PID 1 here): no hook of ours
    return found


def contained_monitor(how, *args):
    """bindwatch with args, its hooks contained how; skips when the kernel
    cannot contain them that way, fails when bindwatch says another way."""
    env = dict(os.environ, **{NO_CGROUP: "1"}) if how == "subreaper" else None
    bw = start_bindwatch(*args, env=env)
    said = b"".join(bw.err.lines).decode("utf-8", "replace")
    if how == "cgroup" and "no cgroup of their own" in said:
        bw.stop()
        pytest.skip(said.strip().splitlines()[-2])
    if how == "subreaper":
        check("each runs as a child subreaper" in said, f"not the subreaper fallback: {said!r}")
    return bw


def hook_args(kind, out, token, then, port, tmp):
    """bindwatch's arguments running escape_hook.sh for conflicts on port:
    as --exec (kind "exec") or as a policy rule's exec (kind "rule")."""
    argv = [ESCAPE_HOOK, out, token, then]
    if kind == "exec":
        return ["--exec", " ".join(argv), "--port", str(port)]
    policy = write_policy(tmp, f'''version: 1
rules:
  - name: page
    match: {{port: {port}}}
    action: alert
    exec: {json.dumps(argv)}
''')
    return ["--policy", policy, "--port", str(port)]


def hook_runs(out, token):
    """{hook pid: (record, cgroup v2 path, {kind: escapee pid})} of each run that got that far."""
    runs = {}
    for path in glob.glob(os.path.join(out, f"{token}.*.hook")):
        base = path[:-len(".hook")]
        with open(path) as f:
            record = json.loads(f.read())
        with open(base + ".cgroup") as f:
            cgroup = next(line.split(":", 2)[2].strip() for line in f if line.startswith("0::"))
        escapees = {}
        for kind in KINDS:
            with open(f"{base}.{kind}") as f:
                escapees[kind] = int(f.read())
        runs[int(base.rsplit(".", 1)[1])] = (record, cgroup, escapees)
    return runs


def check_contained(how, cgroup):
    if how == "cgroup":
        check(HOOK_CGROUP in cgroup, f"the hook ran in {cgroup}, not a cgroup of its own")


def nobody_conflict(bw, port):
    """nobody's conflict on port, and its record."""
    with Requester(prefix=NOBODY) as req:
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                 port=port)
        return bw.wait_record(lambda r: r.get("port") == port and r.get("event") == "conflict")


def escape_run(how, kind, then, timeout_s):
    """nobody makes a conflict; root's hook (kind) leaves three processes
    behind, then exits or waits (then) for its timeout.  Returns (seconds
    from the hook's report to nothing of it left, bindwatch's stderr)."""
    token = new_token()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        holder, port = hold("ipv4", "tcp", "127.0.0.1")
        with holder, contained_monitor(how, *hook_args(kind, out, token, then, port, tmp),
                             "--exec-timeout", str(timeout_s)) as bw:
            rec = nobody_conflict(bw, port)
            wait_for(lambda: hook_runs(out, token), "the hook did not report")
            seen = time.monotonic()
            (record, cgroup, escapees), = hook_runs(out, token).values()
            gone = wait_for(lambda: not marked(token), f"processes of the hook left: "
                            f"{marked(token)} (escapees {escapees})")
            rc, stderr = bw.stop()
        eq(rc, 0, f"exit code (stderr {stderr!r})")
    eq(record["requester"]["uid"], NOBODY_UID, "the requester of the record the hook got")
    eq(record["port"], rec["port"], "the port of the record the hook got")
    check_contained(how, cgroup)
    return gone - seen, stderr


@pytest.mark.parametrize("how", CONTAINMENTS)
@pytest.mark.parametrize("kind", HOOK_KINDS)
def test_trust_hook_leaves_nothing(kind, how):
    """nobody's conflict runs root's hook, which starts a background job, a
    setsid session and a double-forked daemon, then exits: none of them
    is left (long before the timeout)."""
    took, stderr = escape_run(how, kind, "exit", 600)
    check("still running" not in stderr, f"the hook was killed, not ended: {stderr!r}")
    print(f"  hook exited; its 3 escapees gone {took:.2f}s after it reported (timeout 600s)")


@pytest.mark.parametrize("how", CONTAINMENTS)
@pytest.mark.parametrize("kind", HOOK_KINDS)
def test_trust_hook_timeout_leaves_nothing(kind, how):
    """The same hook, but it sleeps on after starting them: at its timeout
    it is killed with all three."""
    took, stderr = escape_run(how, kind, "wait", 1)
    check("still running after its timeout: killed, with all it started" in stderr,
          f"stderr does not say the hook was killed: {stderr!r}")
    print(f"  hook and its 3 escapees gone {took:.2f}s after it reported (timeout 1s)")


@pytest.mark.parametrize("how", CONTAINMENTS)
def test_trust_hook_killed_at_stop(how):
    """A hook still running when bindwatch stops (timeout 600 s) is killed,
    with all it started, after a short bounded wait, and bindwatch says so;
    the hooks' cgroup is removed."""
    token = new_token()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        holder, port = hold("ipv4", "tcp", "127.0.0.1")
        with holder, contained_monitor(how, *hook_args("exec", out, token, "wait", port, tmp),
                             "--exec-timeout", "600") as bw:
            nobody_conflict(bw, port)
            wait_for(lambda: hook_runs(out, token), "the hook did not report")
            (pid, (_, cgroup, _)), = hook_runs(out, token).items()
            check(running(pid) and len(marked(token)) == 4,
                  f"the hook and its 3 escapees are not all running: {marked(token)}")
            start = time.monotonic()
            rc, stderr = bw.stop()
            took = time.monotonic() - start
        left = marked(token)
    eq(rc, 0, f"exit code (stderr {stderr!r})")
    eq(left, [], "processes of the hook left after bindwatch stopped")
    check(f"[{pid}] still running at stop: killed, with all it started" in stderr,
          f"stderr does not say the hook was killed at stop: {stderr!r}")
    check(took < STOP_BOUND, f"bindwatch took {took:.1f}s to stop")
    check_contained(how, cgroup)
    if how == "cgroup":
        mount = next(line.split()[1] for line in open("/proc/self/mounts")
                     if line.split()[2] == "cgroup2")
        parent = mount + cgroup[:cgroup.index(HOOK_CGROUP) + len("/bindwatch-hooks")]
        if os.path.exists(parent):  # kept only where bindwatch may no longer remove it
            check(not os.stat(os.path.dirname(parent)).st_mode & 0o200,
                  f"{parent} is still there after the stop")
            eq([n for n in os.listdir(parent) if n.startswith("hook-")], [],
               f"hook cgroups left in {parent}")
    print(f"  stopped in {took:.2f}s, the running hook and its 3 escapees killed")


@pytest.mark.parametrize("how", CONTAINMENTS)
def test_hook_quick_runs(how):
    """Control: root's own conflicts run a normal hook that exits at once:
    each gets its record, exits 0, and nothing is said of it; in a cgroup of
    its own, which is gone once it ended."""
    with tempfile.TemporaryDirectory() as tmp:
        holder, port = hold("ipv4", "tcp", "127.0.0.1")
        with holder, contained_monitor(how, "--exec", hook_command(tmp), "--exec-interval", "0",
                             "--port", str(port)) as bw, Requester() as req:
            recs = []
            for _ in range(3):
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=port)
                recs.append(bw.wait_record(lambda r: r.get("port") == port))
            outs = hook_outputs(tmp, 3)
            rc, stderr = bw.stop()
    eq(rc, 0, f"exit code (stderr {stderr!r})")
    eq(sorted(json.loads(o["record"])["requester"]["pid"] for o in outs), [req.pid] * 3,
       "the requester in the hooks' records")
    said = [line for line in stderr.splitlines() if "hooks: no cgroup" not in line]
    check(not [line for line in said if "hook" in line or "cannot" in line],
          f"bindwatch said something of its hooks: {stderr!r}")


@pytest.mark.parametrize("how", CONTAINMENTS)
def test_trust_hook_flood_leaves_nothing(how):
    """The issue's attack: nobody floods conflicts for 10 s against root's
    hook (--exec-interval 0: one per conflict) that leaves three processes
    behind each run; once the flood's hooks have ended, none is left."""
    token = new_token()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        os.chmod(out, 0o755)
        holder, port = hold("ipv4", "tcp", "127.0.0.1")
        with holder, contained_monitor(how, *hook_args("exec", out, token, "exit", port, tmp),
                             "--exec-interval", "0", "--window", "0", "--rate-limit", "0",
                             "--exec-timeout", "600") as bw:
            rc, flood_out, err = run_to_exit([*NOBODY, PYTHON, BIND_FLOOD, str(port),
                                              str(FLOOD_SECONDS), str(FLOOD_PAUSE)],
                                             timeout=FLOOD_SECONDS + RECORD_TIMEOUT)
            eq(rc, 0, f"the flood's exit code (stderr {err!r})")
            ended = time.monotonic()
            at_end = len(marked(token))
            gone = wait_for(lambda: not marked(token), "processes of the hooks left")
            runs = hook_runs(out, token)
            rc, stderr = bw.stop()
        eq(rc, 0, f"exit code (stderr {stderr!r})")
    check(len(runs) > 10, f"only {len(runs)} hooks ran: the flood shows nothing")
    for record, cgroup, _ in runs.values():
        check_contained(how, cgroup)
    print(f"  {flood_out.strip()} conflicts in {FLOOD_SECONDS}s, {len(runs)} hooks ran and "
          f"started {3 * len(runs)} escapees; {at_end} marked processes at the flood's end, "
          f"0 left {gone - ended:.2f}s later")
