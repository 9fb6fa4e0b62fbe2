# uidcycler.py - one process that acts as many users, one after the other:
# run as root, with COMM as its comm, for each uid of FIRST .. FIRST+COUNT-1
# it takes that uid as its real and effective uid (setresuid(uid, uid, 0):
# the saved uid 0 lets it come back), fails bind() with EADDRINUSE on
# 127.0.0.1:PORT FAILS times with one socket of that uid, and returns to
# root; RATE uids a second.
# It prints {"pid", "failures"} (the EADDRINUSE failures it saw) at the end.
# Usage: uidcycler.py COMM PORT FIRST COUNT FAILS RATE
import ctypes
import errno
import json
import os
import socket
import sys
import time

PR_SET_NAME = 15
ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(sys.argv[1].encode()), 0, 0, 0)
port, first, count, fails, rate = (int(a) for a in sys.argv[2:7])
failures = 0
start = time.monotonic()
for i in range(count):
    os.setresuid(first + i, first + i, 0)
    with socket.socket() as s:
        for _ in range(fails):
            try:
                s.bind(("127.0.0.1", port))
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
                failures += 1
    os.setresuid(0, 0, 0)
    time.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))
print(json.dumps({"pid": os.getpid(), "failures": failures}), flush=True)
