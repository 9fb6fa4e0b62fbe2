# bind_flood.py PORT SECONDS PAUSE - a user's flood of conflicts: for
# SECONDS, bind() a new socket to 127.0.0.1:PORT (held by someone else)
# every PAUSE seconds; prints the number of calls that failed with
# EADDRINUSE, and exits 1 if any call did anything else.
import errno
import socket
import sys
import time

port, seconds, pause = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
failed = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            if e.errno != errno.EADDRINUSE:
                raise
            failed += 1
        else:
            sys.exit(f"bind to {port} succeeded: the port is not held")
    time.sleep(pause)
print(failed)
