# drop_after_bind.py - a server started as root that changes users after it
# has its socket, as nginx starts its workers: it listens on 127.0.0.1:0 as
# root, then calls setresuid(RUID, EUID, SUID) (argv 1-3) and keeps the
# socket; prints "ready PORT" and waits for stdin to close.
# Usage: python3 drop_after_bind.py RUID EUID SUID
import os
import socket
import sys

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
os.setgroups([])
os.setresuid(*map(int, sys.argv[1:4]))
print("ready", s.getsockname()[1], flush=True)
sys.stdin.read()
