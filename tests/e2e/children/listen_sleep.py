# listen_sleep.py PORT - listens on 127.0.0.1:PORT for 20 s.
import socket
import sys
import time

HOLD = 20  # seconds

s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(HOLD)
