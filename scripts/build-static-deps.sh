#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Build the static libraries `make static` needs that Debian does not ship
# in a usable form, from Debian's own source packages, inside the build tree.
#
#   scripts/build-static-deps.sh DEBIAN_ARCH GNU_TRIPLE PREFIX
#   e.g.  scripts/build-static-deps.sh arm64 aarch64-linux-gnu build/static-arm64/deps
#
# Today that is libmicrohttpd alone: libmicrohttpd-dev's libmicrohttpd.a is
# built with HTTPS, so linking it statically pulls in gnutls, nettle,
# hogweed, gmp, tasn1, idn2, unistring and p11-kit (p11-kit dlopens its
# modules at run time).  bindwatch serves its metrics over plain HTTP
# (loopback by default), so the copy built here has --disable-https and
# needs nothing but libc.  The source is the version apt would install
# (`apt-get source`, which checks it against the signed Release file), so
# the static binary carries the same code and Debian patches as the
# dynamic one.  The unpacked source is kept in build/static-src/ and shared
# by every architecture; the result goes to PREFIX/{include,lib}.  Nothing
# is done when PREFIX/lib/libmicrohttpd.a exists.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: $0 DEBIAN_ARCH GNU_TRIPLE PREFIX (e.g. amd64 x86_64-linux-gnu build/static/deps)" >&2
	exit 2
fi
ARCH=$1 GNU=$2 PREFIX=$3
SRC_ROOT=build/static-src
PKG=libmicrohttpd

[ -f "$PREFIX/lib/libmicrohttpd.a" ] && exit 0

mkdir -p "$SRC_ROOT" "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
src=$(find "$SRC_ROOT" -mindepth 1 -maxdepth 1 -type d -name "$PKG-*" | head -n 1)
if [ -z "$src" ]; then
	echo "  SOURCE   $PKG (Debian source package)"
	if ! (cd "$SRC_ROOT" && apt-get source -qq "$PKG" >apt-source.log 2>&1); then
		cat "$SRC_ROOT/apt-source.log" >&2
		echo "$0: apt-get source $PKG failed; run scripts/install-static-deps.sh $ARCH (it adds the deb-src entry)" >&2
		exit 1
	fi
	src=$(find "$SRC_ROOT" -mindepth 1 -maxdepth 1 -type d -name "$PKG-*" | head -n 1)
fi

# out-of-tree, one build directory per architecture
obj=$(dirname "$PREFIX")/$PKG-build
rm -rf "$obj"
mkdir -p "$obj"
echo "  BUILD    $PKG for $ARCH without HTTPS -> $PREFIX"
src=$(cd "$src" && pwd)
log=$obj/build.log
if ! (cd "$obj" &&
	"$src/configure" --build="$(cc -dumpmachine)" --host="$GNU" --prefix="$PREFIX" --enable-static --disable-shared \
		--disable-https --disable-doc --disable-examples --disable-curl --disable-nls \
		--with-threads=posix CFLAGS="-O2 -g" &&
	make -j"$(nproc)" -C src/microhttpd &&
	make -C src/microhttpd install &&
	make -C src/include install) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "$0: building $PKG for $ARCH failed (full log: $log)" >&2
	exit 1
fi
# Check that the library really has no TLS in it, rather than trusting the flag.
if grep -q '^#define HTTPS_SUPPORT 1' "$obj/MHD_config.h"; then
	echo "$0: $PKG was configured with HTTPS support despite --disable-https" >&2
	exit 1
fi
