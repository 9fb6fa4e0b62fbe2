# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bind_attacker.py PORTS - the attacker of scripts/bench-who.sh (run as
# nobody): binds PORTS listeners on 127.0.0.1, says "attacking", then
# fails a bind on each of them, round after round, 10 ms between rounds,
# until killed.
import socket
import sys
import time

PAUSE = 0.01  # seconds between rounds

held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    held.append(s.getsockname()[1])
print("attacking", flush=True)
while True:
    for port in held:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            pass
        s.close()
    time.sleep(PAUSE)
