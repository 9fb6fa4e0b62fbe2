# term_ignoring.py PORT - a stale holder that ignores SIGTERM: listens on
# 127.0.0.1:PORT, prints "ready", waits for stdin to close.
import signal
import socket
import sys

signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("ready", flush=True)
sys.stdin.read()
