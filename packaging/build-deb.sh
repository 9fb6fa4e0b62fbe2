#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# build-deb.sh BINARY DEB_ARCH VERSION OUT.deb - lay out bindwatch's Debian
# package in a staging tree and build it with dpkg-deb (mk/package.mk runs
# it for `make deb`).  No debhelper: the package is one static binary and
# a few data files, so the layout is spelled out here, where it can be read
# in one screen.  Files are root's (--root-owner-group) and dated from the
# changelog (SOURCE_DATE_EPOCH), so the same inputs give the same .deb.
#
#   /usr/sbin/bindwatch                          the binary (static: no Depends)
#   /lib/systemd/system/bindwatch.service        the unit, @SBINDIR@ filled in
#   /usr/share/man/man{5,8}/*.gz                 the man pages (doc/*.5, doc/*.8)
#   /etc/logrotate.d/bindwatch                   conffile
#   /usr/share/doc/bindwatch/*.md                the documents (doc/*.md)
#   /usr/share/doc/bindwatch/examples/policy.yaml
#   /usr/share/doc/bindwatch/examples/bindwatch-rules{,.test}.yml  Prometheus alert rules
#   /usr/share/doc/bindwatch/{copyright,changelog.gz}
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 BINARY DEB_ARCH VERSION OUT.deb" >&2
	exit 2
fi
binary=$1 arch=$2 version=$3 out=$4
top=$(cd "$(dirname "$0")/.." && pwd)
deb=$top/packaging/deb
sbindir=/usr/sbin
# where Debian 12 packages put units (the /usr merge moves them later)
unitdir=/lib/systemd/system
docdir=/usr/share/doc/bindwatch

if [ ! -x "$binary" ]; then
	echo "build-deb.sh: $binary: no such executable; build it first (make static)" >&2
	exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
umask 022
chmod 0755 "$stage"

# stripped as dh_strip does (lintian: unstripped-binary-or-object);
# STRIP is the target architecture's strip
mkdir -p "$stage$sbindir"
"${STRIP:-strip}" --strip-unneeded --remove-section=.comment --remove-section=.note \
	-o "$stage$sbindir/bindwatch" "$binary"
chmod 0755 "$stage$sbindir/bindwatch"
mkdir -p "$stage$unitdir"
sed "s|@SBINDIR@|$sbindir|g" "$top/scripts/bindwatch.service" >"$stage$unitdir/bindwatch.service"
install -D -m 0644 "$top/scripts/bindwatch.logrotate" "$stage/etc/logrotate.d/bindwatch"
mkdir -p "$stage$docdir/examples"
for page in "$top"/doc/*.[1-8]; do
	name=$(basename "$page")
	mkdir -p "$stage/usr/share/man/man${name##*.}"
	gzip -9n <"$page" >"$stage/usr/share/man/man${name##*.}/$name.gz"
done
install -m 0644 "$top"/doc/*.md "$stage$docdir/"
install -m 0644 "$top/packaging/examples/policy.yaml" "$stage$docdir/examples/policy.yaml"
install -m 0644 "$top/deploy/prometheus/bindwatch-rules.yml" \
	"$top/deploy/prometheus/bindwatch-rules.test.yml" "$stage$docdir/examples/"
install -m 0644 "$deb/copyright" "$stage$docdir/copyright"
sed "s|@VERSION@|$version|g" "$deb/changelog" | gzip -9n >"$stage$docdir/changelog.gz"
install -D -m 0644 "$deb/lintian-overrides" "$stage/usr/share/lintian/overrides/bindwatch"

mkdir -p "$stage/DEBIAN"
install -m 0755 "$deb/postinst" "$deb/postrm" "$stage/DEBIAN/"
install -m 0644 "$deb/conffiles" "$stage/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" \
	"$deb/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
	LC_ALL=C sort | xargs md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

# the changelog's date, so that a rebuild gives the same archive
SOURCE_DATE_EPOCH=$(date -d "$(sed -n 's/^ -- .*>  //p' "$deb/changelog" | head -n 1)" +%s)
export SOURCE_DATE_EPOCH
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
