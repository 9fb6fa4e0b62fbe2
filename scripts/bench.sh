#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What bindwatch costs the machine it watches, against two references taken
# in the same run: "bare" (nothing attached) and "floor" (build/floor:
# empty BPF programs on exactly the hooks bindwatch attaches in that mode,
# what the hooks cost by themselves).  Each configuration runs the
# bindbench microbenchmark (tests/bench/bindbench.c), which reports ns per
# call of:
#
#   failing_bind_ns   bind() failing with EADDRINUSE, over and over: a storm
#   getppid_ns        getppid(): the tax syscall tracepoints put on every call
#   cycle_ns          socket() + bind() + close() that succeed
#   uring_nop_ns      an io_uring NOP: what io_uring users that never bind
#                     pay for tracepoint mode's io_uring_complete program
#   storm2_same_ns    two processes on two CPUs failing at once on one port,
#   storm2_diff_ns    then each on its own port
#
# under these configurations (a mode's skipped, with the reason, where the
# kernel or the binary refuses it: fexit where BPF trampolines are refused,
# cgroup where bindwatch has no such mode or there is no cgroup2 mount):
#
#   bare                  nothing attached
#   floor tracepoint      build/floor --mode tracepoint
#   tracepoint --json     storms counted in the kernel
#   tracepoint --window 0 no aggregation, no rate limit: a record per failure
#   tracepoint --port 1   the port filter drops every benchmark call
#   floor fexit, fexit --json     the same in fexit mode
#   floor cgroup, cgroup --json   the same in cgroup mode
#
# Rounds interleave every configuration (bare, floor, bindwatch, ...) for
# BENCH_ROUNDS rounds, so drift in machine speed hits all alike; each figure
# is the median over rounds of bindbench's own median, and each ratio of
# the target table the median of the rounds' ratios (a configuration over
# its reference in the same round), every round's ratio shown beside it.
# The mode bindwatch picks by itself (no --mode) is read from its "ready"
# line, and its getppid() row is that mode's.  bindwatch is started
# fresh for each run, waited for ("ready" on stderr) and stopped with
# SIGTERM.  Under "tracepoint --json" its JSON goes to a file, and the
# failures its records stand for (conflict counts of bindbench's processes,
# plus suppressed and lost counts) are checked against the failures
# bindbench made: "exact" or the difference.
#
# Then, where a storm's time goes, over floods of BENCH_STEPS_FLOOD
# failures (wall time of `bindbench --flood`): the floor and bindwatch
# with kernel.bpf_stats_enabled on (set here, restored on exit), each
# program's own run time per call beside the wall time per call (the rest
# is the syscall and the hooks' dispatch); and bindwatch with bindbench
# pinned to the first CPU and the monitor (the ring buffer's consumer)
# pinned to the same CPU or to the second, by default and under
# --window 0.
#
# Then, on their own: the time from starting bindwatch to its "ready"
# (median of BENCH_STARTS), and its resident memory after a flood of
# BENCH_FLOOD failures plus BENCH_DISTINCT (P,Q: P processes x Q ports)
# distinct storms, and its growth over a further BENCH_DISTINCT.
#
# Every figure of the target table goes, with the binary measured (path,
# version, build id, sha256) as a note, to $BENCH_TABLE if set
# (scripts/bench-table.sh adds and prints the rows), else is printed at the
# end.  This reports; it never fails on a threshold.
# Final numbers want a quiet machine: other load shifts the ratios.
#
# Builds nothing: ./bindwatch and the benchmarks must exist.  Needs root.
#
#   scripts/bench.sh [BINDBENCH [FLOOR [BINDBENCH-ARGS...]]]
#
# BINDBENCH defaults to build/bindbench, FLOOR to build/floor; extra
# arguments (-n N, -r R) go to bindbench.  Environment: BINDWATCH (default
# ./bindwatch), BENCH_ROUNDS (3), BENCH_STARTS (5), BENCH_FLOOD (1000000),
# BENCH_DISTINCT (100,100), BENCH_STEPS_FLOOD (500000), BENCH_TABLE,
# CONNECTBENCH (build/connectbench: connect() per configuration, for
# what --ephemeral and fexit's inet_hash_connect cost), CONNECT_ITERS (50000).
set -eu
export LC_ALL=C         # $EPOCHREALTIME with a '.', plain sort and awk

READY_TIMEOUT=30        # seconds for bindwatch to say "ready"
STOP_TIMEOUT=30         # seconds for bindwatch to exit after SIGTERM
POLL=0.01               # seconds between checks while waiting
POLLS_PER_SECOND=100    # 1 / POLL
KIB_PER_MIB=1024
PYTHON=/usr/bin/python3

# Resolve the programs against the caller's directory, then work from the
# top of the repository.
root=$(cd "$(dirname "$0")/.." && pwd)
abspath() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}
bench=$(abspath "${1:-$root/build/bindbench}")
connectbench=$(abspath "${CONNECTBENCH:-$root/build/connectbench}")
CONNECT_ITERS=${CONNECT_ITERS:-50000}
floor=$(abspath "${2:-$root/build/floor}")
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
cd "$root"
bindwatch=${BINDWATCH:-./bindwatch}
rounds=${BENCH_ROUNDS:-3}
starts=${BENCH_STARTS:-5}
flood=${BENCH_FLOOD:-1000000}
distinct=${BENCH_DISTINCT:-100,100}
steps=${BENCH_STEPS_FLOOD:-500000}

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (bindwatch loads BPF programs)"
[ -x "$bench" ] || die "no benchmark at $bench; build it first (make bench)"
[ -x "$floor" ] || die "no floor loader at $floor; build it first (make bench)"
[ -x "$bindwatch" ] || die "no $bindwatch; run make first"
[ -x "$PYTHON" ] || die "no $PYTHON (scripts/install-deps.sh installs python3)"
for v in rounds starts flood steps; do
	case ${!v} in
	'' | *[!0-9]* | 0) die "BENCH_${v^^} must be a positive integer" ;;
	esac
done
case $distinct in
[1-9]*,[1-9]*) ;;
*) die "BENCH_DISTINCT must be P,Q (processes,ports), both positive" ;;
esac

# Configurations, in run order: label, program and its arguments, reference.
keys="bare floor_tp tp_json tp_window0 tp_port tp_ephem floor_fexit fexit floor_cg cg"
cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
declare -A label=(
	[bare]="bare"
	[floor_tp]="floor tracepoint"
	[tp_json]="tracepoint --json"
	[tp_window0]="tracepoint --window 0"
	[tp_port]="tracepoint --port 1"
	[tp_ephem]="tracepoint --ephemeral"
	[floor_fexit]="floor fexit"
	[fexit]="fexit --json"
	[floor_cg]="floor cgroup"
	[cg]="cgroup --json"
)
declare -A cmd=(
	[floor_tp]="$floor --mode tracepoint"
	[tp_json]="$bindwatch --mode tracepoint --json"
	[tp_window0]="$bindwatch --mode tracepoint --json --window 0 --rate-limit 0"
	[tp_port]="$bindwatch --mode tracepoint --port 1"
	[tp_ephem]="$bindwatch --mode tracepoint --json --ephemeral"
	[floor_fexit]="$floor --mode fexit"
	[fexit]="$bindwatch --mode fexit --json"
	[floor_cg]="$floor --mode cgroup $cgroot"
	[cg]="$bindwatch --mode cgroup --json"
)
declare -A floor_of=([tp_json]=floor_tp [tp_window0]=floor_tp [tp_port]=floor_tp [tp_ephem]=floor_tp
	[fexit]=floor_fexit
	[cg]=floor_cg)
# each mode's floor and bindwatch (with --json) configuration
declare -A mode_floor=([tracepoint]=floor_tp [fexit]=floor_fexit [cgroup]=floor_cg)
declare -A mode_key=([tracepoint]=tp_json [fexit]=fexit [cgroup]=cg)
declare -A skip_reason=()
[ -n "$cgroot" ] || skip_reason[floor_cg]="no cgroup2 mount"

figures="failing_bind_ns getppid_ns cycle_ns uring_nop_ns storm2_same_ns storm2_diff_ns"

tmp=$(mktemp -d)
bw_pid=""
table=${BENCH_TABLE:-$tmp/table}

# Stop what start_monitor started (SIGTERM, SIGKILL after STOP_TIMEOUT);
# its exit status is left in bw_rc.
stop_monitor() {
	local waited=0

	bw_rc=0
	[ -n "$bw_pid" ] || return 0
	kill -TERM "$bw_pid" 2>/dev/null || true
	while kill -0 "$bw_pid" 2>/dev/null; do
		if [ "$waited" -ge $((STOP_TIMEOUT * POLLS_PER_SECOND)) ]; then
			echo "bench: $bw_pid ignored SIGTERM; killing it" >&2
			kill -KILL "$bw_pid" 2>/dev/null || true
			break
		fi
		sleep "$POLL"
		waited=$((waited + 1))
	done
	wait "$bw_pid" || bw_rc=$?
	bw_pid=""
}

bpf_stats_was=""  # kernel.bpf_stats_enabled before the steps section

cleanup() {
	stop_monitor
	[ -z "$bpf_stats_was" ] || echo "$bpf_stats_was" >/proc/sys/kernel/bpf_stats_enabled
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_monitor OUT ERR CMD...: start it, wait for "ready"; ready_ms is the
# time it took.  On failure return 1 with its last words in ERR.
start_monitor() {
	local out=$1 err=$2 waited=0 t0 t1

	shift 2
	t0=$EPOCHREALTIME
	"$@" >"$out" 2>"$err" &
	bw_pid=$!
	until grep -q 'ready (mode:' "$err"; do
		if ! kill -0 "$bw_pid" 2>/dev/null; then
			wait "$bw_pid" || true
			bw_pid=""
			return 1
		fi
		if [ "$waited" -ge $((READY_TIMEOUT * POLLS_PER_SECOND)) ]; then
			stop_monitor
			echo "not ready after ${READY_TIMEOUT}s" >>"$err"
			return 1
		fi
		sleep "$POLL"
		waited=$((waited + 1))
	done
	t1=$EPOCHREALTIME
	t0=${t0/./} t1=${t1/./}
	ready_ms=$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.1f", us / 1000 }')
}

# run_bench KEY ROUND BINDBENCH-ARGS...: one run, its figures appended to
# $tmp/KEY as "ROUND NAME VALUE" lines.
run_bench() {
	local key=$1 round=$2 out

	shift 2
	out=$("$bench" "$@") || die "bindbench failed under ${label[$key]}"
	for f in $figures failures; do
		grep -q "^$f " <<<"$out" || die "unexpected bindbench output: $out"
	done
	awk -v r="$round" '{ print r, $0 }' <<<"$out" >>"$tmp/$key"
	echo "$out" >"$tmp/last"
}

# median_of: the median of the numbers on stdin, one a line
median_of() {
	sort -g | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]
			else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# median KEY FIGURE: over the rounds
median() {
	[ -s "$tmp/$1" ] || return 0
	awk -v f="$2" '$2 == f { print $3 }' "$tmp/$1" | median_of | awk '{ printf "%.1f\n", $1 }'
}

# counted JSONFILE: failures bindwatch's records stand for
# (tests/bench/counted.py)
counted() {
	"$PYTHON" tests/bench/counted.py "$1"
}

# row FIGURE VALUE UNIT OP LIMIT: one line of the target table
row() {
	scripts/bench-table.sh --row "$table" "$@"
}

# ratio KEY REF FIGURE: median of KEY over median of REF, or nothing
ratio() {
	local a b

	a=$(median "$1" "$3")
	b=$(median "$2" "$3")
	[ -n "$a" ] && [ -n "$b" ] || return 0
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f\n", a / b }'
}

# round_ratios KEY REF FIGURE: KEY over REF in each round both ran, one a
# line, in round order
round_ratios() {
	[ -s "$tmp/$1" ] && [ -s "$tmp/$2" ] || return 0
	awk -v f="$3" 'FNR == NR && $2 == f { ref[$1] = $3; next }
		$2 == f && ($1 in ref) && ref[$1] > 0 { printf "%.2f\n", $3 / ref[$1] }' "$tmp/$2" "$tmp/$1"
}

# judged FIGURE KEY REF FIG OP LIMIT: a row for KEY over REF, the median of
# the rounds' ratios against the target, every round's shown; "n/a: why"
# when either configuration was skipped
judged() {
	local why=${skip_reason[$2]:-${skip_reason[$3]:-}}

	if [ -n "$why" ]; then
		row "$1" "n/a: $why" x "$5" "$6"
		return
	fi
	row "$1" "$(round_ratios "$2" "$3" "$4" | median_of)" x "$5" "$6" \
		"$(round_ratios "$2" "$3" "$4" | tr '\n' ' ' | sed 's/ $//')"
}

# build_id FILE: the ELF build id, or "none"
build_id() {
	readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; found = 1 } END { if (!found) print "none" }'
}

echo "bindbench: $bench${*:+ $*}; floor: $floor"
echo "bindwatch: $bindwatch ($rounds rounds, $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
skipped=""
: >"$tmp/exact"
for round in $(seq 1 "$rounds"); do
	for key in $keys; do
		case " $skipped " in *" $key "*) continue ;; esac
		if [ -n "${skip_reason[$key]:-}" ]; then
			echo "skip ${label[$key]}: ${skip_reason[$key]}"
			skipped="$skipped $key"
			continue
		fi
		if [ "$key" != bare ]; then
			out=/dev/null
			[ "$key" = tp_json ] && out=$tmp/json
			# shellcheck disable=SC2086 # a word list
			if ! start_monitor "$out" "$tmp/err" ${cmd[$key]}; then
				reason=$(tail -n 1 "$tmp/err")
				skip_reason[$key]=${reason#*: }
				echo "skip ${label[$key]}: ${skip_reason[$key]}"
				skipped="$skipped $key"
				continue
			fi
		fi
		run_bench "$key" "$round" "$@"
		# connect(): what capturing it out of ephemeral ports costs the rest
		"$connectbench" -n "$CONNECT_ITERS" -r 3 | awk -v r="$round" '{ print r, $0 }' >>"$tmp/$key" ||
			die "connectbench failed under ${label[$key]}"
		stop_monitor
		printf 'round %d  %-22s' "$round" "${label[$key]}"
		awk '{ printf " %s %s", $1, $2 }' "$tmp/last"
		echo
		if [ "$key" = tp_json ]; then
			made=$(awk '$1 == "failures" { print $2 }' "$tmp/last")
			got=$(counted "$tmp/json")
			echo "$((got - made))" >>"$tmp/exact"
			echo "  counts: $got failures in records of $made made (exit status $bw_rc)"
		fi
	done
done

echo
printf '%-22s' configuration
for f in $figures; do printf ' %16s' "${f%_ns}"; done
echo
for key in $keys; do
	printf '%-22s' "${label[$key]}"
	if [ ! -s "$tmp/$key" ]; then
		echo " skipped"
		continue
	fi
	for f in $figures; do printf ' %16s' "$(median "$key" "$f")"; done
	echo
	[ "$key" = bare ] && continue
	printf '%-22s' "  vs bare"
	for f in $figures; do printf ' %15sx' "$(ratio "$key" bare "$f")"; done
	echo
	[ -n "${floor_of[$key]:-}" ] || continue
	printf '%-22s' "  vs ${label[${floor_of[$key]}]}"
	for f in $figures; do printf ' %15sx' "$(ratio "$key" "${floor_of[$key]}" "$f")"; done
	echo
done

# ---- where a storm's time goes

# flood_ns [WRAPPER...]: ns per failing bind() over a flood of $steps
# (bindbench's start included: well under 1% of it)
flood_ns() {
	local t0 t1

	t0=$EPOCHREALTIME
	"$@" "$bench" --flood "$steps" >/dev/null || die "bindbench --flood failed"
	t1=$EPOCHREALTIME
	t0=${t0/./} t1=${t1/./}
	awk -v us=$((t1 - t0)) -v n="$steps" 'BEGIN { printf "%.0f\n", us * 1000 / n }'
}

# prog_ns PROGRAM: its run_time_ns / run_cnt so far, or nothing
prog_ns() {
	bpftool prog show name "$1" 2>/dev/null | awk '
		{ for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) } }
		END { if (c > 0) printf "%.0f\n", t / c }'
}

# steps_row LABEL ENTER EXIT CMD...: start CMD with bpf_stats on, one
# flood, and the wall and per-program time per call
steps_row() {
	local what=$1 enter=$2 exit=$3 wall in out

	shift 3
	start_monitor /dev/null "$tmp/err" "$@" || die "${what}: $(tail -n 1 "$tmp/err")"
	wall=$(flood_ns)
	in=$(prog_ns "$enter")
	out=$(prog_ns "$exit")
	stop_monitor
	printf '  %-24s %8s %10s %10s %10s\n' "$what" "$wall" "${in:--}" "${out:--}" \
		"$(awk -v w="$wall" -v a="${in:-0}" -v b="${out:-0}" 'BEGIN { print w - a - b }')"
	echo "$wall ${in:-0} ${out:-0}" >"$tmp/steps.${what// /_}"
}

echo
echo "where a failing bind's time goes, tracepoint mode, ns per call over floods of $steps"
if read -r bpf_stats_was </proc/sys/kernel/bpf_stats_enabled && echo 1 >/proc/sys/kernel/bpf_stats_enabled; then
	printf '  %-24s %8s %10s %10s %10s\n' "(kernel.bpf_stats on)" wall "enter prog" "exit prog" rest
	steps_row floor floor_tp_enter_bind floor_tp_exit_bind "$floor" --mode tracepoint
	steps_row bindwatch tp_enter_bind tp_exit_bind "$bindwatch" --mode tracepoint --json
	echo "$bpf_stats_was" >/proc/sys/kernel/bpf_stats_enabled
	bpf_stats_was=""
else
	bpf_stats_was=""
	echo "  skip per program: cannot set kernel.bpf_stats_enabled"
fi
if [ "$(nproc)" -ge 2 ]; then
	printf '  %-44s %8s\n' "bindbench on CPU 0, monitor pinned to:" wall
	place="taskset -c 0"
	for args in "--json" "--json --window 0 --rate-limit 0"; do
		for cpu in 0 1; do
			# shellcheck disable=SC2086 # a word list
			start_monitor /dev/null "$tmp/err" taskset -c "$cpu" "$bindwatch" --mode tracepoint $args ||
				die "bindwatch: $(tail -n 1 "$tmp/err")"
			# shellcheck disable=SC2086 # a word list
			wall=$(flood_ns $place)
			stop_monitor
			printf '  %-44s %8s\n' "  CPU $cpu, $args" "$wall"
			echo "$wall" >"$tmp/place.$cpu.${args// /_}"
		done
	done
fi

# ---- start to ready, and memory after storms

echo
: >"$tmp/ready"
for _ in $(seq 1 "$starts"); do
	start_monitor /dev/null "$tmp/err" "$bindwatch" --json || die "bindwatch: $(tail -n 1 "$tmp/err")"
	echo "$ready_ms" >>"$tmp/ready"
	auto_mode=$(sed -n 's/.*ready (mode: \([a-z]*\).*/\1/p' "$tmp/err" | head -n 1)
	stop_monitor
done
ready=$(sort -g "$tmp/ready" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "start to ready: $(tr '\n' ' ' <"$tmp/ready")ms; median $ready ms"

rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$bw_pid/status"; }
start_monitor /dev/null "$tmp/err" "$bindwatch" --json || die "bindwatch: $(tail -n 1 "$tmp/err")"
rss0=$(rss_kib)
"$bench" --flood "$flood" >/dev/null || die "bindbench --flood failed"
"$bench" --distinct "$distinct" >/dev/null || die "bindbench --distinct failed"
sleep 1 # a window: the flusher has run
rss1=$(rss_kib)
"$bench" --distinct "$distinct" >/dev/null || die "bindbench --distinct failed"
sleep 1
rss2=$(rss_kib)
stop_monitor
echo "monitor RSS: $rss0 KiB at ready, $rss1 KiB after $flood failures + $distinct distinct storms, $rss2 KiB after $distinct more"

# ---- the target table's rows

exact=$(sort -u "$tmp/exact" | tr '\n' ' ')
case $exact in
"0 ") exact_word=exact ;;
"") exact_word="not measured" ;;
*) exact_word="off by $exact" ;;
esac
bid=$(build_id "$bindwatch")
scripts/bench-table.sh --note "$table" "binary: $bindwatch ($(realpath "$bindwatch")), $("$bindwatch" --version 2>&1 | head -n 1), build id ${bid}, sha256 $(sha256sum "$bindwatch" | cut -c1-16), tree $(git describe --always --dirty 2>/dev/null || echo unknown)"
scripts/bench-table.sh --note "$table" "machine: $(nproc) CPUs, kernel $(uname -r); $rounds interleaved rounds; bindwatch's own choice of mode: ${auto_mode:-unknown}"
judged "failing-bind storm (default --window), vs floor" tp_json floor_tp failing_bind_ns "<=" 1.10
judged "failing bind, --window 0 (record per failure), vs floor" tp_window0 floor_tp failing_bind_ns "<=" 1.30
judged "failing bind filtered out by --port, vs floor" tp_port floor_tp failing_bind_ns "<=" 1.03
judged "successful socket+bind+close, vs floor" tp_json floor_tp cycle_ns "<=" 1.03
judged "io_uring NOP (a ring that never binds), vs floor" tp_json floor_tp uring_nop_ns "<=" 1.03
# --ephemeral adds sys_exit_connect: every connect() of the host pays it
judged "UDP connect(), tracepoint --ephemeral vs without" tp_ephem tp_json udp_connect_ns - -
judged "refused TCP connect(), tracepoint --ephemeral vs without" tp_ephem tp_json tcp_refused_ns - -
judged "refused TCP connect(), fexit (inet_hash_connect) vs its floor" fexit floor_fexit tcp_refused_ns "<=" 1.03
judged "storm, 2 processes on 2 CPUs, same port, vs floor ($exact_word)" tp_json floor_tp storm2_same_ns "<=" 1.20
judged "storm, 2 processes on 2 CPUs, different ports, vs floor ($exact_word)" tp_json floor_tp storm2_diff_ns "<=" 1.20
for mode in fexit cgroup; do
	judged "$mode: failing-bind storm, vs floor" "${mode_key[$mode]}" "${mode_floor[$mode]}" failing_bind_ns "<=" 1.10
	judged "$mode: successful socket+bind+close, vs floor" "${mode_key[$mode]}" "${mode_floor[$mode]}" cycle_ns "<=" 1.03
done
if [ -s "$tmp/steps.bindwatch" ] && [ -s "$tmp/steps.floor" ]; then
	read -r bw_wall bw_in bw_out <"$tmp/steps.bindwatch"
	read -r fl_wall fl_in fl_out <"$tmp/steps.floor"
	row "failing-bind storm: wall time bindwatch adds to the floor, bpf_stats on" \
		"$((bw_wall - fl_wall))" " ns" - -
	row "  of which in bindwatch's programs (beyond the floor's)" \
		"$((bw_in + bw_out - fl_in - fl_out))" " ns" - -
fi
for args in --json --json_--window_0_--rate-limit_0; do
	{ [ -s "$tmp/place.0.$args" ] && [ -s "$tmp/place.1.$args" ]; } || continue
	row "failing bind (${args//_/ }), monitor on bindbench's CPU vs on the other" \
		"$(awk -v a="$(cat "$tmp/place.0.$args")" -v b="$(cat "$tmp/place.1.$args")" 'BEGIN { printf "%.2f", a / b }')" x - -
done
# getppid(): the tax a mode puts on every system call of the host
for mode in tracepoint fexit cgroup; do
	judged "getppid, floor $mode, vs bare" "${mode_floor[$mode]}" bare getppid_ns - -
	judged "getppid, bindwatch --mode $mode, vs bare" "${mode_key[$mode]}" bare getppid_ns - -
done
if [ -n "${auto_mode:-}" ] && [ -n "${mode_key[$auto_mode]:-}" ]; then
	judged "getppid, bindwatch in its default mode ($auto_mode), vs bare" "${mode_key[$auto_mode]}" bare getppid_ns "<=" 1.02
else
	row "getppid, bindwatch in its default mode, vs bare" "n/a: mode '${auto_mode:-}' not benchmarked" x "<=" 1.02
fi
row "monitor RSS after $flood failures + $distinct distinct storms" \
	"$(awk -v k="$rss1" -v m=$KIB_PER_MIB 'BEGIN { printf "%.1f", k / m }')" " MiB" "<=" 12
row "monitor RSS growth over $distinct more distinct storms" \
	"$(awk -v a="$rss1" -v b="$rss2" -v m=$KIB_PER_MIB 'BEGIN { printf "%.1f", (b - a) / m }')" " MiB" "<=" 0
row "start to ready (median of $starts)" "$ready" " ms" "<=" 250
if [ -z "${BENCH_TABLE:-}" ]; then
	echo
	scripts/bench-table.sh "$table"
fi
