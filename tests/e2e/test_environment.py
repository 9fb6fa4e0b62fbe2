# test_environment.py - end-to-end tests of how bindwatch copes with the
# machine it runs on: kernel BTF given as a file, a BTF file that is not
# there, tracefs not mounted (as on a freshly booted host), and installing
# it (make install, the systemd unit).
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from harness import REPO, bind_conflict, bindwatch_argv, check, eq, run_to_exit, start_bindwatch

KERNEL_BTF = "/sys/kernel/btf/vmlinux"
TRACEFS = "/sys/kernel/tracing"


def test_btf_file(monitor):
    """--btf FILE loads with that BTF instead of the kernel's own."""
    if not os.path.exists(KERNEL_BTF):
        pytest.skip(f"no {KERNEL_BTF} to copy a BTF file from")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vmlinux.btf")
        shutil.copyfile(KERNEL_BTF, path)
        bind_conflict(monitor("--mode", "tracepoint", "--btf", path))


def test_btf_file_missing():
    """A --btf file that does not exist: exit 1, and the message names it."""
    path = "/nonexistent/bindwatch-test.btf"
    rc, _, stderr = run_to_exit(bindwatch_argv("--btf", path))
    eq(rc, 1, f"exit code (stderr {stderr!r})")
    check(path in stderr and "--btf" in stderr, f"stderr does not name --btf and {path}: {stderr!r}")


def tracefs_mounted():
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == TRACEFS and line.split()[2] == "tracefs" for line in f)


def test_mounts_tracefs():
    """Tracepoint mode on a host where tracefs is not mounted mounts it."""
    if os.path.exists("/sys/kernel/debug/tracing/events"):
        pytest.skip("tracefs is reachable through debugfs here, so it is never missing")
    if tracefs_mounted():
        umount = subprocess.run(["umount", TRACEFS], capture_output=True, text=True)
        if umount.returncode != 0:
            pytest.skip(f"cannot unmount {TRACEFS} to test: {umount.stderr.strip()}")
    try:
        check(not tracefs_mounted(), f"{TRACEFS} still mounted")
        with start_bindwatch("--mode", "tracepoint") as bw:
            check(tracefs_mounted(), f"{TRACEFS} not mounted after bindwatch started")
            bind_conflict(bw)
    finally:
        if not tracefs_mounted():  # leave the host as it was
            subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], check=False)


def test_make_install():
    """make install puts the binary, every man page (man5 and man8), the
    documents, the unit and the logrotate snippet under PREFIX with the
    unit pointing at the installed binary; the unit passes systemd-analyze
    verify where systemd is installed."""
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "prefix")
        rc, out, err = run_to_exit(["make", "-C", REPO, "--no-print-directory", "install",
                                    f"PREFIX={prefix}", f"LOGROTATEDIR={tmp}/logrotate.d"],
                                   timeout=300)
        eq(rc, 0, f"make install (stderr {err!r})")
        docs = sorted(os.listdir(os.path.join(REPO, "doc")))
        want = {"prefix/sbin/bindwatch": 0o755,
                "prefix/lib/systemd/system/bindwatch.service": 0o644,
                "logrotate.d/bindwatch": 0o644}
        want.update({f"prefix/share/man/man{d[-1]}/{d}": 0o644 for d in docs if d[-2:] in (".5", ".8")})
        want.update({f"prefix/share/doc/bindwatch/{d}": 0o644 for d in docs if d.endswith(".md")})
        check("prefix/share/man/man5/bindwatch-policy.5" in want, "no bindwatch-policy.5 in doc/")
        modes = {rel: os.stat(os.path.join(tmp, rel)).st_mode & 0o777
                 for rel in want if os.path.exists(os.path.join(tmp, rel))}
        eq(modes, want, "installed files and modes")
        unit = os.path.join(prefix, "lib/systemd/system/bindwatch.service")
        with open(unit) as f:
            text = f.read()
        check(f"ExecStart={prefix}/sbin/bindwatch " in text, "ExecStart does not name the binary")
        check("Type=notify" in text, "the unit is not Type=notify")
        if not shutil.which("systemd-analyze"):
            pytest.skip("files checked; systemd-analyze is not installed to verify the unit")
        rc, out, err = run_to_exit(["systemd-analyze", "verify", unit])
        # the man pages the unit names are under PREFIX, outside MANPATH
        outside = re.compile(r"Command 'man bindwatch(-[a-z]+)?\(\d\)' failed")
        problems = [l for l in (out + err).splitlines() if l and not outside.search(l)]
        eq(problems, [], "systemd-analyze verify")
