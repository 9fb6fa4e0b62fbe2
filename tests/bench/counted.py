# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# counted.py JSONFILE - scripts/bench.sh's record parser: prints how many
# failures bindwatch's JSON records in JSONFILE stand for (the counts of
# bindbench's conflicts, and of the suppressed and lost records); lines
# that are not JSON are skipped.
import json
import sys

total = 0
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    ev = r.get("event")
    if ev in ("suppressed", "lost"):
        total += r.get("count", 0)
    elif r.get("requester", {}).get("comm") == "bindbench":
        total += r.get("count", 0)
print(total)
