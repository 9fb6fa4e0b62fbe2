# policy_swapper.py - puts two policy files over one path in turn, as fast
# as it can, each by an atomic rename(2) of a fresh hard link, until its
# stdin closes: a policy file being replaced while bindwatch reads it.
# Prints "ready" once both have been put in place.
# Usage: policy_swapper.py PATH FILE_A FILE_B
import os
import sys
import threading

path, first, second = sys.argv[1:4]
tmp = path + ".swap"
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
ready = False
while not stop.is_set():
    for src in (first, second):
        os.link(src, tmp)
        os.rename(tmp, path)
    if not ready:
        print("ready", flush=True)
        ready = True
