# rule_hook.py OUT [ARG...] - a policy rule's exec: writes its arguments
# after OUT, its stdin and its BINDWATCH_* variables to OUT.PID.json.
import json
import os
import sys

out = sys.argv[1]
env = {k: v for k, v in os.environ.items() if k.startswith("BINDWATCH_")}
with open(f"{out}.{os.getpid()}.json", "w") as f:
    json.dump({"argv": sys.argv[2:], "record": sys.stdin.read(), "env": env}, f)
