# test_trust_policy.py - end-to-end tests of what a hostile local user (nobody,
# through harness.NOBODY) cannot make a root bindwatch do: see
# doc/security.md. Here: the policy's part. No option injection into a
# rule's exec; no reclaim of another user's process; no unit a user named
# for itself; no protection bought with a comm; no reclaim slots hogged;
# no capture stalled by a pathological cmdline pattern; no policy file
# that another user could replace.
import errno
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from harness import (CHILDREN_DIR, NOBODY, PYTHON, RECORD_TIMEOUT, Holder, Netns, Requester,
                     bindwatch_argv, check, child, end_child, eq, fail, free_port, run_to_exit,
                     running, socket_spec, start_bindwatch)
from test_policy import STALE_CMDLINE, stale, write_policy

NOBODY_UID = 65534


class Child:
    """A python3 child (children/NAME, args) behind a command prefix, its
    stdout read line by line.  It runs in children/, by its name alone: no
    directory of the checkout shows in its command line, which the rules
    of these tests match."""

    def __init__(self, name, *args, prefix=()):
        self.proc = subprocess.Popen([*prefix, PYTHON, name, *map(str, args)], cwd=CHILDREN_DIR,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def line(self):
        line = self.proc.stdout.readline().strip()
        if not line:
            fail(f"child {self.proc.args[:6]} ended: {self.proc.stderr.read()!r}")
        return line

    def close(self):
        end_child(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def conflict_with_action(bw, port, timeout=RECORD_TIMEOUT):
    return bw.wait_record(lambda r: r.get("port") == port and "action" in r, timeout=timeout)


# ---------------------------------------------------------------- item 1: exec injection

def test_trust_exec_comm_is_never_an_option():
    """nobody names itself "-f/etc/shadow" and fails a bind on a port whose
    rule's exec passes {requester.comm}: the hook gets the name as text
    after the fixed "comm=", in one argument, and nothing of /etc/shadow
    shows anywhere. check-policy refuses the issue's logger rule, where the
    name would be a whole argument, naming file and line."""
    with tempfile.TemporaryDirectory() as tmp:
        hook = os.path.join(tmp, "hook")  # writes hook.out next to itself
        shutil.copyfile(child("argv_hook.py"), hook)
        os.chmod(hook, 0o755)
        holder = Holder(socket_spec(listen=8))
        with holder:
            policy = write_policy(tmp, f'''version: 1
rules:
  - name: tell
    match: {{port: {holder.port}}}
    action: alert
    exec: ["{hook}", "comm={{requester.comm}}"]
''')
            with start_bindwatch("--policy", policy) as bw, \
                    Requester(comm="-f/etc/shadow", prefix=NOBODY) as req:
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=holder.port)
                rec = conflict_with_action(bw, holder.port)
                eq(rec["requester"]["uid"], NOBODY_UID, "requester uid")
                eq(rec["requester"]["comm"], "-f/etc/shadow", "requester comm")
                deadline = time.monotonic() + RECORD_TIMEOUT
                while not os.path.exists(hook + ".out") and time.monotonic() < deadline:
                    time.sleep(0.05)
                check(os.path.exists(hook + ".out"), "the rule's hook never ran")
                with open(hook + ".out") as f:
                    got = json.load(f)
                eq(got["argv"], [hook, "comm=-f/etc/shadow"], "the hook's argv")
                eq(got["read"], [], "files the hook read")
                _, err = bw.stop()
        with open("/etc/shadow") as f:
            first = f.readline().strip()
        check(first not in err + json.dumps(got), "root-only data from /etc/shadow leaked")

        # the rule: the comm as a whole argument is refused
        bad = write_policy(tmp, '''version: 1
rules:
  - name: log-it
    match: {port: 8080}
    action: alert
    exec: ["/usr/bin/logger", "-t", "a", "{requester.comm}"]
''')
        rc, out, err = run_to_exit(bindwatch_argv("check-policy", bad))
        eq(rc, 1, f"check-policy exit status (stdout {out!r}, stderr {err!r})")
        check(f"{bad}:6: 'exec': argument '{{requester.comm}}' starts with "
              "'{requester.comm}', whose value the process chooses" in err,
              f"check-policy's message: {err!r}")
        print(f"    check-policy: {err.strip()}")


# ---------------------------------------------------------------- item 2: no cross-user reclaim

# bindwatch-policy(5)'s example rule, as an attacker reads it: the requester's
# conditions are all of its own choosing.
EXAMPLE_SHAPED = '''version: 1
rules:
  - name: stale-api-squatter
    match:
      port: {port}
      proto: tcp
      holder:
        comm: {comm}
        state: listen
      requester:
        exe: "/usr/bin/python3*"
        cmdline: "/opt/api\\\\.py"
    action: reclaim
    reclaim:
      grace: 2s
'''


def lookalike(port, prefix=NOBODY):
    """The attacker's requester, nobody's python3 children/fail_and_wait.py
    0.0.0.0 PORT /opt/api.py, failed."""
    c = Child("fail_and_wait.py", "0.0.0.0", port, "/opt/api.py", prefix=prefix)
    eq(c.line(), "failed", "the lookalike's bind")
    return c


def test_trust_no_reclaim_of_another_users_holder():
    """With a rule shaped like bindwatch-policy(5)'s example, nobody's python3 with
    /opt/api.py in its command line fails a bind on the port root's holder
    listens on: the record says protected, naming both uids, and root's
    holder still runs. The same rule against a holder of nobody's own
    reclaims it: the uid check, not a mismatch, is what saved root's."""
    with tempfile.TemporaryDirectory() as tmp:
        root_holder = Holder(socket_spec(addr="127.0.0.1", listen=8), comm="stale-api")
        with root_holder:
            policy = write_policy(tmp, EXAMPLE_SHAPED.format(port=root_holder.port,
                                                            comm="stale-api"))
            with start_bindwatch("--policy", policy) as bw:
                with lookalike(root_holder.port):
                    rec = conflict_with_action(bw, root_holder.port)
                action = rec["action"]
                eq((action["rule"], action["result"]), ("stale-api-squatter", "protected"),
                   f"action {action}")
                check("uid 0" in action["why"] and f"uid {NOBODY_UID}" in action["why"],
                      f"why names both uids: {action['why']!r}")
                eq(action["signals"], [], "signals sent")
                time.sleep(0.5)
                check(running(root_holder.pid), "root's holder was signalled")
                print(f"    why: {action['why']}")

        own = Holder(socket_spec(addr="127.0.0.1", listen=8), comm="stale-api", uid=NOBODY_UID)
        with own:
            policy = write_policy(tmp, EXAMPLE_SHAPED.format(port=own.port, comm="stale-api"))
            with start_bindwatch("--policy", policy) as bw:
                with lookalike(own.port):
                    rec = conflict_with_action(bw, own.port)
                eq(rec["action"]["result"], "reclaimed", f"action {rec['action']}")
                check(own.proc.wait(RECORD_TIMEOUT) is not None and not running(own.pid),
                      "nobody's own holder still runs")


def test_trust_cross_user_rule_is_warned():
    """A rule that names requester uid may cross users (the operator's
    choice); check-policy says which uid may have whose processes signalled,
    and still exits 0."""
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, '''version: 1
rules:
  - name: deploy-takes-over
    match:
      port: 8080
      requester: {uid: 1000}
    action: reclaim
''')
        rc, out, err = run_to_exit(bindwatch_argv("check-policy", policy))
        eq(rc, 0, f"check-policy exit status ({err!r})")
        check("warning: rule 'deploy-takes-over' (line 3) lets uid 1000 have processes of "
              "any user signalled" in err, f"check-policy's warning: {err!r}")
        check("valid, 1 rule\n" in out, f"check-policy's verdict: {out!r}")


# ---------------------------------------------------------------- item 2: unit vs user_unit

class DelegatedCgroup:
    """/sys/fs/cgroup/bwt-XXXX.slice/user@65534.service/app.slice/legacy.service,
    made by root as systemd would delegate it to nobody's manager; removed on exit."""

    def __init__(self):
        with open("/proc/self/mounts") as f:
            mounts = [l.split() for l in f]
        root = next((m[1] for m in mounts if m[2] == "cgroup2"), None)
        if root is None:
            pytest.skip("no cgroup2 mount")
        self.top = os.path.join(root, f"bwt-{secrets.token_hex(4)}.slice")
        self.rel = "/" + os.path.relpath(self.top, root) + \
            f"/user@{NOBODY_UID}.service/app.slice/legacy.service"
        self.leaf = root + self.rel
        self.root, self.dirs = root, []
        path = self.top
        try:
            for part in (f"user@{NOBODY_UID}.service", "app.slice", "legacy.service", None):
                os.mkdir(path)
                self.dirs.append(path)
                path = os.path.join(path, part) if part else path
        except OSError as e:
            self.remove()
            pytest.skip(f"cannot create cgroups under {root}: {e}")

    def enter(self, pid):
        with open(os.path.join(self.leaf, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def remove(self):
        for d in reversed(self.dirs):
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    pids = f.read().split()
                for pid in pids:  # back to the root cgroup, or rmdir fails
                    with open(os.path.join(self.root, "cgroup.procs"), "w") as f:
                        f.write(pid)
            except OSError:
                pass
            try:
                os.rmdir(d)
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def test_trust_user_unit_is_not_unit():
    """nobody's requester in a cgroup named legacy.service below
    user@65534.service: the record says user_unit legacy.service, unit
    user@65534.service; a rule on unit legacy.service does not match it;
    one on user_unit does, and still cannot signal root's holder."""
    with tempfile.TemporaryDirectory() as tmp, DelegatedCgroup() as cg:
        holder = Holder(socket_spec(listen=8), comm="legacy-root")
        with holder:
            policy = write_policy(tmp, f'''version: 1
rules:
  - name: by-unit
    match:
      port: {holder.port}
      requester: {{unit: legacy.service}}
    action: reclaim
  - name: by-user-unit
    match:
      port: {holder.port}
      requester: {{user_unit: legacy.service}}
    action: reclaim
''')
            with start_bindwatch("--policy", policy) as bw:
                req = Requester(prefix=NOBODY)
                with req:
                    cg.enter(req.pid)
                    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                             addr="127.0.0.1", port=holder.port)
                    rec = bw.wait_record(lambda r: r.get("port") == holder.port)
                r = rec["requester"]
                eq(r["cgroup"], cg.rel, "requester.cgroup")
                eq(r["user_unit"], "legacy.service", "requester.user_unit")
                eq(r["unit"], f"user@{NOBODY_UID}.service", "requester.unit")
                eq(rec["holders"][0].get("user_unit", "(missing)"), None, "holder's user_unit")
                action = rec.get("action", {})
                eq((action.get("rule"), action.get("result")), ("by-user-unit", "protected"),
                   f"rule matched and its result: {action}")
                check(running(holder.pid), "root's holder was signalled")


# ---------------------------------------------------------------- item 9: protect by uid

def test_trust_protect_uid_not_comm():
    """protect: {uid: [0]} protects root's holder whatever its name, and a
    squatter of nobody's that renamed itself sshd is not protected by it:
    its own user's reclaim goes ahead."""
    with tempfile.TemporaryDirectory() as tmp:
        squatter = Holder(socket_spec(listen=8), comm="sshd", uid=NOBODY_UID)
        rooted = Holder(socket_spec(listen=8), comm="some-daemon")
        with squatter, rooted:
            policy = write_policy(tmp, f'''version: 1
protect:
  uid: [0]
rules:
  - name: squatters
    match:
      port: [{squatter.port}, {rooted.port}]
    action: reclaim
    reclaim: {{grace: 2s}}
''')
            with start_bindwatch("--policy", policy) as bw:
                with Requester(prefix=NOBODY) as req:
                    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                             addr="127.0.0.1", port=squatter.port)
                    rec = conflict_with_action(bw, squatter.port)
                eq(rec["holders"][0]["comm"], "sshd", "the squatter's comm")
                eq(rec["action"]["result"], "reclaimed", f"action {rec['action']}")
                check(squatter.proc.wait(RECORD_TIMEOUT) is not None, "the squatter still runs")
                with Requester() as req:  # root's own requester: only protect stops it
                    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                             addr="127.0.0.1", port=rooted.port)
                    rec = conflict_with_action(bw, rooted.port)
                eq((rec["action"]["result"], rec["action"]["why"]),
                   ("protected", "the holder is on the protect list (protect.uid 0)"),
                   "root holder's action, naming the entry")
                check(running(rooted.pid), "root's protected holder was signalled")


# ---------------------------------------------------------------- item 5: reclaim slots

SLOTS = 16       # reclaim.c's MAX_JOBS
PER_UID = 4      # and its quota per uid


def test_trust_reclaim_slots_quota():
    """nobody holds a TERM-ignoring stale listener on port P in each of 17
    network namespaces and fails a bind on P in each: only 4 of its
    reclaims run (its quota), the others fail naming the quota; root's
    reclaim of its own stale holder on P right after still succeeds
    (without quotas the 16 slots would be full)."""
    port = free_port()
    count = SLOTS + 1
    namespaces, holders, requesters = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        policy = write_policy(tmp, f'''version: 1
rules:
  - name: stale
    match:
      port: {port}
      holder: {{cmdline: "term_ignoring|{STALE_CMDLINE}"}}
    action: reclaim
    reclaim: {{grace: 30s}}
''')
        try:
            for _ in range(count):
                ns = Netns()
                namespaces.append(ns)
                h = Child("term_ignoring.py", port, prefix=[*ns.exec_prefix(), *NOBODY])
                holders.append(h)
                eq(h.line(), "ready", "a TERM-ignoring holder")
            with start_bindwatch("--policy", policy) as bw:
                for ns in namespaces:
                    r = Child("fail_and_wait.py", "127.0.0.1", port,
                              prefix=[*ns.exec_prefix(), *NOBODY])
                    requesters.append(r)
                    eq(r.line(), "failed", "nobody's bind in its namespace")
                quota = [bw.wait_record(lambda r: r.get("port") == port and "action" in r)
                         for _ in range(count - PER_UID)]
                for rec in quota:
                    eq(rec["action"]["result"], "failed", f"action {rec['action']}")
                    check(rec["action"]["why"].startswith(
                        f"reclaim quota: requester uid {NOBODY_UID} already has {PER_UID} "
                        "reclaims under way"), f"why: {rec['action']['why']!r}")
                with stale(port) as root_stale:  # root's, in bindwatch's namespace
                    r = Child("fail_and_wait.py", "127.0.0.1", port)
                    requesters.append(r)
                    eq(r.line(), "failed", "root's bind")
                    rec = bw.wait_record(lambda x: x.get("port") == port and "action" in x
                                         and x["requester"]["pid"] == r.pid)
                    eq(rec["action"]["result"], "reclaimed", f"root's reclaim {rec['action']}")
                    check(root_stale.proc.wait(RECORD_TIMEOUT) is not None, "root's stale holder runs")
                print(f"    {count - PER_UID} of nobody's reclaims refused by quota; root's reclaimed")
                for h in holders:
                    check(h.proc.poll() is None, "a TERM-ignoring holder exited")
        finally:
            for c in requesters + holders:
                c.close()
            for ns in namespaces:
                ns.delete()


# ---------------------------------------------------------------- item 4: regex never stalls capture

def test_trust_regex_does_not_stall_capture():
    """Rules with cmdline "[0-9]+\\.[0-9]+" (the issue's) and a nested
    "(\\d+)+\\D$" (which backtracks without end) on port P; nobody runs 20
    requesters whose argv is 64 KB of digits, failing on P; right after, an
    unrelated bind fails on port Q: its record arrives within 100 ms of the
    bind failing. The pattern that gave up is reported once."""
    digits = "1234567890" * 6554  # 65,540 bytes
    holder = Holder(socket_spec(listen=8))
    with tempfile.TemporaryDirectory() as tmp, holder:
        port = holder.port
        policy = write_policy(tmp, f'''version: 1
rules:
  - name: dotted
    match: {{port: {port}, requester: {{cmdline: "[0-9]+\\\\.[0-9]+"}}}}
    action: log
  - name: nested
    match: {{port: {port}, requester: {{cmdline: "(\\\\d+)+\\\\D$"}}}}
    action: log
''')
        other = socket.socket()
        other.bind(("127.0.0.1", 0))
        other.listen()
        other_port = other.getsockname()[1]
        requesters = []
        with other, start_bindwatch("--policy", policy) as bw:
            try:
                for _ in range(20):
                    # on localhost: no "digits.digits" in the command line but
                    # the digits argument's
                    requesters.append(Child("fail_and_wait.py", "localhost", port, digits,
                                            prefix=NOBODY))
                for r in requesters:
                    eq(r.line(), "failed", "a digits requester's bind")
                s = socket.socket()
                try:
                    s.bind(("127.0.0.1", other_port))
                    fail("the unrelated bind succeeded")
                except OSError as e:
                    t0 = time.monotonic()
                    eq(e.errno, errno.EADDRINUSE, "the unrelated bind's errno")
                finally:
                    s.close()
                rec = bw.wait_record(lambda r: r.get("port") == other_port)
                latency_ms = (time.monotonic() - t0) * 1000
            finally:
                for r in requesters:
                    r.close()
            print(f"    unrelated record {latency_ms:.1f} ms after its bind failed "
                  f"(20 requesters with 64 KB argv)")
            check(latency_ms < 100, f"unrelated record came {latency_ms:.1f} ms after its bind")
            _, err = bw.stop()
        seen = [r for r in bw.records() if r.get("port") == port]
        eq(sum(r["count"] for r in seen), 20, "failures on P accounted")
        check(all("action" not in r for r in seen), "a digits-only line matched a rule")
        check(len(seen[0]["requester"]["cmdline"]) >= 4096,
              "the requesters' command lines were not read from /proc")
        eq(err.count("its requester cmdline pattern gave up"), 1,
           f"the give-up is reported once: {err!r}")


# ---------------------------------------------------------------- item 6: where the policy lives

def test_trust_policy_in_open_or_linked_dir():
    """A policy in a 0777 directory, or reached through a symbolic link to a
    directory, is refused by check-policy and --policy, naming the directory
    and the fix, and without quoting the file; a sticky 1777 one (as /tmp)
    is accepted."""
    with tempfile.TemporaryDirectory() as tmp:
        open_dir = os.path.join(tmp, "open")
        os.mkdir(open_dir)
        os.chmod(open_dir, 0o777)
        policy = write_policy(open_dir, "version: 1\nSECRET-LINE: x\n")
        rc, out, err = run_to_exit(bindwatch_argv("check-policy", policy))
        eq(rc, 1, "check-policy exit status")
        check(f"refused: directory {open_dir} is writable by group or others (mode 0777)" in err
              and f"chmod go-w {open_dir}" in err, f"check-policy's message: {err!r}")
        check("SECRET" not in err + out, f"the file was quoted: {err!r}")
        rc, _, err = run_to_exit(bindwatch_argv("--policy", policy))
        eq(rc, 1, f"bindwatch --policy exit status ({err!r})")
        check(f"directory {open_dir} is writable" in err, f"--policy's message: {err!r}")

        os.chmod(open_dir, 0o1777)
        rc, _, err = run_to_exit(bindwatch_argv("check-policy", policy))
        eq(rc, 1, "check-policy exit status (sticky)")
        check("unknown key 'SECRET-LINE'" in err, f"sticky dir: the file is read: {err!r}")

        real = os.path.join(tmp, "real")
        os.mkdir(real)
        write_policy(real, "version: 1\n")
        link = os.path.join(tmp, "link")
        os.symlink(real, link)
        rc, _, err = run_to_exit(bindwatch_argv("check-policy", os.path.join(link, "policy.yaml")))
        eq(rc, 1, "check-policy exit status (symlinked directory)")
        check(f"refused: {link} is a symbolic link" in err, f"check-policy's message: {err!r}")
        rc, out, _ = run_to_exit(bindwatch_argv("check-policy", os.path.join(real, "policy.yaml")))
        eq(rc, 0, f"the real path is accepted: {out!r}")
