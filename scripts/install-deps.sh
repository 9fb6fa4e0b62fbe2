#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Install the Debian packages bindwatch needs to build and test, skipping
# those already present.  Idempotent and quiet when nothing is missing, so
# `make run` and `make test` call it every time.  The package lists are
# refreshed once, and only when something has to be installed (a fresh
# machine may have empty or stale lists).
#
# arm64 is added as a foreign architecture (dpkg multiarch) so that apt can
# download Debian's arm64 kernels and busybox-static for the kernel matrix's
# aarch64 guests; nothing of arm64 is installed on the host.
#
# docker.io and containerd are for the workload tests, which start daemons
# of their own (tests/e2e/runtimes.py); they need not run as services.
# nginx-light and haproxy are for the probe tests (tests/e2e/test_probes.py),
# which run them by hand on loopback ports of their own; their services
# need not run either.
set -eu

PACKAGES="
	make gcc pkg-config
	clang llvm bpftool libclang-rt-dev
	libbpf-dev libelf-dev zlib1g-dev
	libcmocka-dev libyaml-dev libpcre2-dev libjansson-dev
	iproute2 util-linux python3 python3-pytest
	qemu-system-x86 busybox-static cpio
	qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	lsof psmisc
	dpkg-dev lintian file podman runc yamllint python3-yaml
	docker.io containerd
	man-db groff-base
	nginx-light
	haproxy
"

FOREIGN_ARCH=arm64
need_arch=""
dpkg --print-foreign-architectures | grep -qx "$FOREIGN_ARCH" || need_arch=$FOREIGN_ARCH

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing$need_arch" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing${need_arch:+ (and dpkg architecture $need_arch)}; run as root to install them" >&2
	exit 1
fi
if [ -n "$need_arch" ]; then
	echo "install-deps: dpkg --add-architecture $need_arch"
	dpkg --add-architecture "$need_arch"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -qq --no-install-recommends $missing
