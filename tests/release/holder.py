# holder.py PORT - the holder of test_release.py's conflict: listens on
# 127.0.0.1:PORT, prints "held", and stays for ten minutes (the test kills it).
import socket
import sys
import time

HOLD = 600  # seconds

s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("held", flush=True)
time.sleep(HOLD)
