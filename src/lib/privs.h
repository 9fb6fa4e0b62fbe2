/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * privs.h - what bindwatch may do, judged by its capabilities and never by
 * its uid, and giving up what it no longer needs once it runs.
 */
#ifndef BW_PRIVS_H
#define BW_PRIVS_H

#include <stdbool.h>
#include <stdint.h>

/* A set of capabilities, bit CAP_X for capability X (linux/capability.h). */
typedef uint64_t privs_set;

#define PRIV(cap) ((privs_set)1 << (cap))

/* Whether cap is in this process's effective set. */
bool privs_have(int cap);

/*
 * 0 when the effective set lets this process load and attach the capture
 * programs (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN), else -EPERM after
 * saying which capabilities are missing.
 */
int privs_check(void);

/*
 * Keep only the capabilities in keep (of those held) in the effective and
 * permitted sets, for good; empty the inheritable and ambient sets, so a
 * hook bindwatch starts inherits none.  0 or -errno.
 */
int privs_drop(privs_set keep);

/* The effective set now, for messages and tests. */
privs_set privs_effective(void);

#endif /* BW_PRIVS_H */
