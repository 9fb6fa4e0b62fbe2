#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Install what `make static` needs on top of scripts/install-deps.sh, for
# the target architecture given as $1 (Debian's name: amd64, arm64).
#
# Design: every library bindwatch links is taken from Debian, whose -dev
# packages ship the .a files.  A foreign architecture (arm64 on an amd64
# host) is added to dpkg only when a binary for it is asked for (make
# static ARCH=arm64, or make static-all, which make test runs); apt may
# then bring the host's copies of shared libraries to the same version as
# the arm64 ones, as multiarch requires.  Idempotent and quiet when nothing
# is missing, like install-deps.sh.
set -eu

ARCH=${1:-$(dpkg --print-architecture)}
HOST_ARCH=$(dpkg --print-architecture)
# the -dev packages whose .a files are linked, per target architecture
LIBS="libbpf-dev libelf-dev zlib1g-dev libyaml-dev libpcre2-dev libjansson-dev"
# file and strace for tests/static/
TOOLS="file strace"

missing=""
need_update=0
note_missing() {
	if ! dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $1"
	fi
}

as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-static-deps: $1; run as root to do it" >&2
		exit 1
	fi
}

if [ "$ARCH" = "$HOST_ARCH" ]; then
	for p in $TOOLS $LIBS; do note_missing "$p"; done
else
	case $ARCH in
	arm64) GNU=aarch64-linux-gnu QEMU_USER=qemu-user-static ;;
	*)
		echo "install-static-deps: architecture '$ARCH' is not supported (expected $HOST_ARCH or arm64)" >&2
		exit 1
		;;
	esac
	if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
		as_root "dpkg does not know architecture $ARCH"
		echo "install-static-deps: adding architecture $ARCH"
		dpkg --add-architecture "$ARCH"
		need_update=1
	fi
	for p in $TOOLS "gcc-$GNU" "libc6-dev-$ARCH-cross" $QEMU_USER; do note_missing "$p"; done
	for p in $LIBS; do note_missing "$p:$ARCH"; done
fi

[ -z "$missing" ] && [ "$need_update" -eq 0 ] && exit 0
as_root "missing packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ -n "$missing" ]; then
	echo "install-static-deps: installing$missing"
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	apt-get install -y -qq --no-install-recommends $missing
fi
