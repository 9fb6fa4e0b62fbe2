# test_trust_metrics.py - end-to-end tests of what a hostile local user
# (nobody, through harness.NOBODY) cannot make a root bindwatch's /metrics
# do: see doc/security.md.  nobody holds a thousand slow
# connections from 127.0.0.1 and from hundreds of 127.x addresses, and
# root's scrapes are still answered at once; nobody's own ordinary scrape
# works while it is within its share; and the counters add up to the
# failures a nobody flood made.
import json
import re
import subprocess
import time
import urllib.request

from harness import (NOBODY, PYTHON, RECORD_TIMEOUT, check, child, eq, fail, free_port,
                     new_marker, start_bindwatch)
from test_trust_storms import Attacker

SLOWCLIENT = child("slowclient.py")
PER_UID = 4           # connections one uid may hold (bindwatch(8), METRICS)
SLOW_FROM_LO = 500    # slow connections from 127.0.0.1
SLOW_RANGE_ADDRS = 250
SLOW_RANGE = f"127.0.1.1-127.0.1.{SLOW_RANGE_ADDRS}"
SLOW_PER_RANGE_ADDR = 2  # ... and this many from each address of SLOW_RANGE
SCRAPES = 10
SCRAPE_BOUND = 1.0    # seconds: the bound for another uid's scrape
SETTLE = 3            # seconds for the slow connections to pile up and cycle
TRICKLE_WATCH = 8     # seconds of trickling that the old per-line timeout never ended


class SlowClient:
    """tests/e2e/children/slowclient.py as nobody: N slow connections from
    each source (an address or a range)."""

    def __init__(self, port, n, *sources):
        self.proc = subprocess.Popen([*NOBODY, PYTHON, SLOWCLIENT, str(port), str(n), *sources],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            fail(f"slow client exited ({self.proc.wait()}) on {command!r}")
        return json.loads(line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.stdin.close()
        try:
            self.proc.wait(RECORD_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def scrape(port):
    """One scrape from 127.0.0.1 by this process (root): (seconds, body)."""
    start = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=RECORD_TIMEOUT) as r:
        body = r.read().decode()
    return time.monotonic() - start, body


def threads(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("Threads:")).split()[1])


def test_trust_metrics_slow_local_peers():
    """nobody keeps a thousand slow connections open to /metrics (500 from
    127.0.0.1, 2 from each of 250 other loopback addresses), each sending a
    header byte a second and opened again whenever closed: root's 10
    scrapes from 127.0.0.1 are each answered in under a second; nobody
    holds at most 4 connections, however many addresses it uses; a
    connection that keeps trickling is closed all the same (a deadline on
    the whole request); and bindwatch's threads do not grow with them."""
    mport = free_port()
    with start_bindwatch("--metrics", str(mport), "--port", "1") as bw:
        before = threads(bw.proc.pid)
        with SlowClient(mport, SLOW_FROM_LO, "127.0.0.1") as lo, \
                SlowClient(mport, SLOW_PER_RANGE_ADDR, SLOW_RANGE) as many:
            time.sleep(SETTLE)
            during = threads(bw.proc.pid)
            timings = []
            for _ in range(SCRAPES):
                took, body = scrape(mport)
                check("bindwatch_info{" in body, f"scrape body: {body[:200]!r}")
                timings.append(took)
            time.sleep(TRICKLE_WATCH)
            reports = [lo.ask("report"), many.ask("report")]
        rc, err = bw.stop()
    eq(rc, 0, f"bindwatch exit status (stderr {err[-2000:]!r})")
    held = sum(r["open"] for r in reports)
    opened = sum(r["opened"] for r in reports)
    longest = max(r["longest"] for r in reports)
    print(f"    {opened} slow connections opened by nobody, {held} open at the end; "
          f"longest kept {longest:.1f}s; root's scrapes "
          f"{', '.join(f'{t * 1000:.1f}' for t in timings)} ms; threads {before} -> {during}")
    check(max(timings) < SCRAPE_BOUND, f"scrapes took {timings}")
    check(held <= PER_UID, f"nobody holds {held} connections ({reports})")
    check(opened >= SLOW_FROM_LO + SLOW_RANGE_ADDRS * SLOW_PER_RANGE_ADDR,
          f"slow connections opened: {opened}")
    check(0 < longest < TRICKLE_WATCH, f"longest life of a trickling connection: {longest:.1f}s")
    eq(during, before, "bindwatch's threads with the slow connections open")


def test_trust_metrics_own_scrape_within_share():
    """Control: nobody holds 3 slow connections (one fewer than its share)
    and scrapes /metrics in the ordinary way: it is answered (200)."""
    mport = free_port()
    with start_bindwatch("--metrics", str(mport), "--port", "1") as bw, \
            SlowClient(mport, PER_UID - 1, "127.0.0.2") as slow:
        time.sleep(1)
        got = slow.ask("scrape")
        report = slow.ask("report")
        rc, err = bw.stop()
    eq(rc, 0, f"bindwatch exit status (stderr {err[-2000:]!r})")
    eq(got["status"], 200, f"nobody's scrape ({got})")
    eq(report["open"], PER_UID - 1, f"nobody's slow connections still open ({report})")
    print(f"    nobody's scrape with {report['open']} slow connections of its own: "
          f"{got['seconds'] * 1000:.1f} ms")


def metric_sum(text, name):
    """The sum of every series of the counter name (0 if it has none)."""
    return sum(float(m.group(1)) for m in
               re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def test_trust_metrics_counts_every_failure():
    """nobody starts 400 storms at once (a new port each), past its rate
    limit: bindwatch_conflicts_total (the failures in records) plus
    bindwatch_failures_suppressed_total plus bindwatch_events_lost_total
    equals the failures nobody counted, once the last window is flushed."""
    comm = new_marker()
    mport = free_port()
    with start_bindwatch("--metrics", str(mport), "--comm", comm) as bw, \
            Attacker(comm) as attacker:
        failures = attacker.run(op="ports", n=400)
        deadline = time.monotonic() + RECORD_TIMEOUT
        while True:
            text = scrape(mport)[1]
            counts = [metric_sum(text, f"bindwatch_{name}_total")
                      for name in ("conflicts", "failures_suppressed", "events_lost")]
            if sum(counts) == failures or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        rc, err = bw.stop()
    eq(rc, 0, f"bindwatch exit status (stderr {err[-2000:]!r})")
    conflicts, suppressed, lost = counts
    print(f"    {failures} failures: conflicts {conflicts:.0f} + suppressed {suppressed:.0f} "
          f"+ lost {lost:.0f}")
    check(suppressed > 0, "nothing was suppressed: the test shows nothing")
    eq(conflicts + suppressed + lost, failures, "conflicts + suppressed + lost")
