# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# bindwatch build.
#
# bpf/*.bpf.c is compiled once for the bpf target against vmlinux/$(ARCH)/
# vmlinux.h (CO-RE: the same object loads on any kernel with BTF), turned
# into a skeleton header by bpftool, and linked into ./bindwatch with the
# userspace objects from src/, whose folders follow a conflict's way
# through the monitor (doc/architecture.md):
#
#   src/capture/  the kernel half: load, attach, the ring buffer, the ledger
#   src/enrich/   the requester's /proc, cgroup, unit and network namespace
#   src/explain/  the kernel's conflict rules, the holders, the diagnosis
#   src/act/      the policy, its decisions, reclaims and hooks
#   src/output/   records rendered and written, metrics
#   src/lib/      helpers with no knowledge of conflicts
#   src/          main.c, the command line, and event.h, the data model
#
# Pure modules (no libbpf) are also linked into the cmocka unit tests
# under tests/unit/.  Everything is built in build/, in the same folders;
# header dependencies are tracked with -MMD.  V=1 shows commands.
#
#   make          build ./bindwatch
#   make run      install missing packages, build, run with defaults
#   make test     install missing packages, build, run the whole suite
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
SRC_DIRS := capture enrich explain act output lib
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

# Modules without libbpf: shared by bindwatch and the unit tests.
PURE := lib/strbuf lib/addr lib/portlist lib/duration \
	enrich/procinfo enrich/cgroup enrich/cgpath enrich/stallguard enrich/netns \
	explain/conflict explain/explain explain/bindspec explain/walkbudget \
	act/policy act/policy_file act/policy_regex act/policy_match act/template act/recvars act/verdict act/replay act/incident act/contain \
	capture/ledger output/escape output/json output/record output/http output/peers
# Modules that drive the kernel side.
MAIN := main options lib/log lib/privs \
	capture/loader capture/instance enrich/enrich \
	explain/holders explain/sockdiag explain/diagnose explain/who \
	explain/nsarg explain/check explain/check_cmd lib/kconfig lib/nsrun \
	act/checkpolicy act/hooks act/reclaim act/decider act/ownership \
	output/output output/notify output/metrics output/scrape
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all run test deps vmlinux clean unit-tests install
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINARY)

# Every goal below that compiles needs a vmlinux.h for this architecture.
ifeq ($(filter clean deps vmlinux,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(VMLINUX)),)
$(error unsupported architecture '$(ARCH)' (uname -m: $(UNAME_M)): no $(VMLINUX); generate it on such a machine with 'make vmlinux')
endif
endif

deps:
	$(Q)scripts/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	./$(BINARY) $(ARGS)

test: deps
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

# These include skeletons: generate them first.
$(BUILD)/capture/loader.o: $(BUILD)/bindwatch.skel.h $(BUILD)/fexit_probe.lskel.h
$(BUILD)/explain/holders.o: $(BUILD)/holders.skel.h $(BUILD)/holders.lskel.h \
	$(BUILD)/holders_fast.lskel.h

$(BUILD)/%.o: src/%.c | $(BUILD) $(addprefix $(BUILD)/,$(SRC_DIRS))
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BINARY): $(addprefix $(BUILD)/,$(addsuffix .o,$(MAIN) $(PURE)))
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%.o: tests/unit/%.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(addprefix $(BUILD)/,$(addsuffix .o,$(PURE)))
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
	$(Q)install -D -m 0755 bindwatch $(DESTDIR)$(SBINDIR)/bindwatch
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

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d)

# ---- kernel matrix: bindwatch under qemu on Debian's 6.1 and 6.12 kernels
#
#   make kernel-test  build bindwatch and build/conflicts, run
#                     scripts/kernel-matrix.sh
#                     (needs qemu-system-x86, busybox-static, cpio; downloads
#                     the kernels into build/kernels/ the first time)

.PHONY: kernel-test

$(BUILD)/conflicts: tests/kernels/conflicts.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(filter-out $(SAN_FLAGS),$(BW_CFLAGS)) -static $< -o $@

kernel-test: bindwatch $(BUILD)/conflicts
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

FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
	       -Ibpf $(SRC_INCLUDES) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_POLICY_SRCS := $(addprefix src/,$(addsuffix .c,act/policy act/policy_file act/policy_regex act/policy_match act/template act/recvars \
		    enrich/cgpath explain/conflict lib/addr lib/portlist lib/strbuf lib/duration))
FUZZ_REPLAY_SRCS := $(FUZZ_POLICY_SRCS) \
		    $(addprefix src/,$(addsuffix .c,act/replay act/verdict act/incident explain/explain \
		    output/escape output/json))

$(BUILD)/fuzz_policy: tests/fuzz/fuzz_policy.c $(FUZZ_POLICY_SRCS) $(wildcard src/*.h src/*/*.h) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_POLICY_SRCS) $(POLICY_LIBS) -o $@

$(BUILD)/fuzz_replay: tests/fuzz/fuzz_replay.c $(FUZZ_REPLAY_SRCS) $(wildcard src/*.h src/*/*.h) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_REPLAY_SRCS) $(POLICY_LIBS) -o $@

include mk/static.mk
include mk/package.mk
