# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Static binaries (included by the top-level Makefile).
#
#   make static             ./bindwatch-static for this machine (x86_64)
#   make static ARCH=arm64  ./bindwatch-static-arm64, cross-compiled with
#                           gcc-aarch64-linux-gnu and Debian's arm64 -dev
#                           packages (multiarch), BPF against vmlinux/arm64
#   make static-all         both (make test builds them)
#
# Design: the static build is the normal build run again by a sub-make with
# its own build directory (build/static/, build/static-arm64/: static and
# dynamic objects never mix, as with SANITIZE=1), its own compiler and its
# own link line; the compile rules stay those of the top-level Makefile, so
# they cannot drift apart.  Every library is Debian's .a
# (scripts/install-static-deps.sh installs the packages, for a foreign
# architecture through dpkg multiarch).  The BPF objects are embedded
# as skeletons as in the dynamic binary.  src/ does no NSS lookup (no
# getpwnam, getaddrinfo...), so glibc's static link has nothing it must
# dlopen at run time: the link fails (--fatal-warnings) if that changes.
# The shipped binary has its debug info stripped; the unstripped one stays
# in the build directory for debugging.

.PHONY: static static-all

# make test checks the static binaries (tests/static/) and the kernel
# matrix boots them: on x86_64 both this machine's and the arm64 one, built
# one after the other (each may run apt), after deps for the same reason,
# and under make test after test-deps too
STATIC_ALL_ARCHES := $(ARCH) $(if $(filter x86,$(ARCH)),arm64)
test: static-all
static static-all: deps
static-all: $(if $(filter test,$(MAKECMDGOALS)),test-deps)
static-all:
	$(Q)for arch in $(STATIC_ALL_ARCHES); do \
		$(MAKE) --no-print-directory static ARCH=$$arch || exit 1; \
	done

# Debian architecture and GNU triple of each supported target (ARCH is the
# kernel's name, as for vmlinux/$(ARCH)/)
STATIC_DEB_x86 := amd64
STATIC_GNU_x86 := x86_64-linux-gnu
STATIC_DEB_arm64 := arm64
STATIC_GNU_arm64 := aarch64-linux-gnu
STATIC_DEB := $(STATIC_DEB_$(ARCH))
STATIC_GNU := $(STATIC_GNU_$(ARCH))
STATIC_HOST_GNU := $(STATIC_GNU_$(shell echo $(UNAME_M) | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/'))
STATIC_CROSS := $(filter-out $(STATIC_HOST_GNU),$(STATIC_GNU))

STATIC_BUILD := build/static$(if $(STATIC_CROSS),-$(ARCH))
STATIC_BINARY := bindwatch-static$(if $(STATIC_CROSS),-$(ARCH))
STATIC_CC := $(if $(STATIC_CROSS),$(STATIC_GNU)-gcc,$(CC))
STATIC_STRIP := $(if $(STATIC_CROSS),$(STATIC_GNU)-strip,strip)
# libbpf needs libelf and zlib
STATIC_LDLIBS := -static -Wl,--fatal-warnings \
		 -lbpf -lelf -lz -lyaml -lpcre2-8 -ljansson -lpthread

static:
ifeq ($(STATIC_GNU),)
	$(error make static: ARCH=$(ARCH) is not supported (expected x86 or arm64))
endif
	$(Q)scripts/install-static-deps.sh $(STATIC_DEB)
	$(Q)$(MAKE) --no-print-directory SANITIZE= BUILD=$(STATIC_BUILD) \
		BINARY=$(STATIC_BUILD)/bindwatch CC=$(STATIC_CC) ARCH=$(ARCH) \
		CFLAGS="$(CFLAGS)" LDLIBS="$(STATIC_LDLIBS)" \
		$(STATIC_BUILD)/bindwatch
	$(Q)if [ ! $(STATIC_BINARY) -nt $(STATIC_BUILD)/bindwatch ]; then \
		printf '  %-8s %s\n' STRIP $(STATIC_BINARY) && \
		$(STATIC_STRIP) --strip-debug -o $(STATIC_BINARY).tmp $(STATIC_BUILD)/bindwatch && \
		mv $(STATIC_BINARY).tmp $(STATIC_BINARY); \
	fi

.PHONY: clean-static
clean: clean-static
clean-static:
	$(Q)rm -f bindwatch-static bindwatch-static-*
