# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# mk/kernels-arm64.mk - the aarch64 side of the kernel matrix
# (scripts/kernel-matrix.sh boots Debian's arm64 kernels under
# qemu-system-aarch64): tests/kernels/conflicts.c cross-compiled, static,
# for the aarch64 guests, whose initramfs has no libc.
#
#   make build/conflicts-arm64   (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)
#
# kernel-matrix.sh runs this goal itself before it boots an arm64 kernel,
# so that a machine without the cross compiler skips the arm64 half of the
# matrix instead of failing `make test`.

CROSS_ARM64 ?= aarch64-linux-gnu-
CONFLICTS_ARM64 := $(BUILD)/conflicts-arm64

$(CONFLICTS_ARM64): tests/kernels/conflicts.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CROSS_ARM64)gcc $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
		-D_GNU_SOURCE -static $< -o $@
