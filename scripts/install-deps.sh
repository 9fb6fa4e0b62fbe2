#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Install the Debian packages of one set, skipping those already present:
#
#   install-deps.sh build   what building and running bindwatch need
#                           (make, make run, make static)
#   install-deps.sh image   build's, and podman to build the image (make image)
#   install-deps.sh test    image's, and the tools of every test suite (make test)
#
# Idempotent and quiet when nothing is missing, so the Makefile calls it
# every time.  The package lists are refreshed at most once a run: first
# when they are empty (a fresh machine) or a foreign architecture was just
# added, else only when an install fails on lists gone stale.
#
# For the test set, arm64 is added as a foreign architecture (dpkg
# multiarch) so that apt can download Debian's arm64 kernels and
# busybox-static for the kernel matrix's aarch64 guests; nothing of arm64
# is installed on the host.
#
# docker.io and containerd are for the workload tests, which start daemons
# of their own (tests/e2e/runtimes.py); they need not run as services.
# liburing-dev is for the io_uring children of the capture tests
# (tests/e2e/children/uring_call.c).
# nginx-light and haproxy are for the probe tests (tests/e2e/test_probes.py),
# which run them by hand on loopback ports of their own; their services
# need not run either.
set -eu

BUILD_PACKAGES="
	make gcc pkg-config
	clang llvm bpftool
	libbpf-dev libelf-dev zlib1g-dev
	libyaml-dev libpcre2-dev libjansson-dev
"
IMAGE_PACKAGES="
	podman
	runc
"
# one a line, so that adding one merges cleanly
TEST_PACKAGES="
	libclang-rt-dev
	logrotate
	libcmocka-dev
	iproute2
	util-linux
	python3
	python3-pytest
	qemu-system-x86
	busybox-static
	cpio
	qemu-system-arm
	gcc-aarch64-linux-gnu
	libc6-dev-arm64-cross
	lsof
	psmisc
	dpkg-dev
	lintian
	file
	yamllint
	python3-yaml
	docker.io
	containerd
	man-db
	groff-base
	prometheus
	nginx-light
	haproxy
	liburing-dev
"
TEST_FOREIGN_ARCH=arm64
APT_LISTS=/var/lib/apt/lists

set_name=${1:-}
case $set_name in
build) packages=$BUILD_PACKAGES foreign_arch="" ;;
image) packages="$BUILD_PACKAGES $IMAGE_PACKAGES" foreign_arch="" ;;
test) packages="$BUILD_PACKAGES $IMAGE_PACKAGES $TEST_PACKAGES" foreign_arch=$TEST_FOREIGN_ARCH ;;
*)
	echo "usage: $0 build|image|test" >&2
	exit 2
	;;
esac

need_arch=""
if [ -n "$foreign_arch" ] && ! dpkg --print-foreign-architectures | grep -qx "$foreign_arch"; then
	need_arch=$foreign_arch
fi

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing$need_arch" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing${need_arch:+ (and dpkg architecture $need_arch)}; run as root to install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
updated=""
update() {
	apt-get update -qq
	updated=1
}
install() {
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	apt-get install -y -qq --no-install-recommends $missing
}
lists_empty() {
	for f in "$APT_LISTS"/*_Packages*; do
		[ -e "$f" ] && return 1
	done
	return 0
}

if [ -n "$need_arch" ]; then
	echo "install-deps: dpkg --add-architecture $need_arch"
	dpkg --add-architecture "$need_arch"
	update
fi
[ -z "$missing" ] && exit 0
[ -z "$updated" ] && lists_empty && update
echo "install-deps: installing$missing"
install && exit 0
[ -n "$updated" ] && exit 1
echo "install-deps: the install failed; refreshing the package lists and trying once more"
update
install
