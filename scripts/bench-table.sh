#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The target table that scripts/bench.sh and scripts/bench-who.sh fill:
# one "figure<TAB>value<TAB>target<TAB>ok|over" line per row in FILE, the
# verdict worked out here so both scripts judge alike.  It reports; it
# never fails on a verdict.
#
#   scripts/bench-table.sh FILE
#       print the table, aligned, under a header
#   scripts/bench-table.sh --row FILE FIGURE VALUE UNIT OP LIMIT
#       add a row: VALUE against LIMIT, OP is <= or >=, or - for a figure
#       shown for context, with no target; an empty VALUE is "not measured"
set -eu

usage() {
	echo "usage: $0 FILE | --row FILE FIGURE VALUE UNIT OP LIMIT" >&2
	exit 2
}

if [ "${1:-}" = --row ]; then
	[ $# -eq 7 ] || usage
	case $6 in "<=" | ">=" | -) ;; *) usage ;; esac
	awk -v f="$3" -v v="$4" -v u="$5" -v op="$6" -v l="$7" 'BEGIN {
		if (v == "") { printf "%s\tnot measured\t%s %s%s\t-\n", f, op, l, u; exit }
		if (op == "-") { printf "%s\t%s%s\tnone\tcontext\n", f, v, u; exit }
		ok = op == "<=" ? v + 0 <= l + 0 : v + 0 >= l + 0
		printf "%s\t%s%s\t%s %s%s\t%s\n", f, v, u, op, l, u, ok ? "ok" : "over" }' >>"$2"
	exit 0
fi
[ $# -eq 1 ] || usage
[ -r "$1" ] || { echo "bench-table: cannot read '$1'" >&2; exit 1; }
echo "target table (ratios of wall time per call; take final numbers on a quiet machine)"
awk -F'\t' '
	{ f[NR] = $1; v[NR] = $2; t[NR] = $3; r[NR] = $4; if (length($1) > w) w = length($1) }
	END {
		printf "%-*s %14s %12s  %s\n", w, "figure", "value", "target", "verdict"
		for (i = 1; i <= NR; i++) printf "%-*s %14s %12s  %s\n", w, f[i], v[i], t[i], r[i]
	}' "$1"
