# test_trust_names.py - end-to-end tests of what a hostile local user (nobody,
# through harness.NOBODY) cannot make a root bindwatch believe or print with
# the names it gives its own cgroups: see doc/security.md. A
# service with Delegate=yes run as nobody (as systemd hands a CI runner or a
# container engine its subtree) lets nobody create and name cgroups below
# it. Those names are nobody's: never a unit, a container or a namespace
# name, never matched by unit or protect conditions, and quoted in text so
# they cannot forge a record.
import os
import re
import secrets
import subprocess
import tempfile

import pytest

from harness import (NOBODY, Holder, Requester, bindwatch_argv, check, eq, for_port, free_port,
                     run_to_exit, running, socket_spec, start_bindwatch)
from test_policy import write_policy
from test_records import unshare

NOBODY_UID = 65534
# the files systemd hands over with Delegate=yes and User= (besides the directory)
DELEGATED_FILES = ("cgroup.procs", "cgroup.subtree_control", "cgroup.threads")
# the forgery: a cgroup name that reads as a second holder and a uid
FORGED = "x uid=0 cmd=sshd; held by sshd[1] uid=0 LISTEN tcp 127.0.0.1:41095; z.service"
QUOTED_RE = re.compile(r'"(?:[^"\\]|\\.)*"')


def cgroup2_mount():
    """The cgroup2 mount point, from /proc/self/mountinfo; skip without one."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields, sep, rest = line.partition(" - ")
            if sep and rest.split()[0] == "cgroup2":
                return fields.split()[4]
    pytest.skip("no cgroup2 mount")


class Unit:
    """A root-made cgroup "bwtest-KIND-XXXXXXXX.service" at the top of the
    cgroup v2 tree; delegated=True hands it to nobody as systemd does for a
    unit with Delegate=yes and User=nobody (the directory and DELEGATED_FILES
    chowned to nobody, trusted.delegate=1). Removed on exit, deepest first."""

    def __init__(self, kind, delegated):
        self.root = cgroup2_mount()
        self.name = f"bwtest-{kind}-{secrets.token_hex(4)}.service"
        self.dir = os.path.join(self.root, self.name)
        try:
            os.mkdir(self.dir)
        except OSError as e:
            pytest.skip(f"cannot create cgroups under {self.root}: {e}")
        if delegated:
            try:
                for path in (self.dir, *(os.path.join(self.dir, f) for f in DELEGATED_FILES)):
                    os.chown(path, NOBODY_UID, NOBODY_UID)
                os.setxattr(self.dir, "trusted.delegate", b"1")
            except OSError as e:
                self.remove()
                pytest.skip(f"cannot delegate {self.dir} as systemd does: {e}")

    def rel(self, sub=""):
        """The path bindwatch reports: relative to the cgroup2 root."""
        return "/" + os.path.join(self.name, sub).rstrip("/")

    def start(self, pid):
        """Put pid in the unit, as the system manager starts the service."""
        with open(os.path.join(self.dir, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def root_mkdir(self, sub):
        os.makedirs(os.path.join(self.dir, sub))

    def user_mkdir(self, sub):
        """nobody creates (and so names) the cgroup sub below the unit."""
        self._as_nobody(["mkdir", "-p", "--", os.path.join(self.dir, sub)])

    def user_enter(self, sub, pid):
        """nobody moves its process pid (already in the unit) into sub."""
        self._as_nobody(["tee", "--", os.path.join(self.dir, sub, "cgroup.procs")],
                        f"{pid}\n")

    def _as_nobody(self, argv, stdin=""):
        p = subprocess.run([*NOBODY, *argv], input=stdin.encode(), capture_output=True)
        check(p.returncode == 0, f"nobody's {argv}: {p.stderr.decode().strip()}")

    def remove(self):
        for d, _, _ in sorted(os.walk(self.dir), key=lambda w: -w[0].count("/")):
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    pids = f.read().split()
                for pid in pids:  # back to the root cgroup, or rmdir fails
                    with open(os.path.join(self.root, "cgroup.procs"), "w") as f:
                        f.write(pid)
                os.rmdir(d)
            except OSError:
                pass
        check(not os.path.exists(self.dir), f"{self.dir} is left behind")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def nobody_in(unit, sub, proc):
    """Started in unit by root, moved by nobody into its own cgroup sub."""
    unit.start(proc.pid)
    unit.user_mkdir(sub)
    unit.user_enter(sub, proc.pid)


def fail_bind(bw, req, port):
    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1", port=port)
    return bw.wait_record(lambda r: for_port(port)(r) and r["requester"]["pid"] == req.pid)


def unquoted(line):
    """The line with every quoted string emptied: its syntax as a reader sees it."""
    return QUOTED_RE.sub('""', line)


# ---------------------------------------------------------------- item 2: delegated subtrees

def test_trust_delegated_cgroup_is_not_a_unit():
    """nobody's requester in .../ci-runner.service/system.slice/nginx.service,
    a cgroup nobody made in the subtree of a unit delegated to it: unit is
    the runner's, user_unit nginx.service; a rule keyed on unit
    nginx.service does not match it, one on user_unit does."""
    with tempfile.TemporaryDirectory() as tmp, Unit("ci-runner", delegated=True) as unit:
        holder = Holder(socket_spec(listen=8))
        with holder:
            policy = write_policy(tmp, f'''version: 1
rules:
  - name: by-unit
    match:
      port: {holder.port}
      requester: {{unit: nginx.service}}
    action: log
  - name: by-user-unit
    match:
      port: {holder.port}
      requester: {{user_unit: nginx.service}}
    action: log
''')
            with start_bindwatch("--policy", policy) as bw, Requester(prefix=NOBODY) as req:
                nobody_in(unit, "system.slice/nginx.service", req)
                rec = fail_bind(bw, req, holder.port)
    r = rec["requester"]
    eq(r["cgroup"], unit.rel("system.slice/nginx.service"), "requester.cgroup")
    eq(r["unit"], unit.name, "requester.unit")
    eq(r["user_unit"], "nginx.service", "requester.user_unit")
    eq(rec.get("action", {}).get("rule"), "by-user-unit", f"the rule matched: {rec.get('action')}")


def test_trust_delegated_squatter_stays_protected():
    """protect: unit: [the runner] covers a squatter of nobody's that moved
    itself one level down into a cgroup it named squat.service: its
    reclaim is refused and it keeps running."""
    with tempfile.TemporaryDirectory() as tmp, Unit("ci-runner", delegated=True) as unit:
        squatter = Holder(socket_spec(listen=8), prefix=NOBODY)
        with squatter:
            nobody_in(unit, "squat.service", squatter)
            policy = write_policy(tmp, f'''version: 1
protect:
  unit: ["{unit.name}"]
rules:
  - name: squatters
    match:
      port: {squatter.port}
    action: reclaim
    reclaim: {{grace: 2s}}
''')
            with start_bindwatch("--policy", policy) as bw, Requester(prefix=NOBODY) as req:
                req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                         addr="127.0.0.1", port=squatter.port)
                rec = bw.wait_record(lambda r: for_port(squatter.port)(r) and "action" in r)
            h = rec["holders"][0]
            eq((h["unit"], h["user_unit"]), (unit.name, "squat.service"), "the squatter's names")
            eq((rec["action"]["result"], rec["action"]["why"]),
               ("protected", f'the holder is on the protect list (protect.unit "{unit.name}")'),
               "the reclaim, naming the entry")
            check(running(squatter.pid), "the protected squatter was signalled")


def test_trust_delegated_docker_scope_names_nothing():
    """nobody's own network namespace (unshare -rn), its process in a cgroup
    nobody named docker-<64 hex>.scope below the delegation: no container,
    no netns_name, in JSON or text."""
    path = unshare()
    fake = secrets.token_hex(32)
    scope = f"docker-{fake}.scope"
    with Unit("ci-runner", delegated=True) as unit, start_bindwatch() as bw, \
            Requester(prefix=(*NOBODY, path, "-rn")) as req:
        req.call(None, op="bind", family="ipv4", proto="tcp", addr="0.0.0.0", port=0)
        nobody_in(unit, scope, req)
        port = free_port()
        req.call("EADDRINUSE", op="listen", family="ipv4", proto="tcp", addr="0.0.0.0",
                 port=port, reuseaddr=True)
        rec = bw.wait_record(lambda r: for_port(port)(r) and r["requester"]["pid"] == req.pid)
    r = rec["requester"]
    check(r["netns"] != os.stat("/proc/self/ns/net").st_ino, "unshare -rn made no namespace")
    eq((r["unit"], r["user_unit"]), (unit.name, scope), "requester unit and user_unit")
    eq(r["container"], None, "requester.container of a scope nobody named")
    eq(r["netns_name"], None, "requester.netns_name of nobody's namespace")


def test_trust_root_made_units_control():
    """The legitimate path: a cgroup root made and did not delegate names
    the unit (bare in text), and a docker-<id>.scope root made in it names
    the container and, for the namespace of a process there, netns_name."""
    cid = secrets.token_hex(32)
    scope = f"docker-{cid}.scope"
    holder = Holder(socket_spec(listen=8))
    with Unit("x", delegated=False) as unit, holder:
        unit.root_mkdir(scope)
        with start_bindwatch(json_output=False) as bw, Requester(prefix=NOBODY) as req:
            unit.start(req.pid)
            req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                     port=holder.port)
            line = bw.wait_line(lambda l: f"[{req.pid}] ".encode() in l).decode()
        check(f" uid={NOBODY_UID} unit={unit.name} " in line, f"text line: {line!r}")
        with start_bindwatch() as bw, Requester(prefix=("unshare", "-n")) as req:
            with open(os.path.join(unit.dir, scope, "cgroup.procs"), "w") as f:
                f.write(str(req.pid))
            port = free_port()
            req.call("EADDRINUSE", op="listen", family="ipv4", proto="tcp", addr="0.0.0.0",
                     port=port, reuseaddr=True)
            rec = bw.wait_record(lambda r: for_port(port)(r) and r["requester"]["pid"] == req.pid)
    r = rec["requester"]
    eq((r["unit"], r["user_unit"], r["container"]), (scope, None, cid),
       "unit, user_unit and container of root's scope")
    eq(r["netns_name"], cid, "requester.netns_name: the container's id")


# ---------------------------------------------------------------- item 3: quoting

def who_lines(port):
    rc, out, err = run_to_exit(bindwatch_argv("who", str(port)))
    eq(rc, 0, f"bindwatch who exit status (stderr {err!r})")
    return out.splitlines()


def test_trust_forged_cgroup_name_quoted():
    """nobody names a cgroup below its delegation like the rest of a record
    ("x uid=0 cmd=sshd; held by sshd[1] uid=0 LISTEN ...; z.service") and
    fails a bind from it: the monitor's text line and `bindwatch who` on the
    port nobody holds from it show the name quoted, and read as one record
    (one "held by", one uid= per process)."""
    with Unit("ci-runner", delegated=True) as unit:
        holder = Holder(socket_spec(listen=8), prefix=NOBODY)
        with holder, start_bindwatch(json_output=False) as bw, Requester(prefix=NOBODY) as req:
            nobody_in(unit, FORGED, holder)
            unit.start(req.pid)
            unit.user_enter(FORGED, req.pid)
            req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                     port=holder.port)
            line = bw.wait_line(lambda l: f"[{req.pid}] ".encode() in l).decode()
            who = who_lines(holder.port)
    want = f' unit={unit.name} user_unit="{FORGED}" '
    check(want in line, f"text line lacks {want!r}: {line!r}")
    skeleton = unquoted(line)
    eq(skeleton.count("held by"), 1, f"'held by' outside quotes in {line!r}")
    eq(skeleton.count("uid="), 2, f"uid= outside quotes (requester, holder) in {line!r}")
    eq(len(who), 1, f"who lines: {who!r}")
    check(want in who[0], f"who line lacks {want!r}: {who[0]!r}")
    skeleton = unquoted(who[0])
    eq(skeleton.count("uid="), 1, f"uid= outside quotes in {who[0]!r}")
    check("held by" not in skeleton, f"'held by' outside quotes in {who[0]!r}")
    print(f"  text: ...{line[line.index(' unit='):][:70]!r}...")
