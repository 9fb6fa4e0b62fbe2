/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * identity.h - a process's identity across restarts: what an incident
 * (incident.h) and a reclaim's cooldown (verdict.h) key a holder and a
 * requester by.
 */
#ifndef BW_IDENTITY_H
#define BW_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include "procinfo.h"

/*
 * A holder as a supervisor sees it: its uid, and its container (by the
 * names a restart keeps: its pod's, or the runtime's name for it, else its
 * id) or service unit when the system manager names one, else its
 * executable.  id is a keyed hash (the key: identity_seed()), so a user
 * cannot aim a name at a collision without knowing it; a collision could
 * only join identities of the same uid.
 */
struct identity {
	int64_t uid;  /* -1: unknown */
	uint64_t id;  /* 0: nothing known of the process (no holder, or gone) */
};

/* A random key for identity_of(); 0 when the kernel gives no randomness. */
uint64_t identity_seed(void);

/* pi's identity with uid (-1: unknown), keyed by seed; pi NULL: no process. */
void identity_of(struct identity *out, uint64_t seed, const struct proc_info *pi, int64_t uid);

/*
 * A conflict incident's requester (incident_log.h): what a crash loop's
 * processes share.  uid, and its container or service unit as
 * identity_of() takes them, else the inode of its executable (exe_ino,
 * 0: none), known even once the process has exited.
 */
void identity_of_requester(struct identity *out, uint64_t seed, const struct proc_info *pi,
			   uint64_t exe_ino, int64_t uid);

/*
 * A requester's identity: uid and the inode of its executable (exe_ino,
 * 0: none), which the kernel gives with each call, so it stays the same
 * once the process has exited, as a storm's later records find it.
 */
void identity_of_ino(struct identity *out, uint64_t seed, uint64_t exe_ino, int64_t uid);

static inline bool identity_eq(const struct identity *a, const struct identity *b)
{
	return a->uid == b->uid && a->id == b->id;
}

#endif /* BW_IDENTITY_H */
