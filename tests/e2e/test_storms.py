# test_storms.py - end-to-end tests of storm aggregation: identical failures
# from one process become one record per window with their count, the
# counts plus the loss add up exactly to the failures the process saw, and
# failures that differ in a socket option are never merged.
import json
import os
import socket
import subprocess

from harness import (PYTHON, RECORD_TIMEOUT, Requester, check, child, eq, hold, new_marker,
                     start_bindwatch)


def burst(comm, port, n=0, seconds=0.0):
    """Start children/burst.py, failing binds on port as comm, n times (or for
    seconds); returns the Popen (stdout: its JSON line)."""
    return subprocess.Popen([PYTHON, child("burst.py"), comm, str(port), str(n), str(seconds)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)


def burst_result(proc):
    out, _ = proc.communicate(timeout=120)
    eq(proc.returncode, 0, "burst process exit code")
    return json.loads(out)


def stop(bw):
    rc, stderr = bw.stop()
    eq(rc, 0, f"bindwatch exit code (stderr {stderr!r})")
    return bw.records()


def check_exact(recs, result, comm):
    """sum(count) + lost == failures; returns the burst's conflict records."""
    mine = [r for r in recs if r["event"] == "conflict"]
    for r in mine:
        eq((r["requester"]["pid"], r["requester"]["comm"]), (result["pid"], comm),
           "requester of a conflict record")
    lost = sum(r["count"] for r in recs if r["event"] == "lost")
    counted = sum(r["count"] for r in mine)
    eq(counted + lost, result["failures"],
       f"sum of counts ({counted}) plus lost ({lost}) against the failures")
    check(mine and mine[0]["count"] == 1, f"first record stands for one failure: {mine[:1]!r}")
    return mine


def test_storm_burst_exact():
    """300,000 failing binds in a burst: a handful of records, counts exact."""
    comm = new_marker()
    sock, port = hold("ipv4", "tcp", "127.0.0.1")
    with sock, start_bindwatch("--comm", comm) as bw:
        result = burst_result(burst(comm, port, n=300000))
        eq(result["failures"], 300000, "failures the burst process saw")
        recs = stop(bw)
    mine = check_exact(recs, result, comm)
    check(len(mine) <= 300, f"{len(mine)} records for one burst, expected a few")


def test_storm_burst_exact_compat():
    """The same burst with requests parked the way kernels before 5.13 park
    them (a hash by thread, probe reads): counts exact."""
    comm = new_marker()
    sock, port = hold("ipv4", "tcp", "127.0.0.1")
    env = dict(os.environ, BINDWATCH_TEST_NO_TASK_STORAGE="1")
    with sock, start_bindwatch("--comm", comm, "--mode", "tracepoint", env=env) as bw:
        result = burst_result(burst(comm, port, n=100000))
        eq(result["failures"], 100000, "failures the burst process saw")
        recs = stop(bw)
    check_exact(recs, result, comm)


def test_storm_window_records_while_running(held_port, monitor):
    """A storm that lasts several windows gets a record per window while it
    runs, not only when it stops."""
    comm = new_marker()
    port = held_port()
    bw = monitor("--comm", comm, "--window", "200ms")
    proc = burst(comm, port, seconds=30)
    try:
        bw.wait_record(lambda r: r["event"] == "conflict" and r["count"] == 1)
        later = bw.wait_record(lambda r: r["event"] == "conflict")
        check(later["count"] > 1, f"second record of the storm: {later!r}")
        check(proc.poll() is None, "the storm ended before its second record")
    finally:
        proc.terminate()
        proc.wait(RECORD_TIMEOUT)


def test_storm_separate_processes_and_window_zero():
    """--window 0 (and no rate limit): one record per failure; and storms of
    two processes never merge (each record names its own requester)."""
    comm = new_marker()
    sock, port = hold("ipv4", "tcp", "127.0.0.1")
    with sock, start_bindwatch("--comm", comm, "--window", "0", "--rate-limit", "0") as bw:
        results = [burst_result(burst(comm, port, n=100)) for _ in range(2)]
        recs = stop(bw)
    for result in results:
        mine = [r for r in recs if r["event"] == "conflict"
                and r["requester"]["pid"] == result["pid"]]
        eq(len(mine), result["failures"], f"records for process {result['pid']}")
        eq({r["count"] for r in mine}, {1}, "counts with --window 0")


def test_storm_text_count():
    """Text records say how many failures they stand for."""
    comm = new_marker()
    sock, port = hold("ipv4", "tcp", "127.0.0.1")
    with sock, start_bindwatch("--comm", comm, json_output=False) as bw:
        result = burst_result(burst(comm, port, n=1000))
        rc, stderr = bw.stop()
    eq(rc, 0, f"bindwatch exit code (stderr {stderr!r})")
    lines = [line.decode() for line in bw.out.lines]
    eq(len(lines), 2, f"text records for 1000 failures: {lines!r}")
    check("times)" not in lines[0], f"first record is one failure: {lines[0]!r}")
    check(f"({result['failures'] - 1} times)" in lines[1], f"second record: {lines[1]!r}")


def time_wait_port():
    """A port whose only socket is a TIME_WAIT one on 127.0.0.1, without
    SO_REUSEADDR: the server closes its side of a connection first."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        conn.close()  # the server's side: FIN first, so it ends in TIME_WAIT
        client.recv(1)  # the FIN arrived
        client.close()
    return port


def reuseaddr_pair(port, *args):
    """One requester binds 127.0.0.1:port without, then with SO_REUSEADDR,
    at once; both fail against the TIME_WAIT socket.  Returns the two
    conflict records (by requester thread) of a monitor run with args."""
    with start_bindwatch("--port", str(port), *args) as bw, Requester() as req:
        calls = [req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp",
                          addr="127.0.0.1", port=port, reuseaddr=flag)
                 for flag in (False, True)]
        for call in calls:
            bw.wait_record(lambda r, tid=call["tid"]: r["event"] == "conflict"
                           and r["requester"]["tid"] == tid)
        recs = stop(bw)
    by_tid = {r["requester"]["tid"]: r for r in recs if r["event"] == "conflict"}
    eq(len(by_tid), 2, f"conflict records of two calls: {recs!r}")
    return [by_tid[c["tid"]] for c in calls]


def test_storm_keeps_socket_options():
    """Two failures of one process on one address within a window, without
    and with SO_REUSEADDR, are two storms: each record carries its own
    call's options and reason, the same as under --window 0."""
    port = time_wait_port()
    windowed = reuseaddr_pair(port)
    single = reuseaddr_pair(port, "--window", "0")
    for recs, how in ((windowed, "default window"), (single, "--window 0")):
        eq([r["socket"]["reuseaddr"] for r in recs], [False, True], f"reuseaddr ({how})")
        eq([r["count"] for r in recs], [1, 1], f"counts ({how})")
        eq([r["reason"] for r in recs], ["time-wait", "time-wait"], f"reasons ({how})")
        eq([r["holders"][0]["state"] for r in recs], ["TIME_WAIT"] * 2, f"holders ({how})")
    check("neither side" in windowed[0]["reason_text"], f"first reason: {windowed[0]!r}")
    check("old socket did not set SO_REUSEADDR" in windowed[1]["reason_text"],
          f"second reason: {windowed[1]!r}")
    eq([r["reason_text"] for r in windowed], [r["reason_text"] for r in single],
       "reasons in a window against --window 0")
