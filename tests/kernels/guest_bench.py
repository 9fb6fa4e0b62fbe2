# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# guest_bench.py KERNEL LOG - the kernel matrix's bench parser (GUEST_BENCH,
# make bench): the "bench:" lines tests/kernels/init.sh printed on the
# console log LOG of KERNEL, as one "guest-bench" line per mode and figure:
# the medians of the rounds, bindwatch against bare and against the floor,
# and every round's bindwatch / floor (under qemu TCG only the ratios mean
# anything, and those roughly).
import re
import statistics
import sys

kernel, log = sys.argv[1], sys.argv[2]
runs = {}  # (mode, config) -> {figure: {round: value}}
for line in open(log, errors="replace"):
    m = re.search(r"bench: mode=(\S+) (?:round=(\d+) )?config=(\S+) (.*)", line)
    if not m:
        continue
    mode, rnd, config, rest = m.groups()
    if rest.startswith("error="):
        print(f"guest-bench {kernel} {mode} {config}: not measured: {rest[6:].strip()}")
        continue
    for name, value in re.findall(r"(\w+) ([0-9.]+)", rest):
        rounds = runs.setdefault((mode, config), {}).setdefault(name, {})
        rounds[rnd or str(len(rounds))] = float(value)
for mode in sorted({m for m, _ in runs}):
    bare, floor, bw = (runs.get((mode, c), {}) for c in ("bare", "floor", "bindwatch"))
    for fig in ("failing_bind_ns", "cycle_ns", "storm2_same_ns", "storm2_diff_ns", "getppid_ns"):
        if not (bare.get(fig) and floor.get(fig) and bw.get(fig)):
            continue
        b, f, w = (statistics.median(x[fig].values()) for x in (bare, floor, bw))
        each = " ".join(f"{bw[fig][r] / floor[fig][r]:.2f}" for r in bw[fig] if floor[fig].get(r))
        print(f"guest-bench {kernel} {mode} {fig}: bare {b:.0f} floor {f:.0f} bindwatch {w:.0f}"
              f" ns; vs bare {w / b:.2f}x, vs floor {w / f:.2f}x (rounds: {each}) (qemu TCG)")
