# incident_hook.py OUT TAG - an alert hook: writes its stdin (the record)
# and its BINDWATCH_* variables to OUT/TAG.UID.PORT.PID.json, UID and PORT
# the requester's and the conflict's (written under another name, then
# renamed: a reader never sees half of it).
import json
import os
import sys

out, tag = sys.argv[1], sys.argv[2]
record = sys.stdin.read()
rec = json.loads(record)
env = {k: v for k, v in os.environ.items() if k.startswith("BINDWATCH_")}
name = f"{tag}.{rec['requester']['uid']}.{rec['port']}.{os.getpid()}.json"
with open(os.path.join(out, name + ".tmp"), "w") as f:
    json.dump({"record": rec, "env": env}, f)
os.rename(os.path.join(out, name + ".tmp"), os.path.join(out, name))
