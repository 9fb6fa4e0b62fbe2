# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# port_holder.py - the port whose holder scripts/bench-who.sh asks for: a
# listener on 127.0.0.1 (a free port); prints "PID PORT" and waits until
# SIGTERM.
import os
import signal
import socket
import sys

BACKLOG = 16

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(BACKLOG)
print(os.getpid(), s.getsockname()[1], flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    signal.pause()
