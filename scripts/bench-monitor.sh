#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The monitor's own costs, for one or more bindwatch binaries side by side
# (an older build against this one): the two rows of scripts/bench.sh that
# need no bind() microbenchmark rounds, measured the same way but with the
# binaries interleaved so drift on a shared machine hits them alike, and
# with what the resident memory is made of.
#
#   ready   time from starting `bindwatch --json` to its "ready" line on
#           stderr, BENCH_STARTS times per binary, round-robin; median
#   rss     VmRSS (and its anonymous, file and shared parts) at ready,
#           after BENCH_FLOOD failures plus BENCH_DISTINCT (P,Q) distinct
#           storms (build/bindbench --flood, --distinct), and after
#           BENCH_DISTINCT more: growth there is memory kept per storm
#
# This reports; it never fails on a threshold.  Runs monitors: take the
# host's monitor lock around it as for the end-to-end tests.  Needs root.
#
#   scripts/bench-monitor.sh BINDWATCH...
#
# Environment: BINDBENCH (build/bindbench), BENCH_STARTS (5), BENCH_FLOOD
# (1000000), BENCH_DISTINCT (100,100).
set -eu
export LC_ALL=C

READY_TIMEOUT=30        # seconds for bindwatch to say "ready"
STOP_TIMEOUT=30         # seconds for bindwatch to exit after SIGTERM
POLL=0.01               # seconds between checks while waiting
POLLS_PER_SECOND=100    # 1 / POLL
SETTLE=1                # seconds: a storm window, so the flusher has run

root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BINDBENCH:-$root/build/bindbench}
starts=${BENCH_STARTS:-5}
flood=${BENCH_FLOOD:-1000000}
distinct=${BENCH_DISTINCT:-100,100}

die() {
	echo "bench-monitor: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (bindwatch loads BPF programs)"
[ $# -gt 0 ] || die "usage: scripts/bench-monitor.sh BINDWATCH..."
[ -x "$bench" ] || die "no benchmark at $bench; build it first (make bench)"
for b in "$@"; do
	[ -x "$b" ] || die "$b: not an executable"
done

tmp=$(mktemp -d)
bw_pid=""

stop_monitor() {
	local waited=0

	[ -n "$bw_pid" ] || return 0
	kill -TERM "$bw_pid" 2>/dev/null || true
	while kill -0 "$bw_pid" 2>/dev/null; do
		if [ "$waited" -ge $((STOP_TIMEOUT * POLLS_PER_SECOND)) ]; then
			kill -KILL "$bw_pid" 2>/dev/null || true
			break
		fi
		sleep "$POLL"
		waited=$((waited + 1))
	done
	wait "$bw_pid" || true
	bw_pid=""
}

cleanup() {
	stop_monitor
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_monitor BINDWATCH: start it, wait for "ready"; ready_ms is the time.
start_monitor() {
	local waited=0 t0 t1

	t0=$EPOCHREALTIME
	"$1" --json >/dev/null 2>"$tmp/err" &
	bw_pid=$!
	until grep -q 'ready (mode:' "$tmp/err"; do
		kill -0 "$bw_pid" 2>/dev/null || die "$1 exited: $(tail -n 1 "$tmp/err")"
		[ "$waited" -lt $((READY_TIMEOUT * POLLS_PER_SECOND)) ] || die "$1 not ready after ${READY_TIMEOUT}s"
		sleep "$POLL"
		waited=$((waited + 1))
	done
	t1=$EPOCHREALTIME
	t0=${t0/./} t1=${t1/./}
	ready_ms=$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.1f", us / 1000 }')
}

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# "RSS (anon + file + shmem)" in KiB
rss() {
	awk '$1 == "VmRSS:" { t = $2 } $1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 }
	     $1 == "RssShmem:" { s = $2 } END { printf "%d KiB (anon %d, file %d, shmem %d)", t, a, f, s }' \
		"/proc/$bw_pid/status"
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for _ in $(seq 1 "$starts"); do
	i=0
	for b in "$@"; do
		start_monitor "$b"
		echo "$ready_ms" >>"$tmp/ready.$i"
		stop_monitor
		i=$((i + 1))
	done
done
i=0
for b in "$@"; do
	echo "$b: start to ready $(tr '\n' ' ' <"$tmp/ready.$i")ms; median $(median "$tmp/ready.$i") ms"
	i=$((i + 1))
done
for b in "$@"; do
	start_monitor "$b"
	r0=$(rss)
	"$bench" --flood "$flood" >/dev/null || die "bindbench --flood failed"
	"$bench" --distinct "$distinct" >/dev/null || die "bindbench --distinct failed"
	sleep "$SETTLE"
	r1=$(rss)
	"$bench" --distinct "$distinct" >/dev/null || die "bindbench --distinct failed"
	sleep "$SETTLE"
	r2=$(rss)
	stop_monitor
	echo "$b: RSS at ready $r0"
	echo "$b: RSS after $flood failures + $distinct distinct storms $r1"
	echo "$b: RSS after $distinct more $r2"
done
