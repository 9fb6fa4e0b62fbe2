// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kcaller.c - the function and module that made the kernel's own bind,
 * from its stack's frames and the kernel's symbol table (kcaller.h).
 *
 * It owns reading /proc/kallsyms; it must not read the stack (the loader
 * does) nor render anything.  kallsyms stays open (kcaller_open()) and is
 * read once per record that needs it, in one pass, keeping for each frame
 * the nearest text symbol at or below it: such records are rare (a device
 * brought up), and the table (~120,000 lines) is not worth keeping in
 * memory between them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kcaller.h"
#include "util.h"

#define KALLSYMS_LINE 512
#define FRAMES_MAX 64

/* The fields of a kallsyms line. */
enum { KALLSYMS_ADDR, KALLSYMS_TYPE, KALLSYMS_NAME, KALLSYMS_MODULE, KALLSYMS_FIELDS };

/*
 * Frames that are not the caller: what every bind of a kernel socket goes
 * through on its way to inet_bind(), and bindwatch's own (its programs,
 * the trampoline that runs them).
 */
static const char *const helpers[] = {
	"kernel_bind", "kernel_listen", "inet_bind", "inet6_bind", "inet_listen",
	"udp_sock_create4", "udp_sock_create6", "udp_sock_create",
};
static const char *const own_prefixes[] = { "bpf_", "__bpf_" };

static bool skipped(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(helpers); i++)
		if (!strcmp(name, helpers[i]))
			return true;
	for (i = 0; i < ARRAY_SIZE(own_prefixes); i++)
		if (!strncmp(name, own_prefixes[i], strlen(own_prefixes[i])))
			return true;
	return false;
}

/* The nearest text symbol at or below a frame, found so far: its kallsyms line. */
struct nearest {
	uint64_t addr; /* 0: none yet */
	char line[KALLSYMS_LINE];
};

/*
 * A text symbol's address, from its kallsyms line ("ffffffffc0a01230 t
 * vxlan_sock_add\t[vxlan]"); 0 for any other line, and for one whose
 * address kallsyms hides (all zero, kptr_restrict).  The cheap test every
 * line of the pass goes through.
 */
static uint64_t text_addr(const char *line)
{
	char *end;
	uint64_t addr = strtoull(line, &end, 16);

	if (end == line || end[0] != ' ' || (end[1] != 't' && end[1] != 'T') || end[2] != ' ')
		return 0;
	return addr;
}

/* The name and module of a text symbol's kallsyms line into *sym; line is cut into its fields. */
static void parse_line(char *line, struct kcaller *sym)
{
	char *tok[KALLSYMS_FIELDS] = {}, *save = NULL;
	size_t i, len;

	for (i = 0; i < KALLSYMS_FIELDS; i++) {
		tok[i] = strtok_r(i ? NULL : line, " \t\n", &save);
		if (!tok[i])
			break;
	}
	snprintf(sym->function, sizeof(sym->function), "%s", i > KALLSYMS_NAME ? tok[KALLSYMS_NAME] : "");
	sym->module[0] = '\0';
	len = i > KALLSYMS_MODULE ? strlen(tok[KALLSYMS_MODULE]) : 0;
	if (len > 2 && tok[KALLSYMS_MODULE][0] == '[' && tok[KALLSYMS_MODULE][len - 1] == ']')
		snprintf(sym->module, sizeof(sym->module), "%.*s", (int)(len - 2),
			 tok[KALLSYMS_MODULE] + 1);
}

int kcaller_pick(FILE *kallsyms, const uint64_t *ips, size_t n, struct kcaller *out)
{
	struct nearest *best;
	char line[KALLSYMS_LINE];
	uint64_t addr;
	size_t i;
	int err = -ENOENT;

	if (n > FRAMES_MAX)
		n = FRAMES_MAX;
	best = calloc(n ? n : 1, sizeof(*best));
	if (!best)
		return -ENOMEM;
	while (fgets(line, sizeof(line), kallsyms)) {
		addr = text_addr(line);
		for (i = 0; addr && i < n; i++) {
			if (addr <= ips[i] && addr > best[i].addr) {
				best[i].addr = addr;
				memcpy(best[i].line, line, strlen(line) + 1);
			}
		}
	}
	for (i = 0; i < n && err; i++) {
		if (!best[i].addr)
			continue;
		parse_line(best[i].line, out);
		if (out->function[0] && !skipped(out->function))
			err = 0;
	}
	free(best);
	return err;
}

FILE *kcaller_open(void)
{
	return fopen(KALLSYMS, "re");
}

int kcaller_name(FILE *kallsyms, const uint64_t *ips, size_t n, struct kcaller *out)
{
	if (!kallsyms)
		return -EBADF;
	if (fseek(kallsyms, 0, SEEK_SET))
		return -errno;
	return kcaller_pick(kallsyms, ips, n, out);
}
