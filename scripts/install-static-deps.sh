#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Install what `make static` needs on top of scripts/install-deps.sh, for
# the target architecture given as $1 (Debian's name: amd64, arm64).
#
# Design: every library bindwatch links is taken from Debian.  Most -dev
# packages ship the .a already; libmicrohttpd's .a drags in gnutls and
# seven more libraries, so scripts/build-static-deps.sh rebuilds it from
# Debian's source package without TLS.  That needs a deb-src entry: it is
# derived from the machine's own "deb" entries (same mirror, same suites,
# same signing key), written once to its own file, never to the files the
# system owns.  A foreign architecture (arm64 on an amd64 host) is added to
# dpkg only when a binary for it is asked for (make static ARCH=arm64, or
# make static-all, which make test runs); apt may then bring the host's
# copies of shared libraries to the same version as the arm64 ones, as
# multiarch requires.  Idempotent and quiet when nothing is missing, like
# install-deps.sh.
set -eu

ARCH=${1:-$(dpkg --print-architecture)}
HOST_ARCH=$(dpkg --print-architecture)
SRC_DIR=/etc/apt/sources.list.d
SRC_NAME=bindwatch-deb-src
# the -dev packages whose .a files are linked, per target architecture
LIBS="libbpf-dev libelf-dev zlib1g-dev libyaml-dev libpcre2-dev libjansson-dev"
# dpkg-dev for apt-get source; file and strace for tests/static.sh
TOOLS="dpkg-dev file strace"

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

# deb-src entries, derived from the "deb" ones when none is enabled yet:
# deb822 files (*.sources) and one-line files (*.list) each into their own
# file of the same format
if ! grep -qsE '^(Types:.*deb-src|deb-src[[:space:]])' /etc/apt/sources.list \
	/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
	as_root "no deb-src entry in /etc/apt for Debian's source packages"
	echo "install-static-deps: adding deb-src entries in $SRC_DIR/$SRC_NAME.*"
	for f in "$SRC_DIR"/*.sources; do
		[ -f "$f" ] && grep -qs '^Types: deb$' "$f" && sed 's/^Types: deb$/Types: deb-src/' "$f" && echo
	done >"$SRC_DIR/$SRC_NAME.sources.tmp"
	grep -hsE '^deb[[:space:]]' /etc/apt/sources.list "$SRC_DIR"/*.list |
		sed 's/^deb\([[:space:]]\)/deb-src\1/' >"$SRC_DIR/$SRC_NAME.list.tmp" || true
	for ext in sources list; do
		if [ -s "$SRC_DIR/$SRC_NAME.$ext.tmp" ]; then
			mv "$SRC_DIR/$SRC_NAME.$ext.tmp" "$SRC_DIR/$SRC_NAME.$ext"
		else
			rm -f "$SRC_DIR/$SRC_NAME.$ext.tmp"
		fi
	done
	need_update=1
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
