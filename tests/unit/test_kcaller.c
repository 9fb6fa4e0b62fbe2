// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_kcaller.c - naming the kernel's own binder from a stack and a
 * kallsyms table (kcaller.c): the nearest text symbol at or below each
 * frame, the socket helpers and bindwatch's own frames passed over, the
 * module in brackets or none for the kernel itself, data symbols and
 * hidden addresses (all zero, kptr_restrict) ignored.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kcaller.h"

/* A stack of a VXLAN device coming up, as fexit on inet_bind sees it. */
static const char KALLSYMS_TEXT[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81100000 t bpf_trampoline_6442\n"
	"ffffffff81200000 T kernel_bind\n"
	"ffffffff81300000 T udp_sock_create4\n"
	"ffffffff81400000 D some_data\n"
	"ffffffff81500000 T __dev_open\n"
	"ffffffffc0a00000 t vxlan_create_sock\t[vxlan]\n"
	"ffffffffc0a01000 t __vxlan_sock_add\t[vxlan]\n"
	"ffffffffc0a02000 t vxlan_open\t[vxlan]\n";

static const uint64_t STACK[] = {
	0xffffffff81100040, /* bpf_trampoline_6442 */
	0xffffffff81200010, /* kernel_bind */
	0xffffffff81300123, /* udp_sock_create4 */
	0xffffffffc0a00042, /* vxlan_create_sock */
	0xffffffffc0a01010, /* __vxlan_sock_add */
	0xffffffff81500100, /* __dev_open */
};

static int pick(const char *table, const uint64_t *ips, size_t n, struct kcaller *out)
{
	FILE *f = fmemopen((void *)table, strlen(table), "r");
	int err;

	assert_non_null(f);
	err = kcaller_pick(f, ips, n, out);
	fclose(f);
	return err;
}

static void test_module_caller(void **state)
{
	struct kcaller kc;

	(void)state;
	assert_int_equal(pick(KALLSYMS_TEXT, STACK, 6, &kc), 0);
	assert_string_equal(kc.function, "vxlan_create_sock");
	assert_string_equal(kc.module, "vxlan");
}

static void test_built_in_caller(void **state)
{
	/* the same stack past the module's frames: the kernel's own function */
	const uint64_t ips[] = { STACK[1], STACK[2], STACK[5] };
	struct kcaller kc;

	(void)state;
	assert_int_equal(pick(KALLSYMS_TEXT, ips, 3, &kc), 0);
	assert_string_equal(kc.function, "__dev_open");
	assert_string_equal(kc.module, "");
}

static void test_data_symbols_ignored(void **state)
{
	/* above some_data (D), below __dev_open: udp_sock_create4's, a helper */
	const uint64_t ips[] = { 0xffffffff81400010 };
	struct kcaller kc;

	(void)state;
	assert_int_equal(pick(KALLSYMS_TEXT, ips, 1, &kc), -ENOENT);
}

static void test_hidden_addresses(void **state)
{
	static const char hidden[] =
		"0000000000000000 T kernel_bind\n"
		"0000000000000000 t vxlan_create_sock\t[vxlan]\n";
	struct kcaller kc;

	(void)state;
	assert_int_equal(pick(hidden, STACK, 6, &kc), -ENOENT);
}

static void test_only_helpers(void **state)
{
	struct kcaller kc;

	(void)state;
	assert_int_equal(pick(KALLSYMS_TEXT, STACK, 3, &kc), -ENOENT);
	assert_int_equal(pick(KALLSYMS_TEXT, STACK, 0, &kc), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module_caller),
		cmocka_unit_test(test_built_in_caller),
		cmocka_unit_test(test_data_symbols_ignored),
		cmocka_unit_test(test_hidden_addresses),
		cmocka_unit_test(test_only_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
