# test_environment.py - end-to-end tests of how bindwatch copes with the
# machine it runs on: kernel BTF given as a file, a BTF file that is not
# there, and tracefs not mounted (as on a freshly booted host).
import os
import shutil
import subprocess
import tempfile

from harness import (Skip, bind_conflict, bindwatch_argv, check, eq, run_to_exit,
                     start_bindwatch, test)

KERNEL_BTF = "/sys/kernel/btf/vmlinux"
TRACEFS = "/sys/kernel/tracing"


@test()
def btf_file():
    """--btf FILE loads with that BTF instead of the kernel's own."""
    if not os.path.exists(KERNEL_BTF):
        raise Skip(f"no {KERNEL_BTF} to copy a BTF file from")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vmlinux.btf")
        shutil.copyfile(KERNEL_BTF, path)
        with start_bindwatch("--mode", "tracepoint", "--btf", path) as bw:
            bind_conflict(bw)


@test()
def btf_file_missing():
    """A --btf file that does not exist: exit 1, and the message names it."""
    path = "/nonexistent/bindwatch-test.btf"
    rc, _, stderr = run_to_exit(bindwatch_argv("--btf", path))
    eq(rc, 1, f"exit code (stderr {stderr!r})")
    check(path in stderr and "--btf" in stderr, f"stderr does not name --btf and {path}: {stderr!r}")


def tracefs_mounted():
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == TRACEFS and line.split()[2] == "tracefs" for line in f)


@test()
def mounts_tracefs():
    """Tracepoint mode on a host where tracefs is not mounted mounts it."""
    if os.path.exists("/sys/kernel/debug/tracing/events"):
        raise Skip("tracefs is reachable through debugfs here, so it is never missing")
    if tracefs_mounted():
        umount = subprocess.run(["umount", TRACEFS], capture_output=True, text=True)
        if umount.returncode != 0:
            raise Skip(f"cannot unmount {TRACEFS} to test: {umount.stderr.strip()}")
    try:
        check(not tracefs_mounted(), f"{TRACEFS} still mounted")
        with start_bindwatch("--mode", "tracepoint") as bw:
            check(tracefs_mounted(), f"{TRACEFS} not mounted after bindwatch started")
            bind_conflict(bw)
    finally:
        if not tracefs_mounted():  # leave the host as it was
            subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=False)
