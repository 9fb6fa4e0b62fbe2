# hook_record.py OUT SLEEP - an --exec hook: writes its pid, its stdin (the
# record) and its BINDWATCH_* variables to OUT.PID.json, then sleeps SLEEP
# seconds.
import json
import os
import sys
import time

out, sleep = sys.argv[1], float(sys.argv[2])
record = sys.stdin.read()
env = {k: v for k, v in os.environ.items() if k.startswith("BINDWATCH_")}
with open(f"{out}.{os.getpid()}.json", "w") as f:
    json.dump({"pid": os.getpid(), "record": record, "env": env}, f)
time.sleep(sleep)
