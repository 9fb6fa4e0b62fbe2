#!/bin/sh
# empty-root.sh ROOT BINARY [ARG...] - run BINARY in ROOT, a new root that
# holds nothing but a copy of it (as /bindwatch) and the kernel's file
# systems a container runtime mounts in every container: proc on /proc and
# sysfs on /sys, with nothing mounted below them (no tracefs, no bpffs, no
# /run, /etc or /dev).  It mounts them in its own mount namespace, so run
# it under `unshare --mount --propagation private`: the mounts go when the
# program exits.  exec() all the way: the program has this script's pid.
set -eu
root=$1 binary=$2
shift 2
mkdir -p "$root/proc" "$root/sys"
cp "$binary" "$root/bindwatch"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
exec chroot "$root" /bindwatch "$@"
