# test_replay.py - end-to-end tests of check-policy --replay: a real monitor
# logs conflicts (real holders, real requesters, one of them an unprivileged
# user with a hostile comm) under --dry-run, then the policy is replayed
# against that log, text and JSON, with a corrupt and a cut line added.
import json
import os
import subprocess
import tempfile

import pytest

from harness import (NOBODY, bindwatch_argv, check, eq, for_port, run_to_exit, socket_spec,
                     start_bindwatch)

HOSTILE_COMM = 'bw\x1b[31m"q'  # an escape sequence and a quote: must come out escaped


def policy_text(stale_ports, redis_port):
    return f'''version: 1
rules:
  - name: redis
    match:
      port: {redis_port}
      holder:
        exe: /usr/bin/redis-server
    action: reclaim
  - name: stale
    match:
      port: [{", ".join(map(str, stale_ports))}]
      holder:
        comm: bwstale
    action: reclaim
'''


def conflict(bw, req, port, family="ipv4", addr="127.0.0.1"):
    req.call("EADDRINUSE", op="bind", family=family, proto="tcp", addr=addr, port=port)
    return bw.wait_record(lambda r: for_port(port)(r) and r["requester"]["pid"] == req.pid)


def replay(*args, stdin=None):
    p = subprocess.run(bindwatch_argv("check-policy", *args), input=stdin,
                       capture_output=True, timeout=20)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def test_replay_log(make_holder, make_requester):
    """A matching conflict (rule stale), a non-matching one (rule redis
    names /usr/bin/redis-server, the holder runs python3) and one from
    nobody against root's holder (protected: the cross-user rule on the
    recorded uids); the monitor's --dry-run records carry the same
    explanation as the replay; bad lines are reported by number, skipped.
    The replay writes [::]:PORT as records do, says what the log shows
    beside what the policy would do now, and ends with a summary by rule
    and outcome."""
    stale = make_holder(socket_spec(listen=True), comm="bwstale")
    stale6 = make_holder(socket_spec(family="ipv6", addr="::", listen=True), comm="bwstale")
    redis = make_holder(socket_spec(listen=True), comm="bwredis")
    req, nobody = make_requester(), make_requester(comm=HOSTILE_COMM, prefix=NOBODY)
    with tempfile.TemporaryDirectory() as tmp:
        pol = os.path.join(tmp, "policy.yaml")
        with open(pol, "w") as f:
            f.write(policy_text([stale.port, stale6.port], redis.port))
        os.chmod(pol, 0o600)
        log = os.path.join(tmp, "bindwatch.log")
        with start_bindwatch("--log", log, "--policy", pol, "--dry-run") as bw:
            matched = conflict(bw, req, stale.port)
            unmatched = conflict(bw, req, redis.port)
            crossed = conflict(bw, nobody, stale.port)
            v6 = conflict(bw, req, stale6.port, family="ipv6", addr="::")
            rc, err = bw.stop()
        eq(rc, 0, f"monitor exit status ({err!r})")
        eq((matched["action"]["rule"], matched["action"]["result"]), ("stale", "dry-run"),
           "the monitor's decision for the matching conflict")
        check("policy" not in matched and "unmatched" not in matched,
              f"a matched first rule explains nothing: {matched}")
        eq(v6["action"]["result"], "dry-run", "the IPv6 conflict's decision")
        holder_exe = unmatched["holders"][0]["exe"]
        check(holder_exe and holder_exe != "/usr/bin/redis-server", f"holder exe {holder_exe!r}")
        why = unmatched.get("policy", {}).get("unmatched")
        check(why is not None, f"--dry-run record without policy.unmatched: {unmatched}")
        eq((why["rule"], why["field"], why["value"], why["condition"]),
           ("redis", "holder.exe", holder_exe, "/usr/bin/redis-server"),
           "the dry-run record's explanation")
        eq([(u["rule"], u["field"], u["got"], u["want"]) for u in unmatched["unmatched"]],
           [("redis", "holder.exe", holder_exe, "/usr/bin/redis-server")],
           "the record's unmatched, the same")
        eq(crossed["action"]["result"], "protected", "nobody against root's holder, live")

        with open(log, encoding="utf-8") as f:
            lines = f.read().splitlines()
        corrupt = os.path.join(tmp, "corrupt.log")
        with open(corrupt, "w", encoding="utf-8") as f:
            # line 2: garbage; last line: a record cut in half, without its newline
            f.write("\n".join([lines[0], "{\"event\":\"conflict\",\"port\":", *lines[1:]]) +
                    "\n" + lines[0][:len(lines[0]) // 2])
        last = len(lines) + 2

        rc, out, err = replay(pol, "--replay", corrupt)
        eq(rc, 0, f"check-policy --replay exit status (stderr {err!r})")
        print("    " + out.replace("\n", "\n    ").rstrip())
        check(f"decision: rule stale (line 9): reclaim: would reclaim pid {stale.pid} with "
              "SIGTERM" in out, f"the matching conflict's decision in {out!r}")
        check(f'  rule redis: holder.exe "{holder_exe}" does not match "/usr/bin/redis-server"\n'
              in out, f"the non-matching rule's first failed condition in {out!r}")
        check("decision: no rule matches: log only" in out, f"no-match decision in {out!r}")
        check(f"protected: the holder runs as uid 0 and the requester as uid 65534: a reclaim "
              "crosses users only when the rule names requester uid" in out,
              f"the cross-user rule on the recorded uids in {out!r}")
        check("\x1b" not in out and 'bw\\x1b[31m\\"q' in out,
              f"the hostile comm, escaped, in {out!r}")
        check(f"corrupt.log:2: skipped: not JSON" in err, f"the corrupt line reported: {err!r}")
        check(f"corrupt.log:{last}: skipped: not JSON" in err, f"the cut line reported: {err!r}")
        check("4 conflicts replayed" in err and "2 lines skipped" in err, f"summary: {err!r}")
        check(f"tcp [::]:{stale6.port} by " in out and ":::" not in out,
              f"the IPv6 address as records write it, in {out!r}")
        check("  logged: dry-run (rule stale); now: would reclaim (rule stale)\n" in out,
              f"logged beside now for the matching conflict in {out!r}")
        check("  logged: no rule; now: no rule\n" in out, f"the non-matching one in {out!r}")
        check("  logged: protected (rule stale); now: protected (rule stale)\n" in out,
              f"nobody's, protected then and now, in {out!r}")
        check(out.endswith("summary:\n"
                           "  rule stale (line 9): would reclaim: 2 (logged: dry-run 2)\n"
                           "  no rule: 1 (logged: no rule 1)\n"
                           "  rule stale (line 9): protected: 1 (logged: protected 1)\n"),
              f"the summary by rule and outcome in {out!r}")

        with open(corrupt, "rb") as f:
            rc, out, err = replay(pol, "--replay", "-", "--json", stdin=f.read())
        eq(rc, 0, f"--json exit status (stderr {err!r})")
        answers = [json.loads(line) for line in out.splitlines()]
        summary = answers.pop()
        eq(len(answers), 4, "one JSON object per conflict, then the summary")
        eq(sorted((r["rule"], r["now"], r["count"], r["logged"]) for r in summary["summary"]
                  if r["rule"]),
           [("stale", "protected", 1, {"protected": 1}),
            ("stale", "would-reclaim", 2, {"dry-run": 2})], "the JSON summary's rule rows")
        by_line = {a["line"]: a for a in answers}
        eq(sorted(by_line), [1, 3, 4, 5], "the log lines the answers name")
        a = by_line[1]
        eq((a["logged"], a["decision"]["outcome"]),
           ({"rule": "stale", "outcome": "dry-run"}, "would-reclaim"), "logged and now, JSON")
        eq((a["decision"]["rule"], a["decision"]["result"], a["holder"]["pid"], a["port"]),
           ("stale", "would-reclaim", stale.pid, stale.port), "the matching conflict, JSON")
        eq([u["rule"] for u in a["unmatched"]], [], "no rule before stale names its port")
        b = by_line[3]
        eq(b["decision"]["rule"], None, "no rule for the non-matching conflict, JSON")
        eq([(u["rule"], u["field"], u["value"], u["condition"]) for u in b["unmatched"]],
           [("redis", "holder.exe", holder_exe, "/usr/bin/redis-server")],
           "the non-matching rule's first failed condition, JSON")
        c = by_line[4]
        eq((c["decision"]["result"], c["requester"]["uid"], c["requester"]["comm"]),
           ("protected", 65534, HOSTILE_COMM), "nobody's conflict, JSON")
        check(f"-:2: skipped" in err, f"the corrupt line on stdin reported: {err!r}")


@pytest.mark.unprivileged
def test_replay_usage():
    """--json without --replay, and an unreadable log: usage 2, failure 1."""
    rc, _, err = run_to_exit(bindwatch_argv("check-policy", "/nonexistent", "--json"))
    eq(rc, 2, f"--json alone ({err!r})")
    check("--json goes with --replay" in err, f"message: {err!r}")
