# test_trust_holders.py - a user cannot hide the holder of a port from
# root's bindwatch, or from the policy: a socket kept only in flight
# (SCM_RIGHTS on a unix socket of its own) or only in an io_uring's
# registered files is named as held by the process that can take it back
# (README "Threat model").  The attacker runs as nobody
# (children/squatter.c); the control holds its socket the ordinary way.
from harness import (NOBODY as AS_NOBODY, Requester, Squatter, check, eq, for_port,
                     start_bindwatch, test)
from test_holders import NOBODY, diagnosis
from test_policy import gone, reclaim_once, reclaim_rule


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


@test()
def trust_in_flight_holder_named():
    """Attack: nobody sends its listening socket over its own socketpair
    (SCM_RIGHTS) and closes its descriptor.  The root monitor names the
    squatter, which holds the unix socket whose queue carries it, not
    "a process bindwatch cannot see"."""
    with Squatter("inflight", prefix=AS_NOBODY) as sq:
        holders = squatted_conflict(sq)
        eq(len(holders), 1, f"holders {holders}")
        check_named(holders[0], sq, "in-flight")
        eq((holders[0]["via_hops"], holders[0]["state"]), (1, "LISTEN"), "(via_hops, state)")


@test()
def trust_io_uring_holder_named():
    """Attack: nobody registers its UDP socket in an io_uring's file table
    and closes its descriptor.  The root monitor names the ring's holder."""
    with Squatter("io_uring", proto="udp", prefix=AS_NOBODY) as sq:
        holders = squatted_conflict(sq)
        eq(len(holders), 1, f"holders {holders}")
        check_named(holders[0], sq, "io_uring")
        eq((holders[0]["via_hops"], holders[0]["state"]), (None, "UDP"), "(via_hops, state)")


@test()
def trust_holder_by_descriptor_unchanged():
    """Control: a socket held by its descriptor is named as before, via
    "fd", and a root holder by root."""
    with Squatter("fd") as sq:
        holders = squatted_conflict(sq)
        eq(len(holders), 1, f"holders {holders}")
        h = holders[0]
        eq((h["pid"], h["uid"], h["inode"], h["hidden"], h["via"], h["via_inode"]),
           (sq.pid, 0, sq.inode, False, "fd", None),
           "(pid, uid, inode, hidden, via, via_inode) of the holder")


@test()
def trust_in_flight_squatter_reclaimed():
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
