# test_release.py - tests of what bindwatch ships: the manual (every man
# page renders without a warning, every page and link it names exists),
# the Debian package (lintian, then installed with dpkg, run as a monitor
# against a real conflict, removed and purged), the OCI image (run with
# podman as a monitor on the host), the Kubernetes DaemonSet (parsed,
# checked against what bindwatch accepts), and the one line bindwatch
# prints on a kernel without BTF.  It builds what it tests with make (deb,
# image): `make release-test` and tests/run run it (python3 -m pytest
# tests/release).  A piece whose tool is missing (dpkg, lintian, podman)
# is skipped with the reason.
#
# Environment: PKG_BINARY, the binary packaged (make's default otherwise);
# MAKE, the make to build with.
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

import daemonset_check

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"
MAKE = os.environ.get("MAKE", "make")
SBIN = "/usr/sbin/bindwatch"
READY_TIMEOUT = 60   # seconds to wait for "ready (mode: ...)"
RECORD_TIMEOUT = 20  # seconds to wait for the conflict record
EXIT_TIMEOUT = 30    # seconds for a monitor to stop after SIGTERM
PORT_BASE, PORT_SPAN = 20000, 10000  # where a free test port is looked for


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def make_var(name):
    """The value make computes for a variable of mk/package.mk."""
    args = [MAKE, "-s", "--no-print-directory", f"print-{name}"]
    if os.environ.get("PKG_BINARY"):
        args.append(f"PKG_BINARY={os.environ['PKG_BINARY']}")
    r = run(args, cwd=REPO)
    check(r.returncode == 0, f"make print-{name}: {r.stderr.strip()}")
    return r.stdout.strip()


def build(goal):
    args = [MAKE, "--no-print-directory", goal]
    if os.environ.get("PKG_BINARY"):
        args.append(f"PKG_BINARY={os.environ['PKG_BINARY']}")
    r = run(args, cwd=REPO)
    check(r.returncode == 0, f"make {goal} failed:\n{r.stdout}{r.stderr}")


def free_port():
    """A TCP port nothing on 127.0.0.1 or the wildcard holds now."""
    for port in range(PORT_BASE + os.getpid() % PORT_SPAN, PORT_BASE + PORT_SPAN):
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    pytest.skip("no free TCP port")


# ---------------------------------------------------------------- a real conflict

HOLDER = os.path.join(HERE, "holder.py")
REQUESTER = os.path.join(HERE, "requester.py")


def wait_line(stream, want, timeout, seen):
    """Read lines from stream until one contains want; None on EOF or timeout."""
    deadline = time.monotonic() + timeout
    os.set_blocking(stream.fileno(), False)
    buf = b""
    while time.monotonic() < deadline:
        chunk = stream.read()
        if chunk:
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                seen.append(line.decode(errors="replace"))
                if want(seen[-1]):
                    return seen[-1]
        elif chunk == b"":
            return None
        else:
            time.sleep(0.05)
    return None


def conflict_against(monitor, port):
    """
    With monitor (a Popen whose stdout carries JSON records and stderr
    bindwatch's messages) ready, hold port and fail a bind on it; check the
    record names both processes.  Returns the record.
    """
    err_lines, out_lines = [], []
    ready = wait_line(monitor.stderr, lambda l: "ready (mode:" in l, READY_TIMEOUT, err_lines)
    check(ready, "no ready line; stderr: " + " | ".join(err_lines))
    holder = subprocess.Popen([PYTHON, HOLDER, str(port)], stdout=subprocess.PIPE)
    try:
        check(holder.stdout.readline() == b"held\n", "the holder did not bind")
        requester = subprocess.Popen([PYTHON, REQUESTER, str(port)])
        check(requester.wait(EXIT_TIMEOUT) == 0, "the second bind did not fail with EADDRINUSE")

        def is_conflict(line):
            try:
                r = json.loads(line)
            except ValueError:
                return False
            return r.get("event") == "conflict" and r.get("port") == port

        line = wait_line(monitor.stdout, is_conflict, RECORD_TIMEOUT, out_lines)
        check(line, f"no conflict record for port {port}; stdout: " + " | ".join(out_lines[-5:]))
        rec = json.loads(line)
        check(rec["requester"]["pid"] == requester.pid,
              f"requester.pid {rec['requester']['pid']}, expected {requester.pid}")
        check(rec["holders"] and rec["holders"][0]["pid"] == holder.pid,
              f"holders {rec['holders']}, expected pid {holder.pid} first")
        return rec
    finally:
        holder.kill()
        holder.wait()


# ---------------------------------------------------------------- the manual

DOC = os.path.join(REPO, "doc")
# a page named as NAME(SECTION) in a document, or .BR NAME (SECTION) in a
# page's source: bindwatch's own must exist
PAGE_REF = re.compile(r"\b(bindwatch(?:-[a-z]+)?) ?\((\d)\)")
# a relative link in a Markdown document: [text](path), [text](path#anchor), [text](#anchor)
MD_LINK = re.compile(r"\]\((?![a-z]+:)([^)#\s]*)(?:#([^)\s]*))?\)")


def man_pages():
    """The man pages in doc/, as NAME.SECTION."""
    return sorted(p for p in os.listdir(DOC) if re.fullmatch(r"[a-z-]+\.[1-8]", p))


def render(page):
    """The page as man shows it, and the warnings man gives for it as
    lintian asks (--warnings, -Tutf8 -Z): (text, warnings)."""
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    path = os.path.join(DOC, page)
    warnings = run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path], env=env).stderr
    return run(["man", "-l", path], env=env).stdout, warnings


def test_man_pages():
    """Every man page renders without a warning (groff -ww, as lintian runs
    man), has the sections a page needs, and every bindwatch page it, the
    README or a document names exists."""
    if not shutil.which("groff") or not shutil.which("man"):
        pytest.skip("groff or man is not installed")
    pages = man_pages()
    check(pages, "no man pages in doc/")
    texts = []
    for page in pages:
        r = run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(DOC, page)])
        check(r.returncode == 0 and not r.stderr, f"groff -ww {page}: {r.stderr.strip()}")
        out, err = render(page)
        check(not err, f"man --warnings {page}: {err.strip()}")
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
            check(re.search(rf"^{section}$", out, re.M), f"{page}: no {section} section")
        with open(os.path.join(DOC, page)) as f:
            texts.append((page, f.read().replace("\\-", "-")))
    for name in ["README.md"] + [f"doc/{d}" for d in sorted(os.listdir(DOC)) if d.endswith(".md")]:
        with open(os.path.join(REPO, name)) as f:
            texts.append((name, f.read()))
    for name, text in texts:
        for ref, section in PAGE_REF.findall(text):
            check(f"{ref}.{section}" in pages, f"{name} names {ref}({section}), which is not in doc/")


def anchors(path):
    """The anchors a Markdown file's headings get, as GitHub makes them."""
    with open(path) as f:
        heads = [m.group(1) for m in re.finditer(r"^#+ (.+)$", re.sub(r"```.*?```", "", f.read(), flags=re.S), re.M)]
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in heads}


def test_doc_links():
    """The README's and the documents' relative links lead to files, and
    their anchors to headings."""
    for name in ["README.md"] + [f"doc/{d}" for d in sorted(os.listdir(DOC)) if d.endswith(".md")]:
        with open(os.path.join(REPO, name)) as f:
            text = f.read()
        for target, anchor in MD_LINK.findall(text):
            path = os.path.normpath(os.path.join(REPO, os.path.dirname(name), target or os.path.basename(name)))
            check(os.path.exists(path), f"{name}: link to {target}, which does not exist")
            if anchor:
                check(path.endswith(".md") and anchor in anchors(path),
                      f"{name}: link to {target}#{anchor}, a heading that does not exist")


# ---------------------------------------------------------------- the package

def dpkg_status(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.stdout if r.returncode == 0 else "not-installed"


def test_deb_contents():
    deb = make_var("DEB")
    build("deb")
    r = run(["dpkg-deb", "-c", deb])
    check(r.returncode == 0, f"dpkg-deb -c {deb}: {r.stderr}")
    paths = {line.split()[-1].lstrip(".") for line in r.stdout.splitlines()}
    pages = [f"/usr/share/man/man{p.rsplit('.', 1)[1]}/{p}.gz" for p in man_pages()]
    docs = [f"/usr/share/doc/bindwatch/{d}" for d in sorted(os.listdir(DOC)) if d.endswith(".md")]
    for want in (SBIN, "/lib/systemd/system/bindwatch.service", "/etc/logrotate.d/bindwatch",
                 "/usr/share/doc/bindwatch/examples/policy.yaml",
                 "/usr/share/doc/bindwatch/examples/bindwatch-rules.yml",
                 "/usr/share/doc/bindwatch/examples/bindwatch-rules.test.yml",
                 "/usr/share/doc/bindwatch/copyright", "/usr/share/doc/bindwatch/changelog.gz",
                 *pages, *docs):
        check(want in paths, f"{deb}: no {want}")
    field = lambda f: run(["dpkg-deb", "-f", deb, f]).stdout.strip()
    check(field("Depends") == "", f"Depends: {field('Depends')!r}, expected none")
    check(field("Version") == make_var("VERSION"), f"Version {field('Version')}")
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run(["dpkg-deb", "-e", deb, tmp], check=True)
        for script in ("postinst", "postrm"):
            with open(os.path.join(tmp, script)) as f:
                text = "".join(l for l in f if not l.lstrip().startswith("#"))
            for verb in ("enable", "start", "restart"):
                check(f"systemctl {verb}" not in text and f"deb-systemd-invoke {verb}" not in text,
                      f"{script} runs systemctl {verb}")
        check(open(os.path.join(tmp, "conffiles")).read().split() == ["/etc/logrotate.d/bindwatch"],
              "conffiles is not /etc/logrotate.d/bindwatch alone")
    finally:
        shutil.rmtree(tmp)


def test_deb_lintian():
    if not shutil.which("lintian"):
        pytest.skip("lintian is not installed (scripts/install-deps.sh installs it)")
    deb = make_var("DEB")
    build("deb")
    r = run(["lintian", "--no-tag-display-limit", deb])
    print(r.stdout, end="")
    errors = [l for l in r.stdout.splitlines() if l.startswith("E: ")]
    check(not errors, f"lintian errors: {errors}")


def test_deb_arm64():
    """The arm64 package carries an arm64 static binary, and lintian passes it."""
    if not shutil.which("aarch64-linux-gnu-gcc"):
        pytest.skip("no aarch64-linux-gnu-gcc to cross-build the arm64 binary (make static ARCH=arm64)")
    r = run([MAKE, "-s", "--no-print-directory", "print-DEB", "ARCH=arm64"], cwd=REPO)
    deb = r.stdout.strip()
    r = run([MAKE, "--no-print-directory", "deb", "ARCH=arm64"], cwd=REPO)
    check(r.returncode == 0, f"make deb ARCH=arm64 failed:\n{r.stdout}{r.stderr}")
    field = lambda f: run(["dpkg-deb", "-f", deb, f]).stdout.strip()
    check(field("Architecture") == "arm64", f"Architecture: {field('Architecture')}")
    check(field("Depends") == "", f"Depends: {field('Depends')!r}, expected none")
    elf = subprocess.run(f"dpkg-deb --fsys-tarfile {deb} | tar -xO .{SBIN} | file -",
                         shell=True, capture_output=True, text=True).stdout
    check("ARM aarch64" in elf and "statically linked" in elf, f"{SBIN} in {deb}: {elf}")
    if shutil.which("lintian"):
        r = run(["lintian", deb])
        errors = [l for l in r.stdout.splitlines() if l.startswith("E: ")]
        check(not errors, f"lintian errors: {errors}")


def test_example_policy_valid():
    binary = make_var("PKG_BINARY")
    if not os.path.exists(os.path.join(REPO, binary)):
        build("deb")
    r = run([os.path.join(REPO, binary), "check-policy",
             os.path.join(REPO, "packaging/examples/policy.yaml")])
    check(r.returncode == 0, f"check-policy: {r.stdout}{r.stderr}")


def test_deb_install_run_remove():
    if os.geteuid():
        pytest.skip("dpkg -i needs root")
    if dpkg_status("bindwatch") != "not-installed" or os.path.lexists(SBIN):
        pytest.skip(f"{SBIN} or a bindwatch package is already on this machine: not replaced")
    deb = make_var("DEB")
    build("deb")
    r = run(["dpkg", "-i", deb])
    check(r.returncode == 0, f"dpkg -i: {r.stdout}{r.stderr}")
    try:
        check(dpkg_status("bindwatch") == "install ok installed", "not installed")
        check(os.access(SBIN, os.X_OK), f"no {SBIN}")
        with open("/lib/systemd/system/bindwatch.service") as f:
            check(f"ExecStart={SBIN} " in f.read(), f"the unit does not run {SBIN}")
        enabled = run(["systemctl", "is-enabled", "bindwatch.service"]).stdout.strip()
        check(enabled in ("disabled", ""), f"the unit is {enabled!r} after install")
        monitor = subprocess.Popen([SBIN, "--json", "--port", str(port := free_port())],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            conflict_against(monitor, port)
        finally:
            monitor.send_signal(signal.SIGTERM)
            rc = monitor.wait(EXIT_TIMEOUT)
        check(rc == 0, f"{SBIN} exited with {rc} after SIGTERM")

        r = run(["dpkg", "-r", "bindwatch"])
        check(r.returncode == 0, f"dpkg -r: {r.stdout}{r.stderr}")
        check(dpkg_status("bindwatch") == "deinstall ok config-files",
              f"status after dpkg -r: {dpkg_status('bindwatch')!r}")
        left = [p for p in run(["dpkg", "-L", "bindwatch"]).stdout.split()
                if os.path.isfile(p)]
        check(left == ["/etc/logrotate.d/bindwatch"], f"files left after dpkg -r: {left}")
        check(not os.path.lexists(SBIN), f"{SBIN} left after dpkg -r")
    finally:
        r = run(["dpkg", "-P", "bindwatch"])
    check(r.returncode == 0, f"dpkg -P: {r.stdout}{r.stderr}")
    check(dpkg_status("bindwatch") == "not-installed", "still known to dpkg after -P")
    check(not os.path.exists("/etc/logrotate.d/bindwatch"), "conffile left after dpkg -P")


# ---------------------------------------------------------------- no BTF

def test_no_btf_one_line():
    """A kernel without /sys/kernel/btf/vmlinux: one line, exit status 1."""
    if os.geteuid() or not shutil.which("unshare"):
        pytest.skip("needs root and unshare to hide /sys/kernel/btf in a mount namespace")
    binary = os.path.join(REPO, make_var("PKG_BINARY"))
    if not os.path.exists(binary):
        build("deb")
    r = run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
             'mount -t tmpfs none /sys/kernel/btf && exec "$0"', binary])
    lines = r.stderr.splitlines()
    check(r.returncode == 1, f"exit status {r.returncode}, expected 1")
    check(len(lines) == 1 and "no BTF at /sys/kernel/btf/vmlinux" in lines[0],
          f"expected one line naming the missing BTF, got {lines}")


# ---------------------------------------------------------------- the image

# Where root cannot raise resource limits (no CAP_SYS_RESOURCE, as in some
# VMs' sandboxes) the runtimes fail to give a container the host's limits
# (crun: "setrlimit RLIMIT_NOFILE: Operation not permitted"), and crun
# refuses hybrid cgroup hierarchies (cgroup v1 controllers plus cgroup2):
# podman then runs the image with runc and limits below the host's.
RUN_FALLBACK = ("--runtime", "runc")
LIMITS_FALLBACK = ("--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096")


def podman_usable():
    """The podman options that run a container here: (global, run) lists."""
    if not shutil.which("podman"):
        pytest.skip("podman is not installed (scripts/install-deps.sh installs it)")
    if os.geteuid():
        pytest.skip("the image runs a monitor on the host: needs root")
    build("image")
    image = make_var("IMAGE")
    errors = []
    for glob, opts in (((), ()), (RUN_FALLBACK, LIMITS_FALLBACK)):
        r = run(["podman", *glob, "run", "--rm", *opts, image, "--version"])
        if r.returncode == 0:
            if glob:
                print(f"  podman needs {' '.join(glob + opts)} here: {errors[0]}")
            return list(glob), list(opts)
        errors.append(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}")
    pytest.skip(f"podman cannot run a container here: {' / '.join(errors)}")


def test_image_contents():
    if not shutil.which("podman"):
        pytest.skip("podman is not installed (scripts/install-deps.sh installs it)")
    build("image")
    image = make_var("IMAGE")
    r = run(["podman", "image", "inspect", image])
    check(r.returncode == 0, f"podman image inspect {image}: {r.stderr}")
    info = json.loads(r.stdout)[0]
    check(len(info["RootFS"]["Layers"]) == 1, f"layers: {info['RootFS']['Layers']}")
    check(info["Config"]["Entrypoint"] == [SBIN], f"entrypoint {info['Config']['Entrypoint']}")
    # FROM scratch: the binary is the only file
    cid = run(["podman", "create", image]).stdout.strip()
    try:
        tmp = tempfile.mkdtemp()
        # to a file: Debian's podman 4.3 may write nothing when its stdout is
        # a pipe or a file it did not open itself
        tar = os.path.join(tmp, "export.tar")
        subprocess.run(["podman", "export", "-o", tar, cid], check=True)
        subprocess.run(["tar", "-x", "-C", tmp, "-f", tar], check=True)
        os.unlink(tar)
        files = [os.path.relpath(os.path.join(d, f), tmp)
                 for d, _, fs in os.walk(tmp) for f in fs]
        shutil.rmtree(tmp)
        check(files == ["usr/sbin/bindwatch"], f"files in the image: {files}")
    finally:
        run(["podman", "rm", cid])
    print(f"  image {image}: {info['Size']} bytes")


# What the monitor needs from the host, as deploy/kubernetes/daemonset.yaml
# gives it: the capabilities, the host's pid and network namespaces, BTF,
# tracefs (mounted by bindwatch inside the container when missing), bpffs
# and the lock directory shared with a monitor run by systemd.
IMAGE_CAPS = ("BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH")
# podman's default seccomp profile lets a container with CAP_SYS_ADMIN
# call bpf() and mount(); AppArmor's default profile (on hosts that have
# it) denies the tracefs mount bindwatch makes when the host has none
IMAGE_SECURITY = ("apparmor=unconfined",)
IMAGE_MOUNTS = ("/sys/kernel/btf:/sys/kernel/btf:ro", "/sys/kernel/tracing:/sys/kernel/tracing",
                "/sys/fs/bpf:/sys/fs/bpf", "/run/bindwatch:/run/bindwatch")


def test_image_monitor():
    glob, opts = podman_usable()
    image = make_var("IMAGE")
    name = f"bindwatch-test-{os.getpid()}"
    made_rundir = not os.path.isdir("/run/bindwatch")
    if made_rundir:
        os.mkdir("/run/bindwatch", 0o755)
    port = free_port()
    cmd = ["podman", *glob, "run", *opts, "--rm", "--name", name, "--pid=host", "--net=host",
           "--read-only", "--cap-drop=all", "--cap-add=" + ",".join(IMAGE_CAPS)]
    cmd += [a for o in IMAGE_SECURITY for a in ("--security-opt", o)]
    cmd += [a for m in IMAGE_MOUNTS for a in ("-v", m)]
    cmd += [image, "--json", "--port", str(port)]
    monitor = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        conflict_against(monitor, port)
        r = run(["podman", *glob, "stop", "-t", str(EXIT_TIMEOUT), name])
        check(r.returncode == 0, f"podman stop: {r.stderr}")
        rc = monitor.wait(EXIT_TIMEOUT)
        check(rc == 0, f"the container exited with {rc} after podman stop")
    finally:
        if monitor.poll() is None:
            run(["podman", *glob, "rm", "-f", name])
            monitor.wait()
        if made_rundir:
            shutil.rmtree("/run/bindwatch", ignore_errors=True)


# ---------------------------------------------------------------- the DaemonSet

def test_daemonset():
    binary = os.path.join(REPO, make_var("PKG_BINARY"))
    if not os.path.exists(binary):
        build("deb")
    problems = daemonset_check.check(os.path.join(REPO, "deploy/kubernetes/daemonset.yaml"),
                                     run([binary, "--help"]).stdout)
    check(not problems, "; ".join(problems))


# npm's kubernetes-models: the API's OpenAPI schemas compiled for ajv
K8S_MODELS = "kubernetes-models@5.1.0"


def test_daemonset_schema():
    """The DaemonSet against the Kubernetes API schema, offline."""
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed: no offline Kubernetes schema validator")
    import yaml
    work = os.path.join(REPO, "build", "k8s-schema")
    if not os.path.isdir(os.path.join(work, "node_modules", "kubernetes-models")):
        os.makedirs(work, exist_ok=True)
        r = run(["npm", "install", "--prefix", work, "--no-audit", "--no-fund", K8S_MODELS])
        if r.returncode:
            pytest.skip(f"npm install {K8S_MODELS} failed: {r.stderr.strip().splitlines()[-1:]}")
    shutil.copy(os.path.join(HERE, "k8s-validate.mjs"), work)
    with open(os.path.join(REPO, "deploy/kubernetes/daemonset.yaml")) as f:
        ds = yaml.safe_load(f)
    r = run(["node", os.path.join(work, "k8s-validate.mjs")], input=json.dumps(ds))
    check(r.returncode == 0 and r.stdout.strip() == "valid", f"{r.stdout}{r.stderr}")
    # the validator is real: a wrong type is refused
    ds["spec"]["template"]["spec"]["hostPID"] = "yes"
    r = run(["node", os.path.join(work, "k8s-validate.mjs")], input=json.dumps(ds))
    check(r.returncode == 1 and "hostPID" in r.stdout, f"a string hostPID passed: {r.stdout}")


def test_deploy_yamllint():
    """yamllint finds the DaemonSet and the Prometheus rules and their test clean."""
    if not shutil.which("yamllint"):
        pytest.skip("yamllint is not installed (scripts/install-deps.sh installs it)")
    r = run(["yamllint", "-s", "-d", "{extends: default, rules: {line-length: {max: 120}}}",
             os.path.join(REPO, "deploy/kubernetes/daemonset.yaml"),
             os.path.join(REPO, "deploy/prometheus/bindwatch-rules.yml"),
             os.path.join(REPO, "deploy/prometheus/bindwatch-rules.test.yml")])
    check(r.returncode == 0, r.stdout)
