# world_writable.py PATH - creates PATH with mode 0666 (umask 0) holding "x".
import os
import sys

os.umask(0)
with open(sys.argv[1], "w") as f:
    f.write("x")
