# test_bind_pairs.py - the kernel's own bind selftest
# (tools/testing/selftests/net/bind_wildcard.c) replayed for real, at full
# speed, under a monitor: every ordered pair of nine endpoints (0.0.0.0,
# 127.0.0.1, 127.0.0.2, [::] and [::1] with and without IPV6_V6ONLY,
# [::ffff:127.0.0.1], [::ffff:0.0.0.0]), plain, SO_REUSEADDR on both,
# SO_REUSEPORT on both (one owner, and two), over TCP (with the selftest's
# follow-up binds of every address) and UDP, and the listen() conflicts
# of SO_REUSEADDR pairs.  One process (children/bind_pairs.c) plays every
# round on a fresh port the kernel picks and closes the round's sockets
# right after it, so a holder is gone microseconds after the call it
# blocked: only a holder taken at the failing call can be named (a gone
# one by the process that bound it).
#
# Every EADDRINUSE the child saw must have exactly one record, with the
# requested address, naming as its holder a socket of the round open at
# the call, and the reason the kernel's rules give for that pair
# (REASONS); nothing else is recorded on the test's ports.  The checked
# variant runs `bindwatch check` before each call that may fail, which
# must predict the kernel's answer, and slows the replay down.
import collections
import errno
import ipaddress
import json
import os
import queue
import subprocess
import time

import pytest

from harness import (RECORD_TIMEOUT, LineReader, check, child_binary, end_child, eq, fail,
                     next_line, run_to_exit)
from test_capture import MODES, start_in_mode
from test_check import check_argv

NOBODY_UID = 65534
ENDPOINTS = ("0.0.0.0", "127.0.0.1", "127.0.0.2", "::", "::/v6only", "::1", "::1/v6only",
             "::ffff:127.0.0.1", "::ffff:0.0.0.0")
# the selftest's follow-up binds after a TCP pair: every address, no options
PROBES = ("0.0.0.0", "127.0.0.1", "127.0.0.2", "::", "::1", "::ffff:0.0.0.0", "::ffff:127.0.0.1")
# the option both sockets of a pair set, and the owner uid of the first
OPTIONS = (("plain", 0), ("reuseaddr", 0), ("reuseport", 0), ("reuseport", NOBODY_UID))
# a record for every failure: no storm aggregation, no rate limit
MONITOR_ARGS = ("--window", "0", "--rate-limit", "0")
V6ONLY = "/v6only"
# the call a round's check predicts: the second bind, or the second listen
CHECKED_STEP = {"bind": 2, "listen": 4}
UNKNOWN = "unknown"

Round = collections.namedtuple("Round", "id proto call opt uid endpoints")
Call = collections.namedtuple("Call", "round step call addr v6only port err")
# a socket of a round as it was at a call
Sock = collections.namedtuple("Sock", "proto addr v6only reuseaddr reuseport uid listening")


def batches():
    """The rounds, in batches of one protocol, call and option (81 rounds)."""
    out, n = [], 0
    plan = [(proto, "bind", opt, uid) for proto in ("tcp", "udp") for opt, uid in OPTIONS]
    plan.append(("tcp", "listen", "reuseaddr", 0))
    for proto, call, opt, uid in plan:
        probes = PROBES if (proto, call) == ("tcp", "bind") else ()
        batch = []
        for a in ENDPOINTS:
            for b in ENDPOINTS:
                batch.append(Round(str(n), proto, call, opt, uid, (a, b, *probes)))
                n += 1
        out.append(batch)
    return out


def round_line(r):
    return "\t".join((r.id, r.proto, r.call, r.opt, str(r.uid), *r.endpoints)) + "\n"


def sockets(r):
    """The round's sockets before any call: the pair, then the probes."""
    out = []
    for i, ep in enumerate(r.endpoints):
        addr, pair = ep.removesuffix(V6ONLY), i < 2
        out.append(Sock(r.proto, addr, ep.endswith(V6ONLY), pair and r.opt == "reuseaddr",
                        pair and r.opt == "reuseport", r.uid if i == 0 else 0, False))
    return out


def replayed(r, calls):
    """(call, its socket, the round's other sockets bound then) for each call."""
    socks = sockets(r)
    bound = [False] * len(socks)
    binds, listens = iter(range(len(socks))), iter(range(2))
    for c in calls:
        i = next(binds) if c.call == "bind" else next(listens)
        yield c, socks[i], [s for j, s in enumerate(socks) if bound[j] and j != i]
        if c.err == 0 and c.call == "bind":
            bound[i] = True
            socks[i] = socks[i]._replace(v6only=socks[i].v6only or v6_only_address(socks[i]))
        elif c.err == 0:
            socks[i] = socks[i]._replace(listening=True)


def v6_only_address(s):
    """Whether a bind to s's address sets IPV6_V6ONLY: the kernel does so for
    an IPv6 address that is neither [::] nor v4-mapped (__inet6_bind())."""
    return ":" in s.addr and s.addr != "::" and v4_of(s.addr) is None


# ---------------------------------------------------------------- the kernel's rules

def v4_of(addr):
    """The IPv4 address addr is, natively or v4-mapped; None for other IPv6."""
    ip = ipaddress.ip_address(addr)
    return ip if ip.version == 4 else ip.ipv4_mapped


def same_address(a, b):
    x, y = v4_of(a.addr), v4_of(b.addr)
    if x is not None and y is not None:
        return x == y
    return ipaddress.ip_address(a.addr) == ipaddress.ip_address(b.addr)


def dual_stack(a, b):
    """One side IPv4 (or v4-mapped), the other the IPv6 wildcard [::]."""
    return (v4_of(a.addr) is not None and b.addr == "::") or \
        (a.addr == "::" and v4_of(b.addr) is not None)


# The reason for a request blocked by holder h, in the order the codes of
# doc/records.md (Reason codes) take precedence: the first that applies.
REASONS = (
    ("listen-conflict", lambda call, req, h: call == "listen"),
    ("reuseport-uid-mismatch", lambda call, req, h: req.reuseport and h.reuseport),
    ("reuseport-one-sided", lambda call, req, h: req.reuseport != h.reuseport),
    ("dual-stack-overlap", lambda call, req, h: dual_stack(req, h)),
    ("wildcard-overlap", lambda call, req, h: not same_address(req, h)),
    ("udp-no-reuse", lambda call, req, h: req.proto == "udp"),
    ("listener", lambda call, req, h: h.listening),
    ("bound", lambda call, req, h: True),
)


def expected_reason(call, req, h):
    return next(code for code, applies in REASONS if applies(call, req, h))


# ---------------------------------------------------------------- the replay

class Replayer:
    """children/bind_pairs.c, playing rounds; with pause, on_pause(round,
    port) runs before each call that may fail, the round's first socket
    bound."""

    def __init__(self, pause=False):
        argv, fds, self.go = [child_binary("bind_pairs")], (), None
        if pause:
            read_end, self.go = os.pipe()
            argv += ["--pause", str(read_end)]
            fds = (read_end,)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, pass_fds=fds)
        finally:
            for fd in fds:
                os.close(fd)
        self.pid = self.proc.pid
        self.out = LineReader(self.proc.stdout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        end_child(self.proc)
        if self.go is not None:
            os.close(self.go)

    def _line(self):
        return next_line(self.out, self.proc, "bind_pairs stopped answering") \
            .decode().rstrip("\n").split("\t")

    def play(self, rounds, on_pause=None):
        """Play rounds; {round id: [Call]}."""
        by_id = {r.id: r for r in rounds}
        self.proc.stdin.write("".join(map(round_line, rounds)).encode() + b"sync\n")
        self.proc.stdin.flush()
        calls = {r.id: [] for r in rounds}
        while (f := self._line()) != ["synced"]:
            if f[0] == "pause":
                on_pause(by_id[f[1]], int(f[2]))
                os.write(self.go, b"go\n")
                continue
            rid, step, call, addr, v6only, port, err = f
            calls[rid].append(Call(by_id[rid], int(step), call, addr, v6only == "1", int(port),
                                   int(err)))
        return calls


def call_key(proto, port, call, addr, v6only, reuseaddr, reuseport):
    """What tells a failure's record apart: where, which call, which socket."""
    return (proto, port, call, addr, v6only if ":" in addr else None, reuseaddr, reuseport)


def record_key(rec):
    s = rec["socket"]
    return call_key(rec["proto"], rec["port"], rec["syscall"], rec["addr"], s["v6only"],
                    s["reuseaddr"], s["reuseport"])


def failures(calls):
    """{call_key: [(call, its socket, the sockets bound then)]} of every EADDRINUSE."""
    out = collections.defaultdict(list)
    for round_calls in calls.values():
        if not round_calls:
            continue
        for c, sock, bound in replayed(round_calls[0].round, round_calls):
            if c.err == errno.EADDRINUSE:
                key = call_key(sock.proto, c.port, c.call, c.addr, sock.v6only, sock.reuseaddr,
                               sock.reuseport)
                out[key].append((c, sock, bound))
    return out


def holder_sock(h, bound):
    """The socket of bound that holder h (a record's) is, or None."""
    for s in bound:
        if (h.get("addr"), h.get("reuseaddr"), h.get("reuseport"), h.get("uid")) == \
                (s.addr, s.reuseaddr, s.reuseport, s.uid) and \
                (":" not in s.addr or h.get("v6only") == s.v6only):
            return s
    return None


def held_by(h, pid):
    """Whether a record's holder h names process pid: as holding it, or, for
    a socket gone since the call (or not walked for, past the walk budget),
    as the process that bound it."""
    return h.get("pid") == pid or (h.get("pid") is None and
                                   (h.get("bound_by") or {}).get("pid") == pid)


def explains(rec, failure, pid):
    """Whether rec names, for this failure, a holder of the round open at
    the call, of the child, and the reason the rules give for it."""
    c, sock, bound = failure
    holders = rec.get("holders") or []
    h = holder_sock(holders[0], bound) if holders else None
    return h is not None and held_by(holders[0], pid) and \
        rec.get("reason") == expected_reason(c.call, sock, h)


def tally(calls, records, pid, ports):
    """Count, and collect the faults of, the records against the failures."""
    want = failures(calls)
    got = collections.defaultdict(list)
    t = collections.Counter(failures=sum(map(len, want.values())))
    faults = []
    for rec in records:
        if rec.get("event") in ("lost", "suppressed"):
            t[rec["event"]] += rec.get("count", 0)
            faults.append(rec)
        elif (rec.get("proto"), rec.get("port")) in ports and rec.get("event") != "incident-end":
            if rec.get("event") == "conflict" and rec["requester"]["pid"] == pid:
                got[record_key(rec)].append(rec)
            else:
                t["extra"] += 1
                faults.append(rec)
    for key in set(want) | set(got):
        w, g = want.get(key, []), got.get(key, [])
        t["missing"] += max(0, len(w) - len(g))
        t["extra"] += max(0, len(g) - len(w))
        for rec in g:
            t["records"] += 1
            t["holder"] += bool(rec.get("holders"))
            t["reason"] += rec.get("reason") not in (None, UNKNOWN)
            t["right"] += any(explains(rec, f, pid) for f in w)
            t["count_1"] += rec.get("count") == 1 and rec.get("errno") == "EADDRINUSE"
        if len(w) != len(g):
            faults.append({"key": key, "failures": len(w), "records": len(g)})
    return t, faults


def wait_records(bw, pid, seen, n):
    """Read records until n conflicts of pid came (seen so far), or none
    came for RECORD_TIMEOUT; how many came."""
    deadline = time.monotonic() + RECORD_TIMEOUT
    while seen < n:
        try:
            rec = bw.next_record(deadline)
        except queue.Empty:
            break
        if rec.get("event") == "conflict" and rec["requester"]["pid"] == pid:
            seen += 1
            deadline = time.monotonic() + RECORD_TIMEOUT
    return seen


def replay(bw, on_pause=None):
    """Every batch of rounds, waiting after each for its records (so the
    ring buffer never holds more than a batch); (calls, records, pid)."""
    calls, seen = {}, 0
    with Replayer(pause=on_pause is not None) as child:
        for batch in batches():
            calls.update(child.play(batch, on_pause))
            n = sum(c.err == errno.EADDRINUSE for cs in calls.values() for c in cs)
            seen = wait_records(bw, child.pid, seen, n)
        pid = child.pid
    rc, stderr = bw.stop()
    eq(rc, 0, f"monitor's exit status (stderr {stderr[-2000:]!r})")
    return calls, bw.records(), pid


def judge(what, calls, records, pid):
    """Print the numbers, then check them: every failure exactly one record
    (requested address, count 1), nothing else on the test's ports, and
    each record names its holder and the reason."""
    ports = {(r.proto, c.port) for cs in calls.values() for c in cs for r in [c.round]}
    t, faults = tally(calls, records, pid, ports)
    summary = (f"{what}: EADDRINUSE {t['failures']}, records {t['records']} "
               f"(missing {t['missing']}, extra {t['extra']}, lost {t['lost']}, "
               f"suppressed {t['suppressed']}), with holders {t['holder']}, "
               f"reason known {t['reason']}, holder and reason right {t['right']}")
    print("\n  " + summary)
    check(t["failures"] > 0, "the replay saw no EADDRINUSE")
    check(not faults, f"{summary}; first faults: {faults[:5]!r}")
    eq(t["count_1"], t["records"], f"{summary}: records of count 1 and errno EADDRINUSE")
    eq(t["right"], t["records"], f"{summary}: records naming the holder and the reason")


@pytest.mark.parametrize("mode", MODES)
def test_bind_pairs(mode):
    """The replay at full speed, in each capture mode."""
    with start_in_mode(mode, *MONITOR_ARGS) as bw:
        calls, records, pid = replay(bw)
    judge(f"{mode}, full speed", calls, records, pid)


def checked_calls(calls):
    """(call, its socket, the sockets bound then) of each round's call a check predicted."""
    for cs in calls.values():
        for c, sock, bound in replayed(cs[0].round, cs):
            if c.step == CHECKED_STEP[c.round.call]:
                yield c, sock, bound


def test_bind_pairs_checked():
    """The replay with `bindwatch check` before each call that may fail:
    its answer is the kernel's, every time, and when busy its holder is a
    socket of the round and its reason the one REASONS gives; and the
    records as above."""
    answers = {}

    def predict(r, port):
        sock = sockets(r)[1]  # the second socket makes the call that may fail
        op = dict(family="ipv6" if ":" in sock.addr else "ipv4", proto=r.proto,
                  addr=sock.addr, port=port, reuseaddr=sock.reuseaddr,
                  reuseport=sock.reuseport, v6only=sock.v6only, listen=r.call == "listen")
        rc, out, err = run_to_exit(check_argv("check", op))
        try:
            answers[r.id] = json.loads(out)
        except ValueError:
            fail(f"check {op}: exit {rc}, not JSON: {out!r} (stderr {err.strip()!r})")

    with start_in_mode("tracepoint", *MONITOR_ARGS) as bw:
        calls, records, pid = replay(bw, predict)
    wrong, misexplained, busy = {}, {}, 0
    for c, sock, bound in checked_calls(calls):
        ans = answers[c.round.id]
        kernel = "busy" if c.err else "free"
        if ans["answer"] != kernel:
            wrong[c.round.endpoints[:2] + (c.round.opt, c.round.uid)] = (ans["answer"], kernel)
        elif kernel == "busy":
            busy += 1
            # check --listen answers for a socket yet to bind (bindwatch-check(8)):
            # its bind is what meets the listener, so the reason is a bind's
            h = holder_sock(ans["holders"][0], bound)
            if h is None or ans["reason"] != expected_reason("bind", sock, h):
                misexplained[c.round.id] = ans
    print(f"\n  check: {len(answers) - len(wrong)} of {len(answers)} calls predicted right, "
          f"{busy - len(misexplained)} of {busy} busy ones with a holder of the round and "
          f"the reason REASONS gives")
    eq(len(answers), len(calls), "rounds paused for a check")
    check(not wrong, f"check vs the kernel, (check, kernel) by round: {wrong!r}")
    check(not misexplained, f"check's holder or reason: {list(misexplained.values())[:3]!r}")
    judge("tracepoint, a check before each call that may fail", calls, records, pid)
