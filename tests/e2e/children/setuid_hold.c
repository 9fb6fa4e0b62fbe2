// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * setuid_hold.c - what the attacker of test_trust_signals.py exec()s in the
 * grace period: made setuid root by the test, it becomes root through and
 * through (real, effective and saved uid 0, as su and sudo do), prints
 * "uids R E S" (what it got), and keeps what it inherited open (the
 * attacker's listening socket) until stdin closes.
 */
#define _GNU_SOURCE /* setresuid, getresuid */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	uid_t r, e, s;
	char buf[64];

	if (setresuid(0, 0, 0))
		perror("setuid_hold: setresuid"); /* not setuid root: the test skips */
	getresuid(&r, &e, &s);
	printf("uids %u %u %u\n", r, e, s);
	fflush(stdout);
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
	return 0;
}
