# compare_records.py - are two captured e2e runs the same records, minus
# what changes from run to run (times, pids, ports, counts, random names)?
#
# Usage: BW_E2E_CAPTURE=A python3 -m pytest tests/e2e; (change the code);
#        BW_E2E_CAPTURE=B python3 -m pytest tests/e2e;
#        python3 tests/e2e/compare_records.py A B [NOISE]
#
# Each stdout line is normalized: every run of digits becomes N and every
# random token the harness makes (bwreq-XXXXXXXX, --bw-marker=..., ...)
# becomes X; JSON lines keep their key order, so a reordered or renamed key
# shows.  Lines are compared per capture file as sorted lists (the order of
# records from two threads is not fixed).  With NOISE, a third capture of
# the same code as A, files that differ between A and NOISE are reported
# as noise (timing-dependent: storms, races) and not counted.
# Prints one line per differing file and "N same, N differ, N noise".
import os
import re
import sys

TOKEN_RE = re.compile(r"(bwreq-|bwhold-|bwt-|bwtest-|bw-marker=|bwpol-)[0-9a-f]+")
DIGITS_RE = re.compile(r"[0-9]+")


def normalize(line):
    line = TOKEN_RE.sub(lambda m: m.group(1) + "X", line)
    return DIGITS_RE.sub("N", line)


def load(directory):
    runs = {}
    for name in os.listdir(directory):
        with open(os.path.join(directory, name), "rb") as f:
            text = f.read().decode("utf-8", "replace")
        runs[name] = sorted(normalize(line) for line in text.splitlines())
    return runs


def main(a_dir, b_dir, noise_dir=None):
    a, b = load(a_dir), load(b_dir)
    noise = load(noise_dir) if noise_dir else {}
    same = differ = noisy = 0
    for name in sorted(set(a) | set(b)):
        if a.get(name) == b.get(name):
            same += 1
            continue
        if noise_dir and noise.get(name) != a.get(name):
            noisy += 1
            continue
        differ += 1
        only_a = sorted(set(a.get(name, [])) - set(b.get(name, [])))
        only_b = sorted(set(b.get(name, [])) - set(a.get(name, [])))
        print(f"differ {name}: only before {only_a[:3]!r}; only after {only_b[:3]!r}")
    print(f"{same} same, {differ} differ, {noisy} noise")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
