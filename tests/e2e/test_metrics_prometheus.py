# test_metrics_prometheus.py - end-to-end tests of bindwatch's metrics as
# Prometheus reads them: the shipped alert rules
# (deploy/prometheus/bindwatch-rules.yml) pass promtool's check and their
# own tests; a fresh monitor serves every series it knows at 0 and a
# scrape promtool finds valid; the ownership records are counted, by expect
# rule, across a reload; and a real Prometheus, started here on loopback
# with the shipped rules and scraping only this test's monitor, fires the
# conflict alert on the first conflict of a fresh monitor.
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from harness import (RECORD_TIMEOUT, REPO, Requester, check, eq, fail,
                     free_port, start_bindwatch, terminate)
from test_options import samples, scrape
from test_ownership import Perl, udp_port
from test_policy import write_policy

RULES_DIR = os.path.join(REPO, "deploy", "prometheus")
RULES = os.path.join(RULES_DIR, "bindwatch-rules.yml")
RULES_TEST = os.path.join(RULES_DIR, "bindwatch-rules.test.yml")
SHIPPED_ALERTS = 5   # conflict, loss, unexpected owner, reuseport join, down
PROMETHEUS_READY = 60  # seconds for Prometheus to start and scrape
ALERT_TIMEOUT = 30     # seconds for the alert to fire (1 s scrapes and evaluations)

# What a fresh monitor serves at 0 (bindwatch(8), METRICS).
FRESH_ZEROS = [
    *(f'bindwatch_conflicts_total{{syscall="bind",proto="{p}"}}'
      for p in ("tcp", "udp", "udplite", "sctp", "mptcp")),
    *(f'bindwatch_conflicts_total{{syscall="listen",proto="{p}"}}'
      for p in ("tcp", "sctp", "mptcp")),
    *(f'bindwatch_output_errors_total{{sink="{s}"}}' for s in ("stdout", "log", "syslog")),
    *(f'bindwatch_reclaims_total{{result="{r}"}}'
      for r in ("reclaimed", "dry-run", "protected", "cooldown", "failed", "timeout",
                "in-progress")),
    "bindwatch_events_lost_total", "bindwatch_failures_suppressed_total",
    "bindwatch_hooks_dropped_total", "bindwatch_holder_walks_skipped_total",
    "bindwatch_reuseport_joins_total", "bindwatch_holder_lookup_seconds_count",
]


def promtool(*args, stdin=None):
    """(exit status, stdout + stderr) of promtool; skip without it."""
    exe = shutil.which("promtool")
    if not exe:
        pytest.skip("promtool is not installed (scripts/install-deps.sh installs prometheus)")
    r = subprocess.run([exe, *args], input=stdin, capture_output=True, text=True,
                       timeout=RECORD_TIMEOUT)
    return r.returncode, r.stdout + r.stderr


def check_metrics(text):
    """promtool check metrics finds the exposition text valid, lint included."""
    rc, out = promtool("check", "metrics", stdin=text)
    eq((rc, out.strip()), (0, ""), "promtool check metrics on a scrape")


@pytest.mark.unprivileged
def test_metrics_rules_check():
    """promtool check rules: the shipped rule file is valid, with its five
    alerts."""
    rc, out = promtool("check", "rules", RULES)
    eq(rc, 0, f"promtool check rules ({out!r})")
    check(f"SUCCESS: {SHIPPED_ALERTS} rules found" in out, f"promtool check rules said {out!r}")


@pytest.mark.unprivileged
def test_metrics_rules_unit_tests():
    """promtool test rules: the rule file's tests beside it pass (each
    alert fires, with integer counts in its summary, and resolves)."""
    rc, out = promtool("test", "rules", RULES_TEST)
    eq(rc, 0, f"promtool test rules ({out!r})")
    check("SUCCESS" in out, f"promtool test rules said {out!r}")


def test_metrics_fresh_monitor_zeros(held_port):
    """A fresh monitor (watching one port no one else uses) serves every
    series it knows at 0 before any conflict: each syscall and protocol,
    sink and reclaim result; promtool finds the scrape valid."""
    port = held_port()
    mport = free_port()
    with start_bindwatch("--metrics", str(mport), "--port", str(port)):
        status, text = scrape(mport)
    eq(status, 200, "status of GET /metrics")
    got = samples(text)
    eq({k: got.get(k) for k in FRESH_ZEROS}, {k: 0.0 for k in FRESH_ZEROS},
       "a fresh monitor's series")
    check_metrics(text)


OWNER_POLICY = """\
version: 1
expect:
  - name: web
    port: [{web}, {web2}]
    proto: tcp
    owner: {{comm: {owner}}}
    action: alert
  - name: dns
    port: {dns}
    proto: udp
    owner: {{exe: "*perl*"}}
    action: log
"""

# After the reload: web kept, dns gone, a rule whose name needs escaping new.
RELOADED_POLICY = """\
version: 1
expect:
  - name: web
    port: [{web}, {web2}]
    proto: tcp
    owner: {{comm: {owner}}}
    action: alert
  - name: 'edge "ntp" \\ v2'
    port: {dns}
    proto: udp
    owner: {{exe: "*perl*"}}
    action: log
"""
EDGE_SERIES = r'bindwatch_unexpected_owner_total{rule="edge \"ntp\" \\ v2"}'


def unexpected(rule):
    return f'bindwatch_unexpected_owner_total{{rule="{rule}"}}'


def test_metrics_ownership_counted(make_requester):
    """Each expect rule has its unexpected-owner series at 0 from the start;
    the owner's bind leaves it there (control), an intruder's bind counts
    1; python joining perl's SO_REUSEPORT group counts an unexpected owner
    of dns and a join.  After SIGHUP's new policy the kept rule keeps its
    count, the new one starts at 0 (its name escaped as the format wants)
    and the removed one is gone; promtool finds the scrape valid."""
    owner, intruder = make_requester(), make_requester()
    web, web2, dns = free_port(), free_port(), udp_port()
    ports = dict(web=web, web2=web2, dns=dns, owner=owner.comm)
    mport = free_port()
    tcp = dict(op="bind", family="ipv4", proto="tcp", addr="127.0.0.1")
    udp = dict(op="bind", family="ipv4", proto="udp", addr="127.0.0.1", reuseport=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_policy(tmp, OWNER_POLICY.format(**ports))
        with start_bindwatch("--policy", path, "--metrics", str(mport)) as bw, \
                Perl(dns), Requester() as joiner:
            fresh = samples(scrape(mport)[1])
            owner.call(None, port=web, **tcp)
            intruder.call(None, port=web2, **tcp)
            bw.wait_record(lambda r: r["event"] == "unexpected-owner" and r["port"] == web2,
                           forbid=lambda r: r["port"] == web)
            joiner.call(None, port=dns, **udp)
            bw.wait_record(lambda r: r["event"] == "reuseport-join" and r["port"] == dns)
            counted = samples(scrape(mport)[1])
            write_policy(tmp, RELOADED_POLICY.format(**ports))
            bw.proc.send_signal(1)  # SIGHUP
            line = bw.err.next(time.monotonic() + RECORD_TIMEOUT)
            check(line and b"policy reloaded" in line, f"stderr after the reload: {line!r}")
            reloaded_text = scrape(mport)[1]
    names = (unexpected("web"), unexpected("dns"), "bindwatch_reuseport_joins_total")
    eq([fresh.get(k) for k in names], [0.0, 0.0, 0.0], "web, dns and joins at start")
    eq([counted.get(k) for k in names], [1.0, 1.0, 1.0], "web, dns and joins counted")
    reloaded = samples(reloaded_text)
    eq([reloaded.get(unexpected("web")), reloaded.get(EDGE_SERIES), reloaded.get(unexpected("dns"))],
       [1.0, 0.0, None], "web, the new rule and dns after the reload")
    check_metrics(reloaded_text)


class Prometheus:
    """A real Prometheus on 127.0.0.1:port, its data in dir, scraping only
    the monitor on metrics (job bindwatch) every second and evaluating the
    shipped rules every second.  Stopped (SIGTERM) on exit."""

    def __init__(self, dir, metrics):
        exe = shutil.which("prometheus")
        if not exe:
            pytest.skip("prometheus is not installed (scripts/install-deps.sh installs it)")
        self.port = free_port()
        config = os.path.join(dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n"
                    "  scrape_interval: 1s\n"
                    "  evaluation_interval: 1s\n"
                    f"rule_files: [{json.dumps(RULES)}]\n"
                    "scrape_configs:\n"
                    "  - job_name: bindwatch\n"
                    f"    static_configs: [{{targets: ['127.0.0.1:{metrics}']}}]\n")
        self.log = open(os.path.join(dir, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [exe, f"--config.file={config}", f"--storage.tsdb.path={os.path.join(dir, 'data')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            cwd=dir, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        terminate(self.proc)
        self.log.close()

    def output(self):
        self.log.seek(0)
        return self.log.read()[-3000:]

    def api(self, path):
        """The data of a GET of the HTTP API's path; None while it cannot answer."""
        if self.proc.poll() is not None:
            fail(f"prometheus exited ({self.proc.returncode}): {self.output()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}",
                                        timeout=RECORD_TIMEOUT) as r:
                return json.load(r)["data"]
        except (urllib.error.URLError, ConnectionError):
            return None

    def wait(self, what, found, timeout):
        """found()'s first true value, polled; fails at the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = found()
            if value:
                return value
            time.sleep(0.2)
        fail(f"prometheus: no {what} within {timeout}s; its log: {self.output()}")


def test_metrics_prometheus_alerts_first_conflict(held_port):
    """A real Prometheus scrapes a fresh monitor every second with the
    shipped rules; once it has scraped it, the monitor's first conflict
    (a UDP bind) fires BindwatchPortConflict for bind/udp, its summary
    counting it as a whole number."""
    port = held_port(proto="udp")
    mport = free_port()
    instance = f"127.0.0.1:{mport}"
    with start_bindwatch("--metrics", instance, "--port", str(port)) as bw, \
            tempfile.TemporaryDirectory() as tmp, Prometheus(tmp, mport) as prom, \
            Requester() as req:
        prom.wait("scrape of the monitor", lambda: any(
            s["metric"].get("instance") == instance and s["value"][1] == "1"
            for s in (prom.api("/api/v1/query?query=up") or {}).get("result", [])),
            PROMETHEUS_READY)
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="udp", addr="127.0.0.1", port=port)
        bw.wait_record(lambda r: r["port"] == port and r["event"] == "conflict")

        def firing():
            return next((a for a in (prom.api("/api/v1/alerts") or {}).get("alerts", [])
                         if a["labels"].get("alertname") == "BindwatchPortConflict"
                         and a["labels"].get("instance") == instance
                         and a["state"] == "firing"), None)
        alert = prom.wait("firing BindwatchPortConflict", firing, ALERT_TIMEOUT)
    eq((alert["labels"]["syscall"], alert["labels"]["proto"]), ("bind", "udp"), "the alert's labels")
    summary = alert["annotations"]["summary"]
    m = re.fullmatch(rf"{re.escape(instance)}: bind\(\) failed with EADDRINUSE \(udp\): "
                     r"(\d+) in the last 5 minutes", summary)
    check(m and int(m.group(1)) >= 1, f"the alert's summary: {summary!r}")
    print(f"    {summary}")
