#!/usr/bin/env bash
# tests/static.sh - tests of the static binaries `make static` builds:
# ./bindwatch-static (this machine's architecture) is statically linked,
# runs, names a real holder without opening any shared object, NSS or gconv
# file (strace), and catches real conflicts and serves metrics through the
# end-to-end harness; ./bindwatch-static-arm64 (make static ARCH=arm64) is
# an aarch64 static executable whose --help and --version run under
# qemu-user.  A binary that was not built, or a tool this machine lacks,
# is a skip with the reason.  One line per test, "ok NAME", "FAIL NAME:
# reason" or "skip NAME: reason", then "static: N passed, N failed, N
# skipped"; exits 1 if any test failed.  Needs root for the monitor and
# the holder lookup; run it alone (it starts a monitor, see tests/run).
set -u
cd "$(dirname "$0")/.." || exit 1

BIN=$PWD/bindwatch-static
BIN_ARM64=$PWD/bindwatch-static-arm64
# the e2e cases run with the static binary: a capture with its holder, and
# the metrics endpoint
E2E_CASES=("tcp4_conflict[auto]" "metrics_endpoint")
VERSION_RE='^bindwatch [0-9]+\.[0-9]+\.[0-9]+$'

passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
holder_pid=""
cleanup() {
	[ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "skip $1: $2"; skipped=$((skipped + 1)); }

# $1 test name, $2 binary, $3 what `file` must say about the machine
check_static() {
	local desc
	desc=$(file -b "$2")
	if [[ $desc != *"$3"* ]]; then
		fail "$1" "file says '$desc', expected '$3'"
	elif [[ $desc != *"statically linked"* ]]; then
		fail "$1" "file says '$desc', expected 'statically linked'"
	elif ! ldd "$2" 2>&1 | grep -q 'not a dynamic executable'; then
		fail "$1" "ldd lists libraries: $(ldd "$2" 2>&1 | tr '\n' ' ')"
	else
		ok "$1"
	fi
}

# $1 test name, then the command that runs the binary
check_version() {
	local name=$1 out
	shift
	if ! out=$("$@" --version 2>&1); then
		fail "$name" "--version failed: $out"
	elif ! [[ $out =~ $VERSION_RE ]]; then
		fail "$name" "--version printed '$out', expected 'bindwatch X.Y.Z'"
	elif ! "$@" --help 2>&1 | grep -q '^Usage: bindwatch'; then
		fail "$name" "--help does not start with 'Usage: bindwatch'"
	else
		ok "$name"
	fi
}

# `who` on a port held by a real listener, under strace: it must name the
# holder, and open no shared object, NSS, gconv or locale file (what a
# static glibc binary would dlopen if src/ called getpwuid, getaddrinfo,
# iconv or setlocale).
check_no_dlopen() {
	local name=static_who_opens_no_shared_object port out opened pid
	if ! command -v strace >/dev/null; then
		skip "$name" "strace is not installed"
		return
	fi
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/port" &
	holder_pid=$!
	pid=$holder_pid
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -s "$tmp/port" ] && break
		sleep 0.2
	done
	port=$(cat "$tmp/port")
	out=$(strace -f -qq -e trace=open,openat -o "$tmp/strace" "$BIN" who "$port/tcp" 2>&1)
	kill "$holder_pid" 2>/dev/null
	wait "$holder_pid" 2>/dev/null
	holder_pid=""
	opened=$(grep -oE '"[^"]*(\.so[.0-9]*|nsswitch\.conf|gconv[^"]*|locale[^"]*)"' "$tmp/strace" | sort -u | tr '\n' ' ')
	if [[ $out != *"127.0.0.1:$port python3[$pid]"* ]]; then
		fail "$name" "who $port/tcp did not name the python3 listener: $out"
	elif [ -n "$opened" ]; then
		fail "$name" "opened at run time: $opened"
	else
		ok "$name"
	fi
}

if [ -x "$BIN" ]; then
	case $(uname -m) in
	x86_64) machine=x86-64 ;;
	aarch64) machine="ARM aarch64" ;;
	*) machine=$(uname -m) ;;
	esac
	check_static static_is_static "$BIN" "$machine"
	check_version static_runs "$BIN"
	check_no_dlopen
	BINDWATCH=$BIN /usr/bin/python3 tests/e2e/run.py "${E2E_CASES[@]}" </dev/null >"$tmp/e2e" 2>&1
	sed 's/^/  /' "$tmp/e2e"
	if grep -qx "e2e: ${#E2E_CASES[@]} passed, 0 failed, 0 skipped" "$tmp/e2e"; then
		ok static_e2e_conflict_and_metrics
	else
		fail static_e2e_conflict_and_metrics "expected ${#E2E_CASES[@]} e2e cases to pass: $(tail -n 1 "$tmp/e2e")"
	fi
else
	for t in static_is_static static_runs static_who_opens_no_shared_object static_e2e_conflict_and_metrics; do
		skip "$t" "$BIN not built (make static)"
	done
fi

if [ ! -x "$BIN_ARM64" ]; then
	skip static_arm64_is_static "$BIN_ARM64 not built (make static ARCH=arm64)"
	skip static_arm64_runs_under_qemu "$BIN_ARM64 not built (make static ARCH=arm64)"
else
	check_static static_arm64_is_static "$BIN_ARM64" "ARM aarch64"
	if [ "$(uname -m)" = aarch64 ]; then
		check_version static_arm64_runs_under_qemu "$BIN_ARM64"
	elif command -v qemu-aarch64-static >/dev/null; then
		check_version static_arm64_runs_under_qemu qemu-aarch64-static "$BIN_ARM64"
	else
		skip static_arm64_runs_under_qemu "qemu-aarch64-static is not installed (package qemu-user-static)"
	fi
fi

echo "static: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
