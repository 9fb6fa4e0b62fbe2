# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# record_latency.py BINDWATCH PORT HOLDER N WARM GAP_MS STORM ERRFILE PIDFILE
#                   [late ATTACK] - scripts/bench-who.sh's conflict record
# latency harness: starts `BINDWATCH --json --port PORT` (its stderr to
# ERRFILE, its pid to PIDFILE), waits for its ready line, then fails bind()
# on PORT (held by process HOLDER) from N fresh processes GAP_MS apart
# (each of its own uid, so each conflict is the first of its incident),
# after WARM uncounted ones, and times each from just before the failing
# bind() to reading its record from bindwatch's stdout (every record
# must name the holder); then STORM storms of two failures from as many
# processes, the second one's record timed (it waits for the window).  Prints
# one line: "mode M n N p50 MS p99 MS max MS time_median MS storm_n N
# storm_p50 MS cpu_pct PCT" (bindwatch's CPU while the first records were
# timed, % of one CPU).  "late" and ATTACK: see below.
import calendar, errno, json, os, select, signal, socket, statistics, subprocess, sys, time

bindwatch, port, holder, n, warm, gap_ms, storm, errpath, pidpath = sys.argv[1:10]
port, holder, n, warm, gap_ms, storm = int(port), int(holder), int(n), int(warm), int(gap_ms), int(storm)
# "late": the port's holder (port_holder.py) is started here once bindwatch
# is ready (the ledger saw its bind); ATTACK: a command started then too, and stopped at
# the end (its process group), while the first records are measured
late, attack = (sys.argv[10] == "late", sys.argv[11]) if len(sys.argv) > 10 else (False, "")
HOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "port_holder.py")


def cpu_ticks(pid):
    """utime + stime of pid, clock ticks (/proc/PID/stat fields 14, 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
READY_TIMEOUT, RECORD_TIMEOUT, STOP_TIMEOUT = 30.0, 5.0, 30.0
# Each distinct conflict's process runs as a uid of its own, from here up:
# conflicts of one uid and executable on one port are one incident
# (doc/records.md, "Incidents"), whose later conflicts are held back, and
# this times the record a conflict gets at once, the first of its incident.
REQUESTER_UID_BASE = 20000
P99 = 99 - 1  # index of the 99th percentile in statistics.quantiles(n=100)


def fail(msg):
    print("record: " + msg, file=sys.stderr)
    sys.exit(1)


def rfc3339_ns(s):
    """2026-11-26T08:21:04.123456789Z -> ns since the epoch."""
    whole, frac = s.rstrip("Z").split(".")
    secs = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(frac.ljust(9, "0")[:9])


def failing_bind(s):
    """bind() s to the held port; CLOCK_REALTIME just before the call (the
    call is a microsecond or two; read after it, the clock could come after
    the record: the requester may be preempted on its way back while the
    monitor and this harness run)."""
    t0 = time.clock_gettime_ns(time.CLOCK_REALTIME)
    try:
        s.bind(("127.0.0.1", port))
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            fail("bind: %s (expected EADDRINUSE)" % e)
        return t0
    fail("bind to held port %d succeeded" % port)


signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
with open(errpath, "w") as err:
    # a late holder's port is not known yet, and the attack is on others
    bw = subprocess.Popen([bindwatch, "--json", *([] if late else ["--port", str(port)])],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
with open(pidpath, "w") as f:
    print(bw.pid, file=f)
try:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        with open(errpath) as f:
            text = f.read()
        if "ready (mode:" in text:
            mode = text.split("ready (mode:", 1)[1].split(")", 1)[0].strip()
            break
        if bw.poll() is not None:
            fail("bindwatch exited: " + text.strip()[-300:])
        if time.monotonic() > deadline:
            fail("bindwatch not ready after %.0fs" % READY_TIMEOUT)
        time.sleep(0.05)

    fd, buf = bw.stdout.fileno(), b""
    helpers = []
    if late:
        helpers.append(subprocess.Popen([sys.executable, HOLDER], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, start_new_session=True))
        holder, port = map(int, helpers[-1].stdout.readline().split())
    if attack:
        helpers.append(subprocess.Popen(["bash", "-c", attack], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, start_new_session=True))
        if helpers[-1].stdout.readline().strip() != b"attacking":
            fail("the attacker did not start")

    def read_record(pid):
        """The next line, a conflict of pid naming the holder; and when read
        (unwatched, bindwatch writes the attacker's records too: skipped)."""
        global buf
        deadline = time.monotonic() + RECORD_TIMEOUT
        while True:
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    fail("no record within %.0fs" % RECORD_TIMEOUT)
                chunk = os.read(fd, 65536)
                if not chunk:
                    fail("bindwatch closed its stdout")
                buf += chunk
            line, buf = buf.split(b"\n", 1)
            t1 = time.clock_gettime_ns(time.CLOCK_REALTIME)
            r = json.loads(line)
            if r.get("event") == "conflict" and r.get("port") == port and \
                    r.get("requester", {}).get("pid") == pid:
                break
            if not late:
                fail("unexpected record: " + line.decode()[:300])
        if holder not in [h.get("pid") for h in r.get("holders") or []]:
            fail("record does not name the holder %d: %s" % (holder, line.decode()[:300]))
        return r, t1

    def distinct_conflict(i, fails=1):
        """fails conflicts, GAP_MS apart, on one socket of a fresh process of
        its own uid (the i-th), alive until their records are read; the
        last one's times and record."""
        t0r, t0w = os.pipe()
        gor, gow = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(t0r)
            os.close(gow)
            os.setgroups([])
            os.setgid(REQUESTER_UID_BASE + i)
            os.setuid(REQUESTER_UID_BASE + i)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            for k in range(fails):
                if k:
                    time.sleep(gap_ms / 1000)
                t0 = failing_bind(s)
            os.write(t0w, b"%d\n" % t0)
            os.read(gor, 1)
            os._exit(0)
        os.close(t0w)
        os.close(gor)
        for _ in range(fails):
            r, t1 = read_record(pid)
        with os.fdopen(t0r) as f:
            t0 = int(f.readline())  # the child holds the pipe open: no EOF
        os.close(gow)
        os.waitpid(pid, 0)
        return t0, t1, r

    first, first_time = [], []
    cpu0, wall0 = cpu_ticks(bw.pid), time.monotonic()
    for i in range(warm + n):
        time.sleep(gap_ms / 1000)
        t0, t1, r = distinct_conflict(i)
        if i >= warm:
            first.append((t1 - t0) / 1e6)
            first_time.append((t1 - rfc3339_ns(r["time"])) / 1e6)
    cpu = (cpu_ticks(bw.pid) - cpu0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - wall0)

    # storms: each a process's first failure, a record at once, then a
    # second, counted until the storm's window closes
    window = []
    for i in range(storm):
        time.sleep(gap_ms / 1000)
        t0, t1, r = distinct_conflict(warm + n + i, 2)
        window.append((t1 - t0) / 1e6)
    q = statistics.quantiles(first, n=100, method="inclusive")
    print("mode %s n %d p50 %.3f p99 %.3f max %.3f time_median %.3f storm_n %d storm_p50 %.3f "
          "cpu_pct %.2f" % (mode, n, statistics.median(first), q[P99], max(first),
                            statistics.median(first_time), storm, statistics.median(window),
                            cpu * 100))
finally:
    for h in helpers:
        try:
            os.killpg(h.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        h.wait()
    if bw.poll() is None:
        bw.send_signal(signal.SIGTERM)
        try:
            bw.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            bw.kill()
            bw.wait()
    os.unlink(pidpath)
