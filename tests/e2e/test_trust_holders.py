# test_trust_holders.py - a user cannot hide the holder of a port from
# root's bindwatch, or from the policy: a socket kept only in flight
# (SCM_RIGHTS on a unix socket of its own) or only in an io_uring's
# registered files is named as held by the process that can take it back;
# nor make root's holder lookups wait on walks of everyone's files: each
# uid has a budget of them, and a socket bound while the monitor runs is
# named without one (doc/security.md).  The attacker runs as nobody
# (children/squatter.c, harness.Holder); the controls are root's.
from harness import (NOBODY as AS_NOBODY, Holder, Requester, Squatter, check, eq, for_port,
                     free_port, socket_spec, start_bindwatch)
from test_holders import BACKLOG, NOBODY, diagnosis
from test_options import samples, scrape
from test_policy import gone, reclaim_once, reclaim_rule

# conflicts, one per requester process (~0.1 s each), that pass a uid's
# walk budget: 20 at once, then 1 a second (src/explain/walkbudget.h); one
# on a socket in flight takes two (every process, then the indirect walks)
OVER_BUDGET = 24


def squatted_conflict(squatter):
    """A root bindwatch, and root's bind() of the squatter's port failing;
    the record's holders (checked against the schema)."""
    with start_bindwatch() as bw, Requester() as req:
        req.call("EADDRINUSE", op="bind", family="ipv4", proto=squatter.proto,
                 addr="127.0.0.1", port=squatter.port)
        rec = bw.wait_record(for_port(squatter.port))
    return diagnosis(rec)


def check_named(h, squatter, via, uid=NOBODY):
    """h names the squatter's process as holding its socket by via."""
    eq((h["pid"], h["comm"], h["uid"], h["inode"], h["hidden"], h["hidden_reason"]),
       (squatter.pid, "squatter", uid, squatter.inode, False, None),
       "(pid, comm, uid, inode, hidden, hidden_reason) of the holder")
    eq((h["via"], h["via_inode"]), (via, squatter.carrier_inode), "(via, via_inode)")
    eq(h["cmdline"], " ".join(squatter.argv), "holder cmdline")


def test_trust_in_flight_holder_named():
    """Attack: nobody sends its listening socket over its own socketpair
    (SCM_RIGHTS) and closes its descriptor.  The root monitor names the
    squatter, which holds the unix socket whose queue carries it, not
    "a process bindwatch cannot see"."""
    with Squatter("inflight", prefix=AS_NOBODY) as sq:
        holders = squatted_conflict(sq)
        eq(len(holders), 1, f"holders {holders}")
        check_named(holders[0], sq, "in-flight")
        eq((holders[0]["via_hops"], holders[0]["state"]), (1, "LISTEN"), "(via_hops, state)")


def test_trust_io_uring_holder_named():
    """Attack: nobody registers its UDP socket in an io_uring's file table
    and closes its descriptor.  The root monitor names the ring's holder."""
    with Squatter("io_uring", proto="udp", prefix=AS_NOBODY) as sq:
        holders = squatted_conflict(sq)
        eq(len(holders), 1, f"holders {holders}")
        check_named(holders[0], sq, "io_uring")
        eq((holders[0]["via_hops"], holders[0]["state"]), (None, "UDP"), "(via_hops, state)")


def test_trust_holder_by_descriptor_unchanged():
    """Control: a socket held by its descriptor is named as before, via
    "fd", and a root holder by root."""
    with Squatter("fd") as sq:
        holders = squatted_conflict(sq)
        eq(len(holders), 1, f"holders {holders}")
        h = holders[0]
        eq((h["pid"], h["uid"], h["inode"], h["hidden"], h["via"], h["via_inode"]),
           (sq.pid, 0, sq.inode, False, "fd", None),
           "(pid, uid, inode, hidden, via, via_inode) of the holder")


def test_trust_in_flight_squatter_reclaimed():
    """Control for the holders no descriptor shows: nobody's squatter that
    keeps its listener only in flight (SCM_RIGHTS on its own socketpair)
    is named, so a rule that matches it reclaims the port: it is
    signalled, and its exit frees the socket it carried."""
    with Squatter("inflight", prefix=AS_NOBODY) as sq:
        rec = reclaim_once(sq.port, reclaim_rule(sq.port, holder="comm: squatter\n        uid: 65534"))
        action = rec.get("action") or {}
        eq((action.get("result"), action.get("pids")), ("reclaimed", [sq.pid]),
           f"reclaim of the in-flight squatter ({action})")
        eq(rec["holders"][0]["via"], "in-flight", "holder via")
        check(gone(sq), "the squatter is still running")


def conflicts(bw, port, n, prefix=()):
    """n conflicts on port, each from a requester process of its own (as
    prefix says); their records, in order (bw runs with --window 0: one
    incident's conflicts are not held back)."""
    recs = []
    for _ in range(n):
        with Requester(prefix=prefix) as req:
            req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                     port=port)
            recs.append(bw.wait_record(lambda r, p=req.pid: r.get("port") == port and
                                       r.get("requester", {}).get("pid") == p))
    return recs


def skipped(recs):
    """How many of recs say their holder walk was skipped; checks that
    those name no process, the others their holder."""
    n = 0
    for rec in recs:
        if rec["holders_skipped"] is None:
            check(rec["holders"], f"a record with its walk made names no holder: {rec}")
            continue
        # past the budget no process is walked: the socket is listed as the
        # kernel had it on the port at the call (or, when the budget ran out
        # between the walk of every process and the walk for a socket in
        # flight, as the kernel's tables show it), with no process
        eq(rec["holders_skipped"], "walk-budget", "holders_skipped")
        check(all(h["pid"] is None for h in rec["holders"]),
              f"a record past the walk budget names a process: {rec['holders']}")
        eq(rec["reason"], "listener" if rec["holders"] else "unknown",
           "reason of a record past the walk budget")
        n += 1
    return n


def test_trust_walk_budget_per_uid(make_squatter, make_holder, monitor):
    """Attack: nobody makes conflicts on its own socket kept in flight (no
    descriptor, so neither the ledger nor the last walks point to a
    holder: every process is walked each time), more and faster than its
    walk budget.  Past it, its records say holders_skipped "walk-budget",
    counted in /metrics.  Control: root's conflicts then still get their
    walks, and name root's holder."""
    metrics = free_port()
    theirs = make_squatter("inflight", prefix=AS_NOBODY)
    ours = make_holder(socket_spec(listen=BACKLOG))
    bw = monitor("--metrics", str(metrics), "--window", "0")
    recs = conflicts(bw, theirs.port, OVER_BUDGET, prefix=AS_NOBODY)
    n = skipped(recs)
    check(n >= 1, f"no record of nobody's {OVER_BUDGET} conflicts says its walk was skipped")
    eq(recs[0]["holders"][0]["pid"], theirs.pid, "nobody's holder, within its budget")
    _, body = scrape(metrics)
    eq(samples(body).get("bindwatch_holder_walks_skipped_total"), float(n),
       "bindwatch_holder_walks_skipped_total")
    rec = conflicts(bw, ours.port, 1)[0]
    eq((rec["holders_skipped"], [h["pid"] for h in rec["holders"]]), (None, [ours.pid]),
       "root's conflict after nobody spent its budget: (holders_skipped, holder pids)")


def test_trust_ledger_names_without_walk():
    """Control: a socket bound while the monitor runs is named from the
    ledger, by a walk of its binder alone, which the walk budget does not
    limit: after root spends its budget on a socket of its own in flight
    (walked each time), its conflict on a socket bound since, on a port
    it named, still names the holder, with bound_by."""
    with Squatter("inflight") as old, start_bindwatch("--window", "0") as bw:
        check(skipped(conflicts(bw, old.port, OVER_BUDGET)) >= 1,
              f"no record of root's {OVER_BUDGET} conflicts says its walk was skipped")
        # an explicit port: the ledger then knows where the socket is
        with Holder(socket_spec(port=free_port(), listen=BACKLOG)) as new:
            rec = conflicts(bw, new.port, 1)[0]
            eq((rec["holders_skipped"], [h["pid"] for h in rec["holders"]]), (None, [new.pid]),
               "(holders_skipped, holder pids) of a conflict on a socket the ledger knows")
            eq(rec["holders"][0]["bound_by"]["pid"], new.pid, "bound_by.pid")
