#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# kernel-matrix.sh - run bindwatch on other kernels than the host's, under
# qemu, on x86_64 and arm64, in both capture modes, and check the records
# it writes.
#
# Why: the host kernel refuses fentry/fexit (EPERM) and has the 6.6+
# inet_sock layout, so the fexit programs and the pre-6.6 bitfield reads of
# bpf/core_fixes.bpf.h would never run in `make test`; nor would anything
# built for arm64.  Debian's kernels have BTF; qemu boots them with no KVM
# (-accel tcg), aarch64 ones too (qemu-system-aarch64 -M virt).
#
#   scripts/kernel-matrix.sh [PACKAGE...]     (`make kernel-test` builds first)
#
# PACKAGE is a Debian kernel image package or a meta-package naming one,
# arm64 ones with the :arm64 qualifier; default $KERNELS (x86_64) and
# $KERNELS_ARM64, each the 6.1 cloud kernel (pre-6.6 layout) and the 6.12
# cloud kernel (inet_flags).  For each architecture of $KERNEL_ARCHES
# (default "x86_64 arm64") and each of its kernels:
#
#  1. resolve the package (apt-cache; `apt-get update` once if it is not
#     found), `apt-get download` it into build/kernels/ unless the .deb is
#     already there, and take boot/vmlinuz-* out of it (dpkg-deb; on arm64
#     it is a plain Image, which qemu boots as it is);
#  2. boot it with an initramfs (cpio newc, gzip) holding busybox (static:
#     the host's on x86_64, busybox-static:arm64's /bin/busybox, downloaded
#     the same way, on arm64), bindwatch, conflicts (static) and an /init
#     that, for each mode in $MODES, starts `bindwatch --mode MODE --json -v`
#     in the background, waits for its ready line, runs conflicts (which
#     prints an "expect ..." line before each conflict it makes), stops
#     bindwatch with SIGTERM and prints the expect lines, the JSON records
#     and bindwatch's stderr between "=== bindwatch-matrix begin/end"
#     markers on the console (ttyS0, ttyAMA0 on arm64); then powers off;
#  3. check the console (python3, stdlib): for every case, a conflict record
#     with the expected syscall, proto, family, addr, port, requester pid,
#     errno EADDRINUSE, the mode asked for and the socket options set.
#     For a holder no descriptor shows (sent away with SCM_RIGHTS, or
#     registered in an io_uring: the UNIXCB and ring layouts), the record
#     names the process holding it and how ("via").
#
# The binaries: on x86_64 ./bindwatch-static when it is built (make static)
# and no source in src/, bpf/ or vmlinux/ is newer, else ./bindwatch with the shared libraries
# ldd lists, and build/conflicts; on arm64 ./bindwatch-static-arm64 (make
# static ARCH=arm64; the guest has no aarch64 libraries) and
# build/conflicts-arm64, which this script makes (mk/kernels-arm64.mk).  A
# missing or stale arm64 piece (qemu-system-aarch64, the cross compiler, the
# binary) skips the arm64 half, it does not fail it.
#
# fexit on arm64: BPF trampolines on kernel functions need ftrace direct
# calls, which arm64 has from 6.4 on; Debian's arm64 6.1 kernel loads the
# fexit programs and refuses to attach them with ENOTSUPP (524).  There,
# and only for that answer on arm64, the fexit cases are skipped with the
# reason; any other refusal is a failure.  Measured on 6.12 arm64: fexit
# attaches and every case passes.
#
# Cost: each boot runs both modes; an arm64 boot under TCG takes about as
# long as an x86_64 one (measured on 2 busy vCPUs: /init after 2 s, 8-10 s
# per boot with both modes, 32 s for the arm64 half, 39 s for x86_64), so
# arm64 runs the same cases as x86_64, no subset.
#
# Prints one line per (kernel, mode, case), "ok ...", "FAIL ...: reason" or
# "skip ...: reason" (no qemu, a kernel package that cannot be had), the
# arm64 ones starting with "arm64 ", then
# "kernels: N passed, N failed, N skipped"; exits 1 if anything failed.
# Console logs stay in build/kernels/logs/.  Environment: KERNEL_ARCHES,
# KERNELS, KERNELS_ARM64, MODES, BOOT_TIMEOUT (seconds per boot, default
# 120; BOOT_TIMEOUT_ARM64, default 300), QEMU, QEMU_ARM64.
#
# GUEST_BENCH=1 (make bench sets it, for x86_64 guests): the guest also
# runs tests/bench/bindbench (static) with nothing attached, under the
# floor (build/floor-static: empty programs on bindwatch's hooks) and under
# bindwatch, in each of BENCH_MODES (default fexit: the mode the host may
# refuse), BENCH_ROUNDS interleaved rounds, and a "guest-bench" line per
# figure gives the medians and bindwatch's ratios against bare and floor.
# Under TCG only the ratios mean anything, and those only roughly.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=build
KDIR=$BUILD/kernels
LOGDIR=$KDIR/logs
KERNEL_ARCHES=${KERNEL_ARCHES:-x86_64 arm64}
KERNELS=${KERNELS:-linux-image-cloud-amd64 linux-image-6.12-cloud-amd64}
KERNELS_ARM64=${KERNELS_ARM64:-linux-image-cloud-arm64:arm64 linux-image-6.12-cloud-arm64:arm64}
MODES=${MODES:-fexit tracepoint}
CASES="bind-tcp-ipv4 bind-tcp-ipv6 bind-udp-ipv4 listen-tcp-ipv4 storm-tcp-ipv4 inflight-tcp-ipv4 ring-udp-ipv4 pid1-tcp-ipv4"
PID1_PORT=4242 # the port the guest's PID 1 holds
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
BOOT_TIMEOUT_ARM64=${BOOT_TIMEOUT_ARM64:-300}
READY_TIMEOUT=90 # seconds the guest waits for bindwatch's ready line
QEMU=${QEMU:-qemu-system-x86_64}
QEMU_ARM64=${QEMU_ARM64:-qemu-system-aarch64}
GUEST_BENCH=${GUEST_BENCH:-}
BENCH_MODES=${BENCH_MODES:-fexit}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_ARGS="-n 20000 -r 3" # bindbench's, scaled down for TCG
if [ $# -gt 0 ]; then
	KERNELS="" KERNELS_ARM64=""
	for k in "$@"; do
		case $k in
		*:arm64) KERNELS_ARM64="$KERNELS_ARM64 $k" ;;
		*) KERNELS="$KERNELS $k" ;;
		esac
	done
fi

passed=0 failed=0 skipped=0
updated=0

result() { # STATUS LINE...
	case $1 in
	ok) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	skip) skipped=$((skipped + 1)) ;;
	esac
	echo "$*"
}

# Every (mode, case) of kernel $1 gets status $2 with reason $3.
result_all() {
	local mode c
	for mode in $MODES; do
		for c in $CASES; do result "$2" "$1 $mode $c: $3"; done
	done
}

finish() {
	echo "kernels: $passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

apt_update_once() {
	[ "$updated" -eq 1 ] && return 1
	updated=1
	echo "kernel-matrix: apt-get update" >&2
	apt-get update -qq >/dev/null 2>&1 || true
}

# The kernel image package $1 stands for: itself, or the linux-image-N
# package a meta-package depends on.  Empty when apt does not know it.
resolve_once() {
	local dep
	dep=$(apt-cache depends "$1" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	if [ -n "$dep" ]; then
		echo "$dep"
	elif [[ $1 == linux-image-[0-9]* ]] && apt-cache show "$1" >/dev/null 2>&1; then
		echo "$1"
	fi
}

# Set pkg to the package $1 resolves to (not in a subshell: apt_update_once
# must remember that it ran).
resolve() {
	pkg=$(resolve_once "$1")
	if [ -z "$pkg" ] && apt_update_once; then pkg=$(resolve_once "$1"); fi
	# offline, or gone from the archive: the one used last time, if cached
	if [ -z "$pkg" ] && [ -f "$KDIR/$1.resolved" ]; then pkg=$(cat "$KDIR/$1.resolved"); fi
	if [ -n "$pkg" ]; then echo "$pkg" >"$KDIR/$1.resolved"; fi
}

# The .deb of package $1 (NAME or NAME:ARCH) in $KDIR.
cached_deb() {
	local f pattern="$KDIR/$1_*.deb"
	[[ $1 == *:* ]] && pattern="$KDIR/${1%%:*}_*_${1#*:}.deb"
	for f in $pattern; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# Set deb to package $1's .deb in $KDIR, downloading it unless there.
fetch() {
	if deb=$(cached_deb "$1"); then return 0; fi
	echo "kernel-matrix: downloading $1" >&2
	# the _apt sandbox user may not write to the build tree
	if ! (cd "$KDIR" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null 2>&1); then
		apt_update_once &&
			(cd "$KDIR" && apt-get download -q -o APT::Sandbox::User=root "$1" >/dev/null 2>&1)
	fi
	deb=$(cached_deb "$1")
}

# Extract the files matching $3 (a tar wildcard, ./PATH) of .deb $1 into
# directory $2 (once); print the path of the first.
extract() {
	local dir=$2 f
	for f in "$dir"/${3#./}; do [ -f "$f" ] && { echo "$f"; return 0; }; done
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	# only what is asked for: dpkg -x would also unpack every module
	dpkg-deb --fsys-tarfile "$1" | tar -x -C "$dir" --wildcards "$3" || return 1
	for f in "$dir"/${3#./}; do [ -f "$f" ] && { echo "$f"; return 0; }; done
	return 1
}

# The guest's /init.  Markers and prefixes keep the results apart from any
# kernel message on the console; printk is turned down to errors first.
write_init() {
	cat >"$1" <<EOF
#!/bin/busybox sh
MODES="$MODES"
READY_TIMEOUT=$READY_TIMEOUT
PID1_PORT=$PID1_PORT
BENCH_MODES="$BENCH_MODES"
BENCH_ROUNDS=$BENCH_ROUNDS
BENCH_ARGS="$BENCH_ARGS"
EOF
	cat >>"$1" <<'EOF'
# PID 1 becomes conflicts, holding 127.0.0.1:PID1_PORT as systemd holds an
# activated socket, and runs this script again as its child
if [ $$ = 1 ]; then
	/bin/busybox mount -t proc proc /proc
	exec /bin/conflicts init "$PID1_PORT" /bin/busybox sh /init
fi
/bin/busybox --install -s /bin
export PATH=/bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
echo 3 >/proc/sys/kernel/printk
ip link set lo up
# a reclaim rule for PID 1's port: bindwatch must refuse it
cat >/tmp/policy.yaml <<POLICY
version: 1
rules:
  - name: pid1
    match:
      port: $PID1_PORT
    action: reclaim
POLICY
chmod 600 /tmp/policy.yaml

alive() { # a zombie is not alive
	[ -r /proc/$1/stat ] && ! grep -q '^[0-9]* ([^)]*) Z' /proc/$1/stat
}

# wait until process $1 says "ready" in file $2: 0, or 1 when it exits first
wait_ready() {
	i=0
	while [ $i -lt $((READY_TIMEOUT * 10)) ]; do
		grep -q 'ready (mode: ' "$2" && return 0
		alive $1 || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop process $1: SIGTERM, SIGKILL after 15 s
stop() {
	kill -TERM $1 2>/dev/null
	(sleep 15; kill -KILL $1 2>/dev/null) &
	watchdog=$!
	wait $1
	kill $watchdog 2>/dev/null
}

echo # the firmware leaves the cursor mid-line
for mode in $MODES; do
	rm -f /tmp/bw.json /tmp/bw.err /tmp/conflicts.out
	/bin/bindwatch --mode "$mode" --json -v --policy /tmp/policy.yaml --dry-run \
		>/tmp/bw.json 2>/tmp/bw.err &
	pid=$!
	ready=0 crc=- i=0
	while [ $i -lt $((READY_TIMEOUT * 10)) ]; do
		if grep -q '^bindwatch: ready' /tmp/bw.err; then ready=1; break; fi
		alive $pid || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ $ready = 1 ]; then
		/bin/conflicts "$PID1_PORT" >/tmp/conflicts.out 2>&1
		crc=$?
		sleep 0.5
	fi
	kill -TERM $pid 2>/dev/null
	(sleep 15; kill -KILL $pid 2>/dev/null) &
	watchdog=$!
	wait $pid
	rc=$?
	kill $watchdog 2>/dev/null
	echo "=== bindwatch-matrix begin mode=$mode kernel=$(uname -r) ready=$ready bindwatch_rc=$rc conflicts_rc=$crc"
	sed 's/^/out: /' /tmp/conflicts.out 2>/dev/null
	sed 's/^/json: /' /tmp/bw.json
	# libbpf's whole log when something went wrong, the gist otherwise:
	# bindwatch's own lines, and which inet_sock layout CO-RE matched
	# (inet_flags from 6.6 on, the freebind/transparent bitfields before)
	if [ $ready = 1 ] && [ $rc = 0 ]; then
		grep -E '^bindwatch:|^libbpf: .*(fail|error|warn|refus)' /tmp/bw.err
		grep -oE 'matching candidate #[0-9]+ <byte_off> \[[0-9]+\] struct inet_sock\.[a-z_]+' /tmp/bw.err |
			sed 's/.*struct /libbpf: CO-RE matched struct /' | sort -u
	else
		cat /tmp/bw.err
	fi | sed 's/^/stderr: /'
	echo "=== bindwatch-matrix end mode=$mode"
done
# GUEST_BENCH: bare, floor and bindwatch, interleaved, BENCH_ROUNDS times
for mode in $BENCH_MODES; do
	[ -x /bin/bindbench ] || break
	r=1
	while [ $r -le $BENCH_ROUNDS ]; do
		for config in bare floor bindwatch; do
			pid=""
			rm -f /tmp/bench.err
			case $config in
			floor) /bin/floor --mode "$mode" 2>/tmp/bench.err & pid=$! ;;
			bindwatch) /bin/bindwatch --mode "$mode" --json >/dev/null 2>/tmp/bench.err & pid=$! ;;
			esac
			if [ -n "$pid" ] && ! wait_ready $pid /tmp/bench.err; then
				echo "bench: mode=$mode config=$config error=$(tail -n 1 /tmp/bench.err)"
				stop $pid
				continue
			fi
			echo "bench: mode=$mode round=$r config=$config $(/bin/bindbench $BENCH_ARGS | tr '\n' ' ')"
			[ -n "$pid" ] && stop $pid
		done
		r=$((r + 1))
	done
done
dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|bpf.*(fail|error)' | sed 's/^/dmesg: /'
echo "=== bindwatch-matrix done"
poweroff -f
EOF
	chmod 755 "$1"
}

# Copy the shared libraries and loader program $1 needs to the same paths under $2.
copy_libs() {
	local lib

	for lib in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$2$(dirname "$lib")" && cp -L "$lib" "$2$lib" || return 1
	done
}

build_initramfs() { # OUT BUSYBOX BINDWATCH CONFLICTS [BINDBENCH FLOOR]
	local root=${1%.cpio.gz}
	rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,run,sys,tmp} || return 1
	cp "$2" "$root/bin/busybox" &&
		cp "$3" "$root/bin/bindwatch" &&
		copy_libs "$3" "$root" &&
		cp "$4" "$root/bin/conflicts" || return 1
	if [ $# -gt 4 ]; then
		cp "$5" "$root/bin/bindbench" && cp "$6" "$root/bin/floor" || return 1
	fi
	write_init "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$1.tmp" &&
		mv "$1.tmp" "$1"
}

# Check console log $2 of kernel $1 (architecture $4), booted with exit
# status $3 after at most $5 seconds.
check() {
	/usr/bin/python3 - "$1" "$2" "$3" "$5" "$MODES" "$CASES" "$4" <<'EOF'
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
    matched = "libbpf: CO-RE matched struct "
    layout = " ".join(sorted(l[len(matched):] for l in block["stderr"] if l.startswith(matched)))
    records, bad = [], 0
    for l in block["json"]:
        try:
            records.append(json.loads(l))
        except ValueError:
            bad += 1
    expects, errors, storm, pid1, indirect = {}, {}, None, None, {}
    for l in block["out"]:
        f = l.split()
        if f[:1] == ["expect"] and len(f) >= 7:
            expects[case_name(f[1:4])] = f[1:]
        elif f[:1] == ["storm"] and len(f) == 4:
            storm = [int(x) for x in f[1:]]
        elif f[:1] == ["pid1"] and len(f) == 3:
            pid1 = [int(x) for x in f[1:]]
        elif f[:1] == ["indirect"] and len(f) == 5:
            indirect[f[1]] = (int(f[2]), int(f[3]), f[4])
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
            want = {"event": "conflict", "syscall": syscall, "errno": "EADDRINUSE",
                    "proto": proto, "family": family, "addr": addr, "port": int(port),
                    "mode": mode, "count": 1}
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
                    if diffs_best is None or len(diffs) < len(diffs_best):
                        diffs_best = diffs
                problems += diffs_best
            detail = f"{e[3]} port {e[4]} pid {e[5]}, " + " ".join(e[6:])
        if problems:
            print(f"FAIL {kernel} {mode} {c}: " + "; ".join(problems))
        else:
            print(f"ok {kernel} {mode} {c} ({detail}" + (f"; CO-RE: {layout}" if layout else "") + ")")
EOF
}

# GUEST_BENCH: the "bench:" lines of console log $2 (kernel $1) as one
# "guest-bench" line per mode and figure: medians of the rounds, and
# bindwatch against bare and against the floor.
guest_bench() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import re
import statistics
import sys

kernel, log = sys.argv[1], sys.argv[2]
runs = {}  # (mode, config) -> {figure: [values]}
for line in open(log, errors="replace"):
    m = re.search(r"bench: mode=(\S+) (?:round=\d+ )?config=(\S+) (.*)", line)
    if not m:
        continue
    mode, config, rest = m.groups()
    if rest.startswith("error="):
        print(f"guest-bench {kernel} {mode} {config}: not measured: {rest[6:].strip()}")
        continue
    for name, value in re.findall(r"(\w+) ([0-9.]+)", rest):
        runs.setdefault((mode, config), {}).setdefault(name, []).append(float(value))
for mode in sorted({m for m, _ in runs}):
    bare, floor, bw = (runs.get((mode, c), {}) for c in ("bare", "floor", "bindwatch"))
    for fig in ("failing_bind_ns", "cycle_ns", "storm2_same_ns", "storm2_diff_ns", "getppid_ns"):
        if not (bare.get(fig) and floor.get(fig) and bw.get(fig)):
            continue
        b, f, w = (statistics.median(x[fig]) for x in (bare, floor, bw))
        print(f"guest-bench {kernel} {mode} {fig}: bare {b:.0f} floor {f:.0f} bindwatch {w:.0f}"
              f" ns; vs bare {w / b:.2f}x, vs floor {w / f:.2f}x (qemu TCG)")
EOF
}

# The first source of bindwatch newer than binary $1, if any.
newer_sources() {
	find src bpf vmlinux -type f -newer "$1" -print -quit 2>/dev/null
}

# Set the configuration of architecture $1: qemu and its arguments, the
# console, the kernels, the binaries for the initramfs and where it goes,
# and the label prefix of its result lines; setup to why it cannot run
# (empty when it can), status to what that makes its results.
arch_config() {
	setup="" status=skip bench_tools=() # GUEST_BENCH: x86_64 guests only
	case $1 in
	x86_64)
		qemu=$QEMU qemu_args=(-accel tcg -cpu max -m 512) console=ttyS0
		kernels=$KERNELS boot_timeout=$BOOT_TIMEOUT prefix=""
		busybox=/bin/busybox conflicts=$BUILD/conflicts initrd=$KDIR/initramfs.cpio.gz
		# the static build, what a fleet runs, unless the sources changed
		# since it was made
		bindwatch=./bindwatch
		[ -x ./bindwatch-static ] && [ -z "$(newer_sources ./bindwatch-static)" ] &&
			bindwatch=./bindwatch-static
		command -v "$qemu" >/dev/null 2>&1 || setup="$setup $qemu (qemu-system-x86)"
		# busybox-static's, not busybox's (dynamic): the initramfs has no libc
		[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 &&
			/bin/busybox --list 2>/dev/null | grep -qx ip ||
			setup="$setup static /bin/busybox (busybox-static)"
		[ -n "$setup" ] && { setup="not installed:$setup"; return; }
		status=FAIL
		for f in "$bindwatch" "$conflicts"; do
			[ -x "$f" ] || setup="$setup $f"
		done
		[ -n "$setup" ] && setup="not built:$setup (make $bindwatch $conflicts)"
		if [ -n "$GUEST_BENCH" ] && [ -z "$setup" ]; then
			bench_tools=("$BUILD/bindbench-static" "$BUILD/floor-static")
			make -s --no-print-directory "${bench_tools[@]}" >&2 ||
				setup="cannot build ${bench_tools[*]} (mk/bench.mk)"
		fi
		;;
	arm64)
		# pauth-impdef: qemu's default pointer authentication (QARMA) is
		# the slowest part of an aarch64 guest under TCG
		# shellcheck disable=SC2054 # -cpu takes a comma-separated list
		qemu=$QEMU_ARM64 qemu_args=(-M virt -accel tcg -cpu max,pauth-impdef=on -m 512)
		console=ttyAMA0 kernels=$KERNELS_ARM64 boot_timeout=$BOOT_TIMEOUT_ARM64 prefix="arm64 "
		bindwatch=./bindwatch-static-arm64
		conflicts=$BUILD/conflicts-arm64 initrd=$KDIR/initramfs-arm64.cpio.gz
		command -v "$qemu" >/dev/null 2>&1 || { setup="not installed: $qemu (qemu-system-arm)"; return; }
		if [ ! -x "$bindwatch" ]; then
			setup="not built: $bindwatch (make static ARCH=arm64)"
			return
		fi
		# built from older sources: its results would be about code that
		# is gone
		if [ -n "$(newer_sources "$bindwatch")" ]; then
			setup="$bindwatch is older than $(newer_sources "$bindwatch") (make static ARCH=arm64)"
			return
		fi
		# the guest has no aarch64 libraries: only a static binary runs there
		if readelf -lW "$bindwatch" 2>/dev/null | grep -q 'Requesting program interpreter'; then
			setup="$bindwatch is dynamically linked; the arm64 guest needs a static one (make static ARCH=arm64)"
			return
		fi
		if ! make -s --no-print-directory "$conflicts" >&2; then
			setup="cannot build $conflicts (mk/kernels-arm64.mk: needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)"
			return
		fi
		if ! fetch busybox-static:arm64 ||
			! busybox=$(extract "$deb" "$KDIR/busybox-static-arm64" ./bin/busybox); then
			setup="cannot get busybox-static:arm64 (apt-get download; dpkg --add-architecture arm64 and apt-get update first)"
		fi
		;;
	*)
		kernels=$1 prefix="" status=FAIL
		setup="unknown architecture in KERNEL_ARCHES (expected x86_64 or arm64)"
		;;
	esac
}

# Boot each kernel of architecture $1 and check its console.
run_arch() {
	local k old label kernel log start boot status out line
	arch_config "$1"
	if [ -z "$setup" ] &&
		! build_initramfs "$initrd" "$busybox" "$bindwatch" "$conflicts" "${bench_tools[@]}"; then
		setup="cannot build the initramfs $initrd" status=FAIL
	fi
	[ -z "$setup" ] && echo "kernel-matrix: $1: $bindwatch, $conflicts, $busybox" >&2
	for k in $kernels; do
		if [ -n "$setup" ]; then
			result_all "$prefix$k" "$status" "$setup"
			continue
		fi
		resolve "$k"
		if [ -z "$pkg" ]; then
			result_all "$prefix$k" skip "package $k not found by apt-cache, and none cached in $KDIR"
			continue
		fi
		if ! fetch "$pkg"; then
			# stale lists can name a build the archive has dropped: after the
			# update fetch did, the package may resolve to a newer one
			old=$pkg
			resolve "$k"
			if [ "$pkg" = "$old" ] || ! fetch "$pkg"; then
				label=${old#linux-image-}
				result_all "$prefix${label%%:*}" skip \
					"apt-get download $old failed, and no $KDIR/${old%%:*}_*.deb"
				continue
			fi
		fi
		label=${pkg#linux-image-}
		label=${label%%:*}
		if ! kernel=$(extract "$deb" "$KDIR/${pkg%%:*}" './boot/vmlinuz-*'); then
			result_all "$prefix$label" FAIL "no boot/vmlinuz-* in $deb"
			continue
		fi
		log=$LOGDIR/$label.log
		echo "kernel-matrix: booting $prefix$label" >&2
		start=$(date +%s)
		timeout -k 5 "$boot_timeout" "$qemu" "${qemu_args[@]}" -nographic -no-reboot \
			-kernel "$kernel" -initrd "$initrd" \
			-append "console=$console panic=-1 quiet" </dev/null >"$log" 2>&1
		boot=$?
		echo "kernel-matrix: $prefix$label: qemu exit status $boot after $(($(date +%s) - start)) s" >&2
		out=$(check "$prefix$label" "$log" "$boot" "$1" "$boot_timeout") ||
			out="FAIL $prefix$label: checker crashed (see $log)"
		while IFS= read -r line; do
			[ -n "$line" ] && result "${line%% *}" "${line#* }"
		done <<<"$out"
		if [ ${#bench_tools[@]} -gt 0 ]; then
			guest_bench "$prefix$label" "$log"
		fi
	done
}

# ---------------------------------------------------------------- main

mkdir -p "$KDIR" "$LOGDIR" || exit 1

missing=""
command -v cpio >/dev/null 2>&1 || missing="$missing cpio"
command -v apt-get >/dev/null 2>&1 || missing="$missing apt-get"
[ -x /usr/bin/python3 ] || missing="$missing /usr/bin/python3"
for arch in $KERNEL_ARCHES; do
	if [ -n "$missing" ]; then
		arch_config "$arch"
		for k in $kernels; do result_all "$prefix$k" skip "not installed:$missing"; done
		continue
	fi
	start_arch=$(date +%s)
	run_arch "$arch"
	echo "kernel-matrix: $arch: $(($(date +%s) - start_arch)) s in all" >&2
done
finish
