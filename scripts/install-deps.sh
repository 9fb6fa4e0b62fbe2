#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Install the Debian packages bindwatch needs to build and test, skipping
# those already present.  Idempotent and quiet when nothing is missing, so
# `make run` and `make test` call it every time.  The package lists are
# refreshed once, and only when something has to be installed (a fresh
# machine may have empty or stale lists).
set -eu

PACKAGES="
	make gcc pkg-config
	clang llvm bpftool libclang-rt-dev
	libbpf-dev libelf-dev zlib1g-dev
	libcmocka-dev libmicrohttpd-dev libyaml-dev libpcre2-dev libjansson-dev
	iproute2 util-linux python3
	qemu-system-x86 busybox-static cpio
	lsof psmisc
	dpkg-dev lintian file podman runc yamllint python3-yaml
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y -qq --no-install-recommends $missing
