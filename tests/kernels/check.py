# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# check.py KERNEL LOG STATUS TIMEOUT MODES CASES ARCH - the kernel matrix's
# checker (scripts/kernel-matrix.sh runs it after each boot): reads the
# console log LOG of KERNEL (architecture ARCH), which qemu ended with
# STATUS after at most TIMEOUT seconds, and prints one line per mode of
# MODES and case of CASES (both space-separated): "ok KERNEL MODE CASE
# (...)", "FAIL KERNEL MODE CASE: reason" or "skip KERNEL MODE CASE:
# reason".  For every case, a conflict record with the expected syscall,
# proto, family, addr, port, requester pid, errno EADDRINUSE, the mode
# asked for and the socket options set (tests/kernels/init.sh prints them
# between its markers, tests/kernels/conflicts.c the expect lines); for a
# holder no descriptor shows, the process holding it and how ("via"); the
# sockets the kernel had on the port at the call (kernel_owners: at least
# one, on the record's port, read by owners.bpf.h in this kernel's layout); a
# storm's counts adding up exactly; PID 1's port protected; an io_uring
# bind or listen recorded "via":"io_uring" with its requester and holder
# where the kernel has the opcodes (6.11+), and no record where it has not;
# a VXLAN device's own bind of a held port recorded "via":"kernel" in fexit
# and cgroup modes, its requester the process that brought it up (fexit: and
# its caller in module vxlan; no record in tracepoint mode, which does not
# see it); a process's bind of a port a VXLAN device holds naming a kernel
# socket.
import json
import re
import sys

kernel, log, status, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
modes, cases, arch = sys.argv[5].split(), sys.argv[6].split(), sys.argv[7]
BEGIN, END = "=== bindwatch-matrix begin ", "=== bindwatch-matrix end "

# terminal escapes (the firmware clears the screen) and CRs out
ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[@-~])|\r")
with open(log, encoding="utf-8", errors="replace") as f:
    lines = [ESCAPES.sub("", l.rstrip("\n")) for l in f]

blocks = {}  # mode -> {"head": {...}, "out": [...], "json": [...], "stderr": [...]}
cur = None
for line in lines:
    if line.startswith(BEGIN):
        head = dict(kv.split("=", 1) for kv in line[len(BEGIN):].split() if "=" in kv)
        cur = blocks[head.get("mode")] = {"head": head, "out": [], "json": [], "stderr": [],
                                           "ended": False}
    elif line.startswith(END):
        if cur is not None:
            cur["ended"] = True
        cur = None
    elif cur is not None:
        for key in ("out", "json", "stderr"):
            if line.startswith(key + ": "):
                cur[key].append(line[len(key) + 2:])


def tail(n=3):
    return " | ".join(l.strip() for l in lines if l.strip())[-n * 100:] if lines else "(empty console)"


def boot_problem():
    if status == 124:
        return f"guest did not finish in {timeout} s (console: {log})"
    if "=== bindwatch-matrix done" in lines:
        return None
    return f"guest stopped early, qemu status {status}; console ends: {tail()}"


def stderr_gist(block):
    errs = [l for l in block["stderr"] if l.startswith("bindwatch:") and "ready" not in l]
    libbpf = [l for l in block["stderr"] if l.startswith("libbpf:") and
              any(w in l for w in ("fail", "error", "refus", "invalid"))]
    return "; ".join((libbpf[-3:] + errs[-2:])) or "no message"


def case_name(f):
    return f"{f[0]}-{f[1]}-{f[2]}"


TYPES = {"tcp": "stream", "udp": "dgram"}
# bindwatch's one line when the kernel will not attach the fexit programs
FEXIT_REFUSED = "bindwatch: fexit mode unavailable: the kernel refused the fexit programs ("
ENOTSUPP = 524  # the kernel's own "not supported", not EOPNOTSUPP
EINVAL = 22      # an io_uring request with an opcode the kernel does not know
EADDRINUSE = 98
# which holder walk bindwatch -v says it loaded: the fast one from 6.2 on
# (bpf_rdonly_cast), which falls back silently, so only this line tells
WALK = "bindwatch: holder iterators: the "


def walk_expected(release):
    m = re.match(r"(\d+)\.(\d+)", release)
    return "fast" if m and (int(m[1]), int(m[2])) >= (6, 2) else "portable"


def fexit_unsupported(block):
    """On arm64, a kernel without ftrace direct calls (before 6.4) has no BPF
    trampolines for kernel functions and answers the attach with ENOTSUPP;
    the reason to skip fexit there.  Any other answer is a failure."""
    if arch != "arm64":
        return None
    for l in block["stderr"]:
        if l.startswith(FEXIT_REFUSED) and re.search(rf"\b{ENOTSUPP}\b", l):
            return (f"this kernel refuses fexit with ENOTSUPP ({ENOTSUPP}): arm64 attaches BPF "
                    f"trampolines to kernel functions through ftrace direct calls, from 6.4 on "
                    f"(bindwatch said: {l[len('bindwatch: '):]})")
    return None


for mode in modes:
    block = blocks.get(mode)
    if block is None:
        reason = boot_problem() or f"no result block for mode {mode}"
        for c in cases:
            print(f"FAIL {kernel} {mode} {c}: {reason}")
        continue
    head = block["head"]
    if head.get("ready") != "1":
        unsupported = fexit_unsupported(block) if mode == "fexit" else None
        for c in cases:
            if unsupported:
                print(f"skip {kernel} {mode} {c}: {unsupported}")
                continue
            print(f"FAIL {kernel} {mode} {c}: bindwatch --mode {mode} did not get ready "
                  f"(exit status {head.get('bindwatch_rc')}): {stderr_gist(block)}")
        continue
    ready = [l for l in block["stderr"] if l.startswith("bindwatch: ready")]
    # a verifier before 6.4 may give up on the owners walk: bindwatch says
    # so (-v) and loads without it, its records without kernel_owners
    owners_read = not any("gave up on reading a port's owners" in l for l in block["stderr"])
    matched = "libbpf: CO-RE matched struct "
    layout = " ".join(sorted(l[len(matched):] for l in block["stderr"] if l.startswith(matched)))
    records, bad = [], 0
    for l in block["json"]:
        try:
            records.append(json.loads(l))
        except ValueError:
            bad += 1
    expects, errors, storm, pid1, indirect, uring, vxlan, eph = {}, {}, None, None, {}, {}, {}, None
    for l in block["out"]:
        f = l.split()
        if f[:1] == ["expect"] and len(f) >= 7:
            expects[case_name(f[1:4])] = f[1:]
        elif f[:1] == ["storm"] and len(f) == 4:
            storm = [int(x) for x in f[1:]]
        elif f[:1] == ["pid1"] and len(f) == 3:
            pid1 = [int(x) for x in f[1:]]
        elif f[:1] == ["ephemeral"] and len(f) == 5:
            eph = [int(x) for x in f[1:]]
        elif f[:1] == ["indirect"] and len(f) == 5:
            indirect[f[1]] = (int(f[2]), int(f[3]), f[4])
        elif f[:1] == ["uring"] and len(f) == 5:
            uring[f[1]] = (int(f[2]), int(f[3]), int(f[4]))
        elif f[:1] in (["kernel"], ["held"]) and len(f) == 5:
            vxlan[f[1]] = (int(f[2]), int(f[3]), int(f[4]))
        elif l.startswith("conflicts: error "):
            name = l.split()[2].rstrip(":")
            errors.setdefault(name, []).append(l)
    general = []
    if head.get("bindwatch_rc") != "0":
        general.append(f"bindwatch exited with status {head.get('bindwatch_rc')} after SIGTERM: "
                       f"{stderr_gist(block)}")
    if ready and ready[0] != f"bindwatch: ready (mode: {mode})":
        general.append(f"asked for mode {mode}, got '{ready[0]}'")
    if bad:
        general.append(f"{bad} record lines that do not parse as JSON")
    walk = [l for l in block["stderr"] if l.startswith(WALK)]
    want = walk_expected(head.get("kernel", ""))
    if not walk or not walk[0][len(WALK):].startswith(want):
        general.append(f"expected the {want} holder walk on {head.get('kernel')}, "
                       f"bindwatch said {walk[0] if walk else 'nothing'}")
    if not block["ended"]:
        general.append(f"result block cut short: {boot_problem() or 'no end marker'}")
    lost = sum(r.get("count", 0) for r in records if r.get("event") == "lost")
    for c in cases:
        problems = list(general) + errors.get(c, []) + errors.get("setup", [])
        e = expects.get(c)
        if c.startswith("storm-"):
            # exact accounting: the counts plus the loss are the failures
            if storm is None:
                problems.append("conflicts printed no storm line "
                                f"(exit status {head.get('conflicts_rc')})")
            else:
                port, pid, failed = storm
                mine = [r for r in records if r.get("port") == port]
                counts = [r.get("count") for r in mine]
                if any((r.get("requester") or {}).get("pid") != pid for r in mine):
                    problems.append(f"records for port {port} not all from pid {pid}")
                if sum(counts) + lost != failed:
                    problems.append(f"counts {counts} plus {lost} lost != {failed} failures")
                if not counts or counts[0] != 1 or len(counts) > 100:
                    problems.append(f"expected a first record of count 1 and a few more, "
                                    f"got counts {counts[:10]}")
                detail = f"{len(mine)} records for {failed} failures, {lost} lost"
        elif c in indirect or c.startswith(("inflight-", "ring-")):
            # a holder no descriptor shows: named by what holds it
            if c not in indirect:
                problems.append(f"conflicts printed no indirect line for it "
                                f"(exit status {head.get('conflicts_rc')})")
            else:
                port, pid, via = indirect[c]
                mine = [r for r in records if r.get("port") == port]
                holder = ((mine[0].get("holders") if mine else None) or [{}])[0]
                if not mine:
                    problems.append(f"no record for port {port}")
                elif (holder.get("pid"), holder.get("via")) != (pid, via):
                    problems.append(f"holder (pid, via) ({holder.get('pid')}, "
                                    f"{holder.get('via')!r}), expected ({pid}, {via!r})")
                detail = f"port {port}: held by {holder.get('pid')} via {holder.get('via')}"
        elif c.startswith("uring-"):
            # io_uring's own bind and listen: no system call, "via":"io_uring"
            if c not in uring:
                problems.append(f"conflicts printed no uring line for it "
                                f"(exit status {head.get('conflicts_rc')})")
            else:
                port, pid, res = uring[c]
                mine = [r for r in records if r.get("port") == port]
                rec = mine[0] if mine else {}
                syscall = "listen" if c.startswith("uring-listen-") else "bind"
                if res == -EINVAL:
                    if mine:
                        problems.append(f"the kernel has no io_uring {syscall} opcode, yet "
                                        f"{len(mine)} records for port {port}")
                    detail = f"port {port}: no io_uring {syscall} opcode here, nothing to see"
                elif not mine:
                    problems.append(f"no record for port {port} (request result {res})")
                else:
                    got = (rec.get("syscall"), rec.get("via"), rec.get("errno"),
                           (rec.get("requester") or {}).get("pid"),
                           ((rec.get("holders") or [{}])[0]).get("pid"))
                    want = (syscall, "io_uring", "EADDRINUSE", pid, pid)
                    if got != want:
                        problems.append(f"(syscall, via, errno, requester, holder) {got}, "
                                        f"expected {want}")
                    detail = f"port {port}: {syscall} via {rec.get('via')}"
        elif c.startswith(("kernel-", "held-")):
            # the kernel's own socket: binding (fexit only), or holding
            if c not in vxlan:
                problems.append(f"conflicts printed no VXLAN line for it "
                                f"(exit status {head.get('conflicts_rc')})")
            else:
                port, pid, res = vxlan[c]
                mine = [r for r in records if r.get("port") == port
                        and r.get("event") == "conflict"]
                rec = mine[0] if mine else {}
                req = rec.get("requester") or {}
                holder = (rec.get("holders") or [{}])[0]
                caller = req.get("kernel_caller") or {}
                if res != -EADDRINUSE:
                    problems.append(f"the call returned {res}, expected {-EADDRINUSE}")
                elif c.startswith("held-"):
                    got = (rec.get("via"), req.get("pid"), holder.get("kernel"), holder.get("pid"))
                    if got != ("syscall", pid, True, None):
                        problems.append(f"(via, requester, holder kernel, holder pid) {got}, "
                                        f"expected ('syscall', {pid}, True, None)")
                    detail = f"port {port}: held by a kernel socket"
                elif mode == "cgroup":
                    # the bind hook sees it; no kernel stack is taken there
                    got = (rec.get("via"), req.get("pid"), req.get("kernel"), holder.get("pid"))
                    if got != ("kernel", pid, True, pid):
                        problems.append(f"(via, requester, kernel, holder) {got}, "
                                        f"expected ('kernel', {pid}, True, {pid})")
                    detail = f"port {port}: the kernel bound for {req.get('pid')}"
                elif mode != "fexit":
                    if mine:
                        problems.append(f"{mode} mode cannot see the kernel's own binds, yet "
                                        f"{len(mine)} records for port {port}")
                    detail = f"port {port}: the kernel's own bind, not seen in {mode} mode"
                else:
                    got = (rec.get("via"), req.get("pid"), req.get("kernel"),
                           caller.get("module"), holder.get("pid"))
                    if got != ("kernel", pid, True, "vxlan", pid):
                        problems.append(f"(via, requester, kernel, caller module, holder) {got}, "
                                        f"expected ('kernel', {pid}, True, 'vxlan', {pid})")
                    detail = (f"port {port}: the kernel bound for {req.get('pid')} from "
                              f"{caller.get('function')} [{caller.get('module')}]")
        elif c.startswith("ephemeral-"):
            # connect() out of ephemeral ports: fexit always sees it, tracepoint
            # mode only with --ephemeral, which the matrix does not pass, cgroup
            # mode never
            mine = [r for r in records if r.get("syscall") == "connect"]
            if eph is None:
                problems.append("conflicts printed no ephemeral line "
                                f"(exit status {head.get('conflicts_rc')})")
            elif mode != "fexit":
                if mine:
                    problems.append(f"{len(mine)} connect records in {mode} mode without --ephemeral")
                detail = "no record without --ephemeral, as it should be"
            else:
                port, pid, lo, hi = eph
                rec = mine[0] if mine else {}
                view = rec.get("ephemeral") or {}
                top = (view.get("holders") or [{}])[0]
                got = (rec.get("errno"), rec.get("reason"), rec.get("destination"),
                       (rec.get("requester") or {}).get("pid"), view.get("range"),
                       view.get("in_use"), top.get("pid"), top.get("sockets"))
                want = ("EADDRNOTAVAIL", "ephemeral-exhausted",
                        {"addr": "127.0.0.1", "port": port}, pid,
                        {"lo": lo, "hi": hi, "reserved": 0, "size": hi - lo + 1},
                        hi - lo + 1, pid, hi - lo + 1)
                if not mine:
                    problems.append(f"no connect record ({len(records)} records in all)")
                elif got != want:
                    problems.append(f"connect record {got}, expected {want}")
                detail = f"port {port}: range {lo}-{hi} held by {top.get('pid')}"
        elif c.startswith("pid1-"):
            # a reclaim rule names PID 1's port: refused, whatever the rule says
            if pid1 is None:
                problems.append("conflicts printed no pid1 line "
                                f"(exit status {head.get('conflicts_rc')})")
            else:
                port, pid = pid1
                mine = [r for r in records if r.get("port") == port]
                rec = mine[0] if mine else {}
                holder = (rec.get("holders") or [{}])[0]
                action = rec.get("action") or {}
                if not mine:
                    problems.append(f"no record for PID 1's port {port}")
                elif (rec.get("requester") or {}).get("pid") != pid or holder.get("pid") != 1:
                    problems.append(f"requester {(rec.get('requester') or {}).get('pid')} "
                                    f"(expected {pid}), holder {holder.get('pid')} (expected 1)")
                elif action.get("result") != "protected" or action.get("signals"):
                    problems.append(f"action {action}, expected protected with no signal")
                detail = f"port {port}: {action.get('result')}: {action.get('why')}"
        elif e is None:
            problems.append("conflicts printed no expect line for it "
                            f"(exit status {head.get('conflicts_rc')})")
        else:
            syscall, proto, family, addr, port, pid = e[:6]
            opts = dict(kv.split("=", 1) for kv in e[6:] if "=" in kv)
            want = {"event": "conflict", "syscall": syscall, "via": "syscall",
                    "errno": "EADDRINUSE", "proto": proto, "family": family, "addr": addr,
                    "port": int(port), "mode": mode, "count": 1}
            cands = [r for r in records if r.get("port") == int(port)
                     and r.get("syscall") == syscall]
            if not cands:
                problems.append(f"no {syscall} record for port {port} "
                                f"({len(records)} records in all)")
            else:
                diffs_best = None
                for r in cands:
                    diffs = [f"{k}={r.get(k)!r}, expected {v!r}" for k, v in want.items()
                             if r.get(k) != v]
                    req, sock = r.get("requester") or {}, r.get("socket") or {}
                    if req.get("pid") != int(pid):
                        diffs.append(f"requester.pid={req.get('pid')!r}, expected {pid}")
                    if sock.get("type") != TYPES.get(proto):
                        diffs.append(f"socket.type={sock.get('type')!r}, expected {TYPES.get(proto)!r}")
                    for k, v in opts.items():
                        if sock.get(k) is not (v == "1"):
                            diffs.append(f"socket.{k}={sock.get(k)!r}, expected {v == '1'}")
                    owners = r.get("kernel_owners")
                    if owners_read and (not isinstance(owners, list) or not any(
                            o.get("port") == int(port) for o in owners)):
                        diffs.append(f"kernel_owners={owners!r}, expected one on port {port}")
                    if diffs_best is None or len(diffs) < len(diffs_best):
                        diffs_best = diffs
                problems += diffs_best
            detail = f"{e[3]} port {e[4]} pid {e[5]}, " + " ".join(e[6:])
        if problems:
            print(f"FAIL {kernel} {mode} {c}: " + "; ".join(problems))
        else:
            print(f"ok {kernel} {mode} {c} ({detail}" + (f"; CO-RE: {layout}" if layout else "") + ")")
