# test_static.py - tests of the static binaries `make static` builds:
# ./bindwatch-static (this machine's architecture) is statically linked,
# runs, names a real holder without opening any shared object, NSS or gconv
# file (strace), and catches real conflicts and serves metrics through the
# end-to-end tests; ./bindwatch-static-arm64 (make static ARCH=arm64) is an
# aarch64 static executable whose --help and --version run under
# qemu-user; ./bindwatch-static starts as a monitor in an empty root (a
# chroot holding it alone, with proc and sysfs).  A binary that was not
# built, or a tool this machine lacks, is a skip with the reason.  Needs
# root for the monitor and the holder lookup; it starts monitors, so it
# runs alone (see tests/run).
#
#   python3 -m pytest tests/static
import os
import platform
import re
import shutil
import socket
import stat
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import harness  # noqa: E402  (tests/e2e/harness.py: the monitor, started and stopped)

REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.join(REPO, "bindwatch-static")
BIN_ARM64 = os.path.join(REPO, "bindwatch-static-arm64")
# the end-to-end tests run with the static binary: a capture with its
# holder, and the metrics endpoint
E2E_CASES = ("test_capture.py::test_tcp4_conflict[auto]", "test_options.py::test_metrics_endpoint")
E2E_TIMEOUT = 300  # seconds
VERSION_RE = re.compile(r"bindwatch [0-9]+\.[0-9]+\.[0-9]+")
MACHINE = {"x86_64": "x86-64", "aarch64": "ARM aarch64"}  # as file(1) says it
# what a static glibc binary would dlopen if src/ called getpwuid,
# getaddrinfo, iconv or setlocale
RUNTIME_FILES_RE = re.compile(r'"[^"]*(\.so[.0-9]*|nsswitch\.conf|gconv[^"]*|locale[^"]*)"')
# runs the monitor in a root of its own, in a mount namespace of its own
EMPTY_ROOT = ("unshare", "--mount", "--propagation", "private", os.path.join(HERE, "empty-root.sh"))
RUN_DIR_MODE = 0o755
# what the monitor mounts in an empty root's sysfs: tracefs for tracepoint
# mode, bpffs for the holder walks' pins (its own: the host's pins untouched)
MONITOR_MOUNTS = {"/sys/kernel/tracing": "tracefs", "/sys/fs/bpf": "bpf"}
SUMMARY_RE = re.compile(r"bindwatch: [0-9]+ records?, [0-9]+ lost")


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          **kwargs)


def built(path, make):
    if not os.access(path, os.X_OK):
        pytest.skip(f"{path} not built ({make})")


def check_static(path, machine):
    desc = run(["file", "-b", path]).stdout.strip()
    assert machine in desc, f"file says '{desc}', expected '{machine}'"
    assert "statically linked" in desc, f"file says '{desc}', expected 'statically linked'"
    ldd = run(["ldd", path])
    assert "not a dynamic executable" in ldd.stdout + ldd.stderr, \
        f"ldd lists libraries: {ldd.stdout + ldd.stderr}"


def check_version(*cmd):
    out = run([*cmd, "--version"])
    assert out.returncode == 0, f"--version failed: {out.stdout}{out.stderr}"
    assert VERSION_RE.fullmatch(out.stdout.strip()), \
        f"--version printed '{out.stdout.strip()}', expected 'bindwatch X.Y.Z'"
    assert run([*cmd, "--help"]).stdout.startswith("Usage: bindwatch"), \
        "--help does not start with 'Usage: bindwatch'"


def test_static_is_static():
    built(BIN, "make static")
    machine = platform.machine()
    check_static(BIN, MACHINE.get(machine, machine))


def test_static_runs():
    built(BIN, "make static")
    check_version(BIN)


def test_static_who_opens_no_shared_object(tmp_path):
    """`who` on a port held by a real listener (this process), under
    strace: it names the holder, and opens no shared object, NSS, gconv or
    locale file."""
    built(BIN, "make static")
    if not shutil.which("strace"):
        pytest.skip("strace is not installed")
    if os.geteuid() != 0:
        pytest.skip("needs root")
    trace = tmp_path / "strace"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        out = run(["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", str(trace),
                   BIN, "who", f"{port}/tcp"])
    opened = sorted(set(m.group(0) for m in RUNTIME_FILES_RE.finditer(trace.read_text())))
    with open("/proc/self/comm") as f:
        holder = f"127.0.0.1:{port} {f.read().strip()}[{os.getpid()}]"
    assert holder in out.stdout, f"who {port}/tcp did not name {holder}: {out.stdout}{out.stderr}"
    assert not opened, f"opened at run time: {' '.join(opened)}"


def test_static_e2e_conflict_and_metrics():
    built(BIN, "make static")
    if os.geteuid() != 0:
        pytest.skip("needs root")
    e2e = os.path.join(REPO, "tests", "e2e")
    # BW_E2E_CAPTURE keeps the e2e suite's own runs, not these
    env = {k: v for k, v in os.environ.items() if k != "BW_E2E_CAPTURE"}
    out = run([sys.executable, "-m", "pytest", "-q", *(os.path.join(e2e, c) for c in E2E_CASES)],
              env=dict(env, BINDWATCH=BIN), timeout=E2E_TIMEOUT)
    print(out.stdout)
    assert out.returncode == 0, f"the e2e cases failed with the static binary:\n{out.stdout}"
    assert f"{len(E2E_CASES)} passed" in out.stdout.splitlines()[-1], \
        f"expected {len(E2E_CASES)} e2e cases to pass: {out.stdout.splitlines()[-1]}"


def own_mounts(pid):
    """{mount point: file system type} of what process pid sees below its
    root (/proc/PID/mountinfo: mount point 5th, type after the "-")."""
    mounts = {}
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            fields = line.split()
            mounts[fields[4]] = fields[fields.index("-") + 1]
    return mounts


def test_static_starts_in_empty_root(tmp_path, monkeypatch):
    """The static binary as a monitor in a root that holds nothing else, as
    in a minimal container: proc and sysfs mounted, no /run (nor /etc,
    /dev, tracefs or bpffs).  It makes /run (root's, mode 0755) for its
    lock, mounts tracefs and bpffs, gets ready, and stops on SIGTERM with
    exit status 0 and its summary.  Its lock is the new root's
    /run/bindwatch.lock, not the host's, so a monitor running on the host
    does not refuse it; the bpffs it pins the holder walks in is its own,
    mounted in its own mount namespace, so it removes no pin of the host's
    monitor.  (tests/run runs this suite alone, as the e2e suite.)"""
    built(BIN, "make static")
    if os.geteuid() != 0:
        pytest.skip("needs root")
    for tool in ("unshare", "chroot"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (package util-linux, coreutils)")
    root = tmp_path / "root"
    monkeypatch.setattr(harness, "BINARY", BIN)
    with harness.start_bindwatch(json_output=False, prefix=(*EMPTY_ROOT, str(root))) as bw:
        mounted = own_mounts(bw.proc.pid)
        rc, err = bw.stop()
    for point, fstype in MONITOR_MOUNTS.items():
        assert mounted.get(point) == fstype, \
            f"{point} in the monitor's root is {mounted.get(point)}, expected {fstype}: {mounted}"
    assert rc == 0, f"exit status {rc} after SIGTERM; stderr: {err}"
    assert SUMMARY_RE.search(err), f"no summary line after SIGTERM; stderr: {err}"
    run_dir = os.lstat(root / "run")
    assert stat.S_ISDIR(run_dir.st_mode) and run_dir.st_uid == 0 and \
        stat.S_IMODE(run_dir.st_mode) == RUN_DIR_MODE, \
        f"/run made with mode {stat.S_IMODE(run_dir.st_mode):o}, uid {run_dir.st_uid}"
    lock = root / "run" / "bindwatch.lock"
    assert lock.read_text().strip() == str(bw.proc.pid), \
        f"{lock} holds {lock.read_text()!r}, expected the monitor's pid {bw.proc.pid}"


def test_static_arm64_is_static():
    built(BIN_ARM64, "make static ARCH=arm64")
    check_static(BIN_ARM64, "ARM aarch64")


def test_static_arm64_runs_under_qemu():
    built(BIN_ARM64, "make static ARCH=arm64")
    if platform.machine() == "aarch64":
        check_version(BIN_ARM64)
    elif shutil.which("qemu-aarch64-static"):
        check_version("qemu-aarch64-static", BIN_ARM64)
    else:
        pytest.skip("qemu-aarch64-static is not installed (package qemu-user-static)")
