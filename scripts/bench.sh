#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What bindwatch costs the machine it watches.  Runs the bindbench
# microbenchmark (tests/bench/bindbench.c: ns per failing bind() and per
# getppid()) with nothing attached, then under each bindwatch configuration:
#
#   tracepoint --json     the default: the benchmark's failing binds are one
#                         storm, counted in the kernel, one record a second
#                         formatted and written to /dev/null
#   tracepoint --window 0 no aggregation and no rate limit: every failing
#                         bind is a record, the full path
#   tracepoint --port 1   the port filter drops the benchmark's binds in the
#                         kernel: the filter fast path
#   fexit --json          as the first, with fexit programs (skipped with the
#                         reason when bindwatch refuses the mode)
#
# getppid shows the tax that enabling a syscall tracepoint puts on every
# syscall of every task, whether bindwatch cares about it or not.
#
# Baseline and monitored runs alternate (baseline, tracepoint, baseline,
# port filter, ...) for BENCH_ROUNDS rounds, so drift in machine speed hits
# both sides; each figure is the median over the rounds of bindbench's own
# median.  bindwatch is started fresh for each monitored run, waited for
# ("ready" on stderr), stopped with SIGTERM, and its summary line (records,
# lost) is reported per run.  The benchmark's records go to /dev/null, but
# producing them is part of the cost measured.  This reports; it never
# fails on a threshold.
#
# Builds nothing: ./bindwatch and the benchmark must exist.  Needs root.
#
#   scripts/bench.sh [BINDBENCH [BINDBENCH-ARGS...]]
#
# BINDBENCH defaults to build/bindbench; extra arguments (-n N, -r R) go to
# it.  Environment: BINDWATCH (default ./bindwatch), BENCH_ROUNDS (default 3).
set -eu

READY_TIMEOUT=30        # seconds for bindwatch to say "ready"
STOP_TIMEOUT=30         # seconds for bindwatch to exit after SIGTERM
POLL=0.1                # seconds between checks while waiting
POLLS_PER_SECOND=10     # 1 / POLL

# Resolve the benchmark against the caller's directory, then work from the
# top of the repository.
bench=${1:-}
if [ $# -gt 0 ]; then
	shift
fi
root=$(cd "$(dirname "$0")/.." && pwd)
case $bench in
"") bench=$root/build/bindbench ;;
/*) ;;
*) bench=$PWD/$bench ;;
esac
cd "$root"
bindwatch=${BINDWATCH:-./bindwatch}
rounds=${BENCH_ROUNDS:-3}

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (bindwatch loads BPF programs)"
[ -x "$bench" ] || die "no benchmark at $bench; build it first"
[ -x "$bindwatch" ] || die "no $bindwatch; run make first"
case $rounds in
'' | *[!0-9]* | 0) die "BENCH_ROUNDS must be a positive integer" ;;
esac

# Monitored configurations, in run order: table label, bindwatch arguments.
keys="tp_json tp_window0 tp_port fexit"
declare -A label=(
	[baseline]="baseline"
	[tp_json]="tracepoint --json"
	[tp_window0]="tracepoint --window 0"
	[tp_port]="tracepoint --port 1"
	[fexit]="fexit --json"
)
declare -A args=(
	[tp_json]="--mode tracepoint --json"
	[tp_window0]="--mode tracepoint --json --window 0 --rate-limit 0"
	[tp_port]="--mode tracepoint --port 1"
	[fexit]="--mode fexit --json"
)

tmp=$(mktemp -d)
bw_pid=""

# Stop bindwatch if it is still running (SIGTERM, then SIGKILL after
# STOP_TIMEOUT); its exit status is left in bw_rc.
stop_bindwatch() {
	local waited=0

	bw_rc=0
	[ -n "$bw_pid" ] || return 0
	kill -TERM "$bw_pid" 2>/dev/null || true
	while kill -0 "$bw_pid" 2>/dev/null; do
		if [ "$waited" -ge $((STOP_TIMEOUT * POLLS_PER_SECOND)) ]; then
			echo "bench: bindwatch ignored SIGTERM; killing it" >&2
			kill -KILL "$bw_pid" 2>/dev/null || true
			break
		fi
		sleep "$POLL"
		waited=$((waited + 1))
	done
	wait "$bw_pid" || bw_rc=$?
	bw_pid=""
}

cleanup() {
	stop_bindwatch
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_bindwatch ERRFILE ARGS...: start it and wait for "ready"; on failure
# return 1 with bindwatch's last words in ERRFILE.
start_bindwatch() {
	local err=$1 waited=0

	shift
	"$bindwatch" "$@" >/dev/null 2>"$err" &
	bw_pid=$!
	until grep -q 'ready (mode:' "$err"; do
		if ! kill -0 "$bw_pid" 2>/dev/null; then
			wait "$bw_pid" || true
			bw_pid=""
			return 1
		fi
		if [ "$waited" -ge $((READY_TIMEOUT * POLLS_PER_SECOND)) ]; then
			stop_bindwatch
			echo "bindwatch: not ready after ${READY_TIMEOUT}s" >>"$err"
			return 1
		fi
		sleep "$POLL"
		waited=$((waited + 1))
	done
}

# run_bench BINDBENCH-ARGS...: one benchmark run; prints "BIND_NS GETPPID_NS".
run_bench() {
	local out bind_ns getppid_ns

	out=$("$bench" "$@")
	bind_ns=$(awk '$1 == "failing_bind_ns" { print $2 }' <<<"$out")
	getppid_ns=$(awk '$1 == "getppid_ns" { print $2 }' <<<"$out")
	if [ -z "$bind_ns" ] || [ -z "$getppid_ns" ]; then
		die "unexpected benchmark output: $out"
	fi
	echo "$bind_ns $getppid_ns"
}

# show ROUND KEY "BIND_NS GETPPID_NS": progress line for one run.
show() {
	printf 'round %d  %-22s failing bind %8s ns  getppid %6s ns\n' \
		"$1" "${label[$2]}" "${3% *}" "${3#* }"
}

# median COLUMN FILE
median() {
	cut -d' ' -f"$1" "$2" | sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]
			else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

echo "bindbench: $bench${*:+ $*}"
echo "bindwatch: $bindwatch ($rounds rounds, $(nproc) CPUs, kernel $(uname -r))"
echo
: >"$tmp/baseline"
: >"$tmp/summaries"
skipped=""
for round in $(seq 1 "$rounds"); do
	for key in $keys; do
		case " $skipped " in *" $key "*) continue ;; esac

		result=$(run_bench "$@")
		echo "$result" >>"$tmp/baseline"
		show "$round" baseline "$result"

		# shellcheck disable=SC2086 # a word list
		if ! start_bindwatch "$tmp/err" ${args[$key]}; then
			reason=$(tail -n 1 "$tmp/err")
			echo "skip ${label[$key]%% *}: ${reason#bindwatch: }"
			skipped="$skipped $key"
			continue
		fi
		result=$(run_bench "$@")
		stop_bindwatch
		echo "$result" >>"$tmp/$key"
		show "$round" "$key" "$result"
		summary=$(grep -E '^bindwatch: [0-9]+ records, [0-9]+ lost$' "$tmp/err" |
			tail -n 1 || true)
		summary=${summary#bindwatch: }
		[ "$bw_rc" -eq 0 ] || summary="${summary:-no summary} (exit status $bw_rc)"
		printf '  %-22s round %d: %s\n' "${label[$key]}" "$round" "${summary:-no summary}" \
			>>"$tmp/summaries"
	done
done

base_bind=$(median 1 "$tmp/baseline")
base_getppid=$(median 2 "$tmp/baseline")
echo
printf '%-22s %16s %7s %12s %7s\n' configuration "failing bind ns" ratio "getppid ns" ratio
printf '%-22s %16s %7s %12s %7s\n' "${label[baseline]}" "$base_bind" 1.00 "$base_getppid" 1.00
for key in $keys; do
	if [ ! -s "$tmp/$key" ]; then
		printf '%-22s %16s\n' "${label[$key]}" skipped
		continue
	fi
	bind_ns=$(median 1 "$tmp/$key")
	getppid_ns=$(median 2 "$tmp/$key")
	awk -v l="${label[$key]}" -v b="$bind_ns" -v bb="$base_bind" \
		-v g="$getppid_ns" -v gb="$base_getppid" \
		'BEGIN { printf "%-22s %16.1f %6.2fx %12.1f %6.2fx\n", l, b, b / bb, g, g / gb }'
done
echo
echo "bindwatch summaries (records, lost):"
cat "$tmp/summaries"
