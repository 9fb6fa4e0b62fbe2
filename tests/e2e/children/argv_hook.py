#!/usr/bin/python3
# argv_hook.py [ARG...] - a rule's exec with an option parser like
# logger's: "-fFILE" reads FILE.  Writes {"argv", "read": what it read} to
# its own path + ".out" (the test runs a copy of it in a directory of its
# own).
import json
import os
import sys

read = [open(a[2:]).read() for a in sys.argv[1:] if a.startswith("-f")]
out = sys.argv[0] + ".out"
with open(out + ".tmp", "w") as f:
    json.dump({"argv": sys.argv, "read": read}, f)
os.rename(out + ".tmp", out)
