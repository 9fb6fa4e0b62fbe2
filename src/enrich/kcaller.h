/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kcaller.h - name the kernel function, and its module, that bound a
 * socket the kernel opened for itself (a record "via" kernel), from the
 * call's kernel stack (bw_event.kstack) and /proc/kallsyms: "vxlan_sock_add"
 * in module "vxlan", past the socket helpers every such bind goes through.
 */
#ifndef BW_KCALLER_H
#define BW_KCALLER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define KALLSYMS "/proc/kallsyms"
#define KCALLER_NAME_LEN 128  /* KSYM_NAME_LEN (6.1+) */
#define KCALLER_MODULE_LEN 64 /* MODULE_NAME_LEN (56 on 64-bit) and its brackets */

struct kcaller {
	char function[KCALLER_NAME_LEN];
	char module[KCALLER_MODULE_LEN]; /* "" for the kernel itself (built in) */
};

/*
 * The caller among the frames ips[0..n) (innermost first), by the text
 * symbols of kallsyms (its format: "ADDRESS TYPE NAME [MODULE]" lines):
 * the first frame that is neither bindwatch's own (BPF programs and
 * trampolines) nor a socket helper any bind goes through (kernel_bind(),
 * inet_bind(), udp_sock_create4(), ...).  0, or -ENOENT when no frame
 * names one (no symbols: kallsyms hides addresses from this process).
 */
int kcaller_pick(FILE *kallsyms, const uint64_t *ips, size_t n, struct kcaller *out);

/*
 * KALLSYMS, opened for kcaller_name(): the kernel decides at open whether
 * the reader sees addresses (CAP_SYSLOG under kptr_restrict), so it is
 * opened before capabilities are dropped and kept.  NULL with errno set.
 */
FILE *kcaller_open(void);

/* kcaller_pick() on kallsyms from kcaller_open(), read again from its start; 0 or -errno. */
int kcaller_name(FILE *kallsyms, const uint64_t *ips, size_t n, struct kcaller *out);

#endif /* BW_KCALLER_H */
