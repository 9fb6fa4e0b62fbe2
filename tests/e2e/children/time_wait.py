# time_wait.py REUSE - makes a port on 127.0.0.1 that only a TIME_WAIT
# socket holds, in this process's namespace, and prints it: the server side
# of a loopback connection closes first, so the socket in TIME_WAIT is the
# one on the listener's port.  REUSE "1": the listener (and so the
# TIME_WAIT socket) sets SO_REUSEADDR.
import socket
import sys
import time

TCP_TIME_WAIT = "06"  # the state's number in /proc/net/tcp
CLOSE_TIMEOUT = 20    # seconds to wait for the server's FIN

reuse = sys.argv[1] == "1"
with socket.socket() as listener:
    if reuse:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port)) as client:
        conn, _ = listener.accept()
        conn.close()  # active close: the server's end goes to TIME_WAIT
        client.settimeout(CLOSE_TIMEOUT)
        assert client.recv(1) == b""
local = "0100007F:%04X" % port
while True:
    with open("/proc/net/tcp") as f:
        states = [l.split()[3] for l in f.readlines()[1:] if l.split()[1] == local]
    if states == [TCP_TIME_WAIT]:  # alone
        break
    time.sleep(0.01)
print(port)
