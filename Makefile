# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bindwatch build.
#
# bpf/*.bpf.c is compiled once for the bpf target against vmlinux/$(ARCH)/
# vmlinux.h (CO-RE: the same object loads on any kernel with BTF), turned
# into a skeleton header by bpftool, and linked into ./bindwatch with the
# userspace objects from src/, whose folders are floors: a file includes
# and calls only what lies on its own floor or below (doc/architecture.md):
#
#   src/main.c      the table of commands
#   src/cmd/        one file per command (monitor.c: the event loop), the
#                   command line and the exit codes
#   src/output/     the sinks: records rendered and written, metrics, hooks
#                   and the incidents they alert once for
#   src/act/        the policy, its decisions and reclaims, port ownership
#   src/explain/    the kernel's conflict rules, the holders, the diagnosis
#   src/event.[ch]  the data model: a conflict's types
#   src/capture/    the kernel half: load, attach, the ring buffer, the ledger
#   src/enrich/     the requester's /proc, cgroup, unit, network namespace
#                   and identity
#   src/lib/        helpers with no knowledge of conflicts
#
# The build finds its sources by folder: every src/*.c and src/*/*.c is
# compiled and linked into ./bindwatch, so a new file in a stage folder
# (or a new folder) needs no change here.  The modules that need libbpf
# are told apart by a marker the code carries anyway: they include a
# libbpf header (<bpf/...>) or a BPF skeleton.  All the others are pure
# and go into $(BUILD)/libpure.a, which the cmocka unit tests under
# tests/unit/ link against without -lbpf (the fuzzers likewise, from
# their own instrumented build of the same modules): the linker takes
# only the modules a test uses, and a test that came to need a libbpf
# one would fail to link.  Everything is built in build/, in the same
# folders; header dependencies are tracked with -MMD.  V=1 shows commands.
#
#   make          build ./bindwatch
#   make run      install what building and running need (make deps),
#                 build, run with defaults
#   make test     install that and the test tools (make test-deps), build,
#                 run the whole suite
#   make test SANITIZE=1
#                 the same with bindwatch and the unit tests built with
#                 AddressSanitizer and UBSan (in build/sanitize/)
#   make bench    measure the cost of bindwatch on bind() and other syscalls,
#                 against nothing attached and against empty programs on the
#                 same hooks, and of naming a port's holder (vs ss, lsof,
#                 fuser); ends with the target table (mk/bench.mk)
#   make static   ./bindwatch-static: statically linked, nothing needed on
#                 the host (mk/static.mk); ARCH=arm64 cross-builds
#                 ./bindwatch-static-arm64
#   make vmlinux  regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel
#   make install  install the binary, man pages, documents, systemd unit and
#                 logrotate snippet under $(DESTDIR)$(PREFIX) (PREFIX=/usr/local)

UNAME_M := $(shell uname -m)
ARCH ?= $(shell echo $(UNAME_M) | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' \
	-e 's/ppc64le/powerpc/' -e 's/s390x/s390/' -e 's/riscv64/riscv/' -e 's/loongarch64/loongarch/')

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

# SANITIZE=1: everything built with ASan and UBSan, apart from the normal
# build, so switching back and forth never mixes objects.
ifeq ($(SANITIZE),1)
BUILD := build/sanitize
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD := build
SAN_FLAGS :=
endif
BINARY := $(if $(SAN_FLAGS),$(BUILD)/bindwatch,bindwatch)
VMLINUX_DIR := vmlinux/$(ARCH)
VMLINUX := $(VMLINUX_DIR)/vmlinux.h

# CFLAGS is the user's (make CFLAGS=...); what the build needs is kept apart
# so that setting CFLAGS on the command line never drops it.
CFLAGS ?= -g -O2
SRC_DIRS := $(patsubst src/%/,%,$(wildcard src/*/))
SRC_INCLUDES := -Isrc $(addprefix -Isrc/,$(SRC_DIRS))
BW_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -MMD -MP \
	     -D_GNU_SOURCE -I$(BUILD) -Ibpf $(SRC_INCLUDES) $(SAN_FLAGS)
ALL_CFLAGS = $(CFLAGS) $(BW_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall \
	      -Wno-unused-parameter -I$(VMLINUX_DIR) -Ibpf -MMD -MP
YAML_LIBS := $(shell $(PKG_CONFIG) --libs yaml-0.1 2>/dev/null || echo -lyaml)
PCRE2_LIBS := $(shell $(PKG_CONFIG) --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)
JANSSON_LIBS := $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)
# what the policy modules (PURE: policy, replay) need, wherever they are linked
POLICY_LIBS := $(YAML_LIBS) $(PCRE2_LIBS) $(JANSSON_LIBS)
LDLIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz \
	  $(POLICY_LIBS)

SRCS := $(wildcard src/*.c src/*/*.c)
# the modules that need libbpf (see the top of this file)
KERNEL_SRCS := $(shell grep -l -E '^\#include (<bpf/|"[^"]*skel\.h")' $(SRCS))
PURE_SRCS := $(filter-out src/main.c $(KERNEL_SRCS),$(SRCS))
OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(SRCS))
PURE_OBJS := $(patsubst src/%.c,$(BUILD)/%.o,$(PURE_SRCS))
SKELS := $(BUILD)/bindwatch.skel.h $(BUILD)/fexit_probe.lskel.h $(BUILD)/holders.skel.h \
	 $(BUILD)/holders.lskel.h $(BUILD)/holders_fast.lskel.h
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all run test deps test-deps vmlinux clean unit-tests install
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINARY)

# Every goal below that compiles needs a vmlinux.h for this architecture.
ifeq ($(filter clean deps test-deps vmlinux,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(VMLINUX)),)
$(error unsupported architecture '$(ARCH)' (uname -m: $(UNAME_M)): no $(VMLINUX); generate it on such a machine with 'make vmlinux')
endif
endif

# the missing Debian packages of a set (scripts/install-deps.sh)
deps:
	$(Q)scripts/install-deps.sh build

test-deps:
	$(Q)scripts/install-deps.sh test

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./$(BINARY) $(ARGS)

test: test-deps
	$(Q)$(MAKE) --no-print-directory all unit-tests $(BUILD)/conflicts $(BUILD)/fuzz_policy $(BUILD)/fuzz_replay
	$(Q)BUILD=$(BUILD) BINDWATCH=$(CURDIR)/$(BINARY) tests/run

unit-tests: $(UNIT_TESTS)

vmlinux:
	$(Q)mkdir -p $(VMLINUX_DIR)
	$(call msg,GEN,$(VMLINUX))
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp
	$(Q)mv $(VMLINUX).tmp $(VMLINUX)

$(BUILD) $(BUILD)/tests $(addprefix $(BUILD)/,$(SRC_DIRS)):
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# holders.bpf.c built a second time with the faster descriptor walk (6.2+).
$(BUILD)/holders_fast.bpf.o: bpf/holders.bpf.c $(VMLINUX) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DHOLDERS_FAST -MF $(@:.o=.d) -c $< -o $@

# The light skeleton (-L): loaded by a BPF program of its own, relocated
# and attached by the kernel, with no BTF parsed in userspace (holders.c).
$(BUILD)/%.lskel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton -L $< name $*_lbpf > $@.tmp && mv $@.tmp $@

# The modules that need libbpf may include a skeleton: generate them first.
$(patsubst src/%.c,$(BUILD)/%.o,$(KERNEL_SRCS)): $(SKELS)

$(BUILD)/%.o: src/%.c | $(BUILD) $(addprefix $(BUILD)/,$(SRC_DIRS))
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BINARY): $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/libpure.a: $(PURE_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/tests/%.o: tests/unit/%.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/libpure.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -lcmocka $(POLICY_LIBS) -lpthread -o $@

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/bindwatch
UNITDIR ?= $(PREFIX)/lib/systemd/system
LOGROTATEDIR ?= /etc/logrotate.d
# the man pages (doc/NAME.SECTION) and the documents they point to
MAN_PAGES := $(wildcard doc/*.[1-8])
DOCS := $(wildcard doc/*.md)

install: $(BINARY)
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR)/bindwatch)
	$(Q)install -D -m 0755 $(BINARY) $(DESTDIR)$(SBINDIR)/bindwatch
	$(Q)for m in $(MAN_PAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#doc/} || exit; done
	$(Q)install -d $(DESTDIR)$(DOCDIR) && install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(Q)mkdir -p $(DESTDIR)$(UNITDIR)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' scripts/bindwatch.service > $(DESTDIR)$(UNITDIR)/bindwatch.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/bindwatch.service
	$(Q)install -D -m 0644 scripts/bindwatch.logrotate $(DESTDIR)$(LOGROTATEDIR)/bindwatch

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf build bindwatch

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d $(BUILD)/fuzz/*/*.d)

# ---- kernel matrix: bindwatch under qemu on Debian's 6.1 and 6.12 kernels
#
#   make kernel-test  build bindwatch and build/conflicts, run
#                     scripts/kernel-matrix.sh
#                     (installs the test set, qemu-system-x86, busybox-static,
#                     cpio...; downloads the kernels into build/kernels/ the
#                     first time)

.PHONY: kernel-test

$(BUILD)/conflicts: tests/kernels/conflicts.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(filter-out $(SAN_FLAGS),$(BW_CFLAGS)) -static $< -o $@

kernel-test: test-deps bindwatch $(BUILD)/conflicts
	$(Q)scripts/kernel-matrix.sh

include mk/kernels-arm64.mk

# ---- benchmarks: make bench

include mk/bench.mk

# ---- fuzzing: the policy parser and the log replay under libFuzzer
#      (tests/run runs each briefly)
#
#   build/fuzz_policy CORPUS_DIR   fuzz from tests/fuzz/corpus/ seeds; copy
#                                  them first, libFuzzer adds to the directory
#   build/fuzz_replay CORPUS_DIR   the same from tests/fuzz/replay-corpus/

# The fuzzers link against the pure modules as the unit tests do, built
# again with libFuzzer's instrumentation into $(BUILD)/fuzz/.
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
	       -Ibpf $(SRC_INCLUDES) -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJS := $(patsubst src/%.c,$(BUILD)/fuzz/%.o,$(PURE_SRCS))

$(BUILD)/fuzz/%.o: src/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz_%.o: tests/fuzz/fuzz_%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/libpure.a: $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/fuzz_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/libpure.a
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(POLICY_LIBS) -o $@

include mk/static.mk
include mk/package.mk
