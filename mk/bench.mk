# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Benchmarks: `make bench` reports, never asserts (see doc/overhead.md).
# Included by the top-level Makefile, whose variables ($(BUILD), $(CC),
# $(ALL_CFLAGS), $(LDLIBS), msg, Q) and pattern rules ($(BUILD)/%.bpf.o,
# $(BUILD)/%.skel.h) it uses.
#
#   build/bindbench  per-call cost of bind() and friends (tests/bench/)
#   build/connectbench  per-call cost of connect(): what --ephemeral adds
#   build/holdmany   a crowd of processes holding sockets
#   build/floor      bpf/floor.bpf.c's empty programs on bindwatch's hooks:
#                    the floor every bindwatch figure is also compared to
#   build/workload_cost  naming a record's container: workload_of_cgroup(),
#                    cold and cached, on the runtimes' real files
#   build/bindbench-static, build/floor-static
#                    the same, static, for the kernel-matrix guests: fexit
#                    mode measured on Debian's 6.1 and 6.12 under qemu
#                    (GUEST_BENCH=1 scripts/kernel-matrix.sh)
#
# scripts/bench.sh and scripts/bench-who.sh each add their rows of the
# target table to $(BENCH_TABLE); scripts/bench-table.sh prints it last.

.PHONY: bench

BENCH_TABLE := $(BUILD)/bench-table.txt
BENCH_TOOLS := $(BUILD)/bindbench $(BUILD)/connectbench $(BUILD)/holdmany $(BUILD)/floor \
	$(BUILD)/workload_cost
# a not-cached lookup, for the requester and a holder, within 1 ms of a record's p99
WORKLOAD_COLD_P99_US := 500

# the test tools: lsof and fuser to compare with, qemu for the guests;
# build/conflicts, which scripts/kernel-matrix.sh puts in every guest
bench: test-deps all $(BENCH_TOOLS) $(BUILD)/conflicts
	$(Q)rm -f $(BENCH_TABLE)
	$(Q)BENCH_TABLE=$(BENCH_TABLE) scripts/bench.sh $(BUILD)/bindbench $(BUILD)/floor
	$(Q)BENCH_TABLE=$(BENCH_TABLE) scripts/bench-who.sh $(BUILD)/holdmany
	$(Q)$(BUILD)/workload_cost | while read -r _ rt kind _ p50 _ p99 _; do \
		echo "workload lookup, $$rt, $$kind: p50 $$p50 us, p99 $$p99 us"; \
		if [ "$$kind" = cold ]; then scripts/bench-table.sh --row $(BENCH_TABLE) \
			"workload lookup, $$rt, not cached, p99" "$$p99" " us" "<=" $(WORKLOAD_COLD_P99_US); fi; \
	done
	@echo "fexit in the kernel-matrix guests (qemu TCG: ratios only):"
	$(Q)GUEST_BENCH=1 KERNEL_ARCHES=x86_64 MODES=fexit scripts/kernel-matrix.sh 2>/dev/null | \
		grep -E '^(guest-bench|FAIL|skip)' || true
	$(Q)scripts/bench-table.sh $(BENCH_TABLE)

$(BUILD)/bindbench $(BUILD)/connectbench $(BUILD)/holdmany: $(BUILD)/%: tests/bench/%.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< -o $@

$(BUILD)/workload_cost: tests/bench/workload_cost.c $(BUILD)/libpure.a | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ $(POLICY_LIBS) -lpthread -o $@

$(BUILD)/floor: tests/bench/floor.c $(BUILD)/floor.skel.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(LDLIBS) -o $@

# the guests have no libraries: Debian's .a (scripts/install-static-deps.sh)
$(BUILD)/bindbench-static: tests/bench/bindbench.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(filter-out $(SAN_FLAGS),$(BW_CFLAGS)) -static $< -o $@

$(BUILD)/floor-static: tests/bench/floor.c $(BUILD)/floor.skel.h | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(filter-out $(SAN_FLAGS),$(BW_CFLAGS)) -static $< -lbpf -lelf -lz -o $@
