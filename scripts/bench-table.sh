#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The target table that scripts/bench.sh and scripts/bench-who.sh fill:
# one "figure<TAB>value<TAB>target<TAB>verdict<TAB>rounds" line per row in
# FILE, the verdict worked out here so both scripts judge alike, and
# "#note" lines (the binary measured, the machine) printed under the
# header.  It reports; it never fails on a verdict.
#
#   scripts/bench-table.sh FILE
#       print the table, aligned, under a header
#   scripts/bench-table.sh --row FILE FIGURE VALUE UNIT OP LIMIT [ROUNDS]
#       add a row: VALUE against LIMIT, OP is <= or >=, or - for a figure
#       shown for context, with no target; an empty VALUE is "not
#       measured", a VALUE "n/a: REASON" a figure this kernel or binary
#       cannot give.  ROUNDS, when given, is every round's value (the
#       spread VALUE was taken from), shown beside it.
#   scripts/bench-table.sh --note FILE TEXT
#       add a note line
set -eu

usage() {
	echo "usage: $0 FILE | --row FILE FIGURE VALUE UNIT OP LIMIT [ROUNDS] | --note FILE TEXT" >&2
	exit 2
}

if [ "${1:-}" = --note ]; then
	[ $# -eq 3 ] || usage
	printf '#%s\n' "$3" >>"$2"
	exit 0
fi
if [ "${1:-}" = --row ]; then
	[ $# -eq 7 ] || [ $# -eq 8 ] || usage
	case $6 in "<=" | ">=" | -) ;; *) usage ;; esac
	awk -v f="$3" -v v="$4" -v u="$5" -v op="$6" -v l="$7" -v r="${8:-}" 'BEGIN {
		if (v == "") { printf "%s\tnot measured\t%s %s%s\t-\t%s\n", f, op, l, u, r; exit }
		if (v ~ /^n\/a/) { printf "%s\tn/a\t%s\t%s\t%s\n", f, op == "-" ? "none" : op " " l u, v, r; exit }
		if (op == "-") { printf "%s\t%s%s\tnone\tcontext\t%s\n", f, v, u, r; exit }
		ok = op == "<=" ? v + 0 <= l + 0 : v + 0 >= l + 0
		printf "%s\t%s%s\t%s %s%s\t%s\t%s\n", f, v, u, op, l, u, ok ? "ok" : "over", r }' >>"$2"
	exit 0
fi
[ $# -eq 1 ] || usage
[ -r "$1" ] || { echo "bench-table: cannot read '$1'" >&2; exit 1; }
echo "target table (ratios of wall time per call; take final numbers on a quiet machine)"
awk -F'\t' '
	/^#/ { print "  " substr($0, 2); next }
	{ n++; f[n] = $1; v[n] = $2; t[n] = $3; r[n] = $4; s[n] = $5
	  if (length($1) > w) w = length($1) }
	END {
		printf "%-*s %14s %12s  %-8s %s\n", w, "figure", "value", "target", "verdict", "every round (or run)"
		for (i = 1; i <= n; i++)
			printf "%-*s %14s %12s  %-8s %s\n", w, f[i], v[i], t[i], r[i], s[i]
	}' "$1"
