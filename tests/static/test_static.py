# test_static.py - tests of the static binaries `make static` builds:
# ./bindwatch-static (this machine's architecture) is statically linked,
# runs, names a real holder without opening any shared object, NSS or gconv
# file (strace), and catches real conflicts and serves metrics through the
# end-to-end tests; ./bindwatch-static-arm64 (make static ARCH=arm64) is an
# aarch64 static executable whose --help and --version run under
# qemu-user.  A binary that was not built, or a tool this machine lacks, is
# a skip with the reason.  Needs root for the monitor and the holder
# lookup; it starts a monitor, so it runs alone (see tests/run).
#
#   python3 -m pytest tests/static
import os
import platform
import re
import shutil
import socket
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
