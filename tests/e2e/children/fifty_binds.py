# fifty_binds.py PORT - forks 50 processes at once, each failing bind() on
# 127.0.0.1:PORT once; prints how many failed with EADDRINUSE.
import errno
import os
import socket
import sys

PROCESSES = 50

port, pids = int(sys.argv[1]), []
for _ in range(PROCESSES):
    pid = os.fork()
    if pid == 0:
        try:
            socket.socket().bind(("127.0.0.1", port))
        except OSError as e:
            os._exit(0 if e.errno == errno.EADDRINUSE else 2)
        os._exit(1)
    pids.append(pid)
print(sum(os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 0 for p in pids))
