#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Generate vmlinux/arm64/vmlinux.h, the kernel types the BPF programs are
# compiled against for arm64 (make static ARCH=arm64), on any machine:
# from the BTF inside Debian's arm64 cloud kernel package, no arm64 host
# needed.
#
#   scripts/gen-vmlinux-arm64.sh [KERNEL_PACKAGE]
#
# KERNEL_PACKAGE defaults to what Debian's linux-image-cloud-arm64 depends
# on (linux-image-6.1.0-57-cloud-arm64, 6.1.192-3, when vmlinux.h was last
# made).  6.1 is the base on purpose: CO-RE relocates every field access
# to the running kernel, and the layouts that changed later (6.6 and on)
# are handled by the flavours in bpf/core_fixes.bpf.h, as on x86.
#
# How: the package's /boot/vmlinuz is an uncompressed arm64 Image, a flat
# binary without ELF sections, and its System.map is a stub (the real one
# is in the -dbg package, hundreds of MB).  But the .BTF section is copied
# into the Image as is, the same bytes the kernel later serves as
# /sys/kernel/btf/vmlinux.  So the Image is searched for a BTF header
# (magic 0xeB9F, version 1, header of 24 bytes, types then strings, the
# string table starting and ending with NUL) and exactly one such blob
# must be found; bpftool then checks it fully while dumping it as C.
# Booting the kernel under qemu-system-aarch64 (TCG) to read
# /sys/kernel/btf/vmlinux would give the same bytes in minutes rather than
# a second.  The package comes from Debian's archive through apt (the
# arm64 architecture must be known to dpkg: scripts/install-static-deps.sh
# arm64 adds it) into build/vmlinux-arm64/.
set -eu
cd "$(dirname "$0")/.."

META=linux-image-cloud-arm64:arm64
WORK=build/vmlinux-arm64
OUT=vmlinux/arm64/vmlinux.h

if [ $# -gt 1 ]; then
	echo "usage: $0 [KERNEL_PACKAGE]  (default: what $META depends on)" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	pkg=${1%:arm64}
else
	pkg=$(apt-cache depends "$META" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^:]*\).*/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		echo "$0: apt knows no $META; run scripts/install-static-deps.sh arm64 (adds the arm64 architecture)" >&2
		exit 1
	fi
fi

rm -rf "$WORK"
mkdir -p "$WORK/root" "$(dirname "$OUT")"
echo "  FETCH    $pkg:arm64"
if ! (cd "$WORK" && apt-get download -qq "$pkg:arm64" >download.log 2>&1); then
	cat "$WORK/download.log" >&2
	echo "$0: apt-get download $pkg:arm64 failed" >&2
	exit 1
fi
deb=$(ls "$WORK"/*.deb)
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$WORK/root"
image=$(ls "$WORK"/root/boot/vmlinuz-*)

echo "  EXTRACT  BTF from $(basename "$image")"
python3 - "$image" "$WORK/btf" <<'EOF'
import struct
import sys

BTF_MAGIC = b"\x9f\xeb\x01\x00"  # 0xeB9F little-endian, version 1, flags 0
BTF_HDR_LEN = 24                 # sizeof(struct btf_header)

image, out = sys.argv[1], sys.argv[2]
data = open(image, "rb").read()
found = []
at = data.find(BTF_MAGIC)
while at >= 0:
    if at + BTF_HDR_LEN <= len(data):
        hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<IIIII", data, at + 4)
        end = at + hdr_len + str_off + str_len
        if (hdr_len == BTF_HDR_LEN and type_off == 0 and str_off == type_len and str_len > 0
                and end <= len(data) and data[at + hdr_len + str_off] == 0 and data[end - 1] == 0):
            found.append((at, end))
    at = data.find(BTF_MAGIC, at + 1)
if len(found) != 1:
    sys.exit(f"{image}: expected exactly one BTF blob, found {len(found)}: {found}")
start, end = found[0]
open(out, "wb").write(data[start:end])
print(f"  BTF      {end - start} bytes at offset {start}")
EOF

echo "  GEN      $OUT ($pkg $version)"
{
	echo "/* Types of Debian's arm64 kernel $pkg $version, from its BTF"
	echo " * (scripts/gen-vmlinux-arm64.sh). */"
	bpftool btf dump file "$WORK/btf" format c
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
