# test_records.py - end-to-end tests of what a record says of where a call
# was made: the network namespace's name (requester.netns_name in JSON,
# netns=NAME in text) for a namespace `ip netns add` named, nothing for the
# host's own, and nothing for a namespace only a user made, even one an
# entry of /run/netns links to.
import os
import shutil
import subprocess

import pytest

from harness import NOBODY, Holder, Requester, check, eq, for_port, free_port, hold, socket_spec

BACKLOG = 8


def netns_conflict(bw, ns, text=False):
    """A listener and a requester in ns: the requester's bind() fails; its
    record (JSON) or line (text), and the port."""
    with Holder(socket_spec(listen=BACKLOG), prefix=ns.exec_prefix()) as holder, \
            Requester(prefix=ns.exec_prefix()) as req:
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                 port=holder.port)
        return wait(bw, req, holder.port, text), holder.port


def wait(bw, req, port, text):
    """bw's record (or, text, its line) of req's conflict on port."""
    if not text:
        return bw.wait_record(lambda r: for_port(port)(r) and r["requester"]["pid"] == req.pid)
    return bw.wait_line(lambda l: f":{port} by ".encode() in l
                        and f"[{req.pid}]".encode() in l).decode()


def host_conflict(bw, text=False):
    sock, port = hold("ipv4", "tcp", "127.0.0.1")
    with sock, Requester() as req:
        req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1",
                 port=port)
        return wait(bw, req, port, text)


def test_records_netns_named_json(netns, monitor):
    """A conflict in a namespace `ip netns add` made says its name in
    requester.netns_name, next to its inode; a host conflict says null."""
    bw = monitor()
    rec, _ = netns_conflict(bw, netns)
    eq(rec["requester"]["netns"], netns.inode, "requester.netns")
    eq(rec["requester"]["netns_name"], netns.name, "requester.netns_name")
    host = host_conflict(bw)
    rc, stderr = bw.stop()
    eq(rc, 0, f"bindwatch exit code (stderr {stderr[-2000:]!r})")
    eq(host["requester"]["netns"], os.stat("/proc/self/ns/net").st_ino, "host's requester.netns")
    check("netns_name" in host["requester"], f"no netns_name key: {host['requester']!r}")
    eq(host["requester"]["netns_name"], None, "host's requester.netns_name")


def test_records_netns_named_text(netns, monitor):
    """Text: netns=NAME for a named namespace; no netns= at all for the host."""
    bw = monitor(json_output=False)
    line, _ = netns_conflict(bw, netns, text=True)
    check(f" netns={netns.name} " in line, f"no netns={netns.name} in {line!r}")
    host = host_conflict(bw, text=True)
    check("netns=" not in host, f"a host conflict names a namespace: {host!r}")


def unshare():
    path = shutil.which("unshare")
    if not path:
        pytest.skip("unshare (util-linux) is not installed")
    probe = subprocess.run([*NOBODY, path, "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"unprivileged user namespaces unavailable: {probe.stderr.decode().strip()}")
    return path


def test_records_netns_user_made_unnamed(netns, monitor, make_requester):
    """nobody makes its own network namespace (unshare -rn) and a conflict
    in it (two SO_REUSEADDR sockets, the second listen() fails).  Nobody
    can name it: null and no netns=, even when an entry of /run/netns is a
    symbolic link to it (as root might leave one): links are not followed,
    while the named namespace made at the same time is still named."""
    path = unshare()
    bw, req = monitor(), make_requester(prefix=(*NOBODY, path, "-rn"))
    # answered: unshare has exec'd the requester in its namespace
    req.call(None, op="bind", family="ipv4", proto="tcp", addr="0.0.0.0", port=0)
    ino = os.stat(f"/proc/{req.pid}/ns/net").st_ino
    check(ino != os.stat("/proc/self/ns/net").st_ino, "unshare -rn made no namespace")
    link = f"/run/netns/{netns.name}-link"
    os.symlink(f"/proc/{req.pid}/ns/net", link)
    try:
        port = free_port()
        req.call("EADDRINUSE", op="listen", family="ipv4", proto="tcp", addr="0.0.0.0",
                 port=port, reuseaddr=True)
        rec = bw.wait_record(lambda r: for_port(port)(r) and r["requester"]["pid"] == req.pid)
        named, _ = netns_conflict(bw, netns)
    finally:
        os.unlink(link)
    eq(rec["requester"]["netns"], ino, "requester.netns of nobody's namespace")
    eq(rec["requester"]["uid"], 65534, "requester.uid")
    eq(rec["requester"]["netns_name"], None, "requester.netns_name of nobody's namespace")
    eq(named["requester"]["netns_name"], netns.name, "requester.netns_name of the named one")
