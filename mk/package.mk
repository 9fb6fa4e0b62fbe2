# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Release artifacts from the static binary, included by the top-level
# Makefile.  The package and the image carry the static binary only: it
# runs on any distribution (no Depends) and in an image FROM scratch.
#
#   make deb           build/bindwatch_VERSION_DEBARCH.deb (packaging/build-deb.sh)
#   make deb ARCH=arm64
#   make image         OCI image bindwatch:VERSION from packaging/image/Containerfile
#                      (podman; ARCH=arm64 builds bindwatch:VERSION-arm64, linux/arm64;
#                      IMAGE=NAME:TAG names it otherwise)
#   make release-test  tests/release/ (pytest): lintian, the package installed,
#                      run and removed, the image run as a monitor, the DaemonSet
#
# PKG_BINARY is the binary packaged; it defaults to the static build of
# ARCH (mk/static.mk).  VERSION comes from version.h, the one place it is written.

VERSION_H := $(firstword $(wildcard src/version.h src/*/version.h))
VERSION := $(shell sed -n 's/^\#define BINDWATCH_VERSION "\(.*\)"/\1/p' $(VERSION_H))
DEB_ARCH := $(if $(filter x86,$(ARCH)),amd64,$(ARCH))
OCI_ARCH := $(DEB_ARCH)
# mk/static.mk's binary for ARCH, built by `make static`; another binary
# given on the command line is taken as it is
PKG_BINARY ?= $(STATIC_BINARY)
PKG_PREREQ := $(if $(filter $(STATIC_BINARY),$(PKG_BINARY)),static,$(PKG_BINARY))
PKG_STRIP ?= $(or $(STATIC_STRIP),strip)
DEB := $(BUILD)/bindwatch_$(VERSION)_$(DEB_ARCH).deb
PODMAN ?= podman
# a cross-built image is tagged apart, so it never replaces the host's
IMAGE ?= bindwatch:$(VERSION)$(if $(STATIC_CROSS),-$(ARCH))

.PHONY: deb image release-test

# Rebuilt each time (it takes a second): `static` is phony, so a file
# rule on the binary could not tell whether it changed.
deb: $(PKG_PREREQ) | $(BUILD)
	$(call msg,DEB,$(DEB))
	$(Q)STRIP=$(PKG_STRIP) packaging/build-deb.sh $(PKG_BINARY) $(DEB_ARCH) $(VERSION) $(DEB) >/dev/null

# The build context is a directory holding the binary alone, so nothing
# else of the tree is sent to the builder or can land in the image; the
# binary is stripped as in the package.
image: $(PKG_PREREQ) | $(BUILD)
	$(Q)scripts/install-deps.sh image
	$(call msg,IMAGE,$(IMAGE) ($(OCI_ARCH)))
	$(Q)rm -rf $(BUILD)/image-context && mkdir -p $(BUILD)/image-context
	$(Q)$(PKG_STRIP) --strip-unneeded --remove-section=.comment --remove-section=.note \
		-o $(BUILD)/image-context/bindwatch $(PKG_BINARY)
	$(Q)$(PODMAN) build --quiet --platform linux/$(OCI_ARCH) --build-arg VERSION=$(VERSION) \
		-f packaging/image/Containerfile -t $(IMAGE) $(BUILD)/image-context >/dev/null

release-test:
	$(Q)PKG_BINARY=$(PKG_BINARY) MAKE="$(MAKE)" /usr/bin/python3 -m pytest tests/release

# `make print-VAR`: the value of VAR, for the tests (tests/release/)
print-%:
	@echo '$($*)'
