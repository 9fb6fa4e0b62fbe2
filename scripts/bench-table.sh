#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Print the target table that scripts/bench.sh and scripts/bench-who.sh
# filled: one "figure<TAB>value<TAB>target<TAB>ok|over" line per row,
# aligned under a header.  It reports; it never fails on a verdict.
#
#   scripts/bench-table.sh FILE
set -eu

[ $# -eq 1 ] || { echo "usage: $0 FILE" >&2; exit 2; }
[ -r "$1" ] || { echo "bench-table: cannot read '$1'" >&2; exit 1; }
echo "target table (ratios of wall time per call; take final numbers on a quiet machine)"
awk -F'\t' '
	{ f[NR] = $1; v[NR] = $2; t[NR] = $3; r[NR] = $4; if (length($1) > w) w = length($1) }
	END {
		printf "%-*s %14s %12s  %s\n", w, "figure", "value", "target", "verdict"
		for (i = 1; i <= NR; i++) printf "%-*s %14s %12s  %s\n", w, f[i], v[i], t[i], r[i]
	}' "$1"
