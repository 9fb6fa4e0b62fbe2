#!/bin/busybox sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# init.sh - the /init of the kernel matrix's guests (scripts/kernel-matrix.sh
# puts it in the initramfs with busybox, bindwatch and conflicts).  For each
# capture mode of $MODES it starts `bindwatch --mode MODE --json -v` with a
# --dry-run reclaim rule for PID 1's port, waits for its ready line, runs
# conflicts (which prints an "expect ..." line before each conflict it
# makes), stops bindwatch with SIGTERM and prints the expect lines, the JSON
# records and bindwatch's stderr between "=== bindwatch-matrix begin/end"
# markers on the console, where tests/kernels/check.py reads them; then,
# with GUEST_BENCH, the bindbench rounds ("bench:" lines, read by
# tests/kernels/guest_bench.py); then powers off.  Markers and prefixes
# keep the results apart from any kernel message on the console; printk is
# turned down to errors first.
#
# Settings (written by the driver to /etc/matrix.env): MODES,
# READY_TIMEOUT, PID1_PORT, BENCH_MODES, BENCH_ROUNDS, BENCH_ARGS.
. /etc/matrix.env
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
# VXLAN and its dependencies (kernel-matrix.sh's GUEST_MODULES), for the
# cases where the kernel binds a socket of its own
for m in udp_tunnel ip6_udp_tunnel vxlan; do
	[ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
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
			floor)
				# the cgroup flavour's hooks go on the cgroup2 root mounted above
				root=""
				[ "$mode" = cgroup ] && root=/sys/fs/cgroup
				/bin/floor --mode "$mode" $root 2>/tmp/bench.err & pid=$! ;;
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
