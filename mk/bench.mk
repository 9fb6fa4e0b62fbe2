# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Benchmarks: `make bench` reports, never asserts (see README, "Overhead").
# Included by the top-level Makefile, whose variables ($(BUILD), $(CC),
# $(ALL_CFLAGS), $(LDLIBS), msg, Q) and pattern rules ($(BUILD)/%.bpf.o,
# $(BUILD)/%.skel.h) it uses.
#
#   build/bindbench  per-call cost of bind() and friends (tests/bench/)
#   build/holdmany   a crowd of processes holding sockets
#   build/floor      bpf/floor.bpf.c's empty programs on bindwatch's hooks:
#                    the floor every bindwatch figure is also compared to
#
# scripts/bench.sh and scripts/bench-who.sh each add their rows of the
# target table to $(BENCH_TABLE); scripts/bench-table.sh prints it last.

.PHONY: bench

BENCH_TABLE := $(BUILD)/bench-table.txt
BENCH_TOOLS := $(BUILD)/bindbench $(BUILD)/holdmany $(BUILD)/floor

bench: all $(BENCH_TOOLS)
	$(Q)rm -f $(BENCH_TABLE)
	$(Q)BENCH_TABLE=$(BENCH_TABLE) scripts/bench.sh $(BUILD)/bindbench $(BUILD)/floor
	$(Q)BENCH_TABLE=$(BENCH_TABLE) scripts/bench-who.sh $(BUILD)/holdmany
	$(Q)scripts/bench-table.sh $(BENCH_TABLE)

$(BUILD)/bindbench $(BUILD)/holdmany: $(BUILD)/%: tests/bench/%.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

$(BUILD)/floor: tests/bench/floor.c $(BUILD)/floor.skel.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LDLIBS) -o $@
