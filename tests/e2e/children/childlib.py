# childlib.py - what the Python children share (imported from their own
# directory): setting their comm, and sockets made from a JSON description
# (family, proto and the options the tests set).
import ctypes
import socket

libc = ctypes.CDLL(None, use_errno=True)
FAMILY = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}
TYPE = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}
PR_SET_NAME = 15
PR_SET_CHILD_SUBREAPER = 36
IP_FREEBIND = 15
IP_TRANSPARENT = 19


def set_comm(comm):
    if libc.prctl(PR_SET_NAME, ctypes.c_char_p(comm), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")


def set_child_subreaper():
    """Orphans of our children become ours, not init's."""
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def new_socket(op):
    s = socket.socket(FAMILY[op["family"]], TYPE[op["proto"]])
    if op.get("reuseaddr"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if op.get("reuseport"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if op.get("v6only") is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(op["v6only"]))
    if op.get("device"):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, op["device"].encode())
    if op.get("freebind"):
        s.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
    if op.get("transparent"):
        s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
    return s
