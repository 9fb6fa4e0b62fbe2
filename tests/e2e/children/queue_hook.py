# queue_hook.py OUT - a slow alert hook: notes the requester's uid and the
# port of the record on its stdin as the file OUT/UID.PORT.PID, then sleeps
# 2 s.
import json
import os
import sys
import time

SLOW = 2  # seconds

rec = json.load(sys.stdin)
name = f"{rec['requester']['uid']}.{rec['port']}.{os.getpid()}"
open(os.path.join(sys.argv[1], name), "w").close()
time.sleep(SLOW)
