#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# kernel-matrix.sh - run bindwatch on other kernels than the host's, under
# qemu, in both capture modes, and check the records it writes.
#
# Why: the host kernel refuses fentry/fexit (EPERM) and has the 6.6+
# inet_sock layout, so the fexit programs and the pre-6.6 bitfield reads of
# bpf/core_fixes.bpf.h would never run in `make test`.  Debian's kernels
# have BTF and BPF trampolines; qemu boots them with no KVM (-accel tcg).
#
#   scripts/kernel-matrix.sh [PACKAGE...]     (`make kernel-test` builds first)
#
# PACKAGE is a Debian kernel image package or a meta-package naming one;
# default $KERNELS, which is the 6.1 cloud kernel (pre-6.6 layout) and the
# 6.12 cloud kernel (inet_flags).  For each:
#
#  1. resolve the package (apt-cache; `apt-get update` once if it is not
#     found), `apt-get download` it into build/kernels/ unless the .deb is
#     already there, and take boot/vmlinuz-* out of it (dpkg-deb);
#  2. boot it with an initramfs (cpio newc, gzip) holding busybox (static),
#     ./bindwatch with the shared libraries it needs (as ldd lists them),
#     build/conflicts (static) and an /init that, for each
#     mode in $MODES, starts `bindwatch --mode MODE --json -v` in the
#     background, waits for its ready line, runs conflicts (which prints an
#     "expect ..." line before each conflict it makes), stops bindwatch with
#     SIGTERM and prints the expect lines, the JSON records and bindwatch's
#     stderr between "=== bindwatch-matrix begin/end" markers on ttyS0;
#     then powers off;
#  3. check the console (python3, stdlib): for every case, a conflict record
#     with the expected syscall, proto, family, addr, port, requester pid,
#     errno EADDRINUSE, the mode asked for and the socket options set.
#
# Prints one line per (kernel, mode, case), "ok ...", "FAIL ...: reason" or
# "skip ...: reason" (no qemu, a kernel package that cannot be had), then
# "kernels: N passed, N failed, N skipped"; exits 1 if anything failed.
# Console logs stay in build/kernels/logs/.  Environment: KERNELS, MODES,
# BOOT_TIMEOUT (seconds per boot, default 120), QEMU.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=build
KDIR=$BUILD/kernels
LOGDIR=$KDIR/logs
BINDWATCH=./bindwatch
CONFLICTS=$BUILD/conflicts
KERNELS=${KERNELS:-linux-image-cloud-amd64 linux-image-6.12-cloud-amd64}
MODES=${MODES:-fexit tracepoint}
CASES="bind-tcp-ipv4 bind-tcp-ipv6 bind-udp-ipv4 listen-tcp-ipv4 storm-tcp-ipv4 pid1-tcp-ipv4"
PID1_PORT=4242 # the port the guest's PID 1 holds
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
READY_TIMEOUT=90 # seconds the guest waits for bindwatch's ready line
QEMU=${QEMU:-qemu-system-x86_64}
[ $# -gt 0 ] && KERNELS="$*"

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

cached_deb() {
	local f
	for f in "$KDIR/$1"_*.deb; do
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

# Extract boot/vmlinuz-* of .deb $1 into directory $2 (once); print its path.
vmlinuz() {
	local dir=$2 f
	for f in "$dir"/boot/vmlinuz-*; do [ -f "$f" ] && { echo "$f"; return 0; }; done
	rm -rf "$dir" && mkdir -p "$dir" || return 1
	# only the kernel: dpkg -x would also unpack every module
	dpkg-deb --fsys-tarfile "$1" | tar -x -C "$dir" --wildcards './boot/vmlinuz-*' || return 1
	for f in "$dir"/boot/vmlinuz-*; do [ -f "$f" ] && { echo "$f"; return 0; }; done
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
dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|bpf.*(fail|error)' | sed 's/^/dmesg: /'
echo "=== bindwatch-matrix done"
poweroff -f
EOF
	chmod 755 "$1"
}

# Copy the shared libraries and loader program $1 needs to the same paths under $2.
copy_libs() {
	local lib

	for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$2$(dirname "$lib")" && cp -L "$lib" "$2$lib" || return 1
	done
}

build_initramfs() { # OUT
	local root=$KDIR/initramfs
	rm -rf "$root" && mkdir -p "$root"/{bin,dev,proc,run,sys,tmp} || return 1
	cp /bin/busybox "$root/bin/busybox" &&
		cp "$BINDWATCH" "$root/bin/bindwatch" &&
		copy_libs "$BINDWATCH" "$root" &&
		cp "$CONFLICTS" "$root/bin/conflicts" || return 1
	write_init "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$1.tmp" &&
		mv "$1.tmp" "$1"
}

# Check console log $2 of kernel $1, booted with exit status $3.
check() {
	/usr/bin/python3 - "$1" "$2" "$3" "$BOOT_TIMEOUT" "$MODES" "$CASES" <<'EOF'
import json
import re
import sys

kernel, log, status, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
modes, cases = sys.argv[5].split(), sys.argv[6].split()
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

for mode in modes:
    block = blocks.get(mode)
    if block is None:
        reason = boot_problem() or f"no result block for mode {mode}"
        for c in cases:
            print(f"FAIL {kernel} {mode} {c}: {reason}")
        continue
    head = block["head"]
    if head.get("ready") != "1":
        for c in cases:
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
    expects, errors, storm, pid1 = {}, {}, None, None
    for l in block["out"]:
        f = l.split()
        if f[:1] == ["expect"] and len(f) >= 7:
            expects[case_name(f[1:4])] = f[1:]
        elif f[:1] == ["storm"] and len(f) == 4:
            storm = [int(x) for x in f[1:]]
        elif f[:1] == ["pid1"] and len(f) == 3:
            pid1 = [int(x) for x in f[1:]]
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

# ---------------------------------------------------------------- main

mkdir -p "$KDIR" "$LOGDIR" || exit 1

missing=""
command -v "$QEMU" >/dev/null 2>&1 || missing="$missing $QEMU (qemu-system-x86)"
# busybox-static's, not busybox's (dynamic): the initramfs has no libc
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 &&
	/bin/busybox --list 2>/dev/null | grep -qx ip ||
	missing="$missing static /bin/busybox (busybox-static)"
command -v cpio >/dev/null 2>&1 || missing="$missing cpio"
command -v apt-get >/dev/null 2>&1 || missing="$missing apt-get"
[ -x /usr/bin/python3 ] || missing="$missing /usr/bin/python3"
if [ -n "$missing" ]; then
	for k in $KERNELS; do result_all "$k" skip "not installed:$missing"; done
	finish
fi

initrd=$KDIR/initramfs.cpio.gz
setup=""
for f in "$BINDWATCH" "$CONFLICTS"; do
	[ -x "$f" ] || setup="$setup $f"
done
if [ -n "$setup" ]; then
	setup="not built:$setup (make $BINDWATCH $CONFLICTS)"
elif ! build_initramfs "$initrd"; then
	setup="cannot build the initramfs $initrd"
fi

for k in $KERNELS; do
	if [ -n "$setup" ]; then
		result_all "$k" FAIL "$setup"
		continue
	fi
	resolve "$k"
	if [ -z "$pkg" ]; then
		result_all "$k" skip "package $k not found by apt-cache, and none cached in $KDIR"
		continue
	fi
	if ! fetch "$pkg"; then
		# stale lists can name a build the archive has dropped: after the
		# update fetch did, the package may resolve to a newer one
		old=$pkg
		resolve "$k"
		if [ "$pkg" = "$old" ] || ! fetch "$pkg"; then
			result_all "${old#linux-image-}" skip \
				"apt-get download $old failed, and no $KDIR/${old}_*.deb"
			continue
		fi
	fi
	label=${pkg#linux-image-}
	if ! kernel=$(vmlinuz "$deb" "$KDIR/$pkg"); then
		result_all "$label" FAIL "no boot/vmlinuz-* in $deb"
		continue
	fi
	log=$LOGDIR/$label.log
	echo "kernel-matrix: booting $label" >&2
	start=$(date +%s)
	timeout -k 5 "$BOOT_TIMEOUT" "$QEMU" -accel tcg -cpu max -m 512 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 quiet" </dev/null >"$log" 2>&1
	status=$?
	echo "kernel-matrix: $label: qemu exit status $status after $(($(date +%s) - start)) s" >&2
	out=$(check "$label" "$log" "$status") || out="FAIL $label: checker crashed (see $log)"
	while IFS= read -r line; do
		[ -n "$line" ] && result "${line%% *}" "${line#* }"
	done <<<"$out"
done
finish
