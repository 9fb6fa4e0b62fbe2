#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# What naming a port's holder costs on a busy host.  Two measurements, each
# made twice: on the host as it is ("baseline"), then with a crowd of
# BENCH_PROCS processes holding BENCH_SOCKETS TCP sockets each
# (tests/bench/holdmany.c; 1,000 x 20 = 20,000 sockets by default):
#
#   lookup    wall time of one "who holds port P?" command, P being a
#             127.0.0.1 listener of a python3 process started here:
#               ss -Htlnp 'sport = :P'      (the reference: ratios are vs ss)
#               bindwatch who P             (TCP and UDP)
#               bindwatch who P/tcp
#               lsof -i :P -t               (skipped when lsof is missing)
#               fuser P/tcp                 (skipped when fuser is missing)
#             ss -p, lsof and fuser read every /proc/PID/fd on the host;
#             bindwatch who loads its BPF iterators and walks the tables in
#             the kernel.  Each tool runs once to warm caches (that run must
#             name the holder's pid, or the tool is reported as wrong), then
#             BENCH_RUNS times, interleaved with the others so drift hits
#             all alike; the median is reported.  Times include starting the
#             tool (fork, exec, dynamic linking, for bindwatch loading the
#             BPF programs): what an operator waits for.
#
#   record    conflict record latency in monitor mode.  `bindwatch --json
#             --port P` runs (started fresh, waited for "ready" on stderr).
#             First records: BENCH_CONFLICTS conflicts from as many distinct
#             processes (forked by the harness, BENCH_GAP_MS apart, after
#             BENCH_WARMUP uncounted ones), each of its own uid, so each is
#             the first failure of its own storm and incident and is sent
#             at once: latency from just before the failing bind()
#             (CLOCK_REALTIME in the requester) to reading its line from
#             bindwatch's stdout, p50 and p99; the same to the record's own
#             "time" is shown as a cross-check.  Storm window: then
#             BENCH_STORM processes fail twice each, BENCH_GAP_MS apart, on
#             one socket: the second failure is only counted, and its line
#             comes when the storm's window closes (--window), which is
#             what this row measures, not the record path.  Every record must name the
#             requester and the holder.  The first-record median at scale
#             minus the one at baseline is what the holder lookup adds
#             at that scale.
#
#   big       the record latency again, with a crowd of BENCH_BIG_PROCS
#             processes (10,000 x BENCH_SOCKETS by default), each holding
#             as many listeners as half the ephemeral port range has room
#             for (up to BENCH_LISTENERS; 1 with Linux's default range).  kernel.pid_max is raised for it when
#             too low and restored after; when the machine cannot hold the
#             crowd anyway (memory, threads-max, a cgroup's pids.max, open
#             files), the rows say why instead.
#
# This reports; it never fails on a threshold.  It exits non-zero only when
# it cannot measure (not root, something missing, the machine too small for
# the 1,000-process crowd, a tool or bindwatch misbehaving).  Everything it
# starts is stopped on exit, the crowd by its process group.  About 30 s on
# 2 CPUs.
#
# Builds nothing: ./bindwatch and build/holdmany must exist.  Needs root.
#
#   scripts/bench-who.sh [HOLDMANY]
#
# HOLDMANY defaults to build/holdmany.  Environment: BINDWATCH (default
# ./bindwatch), BENCH_RUNS (5), BENCH_PROCS (1000), BENCH_SOCKETS (20),
# BENCH_LISTENERS (5 of the sockets per process listen, the rest are only
# bound), BENCH_CONFLICTS (50), BENCH_WARMUP (5), BENCH_GAP_MS (20),
# BENCH_STORM (5), BENCH_BIG_PROCS (10000), BENCH_TABLE (the target
# table's rows go there, see
# scripts/bench-table.sh; printed at the end when unset).
set -eu
export LC_ALL=C         # $EPOCHREALTIME with a '.', plain sort and awk

READY_TIMEOUT=30        # seconds for bindwatch, holdmany, the holder to be ready
CROWD_PER_SECOND=100    # holdmany processes started a second, at the least
STOP_TIMEOUT=30         # seconds for the crowd to go after SIGTERM
POLL=0.05               # seconds between checks while waiting
POLLS_PER_SECOND=20     # 1 / POLL
PYTHON=/usr/bin/python3 # as the end-to-end tests
MEM_PER_PROC_KIB=512    # generous: a holdmany child is ~150 KiB of memory
MEM_SPARE_KIB=$((512 * 1024))
TASK_SPARE=200          # tasks left free beside the crowd
FILE_SPARE=10000        # open files left free beside the crowd
PORT_SPARE=2000         # ephemeral ports left free beside the listeners

holdmany=${1:-}
root=$(cd "$(dirname "$0")/.." && pwd)
case $holdmany in
"") holdmany=$root/build/holdmany ;;
/*) ;;
*) holdmany=$PWD/$holdmany ;;
esac
cd "$root"
bindwatch=${BINDWATCH:-./bindwatch}
runs=${BENCH_RUNS:-5}
procs=${BENCH_PROCS:-1000}
sockets=${BENCH_SOCKETS:-20}
listeners=${BENCH_LISTENERS:-5}
conflicts=${BENCH_CONFLICTS:-50}
warmup=${BENCH_WARMUP:-5}
gap_ms=${BENCH_GAP_MS:-20}
storm=${BENCH_STORM:-5}
big_procs=${BENCH_BIG_PROCS:-10000}
attack_procs=${BENCH_ATTACK_PROCS:-6}
attack_sockets=${BENCH_ATTACK_SOCKETS:-10000}
attack_ports=${BENCH_ATTACK_PORTS:-40}

die() {
	echo "bench-who: $*" >&2
	exit 1
}

for v in runs procs sockets conflicts gap_ms storm big_procs attack_procs attack_sockets attack_ports; do
	case ${!v} in
	'' | *[!0-9]* | 0) die "BENCH_${v^^} must be a positive integer" ;;
	esac
done
for v in listeners warmup; do
	case ${!v} in
	'' | *[!0-9]*) die "BENCH_${v^^} must be a non-negative integer" ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die "must run as root (bindwatch loads BPF programs)"
[ -x "$bindwatch" ] || die "no $bindwatch; run make first"
[ -x "$holdmany" ] || die "no $holdmany; build it first (make bench)"
[ -x "$PYTHON" ] || die "no $PYTHON (scripts/install-deps.sh installs python3)"
command -v ss >/dev/null || die "no ss (scripts/install-deps.sh installs iproute2)"

# ---- can the machine take a crowd?

# no_room PROCS LISTENERS: why the machine cannot hold PROCS holdmany
# processes of $sockets sockets (LISTENERS of them listening), or nothing.
# kernel.pid_max is not a reason: raise_pid_max raises it.
no_room() {
	local procs=$1 listeners=$2 kib_available need_kib tasks max_tasks cg cgroot pmax pcur
	local files_open files_max port_lo port_hi

	kib_available=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
	need_kib=$((procs * MEM_PER_PROC_KIB + MEM_SPARE_KIB))
	if [ "$kib_available" -lt "$need_kib" ]; then
		echo "$((kib_available / 1024)) MiB available, the crowd wants $((need_kib / 1024)) MiB"
		return
	fi
	tasks=$(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/task/*' 2>/dev/null | wc -l)
	max_tasks=$(cat /proc/sys/kernel/threads-max)
	if [ $((tasks + procs + TASK_SPARE)) -gt "$max_tasks" ]; then
		echo "$tasks tasks running, $procs more would pass kernel.threads-max ($max_tasks)"
		return
	fi
	# a pids.max on our cgroup or any cgroup above it
	cg=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup 2>/dev/null || true)
	cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	while [ -n "$cgroot" ] && [ -n "$cg" ] && [ "$cg" != / ]; do
		if [ -r "$cgroot$cg/pids.max" ] && [ -r "$cgroot$cg/pids.current" ]; then
			read -r pmax <"$cgroot$cg/pids.max"
			read -r pcur <"$cgroot$cg/pids.current"
			if [ "$pmax" != max ] && [ $((pcur + procs + TASK_SPARE)) -gt "$pmax" ]; then
				echo "cgroup $cg allows $pmax tasks and has $pcur; the crowd needs $procs more"
				return
			fi
		fi
		cg=$(dirname "$cg")
	done
	read -r files_open _ files_max </proc/sys/fs/file-nr
	if [ $((files_open + procs * (sockets + 3) + FILE_SPARE)) -gt "$files_max" ]; then
		echo "$files_open files open, the crowd's $((procs * (sockets + 3))) would pass fs.file-max ($files_max)"
		return
	fi
	read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
	if [ $((procs * listeners + PORT_SPARE)) -gt $((port_hi - port_lo + 1)) ]; then
		echo "$((procs * listeners)) listeners do not fit in net.ipv4.ip_local_port_range ($port_lo-$port_hi)"
	fi
}

# room_listeners PROCS: listeners per process that fit in half the
# ephemeral range beside PORT_SPARE, at most $listeners.  Half: bind() to
# port 0 scans the ports of one parity before the other (connect() takes
# the other first), so past half the range every bind() of the crowd
# would first scan that whole half (a minute for 10,000 processes).
room_listeners() {
	local port_lo port_hi fit

	read -r port_lo port_hi </proc/sys/net/ipv4/ip_local_port_range
	fit=$(((port_hi - port_lo + 1) / 2 - PORT_SPARE))
	fit=$((fit / $1))
	[ "$fit" -lt 0 ] && fit=0
	[ "$fit" -lt "$listeners" ] && echo "$fit" || echo "$listeners"
}

why=$(no_room "$procs" "$listeners")
[ -z "$why" ] || die "$why"
pid_max_was=""   # kernel.pid_max before raise_pid_max, restored on exit

# raise_pid_max PROCS: make room for PROCS more tasks under kernel.pid_max
raise_pid_max() {
	local tasks need now

	tasks=$(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/task/*' 2>/dev/null | wc -l)
	need=$((tasks + $1 + TASK_SPARE))
	read -r now </proc/sys/kernel/pid_max
	[ "$need" -gt "$now" ] || return 0
	[ -n "$pid_max_was" ] || pid_max_was=$now
	echo "$need" >/proc/sys/kernel/pid_max
}

# ---- processes we start, and their cleanup

tmp=$(mktemp -d)
holder_pid=""     # python3 holding the port (its own pid, as it reports it)
holder_job=""     # the job bash started for it
crowd_pid=""      # holdmany: also its process group id
record_job=""     # the record latency harness
monitor_pid=""    # a bindwatch monitor whose pinned iterators who uses

stop_pid() {      # stop_pid PID: SIGTERM, SIGKILL if still there after a while
	local pid=$1 waited=0

	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$waited" -ge $((STOP_TIMEOUT * POLLS_PER_SECOND)) ]; then
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep "$POLL"
		waited=$((waited + 1))
	done
	wait "$pid" 2>/dev/null || true
}

stop_crowd() {
	local waited=0

	[ -n "$crowd_pid" ] || return 0
	# the group once holdmany has made it; holdmany alone before that (its
	# children die with it: PR_SET_PDEATHSIG)
	kill -TERM -- "-$crowd_pid" 2>/dev/null || kill -TERM "$crowd_pid" 2>/dev/null || true
	while kill -0 -- "-$crowd_pid" 2>/dev/null; do
		if [ "$waited" -ge $((STOP_TIMEOUT * POLLS_PER_SECOND)) ]; then
			echo "bench-who: the crowd ignored SIGTERM; killing it" >&2
			kill -KILL -- "-$crowd_pid" 2>/dev/null || true
			break
		fi
		sleep "$POLL"
		waited=$((waited + 1))
	done
	wait "$crowd_pid" 2>/dev/null || true
	crowd_pid=""
}

stop_record() {
	local bw

	[ -n "$record_job" ] || return 0
	# the harness stops its bindwatch on SIGTERM; make sure of it anyway
	stop_pid "$record_job"
	if [ -s "$tmp/record.bwpid" ]; then
		read -r bw <"$tmp/record.bwpid"
		kill -KILL "$bw" 2>/dev/null || true
		rm -f "$tmp/record.bwpid"
	fi
	record_job=""
}

stop_monitor() {
	[ -z "$monitor_pid" ] || stop_pid "$monitor_pid"
	monitor_pid=""
}

cleanup() {
	stop_monitor
	stop_record
	stop_crowd
	[ -z "$pid_max_was" ] || echo "$pid_max_was" >/proc/sys/kernel/pid_max
	[ -z "$holder_pid" ] || kill -TERM "$holder_pid" 2>/dev/null || true
	[ -z "$holder_job" ] || stop_pid "$holder_job"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for FILE REGEX PID WHAT [SECONDS]: until a line of FILE matches,
# while PID lives, for READY_TIMEOUT seconds or SECONDS if more
wait_for() {
	local waited=0 limit=${5:-0}

	[ "$limit" -gt "$READY_TIMEOUT" ] || limit=$READY_TIMEOUT
	until grep -Eq "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || die "$4 exited: $(tail -n 3 "$1" 2>/dev/null)"
		[ "$waited" -lt $((limit * POLLS_PER_SECOND)) ] ||
			die "$4 not ready after ${limit}s"
		sleep "$POLL"
		waited=$((waited + 1))
	done
}

# ---- the port and its holder

"$PYTHON" tests/bench/port_holder.py </dev/null >"$tmp/holder" 2>&1 &
holder_job=$!
wait_for "$tmp/holder" '^[0-9]+ [0-9]+$' "$holder_job" "the port holder"
read -r holder_pid port <"$tmp/holder"

# ---- lookup: the tools

tools="ss who who_tcp lsof fuser"
mon_tools="who_mon who_mon_tcp" # the same commands while a monitor runs
declare -A label=(
	[ss]="ss -Htlnp 'sport = :$port'"
	[who]="bindwatch who $port"
	[who_tcp]="bindwatch who $port/tcp"
	[who_mon]="bindwatch who $port, monitor up"
	[who_mon_tcp]="bindwatch who $port/tcp, monitor up"
	[lsof]="lsof -i :$port -t"
	[fuser]="fuser $port/tcp"
)
tool_ss() { ss -Htlnp "sport = :$port"; }
tool_who() { "$bindwatch" who "$port"; }
tool_who_tcp() { "$bindwatch" who "$port/tcp"; }
tool_who_mon() { tool_who; }
tool_who_mon_tcp() { tool_who_tcp; }
tool_lsof() { lsof -i ":$port" -t; }
tool_fuser() { fuser "$port/tcp"; }
declare -A missing=()
command -v lsof >/dev/null || missing[lsof]="lsof not installed (Debian package lsof)"
command -v fuser >/dev/null || missing[fuser]="fuser not installed (Debian package psmisc)"
declare -A wrong=()

# time_tool KEY: run it once, print the wall time in ms
time_tool() {
	local t0 t1

	t0=$EPOCHREALTIME
	"tool_$1" >/dev/null 2>&1 </dev/null || true
	t1=$EPOCHREALTIME
	t0=${t0/./} t1=${t1/./}
	awk -v us=$((t1 - t0)) 'BEGIN { printf "%.2f\n", us / 1000 }'
}

# lookup PHASE TOOLS...: warm each tool (and check it names the holder),
# then BENCH_RUNS interleaved timed runs into $tmp/lookup.PHASE.KEY
lookup() {
	local phase=$1 key out tools

	shift
	tools="$*"
	for key in $tools; do
		[ -z "${missing[$key]:-}" ] || continue
		out=$("tool_$key" 2>&1 </dev/null || true)
		if ! grep -Eq "(^|[^0-9])$holder_pid([^0-9]|$)" <<<"$out"; then
			wrong[$key]="did not name the holder (pid $holder_pid) $phase: $(head -c 200 <<<"$out")"
		fi
		: >"$tmp/lookup.$phase.$key"
	done
	for _ in $(seq 1 "$runs"); do
		for key in $tools; do
			[ -z "${missing[$key]:-}" ] || continue
			time_tool "$key" >>"$tmp/lookup.$phase.$key"
		done
	done
	printf '  lookup:'
	for key in $tools; do
		[ -z "${missing[$key]:-}" ] || continue
		printf ' %s %s ms;' "${key}" "$(median "$tmp/lookup.$phase.$key")"
	done
	echo
}

# median FILE: of the numbers in FILE, one a line
median() {
	sort -g "$1" | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			if (NR % 2) printf "%.2f\n", v[(NR + 1) / 2]
			else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
		}'
}

# ---- record: the latency harness


# record PHASE [late ATTACK]: one bindwatch session; the result line in
# $tmp/record.PHASE (see tests/bench/record_latency.py for late and ATTACK)
record() {
	local phase=$1 rc=0 summary

	shift
	"$PYTHON" tests/bench/record_latency.py "$bindwatch" "$port" "$holder_pid" "$conflicts" \
		"$warmup" "$gap_ms" "$storm" "$tmp/record.err" "$tmp/record.bwpid" "$@" \
		</dev/null >"$tmp/record.$phase" 2>"$tmp/record_latency.err" &
	record_job=$!
	wait "$record_job" || rc=$?
	record_job=""
	[ "$rc" -eq 0 ] || die "record latency $phase failed: $(cat "$tmp/record_latency.err")"
	summary=$(grep -E '^bindwatch: [0-9]+ records, [0-9]+ lost$' "$tmp/record.err" |
		tail -n 1 || true)
	echo "  record: $(cat "$tmp/record.$phase"); bindwatch: ${summary#bindwatch: }"
	echo "${summary#bindwatch: }" >"$tmp/summary.$phase"
}

# lookups PHASE: every tool; who also with a running monitor, whose pinned
# iterators spare it loading its own (the monitor watches an unrelated port)
lookups() {
	lookup "$1" $tools
	"$bindwatch" --port 1 </dev/null >/dev/null 2>"$tmp/monitor.err" &
	monitor_pid=$!
	wait_for "$tmp/monitor.err" 'ready \(mode' "$monitor_pid" "the bindwatch monitor"
	lookup "$1" $mon_tools
	stop_monitor
}

# field FILE NAME: the value after NAME in a "name value name value" line
field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"
}

AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
attack_scale="$attack_procs procs x $attack_sockets sockets"

# ---- run

cpu=$(awk -F': ' '$1 ~ /^model name/ { print $2; exit }' /proc/cpuinfo)
os=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release)
scale="$procs procs x $sockets sockets"
echo "machine: $(nproc) CPUs ($cpu), $(awk '$1 == "MemTotal:" { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), $os"
echo "tools: $(ss -V 2>&1 | head -n 1)${missing[lsof]:+, }${missing[lsof]:-, lsof $(lsof -v 2>&1 | awk '/revision:/ { print $2; exit }')}${missing[fuser]:+, }${missing[fuser]:-, fuser $(fuser -V 2>&1 | awk 'NR == 1 { print $3 }')}"
echo "port: 127.0.0.1:$port held by python3[$holder_pid]; $runs runs per tool, median"
for key in lsof fuser; do
	[ -z "${missing[$key]:-}" ] || echo "skip $key: ${missing[$key]}"
done
echo

echo "baseline ($(find /proc -mindepth 1 -maxdepth 1 -name '[0-9]*' | wc -l) processes on the host):"
lookups baseline
record baseline

# start_crowd PROCS LISTENERS: holdmany, waited for
start_crowd() {
	local t0 t1

	echo "starting the crowd: $1 procs x $sockets sockets ($2 listening each)"
	raise_pid_max "$1" || die "cannot raise kernel.pid_max for $1 more tasks"
	t0=$EPOCHREALTIME
	"$holdmany" -n "$1" -s "$sockets" -l "$2" </dev/null >"$tmp/crowd" 2>&1 &
	crowd_pid=$!
	wait_for "$tmp/crowd" '^ready ' "$crowd_pid" "holdmany" "$(($1 / CROWD_PER_SECOND))"
	t1=$EPOCHREALTIME
	t0=${t0/./} t1=${t1/./}
	echo "  $(cat "$tmp/crowd") in $(((t1 - t0) / 1000)) ms; host: $(find /proc -mindepth 1 -maxdepth 1 -name '[0-9]*' | wc -l) processes, $(cut -f1 /proc/sys/fs/file-nr) open files"
}

start_crowd "$procs" "$listeners"
echo "at scale:"
lookups scale
record scale
stop_crowd

big_scale="$big_procs procs x $sockets sockets"
big_listeners=$(room_listeners "$big_procs")
big_why=$(no_room "$big_procs" "$big_listeners")
if [ -z "$big_why" ]; then
	start_crowd "$big_procs" "$big_listeners"
	echo "at $big_scale:"
	record big
	stop_crowd
else
	echo "skip $big_scale: $big_why"
fi

# under attack: another user holds a crowd of sockets and fails binds in a
# loop while root's conflicts are timed; against the same run without it
echo "fresh holder (bound after bindwatch started), no attack:"
record fresh late ""
echo "starting nobody's crowd: $attack_scale"
"${AS_NOBODY[@]}" "$holdmany" -n "$attack_procs" -s "$attack_sockets" -l 0 </dev/null >"$tmp/crowd" 2>&1 &
crowd_pid=$!
wait_for "$tmp/crowd" '^ready ' "$crowd_pid" "holdmany as nobody"
echo "  $(cat "$tmp/crowd"); host: $(cut -f1 /proc/sys/fs/file-nr) open files"
echo "under attack: nobody fails binds on $attack_ports ports of its own in a loop:"
record attack late "$(printf '%q ' "${AS_NOBODY[@]}" "$PYTHON" "$root/tests/bench/bind_attacker.py" "$attack_ports")"
stop_crowd

# ---- report

echo
echo "who holds port $port? wall ms per command, median of $runs (ratio: time / ss's time)"
printf '%-32s %11s %7s %24s %7s\n' command baseline ratio "$scale" ratio
ss_base=$(median "$tmp/lookup.baseline.ss")
ss_scale=$(median "$tmp/lookup.scale.ss")
for key in $tools $mon_tools; do
	if [ -n "${missing[$key]:-}" ]; then
		printf '%-32s %11s %7s %24s %7s\n' "${label[$key]}" skipped - skipped -
		continue
	fi
	awk -v l="${label[$key]}" -v b="$(median "$tmp/lookup.baseline.$key")" \
		-v s="$(median "$tmp/lookup.scale.$key")" -v sb="$ss_base" -v ss="$ss_scale" \
		'BEGIN { printf "%-32s %11.2f %6.2fx %24.2f %6.2fx\n", l, b, b / sb, s, s / ss }'
done
for key in $tools $mon_tools; do
	[ -z "${wrong[$key]:-}" ] || echo "WRONG ${label[$key]}: ${wrong[$key]}"
done

echo
echo "conflict record latency, ms from just before the failing bind() to the line read"
echo "(first records: $conflicts conflicts from $conflicts distinct processes, $gap_ms ms apart, after $warmup uncounted;"
echo " storm window: the second failure of $storm processes, each counted until its storm's window closes; mode $(field "$tmp/record.baseline" mode))"
printf '%-32s %8s %8s %8s %14s %14s\n' "" p50 p99 max 'p50 from "time"' 'storm window'
for phase in baseline scale big fresh attack; do
	[ -s "$tmp/record.$phase" ] || continue
	name=$phase
	[ "$phase" = scale ] && name=$scale
	[ "$phase" = big ] && name=$big_scale
	[ "$phase" = fresh ] && name="fresh holder"
	[ "$phase" = attack ] && name="fresh holder, nobody attacking"
	awk -v l="$name" -v m="$(field "$tmp/record.$phase" p50)" \
		-v p="$(field "$tmp/record.$phase" p99)" -v x="$(field "$tmp/record.$phase" max)" \
		-v t="$(field "$tmp/record.$phase" time_median)" -v w="$(field "$tmp/record.$phase" storm_p50)" \
		'BEGIN { printf "%-32s %8.2f %8.2f %8.2f %14.2f %14.2f\n", l, m, p, x, t, w }'
done
echo "bindwatch summaries (records, lost): baseline $(cat "$tmp/summary.baseline"); scale $(cat "$tmp/summary.scale"); big $(cat "$tmp/summary.big" 2>/dev/null || echo -); fresh $(cat "$tmp/summary.fresh"); attack $(cat "$tmp/summary.attack")"
echo "bindwatch CPU while the first records were timed: fresh $(field "$tmp/record.fresh" cpu_pct)%, under attack $(field "$tmp/record.attack" cpu_pct)% of one CPU"

# ---- the target table's rows

table=${BENCH_TABLE:-$tmp/table}
row() {
	scripts/bench-table.sh --row "$table" "$@"
}
# times_faster KEY PHASE: ss's median over KEY's
times_faster() {
	awk -v w="$(median "$tmp/lookup.$2.$1")" -v s="$(median "$tmp/lookup.$2.ss")" \
		'BEGIN { printf "%.2f\n", s / w }'
}
# run_ratios KEY PHASE [slower]: ss's time over KEY's in each interleaved
# run (KEY's over ss's with "slower"), space-separated
run_ratios() {
	paste "$tmp/lookup.$2.$1" "$tmp/lookup.$2.ss" |
		awk -v slower="${3:-}" '{ printf "%s%.2f", (NR > 1 ? " " : ""), (slower ? $1 / $2 : $2 / $1) }'
}
# added PHASE: the first records' p50 at PHASE over the baseline's, and
# the two p50s it is the difference of
added() {
	awk -v b="$(field "$tmp/record.baseline" p50)" -v s="$(field "$tmp/record.$1" p50)" \
		'BEGIN { printf "%.2f", s - b }'
}
added_from() {
	echo "p50 $(field "$tmp/record.$1" p50) ms, baseline $(field "$tmp/record.baseline" p50) ms"
}
row "first record of a conflict, p50 ($conflicts distinct processes)" "$(field "$tmp/record.baseline" p50)" " ms" "<=" 1
row "first record of a conflict, p99 ($conflicts distinct processes)" "$(field "$tmp/record.baseline" p99)" " ms" "<=" 5
row "storm window latency, p50 (a later failure of a storm waits for --window)" \
	"$(field "$tmp/record.baseline" storm_p50)" " ms" - -
row "holder lookup added to a record at $scale" "$(added scale)" " ms" "<=" 0.5 "$(added_from scale)"
if [ -z "$big_why" ]; then
	row "holder lookup added to a record at $big_scale" "$(added big)" " ms" "<=" 0.5 "$(added_from big)"
else
	row "holder lookup added to a record at $big_scale" "n/a: $big_why" " ms" "<=" 0.5
fi
row "first record, p99, nobody holding $attack_scale and failing binds on $attack_ports ports" \
	"$(field "$tmp/record.attack" p99)" " ms" "<=" 20
row "  the same without the attack (fresh holder)" "$(field "$tmp/record.fresh" p99)" " ms" - -
row "bindwatch CPU under that attack, % of one CPU" "$(field "$tmp/record.attack" cpu_pct)" "%" "<=" 5
row "who PORT, no monitor, quiet host: times slower than ss" \
	"$(awk -v w="$(median "$tmp/lookup.baseline.who")" -v s="$ss_base" 'BEGIN { printf "%.2f", w / s }')" x "<=" 1.0 \
	"$(run_ratios who baseline slower)"
row "who PORT, no monitor, $scale: times faster than ss" "$(times_faster who scale)" x ">=" 5 \
	"$(run_ratios who scale)"
row "who PORT, monitor up, $scale: times faster than ss" "$(times_faster who_mon scale)" x ">=" 30 \
	"$(run_ratios who_mon scale)"
if [ -z "${BENCH_TABLE:-}" ]; then
	echo
	scripts/bench-table.sh "$table"
fi
if [ ${#wrong[@]} -gt 0 ]; then
	exit 1
fi
