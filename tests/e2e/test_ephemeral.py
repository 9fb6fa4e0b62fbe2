# test_ephemeral.py - end-to-end tests of ephemeral port exhaustion: a
# network namespace whose ip_local_port_range is shrunk to RANGE_SIZE
# ports, a listener in it, real clients (children/ephemeral_clients.py)
# holding a connection from every port, then one more connect() failing
# with EADDRNOTAVAIL.  The record names the holding process, the gauge
# shows the range full, `who --ephemeral` lists the holder.  Controls: a
# connect() that succeeds, or fails otherwise, is no record.
#
# This host refuses fexit, so the monitor runs in tracepoint mode with
# --ephemeral; fexit mode (inet_hash_connect) is left to the kernel matrix.
import json
import subprocess
import time

import pytest

from harness import (PYTHON, RECORD_TIMEOUT, LineReader, bindwatch_argv, check, child, eq,
                     fail, free_port, run_to_exit, socket_spec)
from test_options import samples, scrape

RANGE_LO, RANGE_HI = 40000, 40007  # even and odd ends: connect() scans both parities
RANGE_SIZE = RANGE_HI - RANGE_LO + 1
SERVICE_PORT = 5000                # the listener's, outside the range
GAUGE_WAIT = 15                    # seconds: the gauges are sampled every 5


class Clients:
    """children/ephemeral_clients.py: n connections to addr:port held, and
    one more connect() per attempt(); closed (its connections too) on exit."""

    def __init__(self, n, port, prefix=(), comm="ephclient", addr="127.0.0.1"):
        spec = {"comm": comm, "addr": addr, "port": port, "n": n}
        self.proc = subprocess.Popen([*prefix, PYTHON, child("ephemeral_clients.py"),
                                      json.dumps(spec)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = LineReader(self.proc.stdout)
        info = self._line(f"clients {spec}")
        self.pid, self.ports = info["pid"], info["ports"]

    def _line(self, what):
        line = self.out.next(time.monotonic() + RECORD_TIMEOUT)
        if not line:
            self.close()
            fail(f"{what} gave no answer; stderr: {self.proc.stderr.read()!r}")
        return json.loads(line)

    def attempt(self):
        """One more connect(): its errno name, or None when it succeeded."""
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()
        return self._line("a connect()")["errno"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(RECORD_TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def shrink_range(netns):
    rc, _, err = run_to_exit(netns.exec_prefix() + [
        "sysctl", "-w", f"net.ipv4.ip_local_port_range={RANGE_LO} {RANGE_HI}"])
    check(rc == 0, f"cannot shrink the range in {netns.name}: {err.strip()}")


def exhausted(netns, make_holder, closing):
    """The listener and clients holding every port of netns's range."""
    shrink_range(netns)
    make_holder(socket_spec(port=SERVICE_PORT, listen=64, reuseaddr=True),
                prefix=netns.exec_prefix())
    clients = closing.enter_context(Clients(RANGE_SIZE, SERVICE_PORT, netns.exec_prefix()))
    eq(sorted(clients.ports), list(range(RANGE_LO, RANGE_HI + 1)), "the clients' ports")
    return clients


def connect_record(clients):
    return lambda r: r.get("syscall") == "connect" and r["requester"]["pid"] == clients.pid


def check_view(view, netns, clients):
    """A record's "ephemeral" or who's answer: the range full, held by clients."""
    eq((view["netns"], view["netns_name"], view["proto"]), (netns.inode, netns.name, "tcp"),
       "the view's namespace")
    eq(view["range"], {"lo": RANGE_LO, "hi": RANGE_HI, "reserved": 0, "size": RANGE_SIZE},
       "the range")
    eq(view["in_use"], RANGE_SIZE, "ports in use")
    top = view["holders"][0]
    eq((top["pid"], top["comm"], top["sockets"]), (clients.pid, "ephclient", RANGE_SIZE),
       "the top holder")
    eq([(d["addr"], d["port"], d["sockets"]) for d in top["destinations"]],
       [("127.0.0.1", SERVICE_PORT, RANGE_SIZE)], "the top holder's destinations")


@pytest.fixture
def ephemeral_monitor(monitor):
    """A monitor that sees connect() on this host (tracepoint mode: --ephemeral)."""
    def start(*args):
        return monitor("--ephemeral", "--window", "0", *args)
    return start


def test_ephemeral_connect_exhausted(netns, make_holder, closing, ephemeral_monitor):
    """The 9th connect() of a namespace with 8 ephemeral ports fails with
    EADDRNOTAVAIL: one conflict record, reason ephemeral-exhausted, with
    the destination and the range, naming the clients as its holder; the
    gauges show the range full and the failure counted."""
    mport = free_port()
    bw = ephemeral_monitor("--metrics", str(mport))
    clients = exhausted(netns, make_holder, closing)
    eq(clients.attempt(), "EADDRNOTAVAIL", "the connect() past the range")
    rec = bw.wait_record(connect_record(clients))
    eq((rec["event"], rec["errno"], rec["reason"], rec["proto"]),
       ("conflict", "EADDRNOTAVAIL", "ephemeral-exhausted", "tcp"), "the record")
    eq(rec["destination"], {"addr": "127.0.0.1", "port": SERVICE_PORT}, "its destination")
    eq((rec["requester"]["netns"], rec["requester"]["netns_name"]), (netns.inode, netns.name),
       "the requester's namespace")
    check_view(rec["ephemeral"], netns, clients)
    labels = f'{{netns="{netns.inode}",netns_name="{netns.name}"}}'
    deadline = time.monotonic() + GAUGE_WAIT
    while True:
        got = samples(scrape(mport)[1])
        if got.get("bindwatch_ephemeral_ports_in_use" + labels) == RANGE_SIZE:
            break
        if time.monotonic() > deadline:
            fail(f"no full gauge for {netns.name} within {GAUGE_WAIT}s: "
                 f"{ {k: v for k, v in got.items() if 'ephemeral' in k} }")
        time.sleep(0.5)
    eq(got["bindwatch_ephemeral_ports_range" + labels], RANGE_SIZE, "the range gauge")
    eq(got["bindwatch_ephemeral_exhausted_total" + labels], 1, "the exhausted counter")


def test_ephemeral_who(netns, make_holder, closing):
    """who --ephemeral --netns NAME lists the clients holding the range (no
    monitor needed); a namespace with nothing in its range answers 1."""
    clients = exhausted(netns, make_holder, closing)
    rc, out, err = run_to_exit(bindwatch_argv("who", "--ephemeral", "--netns", netns.name,
                                              "--json"))
    eq(rc, 0, f"who --ephemeral's status (stderr {err!r})")
    check_view(json.loads(out), netns, clients)
    rc, out, err = run_to_exit(bindwatch_argv("who", "--ephemeral", "--netns", netns.path))
    eq(rc, 0, f"who --ephemeral's status, text (stderr {err!r})")
    check(f"8 of {RANGE_SIZE} in use" in out and f"ephclient[{clients.pid}] 8 ports" in out,
          f"who --ephemeral's text names the range and the clients: {out!r}")


def test_ephemeral_who_empty(netns):
    """A fresh namespace's range: nothing in use, exit status 1."""
    shrink_range(netns)
    rc, out, err = run_to_exit(bindwatch_argv("who", "--ephemeral", "--netns", netns.name,
                                              "--json"))
    eq(rc, 1, f"who --ephemeral's status (stderr {err!r})")
    eq((json.loads(out)["in_use"], json.loads(out)["holders"]), (0, []), "an empty range")


def test_ephemeral_control_no_record(netns, make_holder, closing, ephemeral_monitor, held_port):
    """Control: a connect() in the host namespace that succeeds, and one
    refused (ECONNREFUSED), make no record; the exhaustion after them does."""
    bw = ephemeral_monitor()
    port = held_port()
    with Clients(1, port, comm="ephcontrol") as ok:
        eq(ok.attempt(), None, "a connect() to a listener")
    refused = free_port()
    with Clients(0, refused, comm="ephrefused") as ko:
        eq(ko.attempt(), "ECONNREFUSED", "a connect() to a closed port")
    control = {ok.pid, ko.pid}
    clients = exhausted(netns, make_holder, closing)
    eq(clients.attempt(), "EADDRNOTAVAIL", "the connect() past the range")
    bw.wait_record(connect_record(clients),
                   forbid=lambda r: r.get("requester", {}).get("pid") in control)
