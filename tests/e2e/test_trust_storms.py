# test_trust_storms.py - end-to-end tests of what a hostile local user (nobody,
# through harness.NOBODY) cannot make a root bindwatch do: see
# doc/security.md.  Here: flood the log, or blind the storm accounting of
# others, by failing binds on many addresses or ports, or by many storms.
# Every test also checks the accounting: for the attacker's uid, the counts
# of its records plus its suppressed counts plus the loss equal the failures
# the attacker counted itself.
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, StdinChild, check, child, eq, fail, hold,
                     new_marker, start_bindwatch)
from test_storms import burst, burst_result

NOBODY_UID = 65534
ARGV_PAD = 120 * 1024  # the flood's argument: a 120 KiB command line
FLOOD_SECONDS = 10
TABLE_FILL = 17000     # distinct addresses (and then ports) of the table-fill attack
QUIET_SECONDS = 1.0    # several windows of --window 200ms: the attacker's storms retire


class Attacker(StdinChild):
    """A long-lived nobody process that fails binds on request
    (children/attacker.py)."""

    def __init__(self, comm, *extra_args):
        self.comm = comm
        self.proc = subprocess.Popen([*NOBODY, PYTHON, child("attacker.py"), comm, *extra_args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pid = self.proc.pid

    def run(self, **cmd):
        """Run one command; returns the failures the attacker counted (and
        sets self.ports, the distinct ports it failed on)."""
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.proc.kill()
            fail(f"attacker died on {cmd}: {self.proc.stderr.read().decode('utf-8', 'replace')!r}")
        result = json.loads(line)
        eq(result["pid"], self.pid, "attacker pid")
        self.ports = result["ports"]
        return result["failures"]


def stop(bw):
    rc, stderr = bw.stop()
    eq(rc, 0, f"bindwatch exit code (stderr {stderr[-2000:]!r})")
    return bw.records()


def calls(recs, uid):
    """The conflict records of uid's processes."""
    return [r for r in recs if r["event"] == "conflict" and r["requester"]["uid"] == uid]


def check_accounting(recs, uid, failures):
    """sum(count of uid's records) + uid's suppressed + lost == failures;
    returns (records, suppressed records)."""
    mine = calls(recs, uid)
    held = [r for r in recs if r["event"] == "suppressed" and r["uid"] == uid]
    counted = sum(r["count"] for r in mine)
    suppressed = sum(r["count"] for r in held)
    lost = sum(r["count"] for r in recs if r["event"] == "lost")
    eq(counted + suppressed + lost, failures,
       f"uid {uid}: counts ({counted}) + suppressed ({suppressed}) + lost ({lost}) "
       f"against the failures")
    return mine, held


def test_trust_storm_flood_distinct_addresses():
    """Attack 3: nobody, with a 120 KiB command line, fails binds on a new
    127.x.y.z address of a held port each time for 10 s under --log: the
    failures aggregate per (process, port) past 8 addresses, the log stays
    small, and every failure is accounted for."""
    comm = new_marker()
    sock, port = hold("ipv4", "tcp", "0.0.0.0")
    tmp = tempfile.mkdtemp(prefix="bwflood-")
    log = os.path.join(tmp, "bindwatch.log")
    try:
        with sock, start_bindwatch("--port", str(port), "--log", log) as bw, \
                Attacker(comm, "x" * ARGV_PAD) as attacker:
            failures = attacker.run(op="addresses", port=port, seconds=FLOOD_SECONDS)
            stop(bw)
        size = os.path.getsize(log)
        with open(log) as f:
            recs = [json.loads(line) for line in f]
    finally:
        shutil.rmtree(tmp)
    mine, held = check_accounting(recs, NOBODY_UID, failures)
    scopes = [r["scope"] for r in mine]
    print(f"    flood: {failures} failures in {FLOOD_SECONDS}s, {len(recs)} records, "
          f"{size} bytes of log ({size / max(len(recs), 1):.0f} per record); scopes: "
          f"{scopes.count('address')} address, {scopes.count('port')} port; "
          f"{sum(r['count'] for r in held)} suppressed")
    check(failures > 10000, f"the flood made only {failures} failures")
    eq(scopes[:8], ["address"] * 8, "scopes of the first eight addresses' records")
    check(set(scopes[8:]) == {"port"}, f"later records are of the port: {scopes[8:]!r}")
    # one record per address for 8 addresses, then about one per window
    check(len(recs) <= 8 + 3 * FLOOD_SECONDS, f"{len(recs)} records for the flood")
    # each record carries at most 4 KiB of a command line (--cmdline-max)
    check(size <= 1 << 20, f"{size} bytes of log for the flood")


def test_trust_storm_table_fill():
    """Attack 5: one long-lived nobody process fails on 17,000 addresses of a
    port, then on 17,000 ports, one each, and stays alive; root's 300,000
    failure storm afterwards still gives a handful of records and loses
    nothing, and the attacker's failures are all accounted for.  Without a
    rate limit, so that the table's shares alone are tested: past its share
    the attacker's storms go to its uid's aggregate."""
    comm, victim = new_marker(), new_marker()
    sock, port = hold("ipv4", "tcp", "0.0.0.0")
    victim_sock, victim_port = hold("ipv4", "tcp", "127.0.0.1")
    with sock, victim_sock, \
            start_bindwatch("--comm", f"{comm},{victim}", "--rate-limit", "0") as bw, \
            Attacker(comm) as attacker:
        failures = attacker.run(op="addresses", port=port, n=TABLE_FILL)
        failures += attacker.run(op="ports", n=TABLE_FILL)
        result = burst_result(burst(victim, victim_port, n=300000))
        check(attacker.proc.poll() is None, "the attacker exited before the victim's storm")
        recs = stop(bw)
    eq(result["failures"], 300000, "failures of the victim's storm")
    mine, held = check_accounting(recs, NOBODY_UID, failures)
    victims = check_accounting(recs, 0, result["failures"])[0]
    lost = sum(r["count"] for r in recs if r["event"] == "lost")
    print(f"    table fill: attacker {failures} failures, {len(mine)} records "
          f"({sum(r['scope'] == 'uid' for r in mine)} of its uid's aggregate), "
          f"{sum(r['count'] for r in held)} suppressed; victim {len(victims)} records, {lost} lost")
    eq(lost, 0, "failures lost")
    check(any(r["scope"] == "uid" for r in mine), "no record of the attacker's uid aggregate")
    check(len(victims) <= 20, f"{len(victims)} records for the victim's storm")
    eq([r["scope"] for r in victims], ["address"] * len(victims), "scopes of the victim's records")
    eq({r["requester"]["pid"] for r in victims}, {result["pid"]}, "the victim's records' pid")


def test_trust_storm_rate_limit_suppressed():
    """nobody starts 400 storms in a burst (a new port each): the default
    rate limit (100 at once, 20 a second) lets about 100 records through and
    the rest are counted in suppressed records for uid 65534, in JSON (the
    log) and in text (stdout), with exact counts."""
    comm = new_marker()
    tmp = tempfile.mkdtemp(prefix="bwrate-")
    log = os.path.join(tmp, "bindwatch.log")
    try:
        with start_bindwatch("--comm", comm, "--log", log, json_output=False) as bw, \
                Attacker(comm) as attacker:
            start = time.monotonic()
            failures = attacker.run(op="ports", n=400)
            took = time.monotonic() - start
            line = bw.wait_line(lambda l: b" suppressed " in l)
            rc, stderr = bw.stop()
        eq(rc, 0, f"bindwatch exit code (stderr {stderr[-2000:]!r})")
        with open(log) as f:
            recs = [json.loads(line) for line in f]
    finally:
        shutil.rmtree(tmp)
    eq(failures, 400, "failures of the attacker")
    mine, held = check_accounting(recs, NOBODY_UID, failures)
    check(held, "no suppressed record")
    for r in held:
        eq(sorted(r), ["count", "event", "since", "time", "uid", "version"], "suppressed record keys")
        check(r["since"] <= r["time"], f"suppressed since after its time: {r!r}")
    print(f"    rate limit: {failures} failures in {took:.2f}s, {len(mine)} records, "
          f"suppressed {[r['count'] for r in held]}")
    check(100 <= len(mine) <= 100 + 20 * (took + 2), f"{len(mine)} records went through")
    text = line.decode()
    check(f"suppressed {held[0]['count']} failure{'' if held[0]['count'] == 1 else 's'} of uid {NOBODY_UID} since " in text,
          f"text line: {text!r}")


def test_trust_storm_legit_burst_not_suppressed():
    """A legitimate burst: 50 root processes fail on one port at once; each
    is in a record at the default rate limit (one incident's records, which
    add up its processes), none is suppressed."""
    sock, port = hold("ipv4", "tcp", "127.0.0.1")
    with sock, start_bindwatch("--port", str(port)) as bw:
        out = subprocess.run([PYTHON, child("fifty_binds.py"), str(port)], capture_output=True,
                             timeout=RECORD_TIMEOUT, check=True).stdout
        eq(int(out), 50, "processes that failed")
        recs = stop(bw)
    mine, held = check_accounting(recs, 0, 50)
    eq(held, [], "suppressed records")
    eq(sum(r["incident"]["processes"] for r in mine), 50, "processes in records")


def test_trust_storm_idle_retired():
    """A storm's entry is retired after a quiet window while its process
    lives on: nobody uses up its share of the storm table (1,100 ports, two
    entries each, past its 2,048), the rest going to its uid's aggregate;
    after a quiet second its entries are back, and storms on new ports each
    start anew with an immediate record of their own."""
    comm = new_marker()
    with start_bindwatch("--comm", comm, "--window", "200ms", "--rate-limit", "0") as bw, \
            Attacker(comm) as attacker:
        failures = attacker.run(op="ports", n=1100)
        bw.wait_record(lambda r: r.get("scope") == "uid")
        time.sleep(QUIET_SECONDS)
        before = len(bw.out.lines)
        check(attacker.proc.poll() is None, "the attacker exited")
        failures += attacker.run(op="ports", n=100)
        ports = attacker.ports
        recs = stop(bw)
    check_accounting(recs, NOBODY_UID, failures)
    later = [r for r in recs[before:] if r["event"] == "conflict"]
    first = {}
    for r in later:
        first.setdefault(r["port"], r)
    eq(len(first), ports, "ports with a record after the quiet second")
    eq({(r["scope"], r["count"]) for r in first.values()}, {("address", 1)},
       "first record of each later storm")


UIDS_KEPT = 4096       # uids the kernel keeps a share for at once (doc/records.md, "Storms")
CYCLED_UIDS = 4600     # more uids than that, one after the other
CYCLE_RATE = 400       # uids a second
CYCLE_FIRST_UID = 300000
UIDS_QUIET = 4         # seconds: the last storms retire (a window idle), then their uids
LOSS_FLOOD = 30000     # failures, one record each: more than the ring holds


def uids_entries():
    """Entries of the kernel's "uids" map (bpftool)."""
    out = subprocess.run(["bpftool", "-j", "map", "dump", "name", "uids"], capture_output=True,
                         text=True, timeout=RECORD_TIMEOUT)
    eq(out.returncode, 0, f"bpftool map dump name uids (stderr {out.stderr!r})")
    return len(json.loads(out.stdout))


def test_trust_storm_uids_pruned():
    """Thousands of uids fail a bind each, one after the other (4,600 uids,
    400 a second, by one process that setresuid()s through them): the
    kernel's table of uids (4,096 entries) never fills, since a uid's entry
    goes once it holds nothing, and once all is quiet it is back to a few
    entries (bpftool); so a uid that comes after them still gets its rate
    limit: nobody's 400 storms at once are partly suppressed."""
    if not shutil.which("bpftool"):
        pytest.skip("bpftool is not installed: the test counts the kernel table's entries with it")
    comm, cycler_comm = new_marker(), new_marker()
    sock, port = hold("ipv4", "tcp", "0.0.0.0")
    with sock, start_bindwatch("--comm", f"{cycler_comm},{comm}") as bw:
        cycler = subprocess.Popen([PYTHON, child("uidcycler.py"), cycler_comm,
                                   str(port), str(CYCLE_FIRST_UID), str(CYCLED_UIDS), "1",
                                   str(CYCLE_RATE)], stdout=subprocess.PIPE)
        most = 0
        while cycler.poll() is None:
            most = max(most, uids_entries())
            time.sleep(0.5)
        result = json.loads(cycler.stdout.read())
        time.sleep(UIDS_QUIET)
        after = uids_entries()
        with Attacker(comm) as attacker:
            failures = attacker.run(op="ports", n=400)
        recs = stop(bw)
    eq(result["failures"], CYCLED_UIDS, "failures of the cycler")
    cycled = {r["requester"]["uid"] for r in recs
              if r["event"] == "conflict" and r["requester"]["pid"] == result["pid"]}
    mine, held = check_accounting(recs, NOBODY_UID, failures)
    print(f"    {CYCLED_UIDS} uids, {len(cycled)} with a record: the table held at most "
          f"{most} entries while they ran, {after} once quiet; then nobody's {failures} "
          f"failures: {len(mine)} records, {sum(r['count'] for r in held)} suppressed")
    check(most < UIDS_KEPT, f"the table held {most} entries")
    check(after < CYCLED_UIDS // 100, f"{after} entries once quiet")
    check(held, "nobody, after the cycled uids, has no rate limit: no suppressed record")


def test_trust_storm_loss_attributed():
    """nobody fails 30,000 binds at once with aggregation and the rate
    limit off (--window 0 --rate-limit 0), more records than the ring
    holds: what is lost is reported in lost records of uid 65534, and its
    records' counts plus its lost counts equal its failures; no loss is
    left without a uid."""
    comm = new_marker()
    sock, port = hold("ipv4", "tcp", "0.0.0.0")
    with sock, start_bindwatch("--port", str(port), "--window", "0", "--rate-limit", "0") as bw, \
            Attacker(comm) as attacker:
        failures = attacker.run(op="addresses", port=port, n=LOSS_FLOOD)
        recs = stop(bw)
    losses = [r for r in recs if r["event"] == "lost"]
    mine = sum(r["count"] for r in losses if r["uid"] == NOBODY_UID)
    unknown = sum(r["count"] for r in losses if r["uid"] is None)
    counted = sum(r["count"] for r in calls(recs, NOBODY_UID))
    print(f"    {failures} failures: {counted} in records, {mine} lost of uid {NOBODY_UID} "
          f"in {len(losses)} lost records, {unknown} lost of no uid")
    check(mine > 0, "nothing was lost: the test shows nothing")
    eq(unknown, 0, "failures lost with no uid")
    eq(counted + mine, failures, "records' counts + lost of the uid")
    for r in losses:
        eq(sorted(r), ["count", "event", "time", "uid", "version"], "lost record keys")
