# shared_listener.py PORT - a listener on 127.0.0.1:PORT shared with a
# child that exec'd sleep(1), so the two hold one socket and only this one
# runs this program; prints "ready" and sleeps a minute.
import os
import socket
import sys
import time

HOLD = 60  # seconds

s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
os.set_inheritable(s.fileno(), True)
if os.fork() == 0:
    os.execv("/bin/sleep", ["sleep", str(HOLD)])
print("ready", flush=True)
time.sleep(HOLD)
