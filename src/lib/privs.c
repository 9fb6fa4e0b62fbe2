// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * privs.c - capabilities, not uid 0.
 *
 * It owns capability checks and drops; it must not look at uids.
 *
 * bindwatch runs as root or as any user given the capabilities it needs
 * (bindwatch(8), CAPABILITIES, lists them per feature), e.g. a service user with
 * AmbientCapabilities=.  So every check asks capget(2) what the process may
 * do; access(2) would not do: it judges by the real uid and, for a uid
 * other than 0, ignores capabilities altogether.
 *
 * Once the programs are attached, most of what it held is no longer used:
 * privs_drop() keeps only what the running monitor still uses and clears
 * the rest from the effective and permitted sets (so it cannot come back),
 * and empties the inheritable and ambient sets so that hooks start with
 * no capability (a hook of a root monitor is root and gets root's back at
 * execve(); one of a capability-only monitor gets none).  Plain capget and
 * capset with the version 3 layout (two 32-bit words) are all this takes:
 * libcap would add a dependency for a dozen lines.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "log.h"
#include "privs.h"

#define WORD_BITS 32

struct caps {
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
};

static int caps_get(struct caps *c)
{
	memset(c, 0, sizeof(*c));
	c->h.version = _LINUX_CAPABILITY_VERSION_3;
	return syscall(SYS_capget, &c->h, c->d) ? -errno : 0;
}

static privs_set join(__u32 lo, __u32 hi)
{
	return (privs_set)hi << WORD_BITS | lo;
}

privs_set privs_effective(void)
{
	struct caps c;

	if (caps_get(&c))
		return 0;
	return join(c.d[0].effective, c.d[1].effective);
}

bool privs_have(int cap)
{
	return privs_effective() & PRIV(cap);
}

int privs_check(void)
{
	privs_set eff = privs_effective();

	if (eff & PRIV(CAP_SYS_ADMIN))
		return 0;
	if ((eff & PRIV(CAP_BPF)) && (eff & PRIV(CAP_PERFMON)))
		return 0;
	warn("loading BPF programs needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN); "
	     "this process lacks %s: run it as root or give it those capabilities "
	     "(see bindwatch(8), CAPABILITIES)",
	     !(eff & PRIV(CAP_BPF)) && !(eff & PRIV(CAP_PERFMON)) ? "both" :
	     !(eff & PRIV(CAP_BPF)) ? "CAP_BPF" : "CAP_PERFMON");
	return -EPERM;
}

int privs_drop(privs_set keep)
{
	struct caps c;
	privs_set perm;
	int err = caps_get(&c);

	if (err)
		return err;
	perm = join(c.d[0].permitted, c.d[1].permitted) & keep;
	c.d[0].effective = c.d[0].permitted = (__u32)perm;
	c.d[1].effective = c.d[1].permitted = (__u32)(perm >> WORD_BITS);
	c.d[0].inheritable = c.d[1].inheritable = 0;
	/* ambient first: a capability cannot stay ambient once not inheritable */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return -errno;
	return syscall(SYS_capset, &c.h, c.d) ? -errno : 0;
}
