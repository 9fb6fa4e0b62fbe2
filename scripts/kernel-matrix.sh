#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# kernel-matrix.sh - run bindwatch on other kernels than the host's, under
# qemu, on x86_64 and arm64, in each capture mode, and check the records
# it writes.  This is the driver: the guest's /init, the checker and the
# bench parser are files of tests/kernels/ (init.sh, check.py,
# guest_bench.py), the conflicts the guest makes tests/kernels/conflicts.c.
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
#     the same way, on arm64), bindwatch, conflicts (static), the kernel's
#     own VXLAN modules (GUEST_MODULES, in an archive appended per kernel)
#     and an /init
#     (tests/kernels/init.sh, its settings in /etc/matrix.env) that, for
#     each mode in $MODES, starts `bindwatch --mode MODE --json -v`
#     in the background, waits for its ready line, runs conflicts (which
#     prints an "expect ..." line before each conflict it makes), stops
#     bindwatch with SIGTERM and prints the expect lines, the JSON records
#     and bindwatch's stderr between "=== bindwatch-matrix begin/end"
#     markers on the console (ttyS0, ttyAMA0 on arm64); then powers off;
#  3. check the console (tests/kernels/check.py): for every case, a
#     conflict record with the expected syscall, proto, family, addr, port,
#     requester pid, errno EADDRINUSE, the mode asked for and the socket
#     options set.
#     For a holder no descriptor shows (sent away with SCM_RIGHTS, or
#     registered in an io_uring: the UNIXCB and ring layouts), the record
#     names the process holding it and how ("via").  io_uring's own bind
#     and listen requests are "via":"io_uring" (6.11+); a VXLAN device's
#     bind of a held port is "via":"kernel" with its caller (fexit only).
#     A connect() out of a range shrunk to 8 ports: in fexit mode
#     (inet_hash_connect) a record naming the process that holds the range;
#     in cgroup and tracepoint modes, which the matrix runs without
#     --ephemeral, none.
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
# Cost: each boot runs every mode; an arm64 boot under TCG takes about as
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
# 300; BOOT_TIMEOUT_ARM64, default 300), QEMU, QEMU_ARM64.
#
# GUEST_BENCH=1 (make bench sets it, for x86_64 guests): the guest also
# runs tests/bench/bindbench (static) with nothing attached, under the
# floor (build/floor-static: empty programs on bindwatch's hooks) and under
# bindwatch, in each of BENCH_MODES (default fexit: the mode the host may
# refuse), BENCH_ROUNDS interleaved rounds, and a "guest-bench" line per
# figure gives the medians and bindwatch's ratios against bare and floor
# (tests/kernels/guest_bench.py).
# Under TCG only the ratios mean anything, and those only roughly.
set -u
cd "$(dirname "$0")/.." || exit 1

BUILD=build
KDIR=$BUILD/kernels
LOGDIR=$KDIR/logs
KERNEL_ARCHES=${KERNEL_ARCHES:-x86_64 arm64}
KERNELS=${KERNELS:-linux-image-cloud-amd64 linux-image-6.12-cloud-amd64}
KERNELS_ARM64=${KERNELS_ARM64:-linux-image-cloud-arm64:arm64 linux-image-6.12-cloud-arm64:arm64}
MODES=${MODES:-fexit cgroup tracepoint}
CASES="bind-tcp-ipv4 bind-tcp-ipv6 bind-udp-ipv4 listen-tcp-ipv4 storm-tcp-ipv4 inflight-tcp-ipv4 ring-udp-ipv4 uring-tcp-ipv4 uring-listen-tcp-ipv4 kernel-vxlan-udp-ipv4 held-vxlan-udp-ipv4 pid1-tcp-ipv4 ephemeral-tcp-ipv4"
PID1_PORT=4242 # the port the guest's PID 1 holds
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
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

# The settings of the guest's /init (tests/kernels/init.sh), to $1.
write_settings() {
	cat >"$1" <<EOF
MODES="$MODES"
READY_TIMEOUT=$READY_TIMEOUT
PID1_PORT=$PID1_PORT
BENCH_MODES="$BENCH_MODES"
BENCH_ROUNDS=$BENCH_ROUNDS
BENCH_ARGS="$BENCH_ARGS"
EOF
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
	rm -rf "$root" && mkdir -p "$root"/{bin,dev,etc,proc,run,sys,tmp} || return 1
	cp "$2" "$root/bin/busybox" &&
		cp "$3" "$root/bin/bindwatch" &&
		copy_libs "$3" "$root" &&
		cp "$4" "$root/bin/conflicts" || return 1
	if [ $# -gt 4 ]; then
		cp "$5" "$root/bin/bindbench" && cp "$6" "$root/bin/floor" || return 1
	fi
	cp tests/kernels/init.sh "$root/init" && write_settings "$root/etc/matrix.env" || return 1
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$1.tmp" &&
		mv "$1.tmp" "$1"
}

# The kernel modules the guest loads (tests/kernels/init.sh), in load
# order, by their path under lib/modules/VERSION/kernel: VXLAN and what it
# depends on, for the cases where the kernel binds a socket of its own.
# Debian's kernels build them as modules.
GUEST_MODULES="net/ipv4/udp_tunnel net/ipv6/ip6_udp_tunnel drivers/net/vxlan/vxlan"

# Initramfs $3 for kernel package .deb $1: the base one $2, with
# GUEST_MODULES (uncompressed: busybox's insmod does not decompress) in
# /lib/modules as one more archive after it, which the kernel unpacks over
# the first; their files are taken out of the .deb into $4 once.
kernel_initramfs() {
	local deb=$1 base=$2 out=$3 dir=$4 m f root=$4/root

	rm -rf "$root" && mkdir -p "$root/lib/modules" || return 1
	for m in $GUEST_MODULES; do
		f=$(extract "$deb" "$dir/${m##*/}" "./lib/modules/*/kernel/$m.ko*") || continue
		case $f in
		*.xz) xz -dc "$f" ;;
		*.zst) zstd -dcq "$f" ;;
		*) cat "$f" ;;
		esac >"$root/lib/modules/${m##*/}.ko" || return 1
	done
	cp "$base" "$out.tmp" &&
		(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >>"$out.tmp" &&
		mv "$out.tmp" "$out"
}

# Check console log $2 of kernel $1 (architecture $4), booted with exit
# status $3 after at most $5 seconds (tests/kernels/check.py).
check() {
	/usr/bin/python3 tests/kernels/check.py "$1" "$2" "$3" "$5" "$MODES" "$CASES" "$4"
}

# GUEST_BENCH: the "bench:" lines of console log $2 (kernel $1) as one
# "guest-bench" line per mode and figure (tests/kernels/guest_bench.py).
guest_bench() {
	/usr/bin/python3 tests/kernels/guest_bench.py "$1" "$2"
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
		if ! kernel_initramfs "$deb" "$initrd" "$KDIR/initramfs-$label.cpio.gz" \
			"$KDIR/${pkg%%:*}-modules"; then
			result_all "$prefix$label" FAIL "cannot add the modules of $deb to the initramfs"
			continue
		fi
		echo "kernel-matrix: booting $prefix$label" >&2
		start=$(date +%s)
		timeout -k 5 "$boot_timeout" "$qemu" "${qemu_args[@]}" -nographic -no-reboot \
			-kernel "$kernel" -initrd "$KDIR/initramfs-$label.cpio.gz" \
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
