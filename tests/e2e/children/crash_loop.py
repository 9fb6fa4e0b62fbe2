# crash_loop.py PORT ATTEMPTS PAUSE_MS - a supervisor restarting a service
# that cannot get its port: ATTEMPTS times a new process (bind_once.py)
# tries to bind 127.0.0.1:PORT, PAUSE_MS apart, each printing "failed N"
# once it failed with EADDRINUSE; then, at a line on stdin, one more
# attempt, printing "bound" or "failed".
import os
import subprocess
import sys
import time

port, attempts, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) / 1000
attempt = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bind_once.py"),
           port, "127.0.0.1"]
for n in range(1, attempts + 1):
    rc = subprocess.run(attempt).returncode
    if rc != 0:
        sys.exit(f"attempt {n}: exit status {rc}, not EADDRINUSE")
    print(f"failed {n}", flush=True)
    time.sleep(pause)
sys.stdin.readline()
print("bound" if subprocess.run(attempt).returncode == 1 else "failed", flush=True)
