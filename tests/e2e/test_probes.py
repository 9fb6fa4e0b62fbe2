# test_probes.py - end-to-end tests of probe rules (bindwatch-policy(5),
# PROBES) with the real nginx and haproxy from Debian, each run by the test
# in the foreground on loopback ports of its own, its files in the test's
# directory (children/nginx.conf.in, children/haproxy.cfg.in): nginx -t on
# a running nginx makes conflicts that the page's rule records as probes,
# running no hook and moving bindwatch_probe_conflicts_total, not
# bindwatch_conflicts_total; without the rule the same test makes
# ordinary conflicts that alert; haproxy -c binds nothing, and haproxy's
# own start on a held port alerts.  Each monitor watches the test's ports
# only (--port); --exec-max 1 runs hooks one at a time, so once a later
# conflict's hook has run, any hook an earlier conflict started has too.
import json
import os
import shutil
import socket
import string
import subprocess
import tempfile
import time

import pytest

from harness import (EXIT_TIMEOUT, PYTHON, RECORD_TIMEOUT, REPO, check, child, eq, fail,
                     free_port, terminate)
from test_hooks import hook_command, hook_outputs
from test_options import samples, scrape
from test_policy import write_policy

MAN_PAGE = os.path.join(REPO, "doc", "bindwatch-policy.5")
# what the page's rule names, and the ports it listens on there
DOC_EXE = "/usr/sbin/nginx"
DOC_PORTS = "port: [80, 443]"
RULE = "nginx-config-test"
# the roff escapes of the page's example, and the text they stand for
ROFF = (("\\-", "-"), ("\\(aq", "'"), ("\\(dq", '"'), ("\\e", "\\"))
CONFLICTS = 'bindwatch_conflicts_total{syscall="bind",proto="tcp"}'
PROBES = 'bindwatch_probe_conflicts_total{syscall="bind",proto="tcp"}'


def documented_policy(ports):
    """The policy of bindwatch-policy(5), PROBES, as the page gives it, on
    ports instead of 80 and 443."""
    with open(MAN_PAGE) as f:
        page = f.read()
    section = page.split("\n.SH PROBES\n", 1)[1].split("\n.SH ", 1)[0]
    text = section.split("\n.EX\n", 1)[1].split("\n.EE\n", 1)[0]
    for roff, plain in ROFF:
        text = text.replace(roff, plain)
    check(DOC_PORTS in text and f"exe: {DOC_EXE}" in text,
          f"the page's probe rule no longer reads as this test expects: {text!r}")
    return text.replace(DOC_PORTS, f"port: [{', '.join(map(str, ports))}]") + "\n"


def program(name):
    """The path of Debian's program name, or skip."""
    path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin")
    if not path:
        pytest.skip(f"{name} is not installed (scripts/install-deps.sh installs it)")
    return path


def fill(template, tmp, **values):
    """children/TEMPLATE with ${DIR} and values filled in, written to tmp."""
    with open(child(template)) as f:
        text = string.Template(f.read()).substitute(DIR=tmp, **values)
    path = os.path.join(tmp, template.removesuffix(".in"))
    with open(path, "w") as f:
        f.write(text)
    return path


def distinct_ports(n):
    """n free loopback ports, all different."""
    ports = set()
    while len(ports) < n:
        ports.add(free_port())
    return sorted(ports)


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Server:
    """A server the test starts (argv) and owns: in the foreground, ready
    once every port answers, stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, argv, ports, log):
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + RECORD_TIMEOUT
        while not all(listening(p) for p in ports):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                fail(f"{argv} did not listen on {ports}: {self.output()!r}")
            time.sleep(0.05)

    def output(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def close(self):
        terminate(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def run(argv):
    """Run argv to its end; (pid, exit status, its output)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        fail(f"{argv} still running after {EXIT_TIMEOUT}s")
    return p.pid, p.returncode, out.decode("utf-8", "replace")


def nginx_argv(nginx, tmp, *flags):
    """nginx on the test's configuration, its prefix and error log in tmp."""
    return [nginx, *flags, "-p", tmp + "/", "-c", os.path.join(tmp, "nginx.conf"),
            "-e", os.path.join(tmp, "error.log")]


def conflicts_of(bw, pid, ports):
    """The conflict records of process pid on each of ports, in port order."""
    recs = {}
    while len(recs) < len(ports):
        rec = bw.wait_record(lambda r: r.get("event") == "conflict" and r.get("port") in ports
                             and r["requester"]["pid"] == pid and r["port"] not in recs)
        recs[rec["port"]] = rec
    return [recs[p] for p in ports]


def counters(mport):
    """(bind conflicts, bind probe conflicts) over TCP, as /metrics says."""
    status, text = scrape(mport)
    eq(status, 200, "GET /metrics")
    s = samples(text)
    return s.get(CONFLICTS, 0), s.get(PROBES, 0)


def fail_bind(bw, port):
    """An ordinary conflict on port (children/bind_once.py); its record."""
    pid, rc, out = run([PYTHON, child("bind_once.py"), str(port), "127.0.0.1"])
    eq(rc, 0, f"bind_once.py on the held port {port} ({out.strip()})")
    return bw.wait_record(lambda r: r.get("event") == "conflict" and r.get("port") == port
                          and r["requester"]["pid"] == pid)


def hook_records(hooks, done):
    """The records every hook run in directory hooks got, once done(them)
    (hooks run one at a time: by then every earlier one has ended)."""
    deadline = time.monotonic() + RECORD_TIMEOUT
    while True:
        n = len([name for name in os.listdir(hooks) if name.endswith(".json")])
        recs = [json.loads(out["record"]) for out in hook_outputs(hooks, n)] if n else []
        if done(recs):
            return recs
        if time.monotonic() > deadline:
            fail(f"the hooks expected did not run; hooks ran for "
                 f"{[(r['requester']['pid'], r['port']) for r in recs]}")
        time.sleep(0.05)


def ran_for(pid):
    """hook_records()'s done: a hook ran for a conflict of pid."""
    return lambda recs: any(r["requester"]["pid"] == pid for r in recs)


def monitor_args(hooks, mport, ports):
    """A monitor of the test's ports, alerting through children/hook_record.py
    into hooks, one hook at a time, with its metrics on mport."""
    return ["--port", ",".join(map(str, ports)), "--exec", hook_command(hooks),
            "--exec-max", "1", "--metrics", str(mport)]


def test_probe_nginx_t(monitor):
    """nginx -t on a running nginx: with the page's probe rule, each of its
    conflicts is recorded, marked probe, runs no hook and moves the probe
    counter, not bindwatch_conflicts_total; a conflict of another program
    on the same port stays an ordinary one that alerts."""
    nginx = program("nginx")
    if os.path.realpath(nginx) != DOC_EXE:
        pytest.skip(f"nginx is {os.path.realpath(nginx)}, the page's rule names {DOC_EXE}")
    ports, mport = distinct_ports(2), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        hooks = os.path.join(tmp, "hooks")
        os.mkdir(hooks)
        policy = write_policy(tmp, documented_policy(ports))
        fill("nginx.conf.in", tmp, PORT1=ports[0], PORT2=ports[1])
        with Server(nginx_argv(nginx, tmp), ports, os.path.join(tmp, "nginx.out")):
            bw = monitor("--policy", policy, *monitor_args(hooks, mport, ports))
            before = counters(mport)
            pid, rc, out = run(nginx_argv(nginx, tmp, "-t"))
            eq(rc, 0, f"nginx -t ({out.strip()})")
            for rec in conflicts_of(bw, pid, ports):
                req = rec["requester"]
                eq((rec["probe"], rec.get("action")), (True, {"rule": RULE, "type": "probe"}),
                   f"nginx -t's conflict on {rec['port']} (requester {req['comm']} uid "
                   f"{req['uid']} {req['cmdline']!r}, holder {rec['holders'][0]['exe']}): "
                   f"(probe, action)")
            other = fail_bind(bw, ports[0])
            eq((other["probe"], other.get("action")), (False, None),
               "another program's conflict on the port: (probe, action)")
            ran = hook_records(hooks, ran_for(other["requester"]["pid"]))
        eq([r["requester"]["pid"] for r in ran], [other["requester"]["pid"]],
           "the processes whose conflicts ran a hook")
        after = counters(mport)
    eq((after[0] - before[0], after[1] - before[1]), (1, len(ports)),
       "(bindwatch_conflicts_total, bindwatch_probe_conflicts_total) increases")


def test_probe_nginx_t_without_rule(monitor):
    """Control: without a probe rule, the same nginx -t makes ordinary
    conflicts, each of which alerts (its own incident) and counts in
    bindwatch_conflicts_total."""
    nginx = program("nginx")
    ports, mport = distinct_ports(2), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        hooks = os.path.join(tmp, "hooks")
        os.mkdir(hooks)
        fill("nginx.conf.in", tmp, PORT1=ports[0], PORT2=ports[1])
        with Server(nginx_argv(nginx, tmp), ports, os.path.join(tmp, "nginx.out")):
            bw = monitor(*monitor_args(hooks, mport, ports))
            before = counters(mport)
            pid, rc, out = run(nginx_argv(nginx, tmp, "-t"))
            eq(rc, 0, f"nginx -t ({out.strip()})")
            recs = conflicts_of(bw, pid, ports)
            for rec in recs:
                eq((rec["probe"], rec.get("action")), (False, None),
                   f"nginx -t's conflict on {rec['port']}: (probe, action)")
            ran = hook_records(hooks, lambda recs: len(recs) >= len(ports))
        eq(sorted((r["requester"]["pid"], r["port"]) for r in ran), [(pid, p) for p in ports],
           "the (process, port) of each conflict that ran a hook")
        after = counters(mport)
    eq((after[0] - before[0], after[1] - before[1]), (len(ports), 0),
       "(bindwatch_conflicts_total, bindwatch_probe_conflicts_total) increases")


def test_probe_haproxy_c(monitor):
    """haproxy -c on a running haproxy binds nothing (HAProxy checks a
    configuration without binding: bindwatch-policy(5), PROBES), so it
    makes no record to mark; haproxy's own start on the held port is a
    conflict, which alerts and counts in bindwatch_conflicts_total."""
    haproxy = program("haproxy")
    (port,), mport = distinct_ports(1), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        hooks = os.path.join(tmp, "hooks")
        os.mkdir(hooks)
        cfg = fill("haproxy.cfg.in", tmp, PORT=port)
        with Server([haproxy, "-db", "-f", cfg], [port], os.path.join(tmp, "haproxy.out")):
            bw = monitor(*monitor_args(hooks, mport, [port]))
            before = counters(mport)
            check_pid, rc, out = run([haproxy, "-c", "-f", cfg])
            eq(rc, 0, f"haproxy -c ({out.strip()})")
            start_pid, rc, out = run([haproxy, "-db", "-f", cfg])
            check(rc != 0, f"a second haproxy on port {port} started: {out.strip()!r}")
            start = bw.wait_record(
                lambda r: r.get("event") == "conflict" and r["requester"]["pid"] == start_pid,
                forbid=lambda r: r.get("requester", {}).get("pid") == check_pid)
            eq((start["port"], start["probe"]), (port, False), "haproxy's start: (port, probe)")
            ran = hook_records(hooks, ran_for(start_pid))
        eq([r["requester"]["pid"] for r in ran], [start_pid],
           "the processes whose conflicts ran a hook")
        after = counters(mport)
    eq((after[0] - before[0], after[1] - before[1]), (1, 0),
       "(bindwatch_conflicts_total, bindwatch_probe_conflicts_total) increases")
