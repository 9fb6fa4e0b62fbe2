# fifo_reader.py PATH - opens the FIFO at PATH for reading (without
# waiting for a writer), prints "open", and once stdin closes prints how
# many bytes it could read from it.
import os
import sys

fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
print("open", flush=True)
sys.stdin.read()
print(len(os.read(fd, 65536)))
