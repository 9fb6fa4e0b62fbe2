# test_incidents.py - end-to-end tests of incidents: a reclaim's cooldown
# holds off the same holder (restarted by a supervisor) and not another
# stale process on the port; a failure during a reclaim says it is in
# progress; alert hooks (--exec and a rule's exec) run once per incident
# under a storm, again on a change or after --exec-interval with the
# conflicts they skipped counted; and another user's flood of incidents
# neither re-triggers nor silences root's.  Conflict incidents: a crash
# loop (a new process per attempt) is a few records whose counts add up
# exactly, then one incident-end once the service binds (resolved) or after
# --incident-idle (idle); another user's bind does not resolve it.
import datetime
import json
import os
import subprocess
import tempfile
import time

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, Holder, Requester, check, child, eq, fail,
                     free_port, socket_spec, start_bindwatch)
from test_policy import Proc, fail_bind, gone, reclaim_rule, stale, write_policy

NOBODY_UID = 65534


class NobodyProc(Proc):
    """Proc, run as uid 65534."""

    def __init__(self, name, *args):
        self.proc = subprocess.Popen([*NOBODY, PYTHON, child(name), *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid


def stale_as_nobody(port):
    """The stale server of test_policy, as uid 65534: another holder identity."""
    p = NobodyProc("stale_server.py", port, "plain")
    eq(p.line(), ["ready"], "nobody's stale server start")
    return p


def rfc3339(text):
    return datetime.datetime.fromisoformat(text[:26] + "+00:00")


def reclaim_record(bw, port):
    return bw.wait_record(lambda r: r.get("port") == port and "action" in r)


def test_incident_cooldown_per_holder():
    """A holder reclaimed, then restarted at once: cooldown, naming the
    reclaim, with the time left and no pid, and it is not signalled. Then
    another stale process (another uid) on the same port: reclaimed."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, reclaim_rule(port, "      grace: 3s\n      cooldown: 60s"))
        with start_bindwatch("--policy", policy) as bw:
            with stale(port) as first:
                fail_bind(port)
                rec = reclaim_record(bw, port)
                action = rec["action"]
                eq(action["result"], "reclaimed", f"first action {action}")
                check(isinstance(action.get("id"), int) and action["id"] >= 1,
                      f"the reclaim has no id: {action}")
                check(gone(first), "the first squatter is still running")
            first_id, ended = action["id"], datetime.datetime.now(datetime.timezone.utc)
            with stale(port) as again:
                fail_bind(port)
                action = reclaim_record(bw, port)["action"]
                eq((action["result"], action["signals"], action["pids"]), ("cooldown", [], []),
                   f"restarted holder's action {action}")
                cd = action.get("cooldown") or fail(f"no cooldown object: {action}")
                eq((cd["reclaim"], cd["rule"]), (first_id, "stale-squatter"), f"cooldown {cd}")
                check(0 < cd["remaining_ms"] <= 60000, f"remaining_ms {cd['remaining_ms']}")
                since = rfc3339(cd["since"])
                check(abs((since - ended).total_seconds()) < RECORD_TIMEOUT,
                      f"cooldown since {cd['since']}, the reclaim ended about {ended}")
                time.sleep(0.3)
                check(again.alive(), "the restarted holder was signalled within the cooldown")
            with stale_as_nobody(port) as other:
                fail_bind(port)
                action = reclaim_record(bw, port)["action"]
                eq((action["result"], action["pids"], action["id"]),
                   ("reclaimed", [other.pid], first_id + 1), f"another holder's action {action}")
                check(gone(other), "the other stale process is still running")
    print(f"  restarted holder: cooldown of reclaim #{first_id}, {cd['remaining_ms']} ms left; "
          f"nobody's stale server: reclaim #{first_id + 1}")


def test_incident_in_progress():
    """A failure while the reclaim of the same holder is in its grace period
    is "in-progress" with that reclaim's id, written before it, no pid."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, reclaim_rule(port, "      grace: 3s\n      cooldown: 60s"))
        with start_bindwatch("--policy", policy) as bw, stale(port, "slow-exit") as squatter:
            fail_bind(port)
            fail_bind(port)  # within the 0.4 s the squatter takes to leave
            waiting = reclaim_record(bw, port)
            done = reclaim_record(bw, port)
            check(gone(squatter), "the squatter is still running")
    eq((waiting["action"]["result"], waiting["action"]["pids"], waiting["action"]["signals"]),
       ("in-progress", [], []), f"the second failure's action {waiting['action']}")
    eq((done["action"]["result"], done["action"]["pids"]), ("reclaimed", [squatter.pid]),
       f"the reclaim's action {done['action']}")
    eq(waiting["action"]["in_progress"]["reclaim"], done["action"]["id"], "reclaim waited for")
    eq(waiting["action"]["in_progress"]["rule"], "stale-squatter", "rule waited for")


def hook_files(out, tag, uid=None, port=None):
    """The runs of hook tag so far, oldest first, as {"record", "env"}."""
    runs = []
    for name in os.listdir(out):
        parts = name.split(".")
        if name.endswith(".json") and parts[0] == tag and \
                (uid is None or parts[1] == str(uid)) and (port is None or parts[2] == str(port)):
            with open(os.path.join(out, name)) as f:
                runs.append(json.load(f))
    return sorted(runs, key=lambda run: run["record"]["mono_ns"])


def wait_runs(out, tag, n, **which):
    deadline = time.monotonic() + RECORD_TIMEOUT
    while len(hook_files(out, tag, **which)) < n:
        if time.monotonic() > deadline:
            fail(f"{len(hook_files(out, tag, **which))} runs of the {tag} hook, expected {n}")
        time.sleep(0.05)
    return hook_files(out, tag, **which)


def storm(port, seconds):
    out = subprocess.run([PYTHON, child("bind_storm.py"), str(port), str(seconds)],
                         capture_output=True, text=True, timeout=seconds + RECORD_TIMEOUT)
    eq(out.returncode, 0, f"storm ({out.stderr.strip()})")
    return int(out.stdout)


def hook_setup(tmp):
    """The alert hook (children/incident_hook.py) and its output directory in tmp."""
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    return child("incident_hook.py"), out


def test_incident_alerts_once_under_storm():
    """A 10 s storm of one requester against one holder (--window 250ms):
    the --exec hook and the rule's exec each run once; a different
    requester (nobody) is a change: once more each; the same incident after
    --exec-interval: once more each, with the conflicts skipped counted in
    "suppressed" and BINDWATCH_SUPPRESSED. Every failure is in a record."""
    interval = 14
    with tempfile.TemporaryDirectory() as tmp:
        script, out = hook_setup(tmp)
        holder = Holder(socket_spec(listen=8))
        with holder:
            port = holder.port
            policy = write_policy(tmp, f'''version: 1
rules:
  - name: page
    match: {{port: {port}}}
    action: alert
    exec: ["{PYTHON}", "{script}", "{out}", "rule"]
''')
            with start_bindwatch("--policy", policy, "--exec", f"{PYTHON} {script} {out} exec",
                                 "--exec-interval", f"{interval}s", "--window", "250ms",
                                 "--port", str(port)) as bw:
                t0 = time.monotonic()
                failures = storm(port, 10)
                time.sleep(1)  # the storm's last window is flushed, hooks finish
                for tag in ("exec", "rule"):
                    eq(len(hook_files(out, tag)), 1, f"{tag} hook runs during the storm")
                with Requester(prefix=NOBODY) as req:
                    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                             addr="127.0.0.1", port=port)
                changed = {tag: wait_runs(out, tag, 1, uid=NOBODY_UID) for tag in ("exec", "rule")}
                time.sleep(max(0, t0 + interval + 0.5 - time.monotonic()))
                last = storm(port, 0)
                runs = {tag: wait_runs(out, tag, 3) for tag in ("exec", "rule")}
                time.sleep(0.5)
                rc, stderr = bw.stop()
            eq(rc, 0, f"exit code (stderr {stderr!r})")
            records = [r for r in bw.records()
                       if r.get("event") == "conflict" and r["requester"]["uid"] == 0]
        total = {tag: len(hook_files(out, tag)) for tag in ("exec", "rule")}
    eq(sum(r["count"] for r in records), failures + last, "failures in records")
    for tag in ("exec", "rule"):
        eq(total[tag], 3, f"{tag} hook runs in all")
        eq(changed[tag][0]["env"].get("BINDWATCH_SUPPRESSED"), "0", f"{tag}: change suppressed")
        seen = [r for r in records if tag == "exec" or "action" in r]
        first, final = runs[tag][0]["record"], runs[tag][-1]["record"]
        eq(first["mono_ns"], seen[0]["mono_ns"], f"{tag}: first alert is the first record")
        eq(final["mono_ns"], seen[-1]["mono_ns"], f"{tag}: last alert is the last record")
        skipped = sum(r["count"] for r in seen[1:-1])
        eq((first["suppressed"], final["suppressed"]), (0, skipped), f"{tag}: suppressed")
        eq(runs[tag][-1]["env"].get("BINDWATCH_SUPPRESSED"), str(skipped),
           f"{tag}: BINDWATCH_SUPPRESSED")
    print(f"  {failures} failures in {len(records) - 1} storm records; each hook ran 3 times, "
          f"the last with suppressed={skipped}")


def test_incident_flood_cannot_evict():
    """root's incident alerted once; nobody then makes 400 incidents of its
    own (more than the table holds): root's next conflict of the same
    incident is still suppressed, not re-alerted, while a new root incident
    alerts at once."""
    flood = 400
    with tempfile.TemporaryDirectory() as tmp:
        script, out = hook_setup(tmp)
        with Holder(socket_spec(listen=8)) as h1, Holder(socket_spec(listen=8)) as h2, \
                start_bindwatch("--exec", f"{PYTHON} {script} {out} exec", "--window", "0",
                                "--rate-limit", "0") as bw, Requester() as root:
            bind = dict(op="bind", family="ipv4", proto="tcp", addr="127.0.0.1")
            root.call("EADDRINUSE", port=h1.port, **bind)
            wait_runs(out, "exec", 1, uid=0, port=h1.port)
            rc = subprocess.run([*NOBODY, PYTHON, child("listeners_flood.py"), str(flood)],
                                capture_output=True, text=True, timeout=60)
            eq((rc.returncode, rc.stdout.strip()), (0, "done"), f"flood ({rc.stderr.strip()})")
            seen = 0
            while seen < flood:
                rec = bw.wait_record(lambda r: r.get("event") == "conflict")
                seen += rec["requester"]["uid"] == NOBODY_UID
            root.call("EADDRINUSE", port=h1.port, **bind)
            root.call("EADDRINUSE", port=h2.port, **bind)
            wait_runs(out, "exec", 1, uid=0, port=h2.port)  # written after h1's second
            time.sleep(0.5)
            eq(len(hook_files(out, "exec", uid=0, port=h1.port)), 1,
               "root's incident alerted again after nobody's flood")
            nobody_runs = len(hook_files(out, "exec", uid=NOBODY_UID))
    print(f"  nobody's {flood} incidents ({nobody_runs} hooks ran) left root's incident known")


class CrashLoop:
    """children/crash_loop.py: attempts processes, each failing to bind
    127.0.0.1:port; then, on resume(), one more attempt."""

    def __init__(self, port, attempts, pause_ms=100):
        self.proc = subprocess.Popen([PYTHON, child("crash_loop.py"), str(port), str(attempts),
                                      str(pause_ms)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for n in range(1, attempts + 1):
            line = self.proc.stdout.readline().strip()
            if line != f"failed {n}":
                self.proc.kill()
                fail(f"crash loop attempt {n}: {line!r} ({self.proc.stderr.read().strip()})")

    def resume(self):
        """The next attempt: "bound" or "failed"."""
        out, err = self.proc.communicate("\n", timeout=RECORD_TIMEOUT)
        eq(self.proc.returncode, 0, f"crash loop exit ({err.strip()})")
        return out.strip()


def incident_records(bw, port, failures):
    """The conflict records of port until their counts add up to failures."""
    records, total = [], 0
    while total < failures:
        rec = bw.wait_record(lambda r: r.get("event") == "conflict" and r.get("port") == port)
        records.append(rec)
        total += rec["count"]
    eq(total, failures, f"failures in records {[(r['count'], r['incident']) for r in records]}")
    return records


def test_incident_crash_loop_resolved():
    """20 attempts, each a new process, against a held port: at most a few
    records of one incident whose counts add up to 20 and processes to 20;
    the port freed, the next attempt binds: one incident-end, resolved,
    count 20, handed to the --exec hook (--exec-on incident-end)."""
    with tempfile.TemporaryDirectory() as tmp:
        script, out = hook_setup(tmp)
        with Holder(socket_spec(listen=8)) as holder:
            port = holder.port
            with start_bindwatch("--port", str(port), "--exec", f"{PYTHON} {script} {out} end",
                                 "--exec-on", "incident-end") as bw:
                loop = CrashLoop(port, 20)
                records = incident_records(bw, port, 20)
                holder.close()
                eq(loop.resume(), "bound", "the attempt after the port was freed")
                end = bw.wait_record(lambda r: r.get("event") == "incident-end")
                runs = wait_runs(out, "end", 1)
                time.sleep(0.5)
                rc, stderr = bw.stop()
            eq(rc, 0, f"exit code (stderr {stderr!r})")
            ends = [r for r in bw.records() if r.get("event") == "incident-end"]
        nruns = len(hook_files(out, "end"))
    check(len(records) <= 5, f"{len(records)} records for 20 attempts")
    ids = {r["incident"]["id"] for r in records}
    eq(len(ids), 1, f"incidents of the crash loop {ids}")
    eq(sum(r["incident"]["processes"] for r in records), 20, "processes in records")
    eq(len(ends), 1, f"incident-end records {ends}")
    eq((end["end"], end["count"], end["processes"], end["incident"]["id"], end["port"]),
       ("resolved", 20, 20, ids.pop(), port), f"incident-end {end}")
    eq([(h["pid"], h["count"]) for h in end["holders_seen"]], [(holder.pid, 20)], "holders seen")
    check(rfc3339(end["first"]) < rfc3339(end["last"]), f"first {end['first']}, last {end['last']}")
    check(end["duration_ms"] > 0, f"duration_ms {end['duration_ms']}")
    eq(runs[0]["record"]["event"], "incident-end", "the hook's record")
    eq(nruns, 1, "hook runs: the incident-end only, no alert")
    print(f"  20 attempts in {len(records)} records (counts "
          f"{[r['count'] for r in records]}); incident-end after {end['duration_ms']} ms")


def test_incident_idle_text():
    """Text records: 3 attempts then nothing: the first line at once, the
    other two in one "(2 times, 2 processes)"; --incident-idle 2s later:
    "incident ended (idle)" with its 3 failures by 3 processes."""
    with Holder(socket_spec(listen=8)) as holder:
        port = holder.port
        with start_bindwatch("--port", str(port), "--incident-idle", "2s",
                             json_output=False) as bw:
            CrashLoop(port, 3, pause_ms=0).proc.kill()
            first = bw.wait_line(lambda line: b" EADDRINUSE " in line)
            rest = bw.wait_line(lambda line: b" EADDRINUSE " in line)
            end = bw.wait_line(lambda line: b" ended (idle): " in line)
    check(f"bind EADDRINUSE tcp 127.0.0.1:{port} by ".encode() in first, f"first line {first!r}")
    check(f"bind EADDRINUSE (2 times, 2 processes) tcp 127.0.0.1:{port} by ".encode() in rest,
          f"second line {rest!r}")
    check(f"incident ended (idle): bind EADDRINUSE tcp 127.0.0.1:{port} by ".encode() in end,
          f"end line {end!r}")
    check(b": 3 failures by 3 processes in " in end, f"end line {end!r}")
    check(f"held by {holder.comm}[{holder.pid}] uid=0 (3 failures)".encode() in end,
          f"end line {end!r}")


def test_incident_other_user_cannot_resolve():
    """Attack: root's service fails 3 times; the port freed, nobody binds
    it: root's incident is not resolved by it, and ends idle."""
    with Holder(socket_spec(listen=8)) as holder:
        port = holder.port
        with start_bindwatch("--port", str(port), "--incident-idle", "3s") as bw:
            CrashLoop(port, 3, pause_ms=0).proc.kill()
            incident_records(bw, port, 3)
            holder.close()
            rc = subprocess.run([*NOBODY, PYTHON, child("bind_once.py"), str(port), "127.0.0.1"])
            eq(rc.returncode, 1, "nobody's bind of the freed port")
            end = bw.wait_record(lambda r: r.get("event") == "incident-end")
    eq((end["end"], end["count"], end["requester"]["uid"]), ("idle", 3, 0), f"incident-end {end}")
