# test_workloads.py - records name the container or pod on both sides of a
# conflict, with real runtimes (runtimes.py): a port a podman or Docker
# container publishes is held by the runtime's proxy (conmon,
# docker-proxy), named as the container it forwards to; a process inside a
# podman or Docker container, or in a containerd task carrying the CRI's
# annotations, that fails to bind is named with its container or pod; and
# bindwatch who says the same.  A process that merely calls itself conmon
# is not believed.  Each test looks at its own ports only.
import json
import os
import secrets
import uuid

from harness import (NOBODY, bindwatch_argv, check, eq, fail, for_port, free_port,
                     run_to_exit, socket_spec)
import runtimes

CONTAINER_PORT = 80  # what the containers serve on, inside


def workload(runtime, cid, name, image, source, container_port=None, pod=None):
    """The record's workload object for these (doc/records.md)."""
    return {"runtime": runtime, "id": cid, "name": name, "image": image, "pod": pod,
            "source": source, "container_port": container_port}


def check_workload(actual, expected, where):
    check(isinstance(actual, dict), f"{where}.workload is not an object: {actual!r}")
    for key, value in expected.items():
        eq(actual.get(key, "(missing)"), value, f"{where}.workload.{key}")


def holder_by_pid(rec, pid):
    """The record's holder that is process pid; fails when none is."""
    for h in rec.get("holders") or []:
        if h.get("pid") == pid:
            return h
    fail(f"no holder with pid {pid} in {rec.get('holders')!r}")


def listener_pid(port):
    """The pid of the process listening on 127.0.0.1:port (ss), the proxy."""
    rc, out, err = run_to_exit(["ss", "-Htlnp", f"sport = :{port}"])
    check(rc == 0, f"ss: {err}")
    for line in out.splitlines():
        if f"127.0.0.1:{port} " in line and "pid=" in line:
            return int(line.split("pid=", 1)[1].split(",", 1)[0])
    fail(f"nothing listens on 127.0.0.1:{port}: {out!r}")


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def conflict_on(bw, make_requester, port):
    """A requester on the host binds 127.0.0.1:port and fails: the record."""
    req = make_requester()
    req.call("EADDRINUSE", op="bind", family="ipv4", proto="tcp", addr="127.0.0.1", port=port)
    return bw.wait_record(for_port(port))


# ---------------------------------------------------------------- podman

def published_by_podman(podman):
    """A podman container publishing 127.0.0.1:P:80: (port, name, id, conmon's pid)."""
    port, name = free_port(), runtimes.unique("bw-web")
    cid = podman.run(name, runtimes.serve(CONTAINER_PORT), "-p",
                     f"127.0.0.1:{port}:{CONTAINER_PORT}")
    pid = listener_pid(port)
    eq(comm(pid), "conmon", f"comm of the process holding podman's published port {port}")
    return port, name, cid, pid


def test_workload_podman_published_holder(podman, monitor, make_requester):
    port, name, cid, conmon = published_by_podman(podman)
    bw = monitor(env=podman.env())
    rec = conflict_on(bw, make_requester, port)
    h = holder_by_pid(rec, conmon)
    eq(h["comm"], "conmon", "holder comm")
    check_workload(h.get("workload"), workload("podman", cid, name,
                                               podman.inspect(name)["ImageName"], "proxy",
                                               CONTAINER_PORT), "holder")
    eq(rec["requester"].get("workload", "(missing)"), None, "requester.workload (on the host)")


def test_workload_podman_requester(podman, monitor, held_port):
    port = held_port("ipv4", "tcp", "127.0.0.1")
    bw = monitor(env=podman.env())
    name = runtimes.unique("bw-job")
    cid = podman.run(name, runtimes.fail_bind_then_sleep(port), "--network", "host")
    rec = bw.wait_record(for_port(port))
    check_workload(rec["requester"].get("workload"),
                   workload("podman", cid, name, podman.inspect(name)["ImageName"], "cgroup"),
                   "requester")
    h = holder_by_pid(rec, os.getpid())
    eq(h.get("workload", "(missing)"), None, "holder.workload (the test, on the host)")


def test_workload_who_podman(podman):
    port, name, cid, conmon = published_by_podman(podman)
    rc, out, err = run_to_exit(bindwatch_argv("who", f"{port}/tcp", "--json"), env=podman.env())
    eq(rc, 0, f"exit code of bindwatch who {port}/tcp --json (stderr {err!r})")
    holders = [h for h in json.loads(out)["holders"] if h["addr"] == "127.0.0.1"]
    check(holders, f"who {port}: no holder on 127.0.0.1: {out!r}")
    h = next((h for h in holders if h.get("pid") == conmon), None)
    check(h is not None, f"who {port}: conmon {conmon} not among {holders!r}")
    check_workload(h.get("workload"), workload("podman", cid, name,
                                               podman.inspect(name)["ImageName"], "proxy",
                                               CONTAINER_PORT), "who holder")
    rc, out, err = run_to_exit(bindwatch_argv("who", f"{port}/tcp"), env=podman.env())
    eq(rc, 0, f"exit code of bindwatch who {port}/tcp (stderr {err!r})")
    check(f"container {name}" in out, f"who {port} does not name container {name}: {out!r}")


def test_workload_fake_conmon(podman, monitor, make_requester, make_holder):
    """A local user's process named conmon, claiming a real container's id
    and name in its argv, is named as itself, not as that container."""
    _, name, cid, _ = published_by_podman(podman)
    fake = make_holder(socket_spec(listen=8), comm="conmon", prefix=NOBODY,
                       args=("--api-version", "1", "-c", cid, "-u", cid, "-n", name))
    bw = monitor(env=podman.env())
    rec = conflict_on(bw, make_requester, fake.port)
    h = holder_by_pid(rec, fake.pid)
    eq(h["comm"], "conmon", "the fake holder's comm")
    eq(h.get("workload", "(missing)"), None, "workload of a user's process calling itself conmon")


# ---------------------------------------------------------------- Docker

def test_workload_docker_published_holder(dockerd, monitor, make_requester):
    port, name = free_port(), runtimes.unique("bw-web")
    cid = dockerd.run(name, runtimes.serve(CONTAINER_PORT), "-p",
                      f"127.0.0.1:{port}:{CONTAINER_PORT}")
    proxy = listener_pid(port)
    eq(comm(proxy), "docker-proxy", f"comm of the process holding Docker's published port {port}")
    bw = monitor(env=dockerd.env())
    rec = conflict_on(bw, make_requester, port)
    h = holder_by_pid(rec, proxy)
    check_workload(h.get("workload"), workload("docker", cid, name,
                                               dockerd.inspect(name)["Config"]["Image"], "proxy",
                                               CONTAINER_PORT), "holder")


def test_workload_docker_requester(dockerd, monitor, held_port):
    port = held_port("ipv4", "tcp", "127.0.0.1")
    bw = monitor(env=dockerd.env())
    name = runtimes.unique("bw-job")
    cid = dockerd.run(name, runtimes.fail_bind_then_sleep(port), "--network", "host")
    rec = bw.wait_record(for_port(port))
    check_workload(rec["requester"].get("workload"),
                   workload("docker", cid, name, dockerd.inspect(name)["Config"]["Image"],
                            "cgroup"), "requester")


# ---------------------------------------------------------------- containerd

def test_workload_containerd_pod_requester(containerd, monitor, held_port):
    port = held_port("ipv4", "tcp", "127.0.0.1")
    pod = {"name": f"web-{secrets.token_hex(4)}", "namespace": "default",
           "uid": str(uuid.uuid4()), "container": "nginx", "image": "docker.io/library/nginx:1.25"}
    bw = monitor(env=containerd.env())
    cid = containerd.run_pod_container(pod, runtimes.fail_bind_then_sleep(port))
    rec = bw.wait_record(for_port(port))
    w = rec["requester"].get("workload")
    check_workload(w, {"runtime": "containerd", "id": cid, "source": "cgroup",
                       "container_port": None}, "requester")
    eq(w.get("pod"), {"name": pod["name"], "namespace": pod["namespace"], "uid": pod["uid"],
                      "container": pod["container"]}, "requester.workload.pod")
