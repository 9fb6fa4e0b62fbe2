# test_ownership.py - end-to-end tests of port ownership: the policy's
# expect rules (a successful bind on an expected port by a caller that is
# not its owner writes "unexpected-owner"; the owner, and ports no rule
# names, write nothing) and SO_REUSEPORT joins (a process of another
# executable joining a group writes "reuseport-join" naming the members;
# another instance of the same program does not).  Each test ends with a
# sentinel call that must be reported: records come in call order, so
# once it is seen, a record the earlier calls should not have made would
# have come before it.
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, Requester, StdinChild, bindwatch_argv,
                     check, check_schema, child, eq, free_port, run_to_exit, socket_spec,
                     start_bindwatch)
from test_policy import write_policy


def expect_policy(ports, owner_comm, action="alert"):
    return ("version: 1\n"                                  # 1
            "expect:\n"                                     # 2
            "  - name: web\n"                               # 3
            f"    port: [{', '.join(map(str, ports))}]\n"   # 4
            "    proto: tcp\n"                              # 5
            f"    owner: {{comm: {owner_comm}}}\n"          # 6
            f"    action: {action}\n")                      # 7


def ownership_records(bw):
    """Every ownership record bindwatch wrote, once it has stopped."""
    return [r for r in bw.records() if r["event"] in ("unexpected-owner", "reuseport-join")]


def test_ownership_unexpected_owner(monitor, make_requester):
    """A bind on an expected port by a caller that is not its owner is
    reported with the caller, the port and the rule; the owner's bind and
    a bind on a port no expect rule names are not."""
    owner, intruder = make_requester(), make_requester()
    expected, other, sentinel = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_policy(tmp, expect_policy([expected, sentinel], owner.comm))
        bw = monitor("--policy", path)
        op = dict(op="bind", family="ipv4", proto="tcp", addr="127.0.0.1")
        owner.call(None, port=expected, **op)
        intruder.call(None, port=other, **op)
        got = intruder.call(None, port=sentinel, **op)
        rec = bw.wait_record(lambda r: r["event"] == "unexpected-owner")
        check_schema(rec)
        eq((rec["port"], rec["syscall"], rec["errno"], rec["proto"]),
           (sentinel, "bind", None, "tcp"), "the unexpected owner's call")
        eq((rec["requester"]["pid"], rec["requester"]["tid"], rec["requester"]["comm"]),
           (intruder.pid, got["tid"], intruder.comm), "the caller, as a requester")
        eq(rec["expect"], {"rule": "web", "line": 3, "action": "alert",
                           "unmet": {"field": "comm", "want": owner.comm,
                                     "got": intruder.comm}}, "the rule")
        bw.stop()
        eq([(r["event"], r["port"]) for r in ownership_records(bw)],
           [("unexpected-owner", sentinel)], "ownership records")


def test_ownership_alert_and_reload(make_requester):
    """action alert runs --exec with the record; SIGHUP's new policy moves
    the expected ports in the kernel: the old port is quiet, the new one
    watched."""
    intruder = make_requester()
    first, second = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "alert.json")
        hook = f"{child('save_stdin.sh')} {out}"
        path = write_policy(tmp, expect_policy([first], "nobody-owns-it"))
        with start_bindwatch("--policy", path, "--exec", hook) as bw:
            op = dict(op="bind", family="ipv4", proto="tcp", addr="127.0.0.1")
            intruder.call(None, port=first, **op)
            bw.wait_record(lambda r: r["event"] == "unexpected-owner" and r["port"] == first)
            deadline = time.monotonic() + RECORD_TIMEOUT
            while not os.path.exists(out) and time.monotonic() < deadline:
                time.sleep(0.05)
            check(os.path.exists(out), "the alert hook did not run")
            with open(out) as f:
                check(re.search(rf'"event":"unexpected-owner".*"port":{first}\b', f.read()),
                      "the hook's stdin is the record")
            write_policy(tmp, expect_policy([second], "nobody-owns-it", action="log"))
            bw.proc.send_signal(1)  # SIGHUP
            line = bw.err.next(time.monotonic() + RECORD_TIMEOUT)
            check(line and b"policy reloaded" in line and b"1 expect rule" in line,
                  f"stderr after the reload: {line!r}")
            intruder.call(None, port=first, **dict(op, addr="127.0.0.2"))
            intruder.call(None, port=second, **op)
            rec = bw.wait_record(lambda r: r["event"] == "unexpected-owner",
                                 forbid=lambda r: r["port"] == first)
            eq((rec["port"], rec["expect"]["action"]), (second, "log"), "after the reload")


class Perl(StdinChild):
    """A perl process holding UDP 127.0.0.1:port with SO_REUSEPORT
    (children/reuseport_member.pl)."""

    def __init__(self, port):
        perl = shutil.which("perl")
        if not perl:
            pytest.skip("perl is not installed")
        self.exe = os.path.realpath(perl)
        self.start_ready([perl, child("reuseport_member.pl"), str(port)], "perl member")
        self.pid = self.proc.pid


@pytest.fixture
def make_perl(closing):
    """make_perl(port): a Perl member on port, closed at the end of the test."""
    return lambda port: closing.enter_context(Perl(port))


def udp_port():
    """A UDP port on 127.0.0.1 that was free a moment ago."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ownership_reuseport_join(monitor, make_perl, make_holder, make_requester):
    """With --reuseport-watch, python joining perl's SO_REUSEPORT group is
    reported with perl as the member; python joining another python's
    group (same executable, uid and cgroup) is not."""
    joined, same, sentinel = udp_port(), udp_port(), udp_port()
    op = dict(op="bind", family="ipv4", proto="udp", addr="127.0.0.1", reuseport=True)
    bw = monitor("--reuseport-watch")
    perl = make_perl(joined)
    twin = make_holder(socket_spec(proto="udp", port=same, reuseport=True))
    perl2 = make_perl(sentinel)
    joiner = make_requester()
    joiner.call(None, port=joined, **op)
    rec = bw.wait_record(lambda r: r["event"] == "reuseport-join")
    check_schema(rec)
    eq((rec["port"], rec["proto"], rec["requester"]["pid"], rec["socket"]["reuseport"]),
       (joined, "udp", joiner.pid, True), "the joiner")
    eq([(h["pid"], h["exe"]) for h in rec["holders"]], [(perl.pid, perl.exe)],
       "the group's member")
    eq((rec["holders_omitted"], rec["expect"]), (0, None), "no expect rule names it")
    joiner.call(None, port=same, **op)
    joiner.call(None, port=sentinel, **op)
    rec = bw.wait_record(lambda r: r["event"] == "reuseport-join",
                         forbid=lambda r: r["port"] == same)
    eq((rec["port"], [h["pid"] for h in rec["holders"]]), (sentinel, [perl2.pid]),
       "the sentinel join")
    check(twin.pid != joiner.pid, "two python processes")


def test_ownership_reuseport_expected_port():
    """Without --reuseport-watch a join is reported on an expected port
    only, with its expect rule; a join elsewhere is not."""
    expected, elsewhere = udp_port(), udp_port()
    policy = ("version: 1\n"
              "expect:\n"
              "  - name: dns\n"
              f"    port: {expected}\n"
              "    proto: udp\n"
              "    owner: {exe: \"*perl*\"}\n"
              "    action: log\n")
    op = dict(op="bind", family="ipv4", proto="udp", addr="127.0.0.1", reuseport=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_policy(tmp, policy)
        with start_bindwatch("--policy", path) as bw, Perl(elsewhere), Perl(expected) as perl, \
                Requester() as joiner:
            joiner.call(None, port=elsewhere, **op)
            joiner.call(None, port=expected, **op)
            first = bw.wait_record(lambda r: r["event"] in ("unexpected-owner", "reuseport-join"))
            second = bw.wait_record(lambda r: r["event"] in ("unexpected-owner", "reuseport-join"))
            for rec in (first, second):
                eq(rec["port"], expected, f"{rec['event']} port")
            eq((first["event"], first["expect"]["unmet"]["field"]), ("unexpected-owner", "exe"),
               "python is not the owner")
            eq((second["event"], second["expect"]["rule"], second["holders"][0]["pid"]),
               ("reuseport-join", "dns", perl.pid), "and it joined perl's group")
            check("unmet" not in second["expect"], "a join names the rule, not a miss")


@pytest.mark.unprivileged
def test_ownership_check_policy():
    """check-policy accepts expect rules and names the file, line and what
    was expected for a bad one."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_policy(tmp, expect_policy([80, 443], "nginx"))
        rc, out, err = run_to_exit(bindwatch_argv("check-policy", path))
        if rc and "owned by" in err:  # the file's owner, or its directory's
            pytest.skip("policy files must be root's: run as root")
        eq((rc, out.strip()), (0, f"{path}: valid, 0 rules, 1 expect rule"),
           f"check-policy (stderr {err!r})")
        for text, message in (
                (expect_policy([80], "nginx", action="reclaim"),
                 ":7: 'action': expected log or alert, got 'reclaim'"),
                (expect_policy([80], "nginx").replace("    owner: {comm: nginx}\n", ""),
                 ":3: missing required key 'owner' in expect"),
                (expect_policy([80], "nginx").replace("proto: tcp", "protocol: tcp"),
                 ":5: unknown key 'protocol' in expect")):
            bad = write_policy(tmp, text)
            rc, _, err = run_to_exit(bindwatch_argv("check-policy", bad))
            eq(rc, 1, f"check-policy exit code for {message}")
            check(f"{bad}{message}" in err, f"message {err!r}, expected {message!r}")


NOBODY_UID = 65534
WATCH_RATE = 1000   # watched successes a uid may send a second (LEDGER_RATE)
WATCH_BURST = 1000  # and at once


def test_ownership_flood_bounded_per_uid():
    """nobody binds an expected port 20,000 times as fast as it can: its
    unexpected-owner records stay within its uid's budget (1000 at once,
    1000 a second), and every call is accounted for: records plus lost
    equal the calls."""
    n, port = 20000, free_port()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_policy(tmp, expect_policy([port], "bw-owner-none", action="log"))
        with start_bindwatch("--policy", path) as bw:
            out = subprocess.run([*NOBODY, PYTHON, child("bind_loop.py"), str(port), str(n)],
                                 capture_output=True, text=True, timeout=120)
            eq(out.returncode, 0, f"the bind loop ({out.stderr.strip()})")
            seconds = float(out.stdout)
            time.sleep(1.5)  # the last window's records and the loss are flushed
            rc, stderr = bw.stop()
        eq(rc, 0, f"bindwatch exit code (stderr {stderr[-500:]!r})")
    mine = [r for r in ownership_records(bw) if r["requester"]["uid"] == NOBODY_UID]
    lost = sum(r["count"] for r in bw.records() if r["event"] == "lost")
    bound = WATCH_BURST + WATCH_RATE * seconds + 1
    print(f"    {n} binds in {seconds:.2f}s: {len(mine)} records, {lost} lost (budget {bound:.0f})")
    check(len(mine) <= bound, f"{len(mine)} records for nobody's {n} binds in {seconds:.2f}s, "
          f"over its budget of {bound:.0f}")
    eq(len(mine) + lost, n, "records plus lost against the calls")
