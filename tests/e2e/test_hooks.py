# test_hooks.py - end-to-end tests of --exec: the hook gets the record on
# stdin and BINDWATCH_* variables, a hostile comm stays text (no shell),
# and a hook that hangs is killed without holding up capture.
import json
import os
import tempfile
import time

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, bind_conflict, check, child, eq, fail,
                     for_port, free_port, running)
from test_policy import write_policy


def hook_command(tmp, sleep=0):
    """--exec's command line: children/hook_record.py, its output in tmp."""
    return f"{PYTHON} {child('hook_record.py')} {os.path.join(tmp, 'out')} {sleep}"


def hook_outputs(tmp, count):
    """The first count hook outputs, waiting for them."""
    deadline = time.monotonic() + RECORD_TIMEOUT
    while True:
        names = sorted(n for n in os.listdir(tmp) if n.startswith("out.") and n.endswith(".json"))
        if len(names) >= count:
            break
        if time.monotonic() > deadline:
            fail(f"{len(names)} hook runs, expected {count}")
        time.sleep(0.05)
    outs = []
    for name in names[:count]:
        for _ in range(100):  # the hook may still be writing
            try:
                with open(os.path.join(tmp, name)) as f:
                    outs.append(json.load(f))
                break
            except ValueError:
                time.sleep(0.05)
    return outs


def test_hook_gets_record(monitor, make_requester):
    """The hook's stdin is the conflict's JSON record and its variables name
    the port, the requester and the holder; a comm of "$(touch ...)" is
    passed as text and runs nothing."""
    hostile = "$(touch bwpwn)"
    with tempfile.TemporaryDirectory() as tmp:
        bw, req = monitor("--exec", hook_command(tmp)), make_requester(hostile)
        rec, _, _ = bind_conflict(bw, requester=req)
        out = hook_outputs(tmp, 1)[0]
        check(not os.path.exists("bwpwn") and not os.path.exists(os.path.join(tmp, "bwpwn")),
              "the hostile comm was run by a shell")
    eq(json.loads(out["record"]), {**rec, "suppressed": 0}, "the record on the hook's stdin")
    env = out["env"]
    eq(env.get("BINDWATCH_PORT"), str(rec["port"]), "BINDWATCH_PORT")
    eq(env.get("BINDWATCH_PROTO"), "tcp", "BINDWATCH_PROTO")
    eq(env.get("BINDWATCH_REQUESTER_PID"), str(req.pid), "BINDWATCH_REQUESTER_PID")
    eq(env.get("BINDWATCH_REQUESTER_COMM"), hostile, "BINDWATCH_REQUESTER_COMM")
    eq(env.get("BINDWATCH_HOLDER_PID"), str(rec["holders"][0]["pid"]), "BINDWATCH_HOLDER_PID")
    eq(env.get("BINDWATCH_REASON"), rec["reason"], "BINDWATCH_REASON")
    eq(env.get("BINDWATCH_SUPPRESSED"), "0", "BINDWATCH_SUPPRESSED")
    eq(env.get("BINDWATCH_EVENT"), "conflict", "BINDWATCH_EVENT")
    check("BINDWATCH_RULE" not in env, f"no rule matched, yet BINDWATCH_RULE: {env}")


def test_ownership_hook_gets_event_and_rule(monitor, make_requester):
    """An ownership alert's hook is told what happened and why:
    BINDWATCH_EVENT=unexpected-owner and the expect rule's name and action
    in BINDWATCH_RULE and BINDWATCH_ACTION (a conflict's hook gets
    BINDWATCH_EVENT=conflict: above)."""
    intruder = make_requester()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, f"""version: 1
expect:
  - name: web-owner
    port: {port}
    proto: tcp
    owner: {{comm: nobody-owns-it}}
    action: alert
""")
        bw = monitor("--policy", policy, "--exec", hook_command(tmp))
        intruder.call(None, op="bind", family="ipv4", proto="tcp", addr="127.0.0.1", port=port)
        rec = bw.wait_record(lambda r: r["event"] == "unexpected-owner" and r["port"] == port)
        out = hook_outputs(tmp, 1)[0]
    eq(json.loads(out["record"])["event"], "unexpected-owner", "the record on stdin")
    env = out["env"]
    eq((env.get("BINDWATCH_EVENT"), env.get("BINDWATCH_RULE"), env.get("BINDWATCH_ACTION"),
        env.get("BINDWATCH_PORT")), ("unexpected-owner", "web-owner", "alert", str(port)),
       "the ownership alert's variables")
    eq(rec["expect"]["rule"], "web-owner", "the record's expect rule")


def test_rule_exec_variables(held_port, monitor, make_requester):
    """A rule's exec and its environment get every variable of the record,
    from one table: nobody's bind against root's listener gives
    {requester.uid} 65534 and {holder.uid} 0 in the arguments and
    BINDWATCH_REQUESTER_UID / BINDWATCH_HOLDER_UID in the environment, and
    the same for the rule, the action, the address and the executable."""
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        port = held_port()
        args = ["{port}", "--requester-uid={requester.uid}", "--holder-uid={holder.uid}",
                "--addr={addr}", "--rule={rule}", "--action={action}",
                "--suppressed={suppressed}", "--exe={requester.exe}", "--comm={holder.comm}",
                "--event={event}"]
        policy = write_policy(tmp, f'''version: 1
rules:
  - name: page
    match: {{port: {port}}}
    action: alert
    exec: {json.dumps([PYTHON, child("rule_hook.py"), os.path.join(tmp, "out")] + args)}
''')
        bw, req = monitor("--policy", policy), make_requester(prefix=NOBODY)
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                 port=port)
        rec = bw.wait_record(for_port(port))
        out = hook_outputs(tmp, 1)[0]
    eq(rec["action"], {"rule": "page", "type": "alert"}, "the record's action")
    exe = rec["requester"]["exe"]
    check(exe, "the requester's exe is known")
    eq(out["argv"], [str(port), "--requester-uid=65534", "--holder-uid=0", "--addr=127.0.0.1",
                     "--rule=page", "--action=alert", "--suppressed=0", f"--exe={exe}",
                     f"--comm={rec['holders'][0]['comm']}", "--event=conflict"],
       "the rule's exec arguments")
    eq(json.loads(out["record"]), {**rec, "suppressed": 0}, "the record on the exec's stdin")
    env = out["env"]
    for name, value in [("PORT", str(port)), ("ADDR", "127.0.0.1"), ("REQUESTER_UID", "65534"),
                        ("REQUESTER_PID", str(req.pid)), ("REQUESTER_EXE", exe),
                        ("HOLDER_UID", "0"), ("HOLDER_PID", str(os.getpid())),
                        ("RULE", "page"), ("ACTION", "alert"), ("REASON", "listener"),
                        ("EVENT", "conflict"),
                        ("SUPPRESSED", "0")]:
        eq(env.get("BINDWATCH_" + name), value, "BINDWATCH_" + name)


def test_hook_timeout_does_not_block(monitor, make_requester):
    """A hook that hangs is killed after --exec-timeout, and records keep
    coming while it runs."""
    with tempfile.TemporaryDirectory() as tmp:
        bw = monitor("--exec", hook_command(tmp, sleep=600), "--exec-timeout", "1")
        req = make_requester()
        bind_conflict(bw, requester=req)
        first = hook_outputs(tmp, 1)[0]
        bind_conflict(bw, requester=req)  # capture goes on while the hook hangs
        deadline = time.monotonic() + RECORD_TIMEOUT
        while running(first["pid"]):
            check(time.monotonic() < deadline, "the hanging hook was not killed")
            time.sleep(0.05)
        rc, stderr = bw.stop()
        eq(rc, 0, f"exit code (stderr {stderr!r})")
        check("killed" in stderr, f"stderr does not say the hook was killed: {stderr!r}")
