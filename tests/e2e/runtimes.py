# runtimes.py - real container runtimes for the workload tests: the host's
# podman, and a dockerd and a containerd each started by the test with
# directories of its own, each running images made offline around Debian's
# static busybox (no registry).  A runtime that cannot start here skips the
# test, saying why; none is mocked.  What a runtime started is removed when
# the test ends: its containers, then (for the daemons) the daemon, its
# bridge and its directories.  Only processes started here are stopped.
#
# A daemon's directories are where the host's daemon has them (its data
# root at /var/lib/docker, its state at /run/containerd), but below a
# temporary directory of the test's; env() points the monitor's workload
# lookup there (wl_file.h's BINDWATCH_TEST_WORKLOAD_ROOT stands for "/").
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time

import pytest

from harness import EXIT_TIMEOUT, check, fail, run_to_exit, terminate

BUSYBOX = "/bin/busybox"  # Debian's busybox-static: runs with no library beside it
BUSYBOX_IN = "/bin/busybox"  # where the images have it
DAEMON_START_TIMEOUT = 60  # seconds for a daemon to answer on its socket
POLL_S = 0.2

# Where root cannot raise resource limits (no CAP_SYS_RESOURCE) and cgroups
# are hybrid, podman runs containers only with runc and limits below the
# host's (as tests/release/test_release.py found).
PODMAN_RUN_OPTS = ("--runtime", "runc", "--ulimit", "nofile=4096:4096",
                   "--ulimit", "nproc=4096:4096")

# The directory the monitor's workload lookup takes for "/" (wl_file.h).
WORKLOAD_ROOT_ENV = "BINDWATCH_TEST_WORKLOAD_ROOT"
DOCKER_DATA_ROOT = "var/lib/docker"         # below it: dockerd's --data-root
CONTAINERD_ROOT = "var/lib/containerd"      # containerd's --root
CONTAINERD_STATE = "run/containerd"         # containerd's --state

# What Kubernetes' CRI (containerd's cri plugin) writes into a container's
# OCI bundle, as the test's pod has them.
CRI_ANNOTATIONS = ("io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-name",
                   "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-uid",
                   "io.kubernetes.cri.container-name", "io.kubernetes.cri.image-name")


def unique(prefix):
    """A name no other test's container has: prefix and 8 hex digits."""
    return f"{prefix}-{secrets.token_hex(4)}"


def require(tool):
    """The path of tool, or skip: scripts/install-deps.sh installs them."""
    path = shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if not path:
        pytest.skip(f"{tool} is not installed (scripts/install-deps.sh installs it)")
    return path


def busybox_rootfs(directory):
    """A root file system holding the static busybox alone, in directory."""
    if not os.access(BUSYBOX, os.X_OK):
        pytest.skip(f"no {BUSYBOX} (Debian's busybox-static; scripts/install-deps.sh)")
    os.makedirs(os.path.join(directory, "bin"), exist_ok=True)
    shutil.copy(BUSYBOX, os.path.join(directory, BUSYBOX_IN.lstrip("/")))
    return directory


def busybox_tarball(directory):
    """busybox_rootfs() as a tarball in directory, for podman and docker import."""
    root = busybox_rootfs(os.path.join(directory, "rootfs"))
    tar = os.path.join(directory, "busybox.tar")
    rc, _, err = run_to_exit(["tar", "-C", root, "-cf", tar, "."])
    check(rc == 0, f"tar of the busybox rootfs: {err}")
    return tar


def sh(script):
    """argv running script with the image's busybox sh (the image has no
    applet links: every command in script names /bin/busybox)."""
    return [BUSYBOX_IN, "sh", "-c", script]


def fail_bind_then_sleep(port):
    """argv: busybox httpd binds 127.0.0.1:port (and fails, the test holding
    it), then the process sleeps, so that it is still there, in its
    container's cgroup, when the monitor reads it."""
    return sh(f"{BUSYBOX_IN} httpd -f -p 127.0.0.1:{port}; exec {BUSYBOX_IN} sleep 600")


def serve(port):
    """argv: a busybox httpd serving on port in the container."""
    return [BUSYBOX_IN, "httpd", "-f", "-p", str(port)]


def wait_for(pid_alive, ready, what, log=None):
    """Poll ready() until it is true; skip when pid_alive() turns false
    first (the daemon exited: it cannot run here), fail at the timeout."""
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    while not ready():
        if not pid_alive():
            tail = ""
            if log and os.path.exists(log):
                with open(log, errors="replace") as f:
                    tail = " ".join(f.read().splitlines()[-3:])
            pytest.skip(f"{what} exited at start: {tail}")
        if time.monotonic() > deadline:
            fail(f"{what} not ready after {DAEMON_START_TIMEOUT}s")
        time.sleep(POLL_S)


def remove_tree(directory):
    """rm -rf of a daemon's directory, after unmounting what it left mounted
    there (its network namespaces' bind mounts, a task's rootfs)."""
    with open("/proc/self/mounts") as f:
        mounts = [line.split()[1] for line in f]
    for m in sorted((m for m in mounts if m.startswith(directory + "/")), reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)


def cgroup_roots():
    """Every cgroup hierarchy mounted: cgroup v2 and, on hybrid hosts, the v1 controllers."""
    with open("/proc/self/mounts") as f:
        return [line.split()[1] for line in f if line.split()[2] in ("cgroup", "cgroup2")]


def missing_cgroups(path):
    """The cgroups from path (relative to a hierarchy's root) up that no
    hierarchy has yet, deepest first: those a task run at path makes."""
    roots, missing = cgroup_roots(), []
    while path not in ("", "/"):
        if not any(os.path.isdir(root + path) for root in roots):
            missing.append(path)
        path = os.path.dirname(path)
    return missing


def remove_cgroups(paths):
    """rmdir of cgroups (paths relative to a hierarchy's root, deepest
    first) in every hierarchy; a cgroup still in use stays."""
    for root in cgroup_roots():
        for path in paths:
            try:
                os.rmdir(root + path)
            except OSError:
                pass


class Runtime:
    """What every runtime here shares: a context manager that closes what
    it started."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def env(self):
        """The monitor's environment: this one's, plus what points the lookup here."""
        return dict(os.environ)


# ---------------------------------------------------------------- podman

class Podman(Runtime):
    """The host's podman (rootful, its own storage), an image localhost/bw-e2e-busybox-XXXX."""

    def __init__(self):
        self.podman = require("podman")
        require("runc")
        self.tmp = tempfile.mkdtemp(prefix="bw-podman-")
        self.containers = []
        self.image = f"localhost/{unique('bw-e2e-busybox')}:latest"
        rc, _, err = run_to_exit([self.podman, "import", "--change",
                                  f'CMD ["{BUSYBOX_IN}", "sleep", "600"]',
                                  busybox_tarball(self.tmp), self.image], timeout=120)
        if rc != 0:
            self.close()
            pytest.skip(f"podman import cannot make an image here: {err.strip()}")

    def run(self, name, argv, *opts):
        """podman run -d --name name [opts] IMAGE argv: the container's id;
        skips when podman cannot run a container here."""
        rc, out, err = run_to_exit([self.podman, "run", "-d", "--name", name, *PODMAN_RUN_OPTS,
                                    *opts, self.image, *argv], timeout=120)
        if rc != 0:
            pytest.skip(f"podman cannot run a container here: {err.strip()}")
        self.containers.append(name)
        return out.strip()

    def inspect(self, name):
        rc, out, err = run_to_exit([self.podman, "inspect", name])
        check(rc == 0, f"podman inspect {name}: {err}")
        return json.loads(out)[0]

    def close(self):
        for name in self.containers:
            run_to_exit([self.podman, "rm", "-f", "-t", "0", name], timeout=120)
        run_to_exit([self.podman, "rmi", "-f", self.image], timeout=120)
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------- dockerd

# The test's dockerd gets a bridge of its own (not docker0, which a host's
# own Docker may have) and adds no iptables rules: a published port is
# then forwarded by docker-proxy alone, which is what the tests look at.
DOCKER_BRIDGE_PREFIX = "bwdock"
DOCKER_BRIDGE_NET = "172.31.{}.1/24"


class Dockerd(Runtime):
    """A dockerd (Debian's docker.io) of the test's own: vfs storage, its
    data root, exec root, socket and pid file in a temporary directory, an
    image made with docker import."""

    def __init__(self):
        self.dockerd = require("dockerd")
        self.docker = require("docker")  # /usr/bin's, Debian's client
        require("docker-proxy")
        require("containerd")
        self.dir = tempfile.mkdtemp(prefix="bw-dockerd-")
        self.root = os.path.join(self.dir, DOCKER_DATA_ROOT)
        self.sock = os.path.join(self.dir, "docker.sock")
        self.containers = []
        self.proc = None
        self.bridge = f"{DOCKER_BRIDGE_PREFIX}{secrets.token_hex(3)}"
        try:
            self._bridge_up()
            self._start()
            rc, _, err = self.cli("import", "--change", f'CMD ["{BUSYBOX_IN}", "sleep", "600"]',
                                  busybox_tarball(self.dir), "bw-e2e-busybox:latest")
            check(rc == 0, f"docker import: {err}")
            self.image = "bw-e2e-busybox:latest"
        except BaseException:
            self.close()
            raise

    def _bridge_up(self):
        net = DOCKER_BRIDGE_NET.format(200 + secrets.randbelow(50))
        for argv in (["ip", "link", "add", self.bridge, "type", "bridge"],
                     ["ip", "addr", "add", net, "dev", self.bridge],
                     ["ip", "link", "set", self.bridge, "up"]):
            rc, _, err = run_to_exit(argv)
            if rc != 0:
                pytest.skip(f"cannot make the test dockerd's bridge ({' '.join(argv)}): {err.strip()}")

    def _start(self):
        log = os.path.join(self.dir, "dockerd.log")
        argv = [self.dockerd, "--storage-driver", "vfs", "--data-root", self.root,
                "--exec-root", os.path.join(self.dir, "exec"), "-H", f"unix://{self.sock}",
                "--pidfile", os.path.join(self.dir, "docker.pid"), "--bridge", self.bridge,
                "--iptables=false", "--ip6tables=false"]
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        wait_for(lambda: self.proc.poll() is None,
                 lambda: self.cli("version")[0] == 0, "dockerd", log)

    def cli(self, *args, timeout=120):
        return run_to_exit([self.docker, "-H", f"unix://{self.sock}", *args], timeout=timeout)

    def run(self, name, argv, *opts):
        rc, out, err = self.cli("run", "-d", "--name", name, *opts, self.image, *argv)
        if rc != 0:
            pytest.skip(f"dockerd cannot run a container here: {err.strip()}")
        self.containers.append(name)
        return out.strip()

    def inspect(self, name):
        rc, out, err = self.cli("inspect", name)
        check(rc == 0, f"docker inspect {name}: {err}")
        return json.loads(out)[0]

    def env(self):
        return dict(os.environ, **{WORKLOAD_ROOT_ENV: self.dir})

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            for name in self.containers:
                self.cli("rm", "-f", name)
        if self.proc is not None:
            terminate(self.proc)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        remove_tree(self.dir)


# ---------------------------------------------------------------- containerd

# The test's containerd loads no CRI plugin (no kubelet talks to it): ctr
# runs the tasks, with the annotations the CRI would have written.
CONTAINERD_CONFIG = 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
CRI_NAMESPACE = "k8s.io"  # the containerd namespace the CRI's containers live in


class Containerd(Runtime):
    """A containerd (Debian's) of the test's own: its root, state and socket
    in a temporary directory; tasks run by ctr on a busybox rootfs."""

    def __init__(self):
        self.containerd = require("containerd")
        self.ctr_path = require("ctr")
        require("containerd-shim-runc-v2")
        self.dir = tempfile.mkdtemp(prefix="bw-containerd-")
        self.state = os.path.join(self.dir, CONTAINERD_STATE)
        self.sock = os.path.join(self.dir, "containerd.sock")
        self.rootfs = busybox_rootfs(os.path.join(self.dir, "rootfs"))
        self.tasks = []
        self.made_cgroups = []  # the pods' cgroups runc made (it removes the tasks' own)
        self.proc = None
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self):
        config = os.path.join(self.dir, "config.toml")
        with open(config, "w") as f:
            f.write(CONTAINERD_CONFIG)
        log = os.path.join(self.dir, "containerd.log")
        argv = [self.containerd, "--config", config, "--root", os.path.join(self.dir, CONTAINERD_ROOT),
                "--state", self.state, "--address", self.sock]
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        wait_for(lambda: self.proc.poll() is None,
                 lambda: self.ctr("version")[0] == 0, "containerd", log)

    def ctr(self, *args, timeout=120):
        return run_to_exit([self.ctr_path, "--address", self.sock, "-n", CRI_NAMESPACE, *args],
                           timeout=timeout)

    def run_pod_container(self, pod, argv):
        """A task on the host network as the CRI would start container
        pod["container"] of pod pod["namespace"]/pod["name"] (uid
        pod["uid"]): a 64-hex id, the kubelet's cgroupfs path, the CRI's
        annotations.  Returns the container id."""
        cid = secrets.token_hex(32)
        annotations = dict(zip(CRI_ANNOTATIONS, ("container", pod["name"], pod["namespace"],
                                                 pod["uid"], pod["container"], pod["image"])))
        cgroup = f"/kubepods/besteffort/pod{pod['uid']}/{cid}"
        made = missing_cgroups(os.path.dirname(cgroup))
        opts = [arg for k, v in annotations.items() for arg in ("--annotation", f"{k}={v}")]
        rc, _, err = self.ctr("run", "-d", "--net-host", "--rootfs", "--cgroup", cgroup, *opts,
                              self.rootfs, cid, *argv)
        if rc != 0:
            pytest.skip(f"containerd cannot run a task here: {err.strip()}")
        self.tasks.append(cid)
        self.made_cgroups.extend(made)
        return cid

    def bundle(self, cid):
        """The task's OCI bundle directory, where the annotations are."""
        return os.path.join(self.state, "io.containerd.runtime.v2.task", CRI_NAMESPACE, cid)

    def task_pid(self, cid):
        rc, out, err = self.ctr("task", "ls")
        check(rc == 0, f"ctr task ls: {err}")
        for line in out.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == cid:
                return int(fields[1])
        fail(f"no task {cid} in {out!r}")

    def env(self):
        return dict(os.environ, **{WORKLOAD_ROOT_ENV: self.dir})

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            for cid in self.tasks:
                self.ctr("task", "kill", "-s", "KILL", cid)
                deadline = time.monotonic() + EXIT_TIMEOUT
                while self.ctr("task", "delete", cid)[0] != 0 and time.monotonic() < deadline:
                    time.sleep(POLL_S)
                self.ctr("container", "delete", cid)
        if self.proc is not None:
            terminate(self.proc)
        remove_cgroups(self.made_cgroups)
        remove_tree(self.dir)
