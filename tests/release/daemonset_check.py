# daemonset_check.py - what deploy/kubernetes/daemonset.yaml must say for
# bindwatch to run as README "Install on a fleet" describes, checked
# without a cluster: every option it passes exists in `bindwatch --help`,
# the host namespaces, capabilities and mounts the monitor needs are
# there (the runtimes' directories read-only), the root file system is read-only, records go to stdout as JSON,
# the metrics port is the one the scrape annotations name, and memory has
# a request and a limit.  check() returns the list of problems.
import re

import yaml

CAPS = {"BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH"}
MOUNTS = {"/sys/kernel/btf", "/sys/kernel/tracing", "/sys/fs/bpf", "/run/bindwatch"}
# the runtimes' files the workload lookup reads (src/enrich/wl_file.h), read-only
RUNTIME_MOUNTS = {"/run/containerd", "/var/lib/containers", "/run/containers", "/var/lib/docker"}
METRICS = "0.0.0.0:9464"


def help_options(help_text):
    """The long options `bindwatch --help` lists."""
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", help_text))


def check(path, help_text):
    problems = []
    want = lambda cond, what: cond or problems.append(what)
    with open(path) as f:
        docs = list(yaml.safe_load_all(f))
    want(len(docs) == 1, f"{path}: {len(docs)} documents, expected one DaemonSet")
    ds = docs[0]
    want(ds.get("apiVersion") == "apps/v1" and ds.get("kind") == "DaemonSet",
         f"{path}: not an apps/v1 DaemonSet")
    tmpl = ds["spec"]["template"]
    pod = tmpl["spec"]
    want(pod.get("hostPID") is True, "hostPID is not true")
    want(pod.get("hostNetwork") is True, "hostNetwork is not true")
    want(ds["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(),
         "the selector does not match the pod's labels")
    (c,) = pod["containers"]
    args = c.get("args", [])
    known = help_options(help_text)
    for a in args:
        if a.startswith("--"):
            want(a.split("=", 1)[0] in known, f"option {a} is not in bindwatch --help")
    want("--json" in args, "no --json: records would be text")
    want("--log" not in args, "--log writes to a file in a read-only root")
    want(args[args.index("--metrics") + 1] == METRICS if "--metrics" in args else False,
         f"no --metrics {METRICS}")
    ann = tmpl["metadata"].get("annotations", {})
    want(ann.get("prometheus.io/scrape") == "true", "no prometheus.io/scrape: \"true\"")
    want(ann.get("prometheus.io/port") == METRICS.rsplit(":", 1)[1],
         "prometheus.io/port is not the --metrics port")
    want(ann.get("prometheus.io/path") == "/metrics", "prometheus.io/path is not /metrics")
    sc = c.get("securityContext", {})
    want(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true")
    want(sc.get("privileged") is not True, "privileged: the capabilities are listed instead")
    caps = sc.get("capabilities", {})
    want(caps.get("drop") == ["ALL"], "capabilities are not dropped first")
    want(set(caps.get("add", [])) == CAPS, f"capabilities {caps.get('add')}, expected {sorted(CAPS)}")
    mem = c.get("resources", {})
    want("memory" in mem.get("requests", {}) and "memory" in mem.get("limits", {}),
         "no memory request and limit")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounted = set()
    for m in c.get("volumeMounts", []):
        v = volumes.get(m["name"])
        want(v is not None, f"volumeMount {m['name']} names no volume")
        if v is not None:
            want(v.get("hostPath", {}).get("path") == m["mountPath"],
                 f"{m['mountPath']} is not the host's own")
        if m["mountPath"] in RUNTIME_MOUNTS:
            want(m.get("readOnly") is True, f"{m['mountPath']} is not read-only")
        mounted.add(m["mountPath"])
    want(mounted == MOUNTS | RUNTIME_MOUNTS,
         f"mounts {sorted(mounted)}, expected {sorted(MOUNTS | RUNTIME_MOUNTS)}")
    return problems
