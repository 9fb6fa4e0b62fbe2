/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * policy.h - the reclaim policy: which port conflicts bindwatch resolves
 * by signalling the port's holder, which processes it never touches, and
 * who is expected to own which ports.
 *
 * The file's schema, what each key means, which keys are safe against a
 * process that chooses its own names, and worked examples are in
 * bindwatch-policy(5) (doc/bindwatch-policy.5), the one description of the
 * format: change the parser and that page together.  This header is the
 * parsed form: struct policy holds the protect list, the rules (tried in
 * order, the first that matches decides) and the expect rules, each held
 * as a struct policy_rule with its owner in requester and no holder
 * conditions, reclaim or exec.
 *
 * What the matching functions below assume of their callers:
 *  - A field the caller does not know is NULL or "" (strings), -1
 *    (numbers) or POLICY_STATE_ANY (state), and a condition on it does
 *    not hold.  A side without conditions holds for any process, known or
 *    not.
 *  - protect is checked apart (policy_protected()) and wins over any rule;
 *    it, too, ignores fields that are unknown, so the reclaimer must not
 *    signal a holder it could not identify.
 *  - A cmdline search that reaches PCRE2's match, depth or heap limit
 *    counts as no match, and is reported once per pattern through
 *    on_limit.
 *  - The cross-user rule is the reclaimer's (verdict.c); policy_cross_user()
 *    only describes a rule that lets a requester cross users.
 */
#ifndef BW_POLICY_H
#define BW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "portlist.h"
#include "procinfo.h"
#include "strbuf.h"

#define POLICY_MAX_SIZE (1024 * 1024) /* bytes of policy_load()'s file */
#define POLICY_MAX_RULES 1024         /* each holds an 8 KiB port bitmap */
#define POLICY_MAX_EXEC 32            /* exec elements, as a hook's argv (HOOK_MAX_ARGS) */
#define POLICY_CMDLINE_MAX 4096       /* bytes of a command line a cmdline pattern sees */

/*
 * What a rule does with the conflicts it matches.  POLICY_PROBE: a
 * deliberate test of the port (nginx -t binds to check its configuration)
 * is written, marked, and counted apart, but alerts nobody.
 */
enum policy_action { POLICY_LOG, POLICY_ALERT, POLICY_RECLAIM, POLICY_PROBE };

enum policy_state { POLICY_STATE_ANY, POLICY_STATE_LISTEN, POLICY_STATE_BOUND };

/*
 * What a condition or a protect entry can name of a process's workload
 * (workload.h), in the order of the keys of container: and of pod:.
 */
enum policy_wl {
	POLICY_WL_NAME,          /* container.name: the runtime's name for it */
	POLICY_WL_IMAGE,         /* container.image */
	POLICY_WL_RUNTIME,       /* container.runtime: podman, docker, containerd, cri-o */
	POLICY_WL_POD_NAMESPACE, /* pod.namespace */
	POLICY_WL_POD_NAME,      /* pod.name */
	POLICY_WL_POD_CONTAINER, /* pod.container: Kubernetes' name for the container in its pod */
	POLICY_WL_FIELDS
};

#define POLICY_WL_CONTAINER_KEYS POLICY_WL_POD_NAMESPACE /* container:'s, from 0 */
#define POLICY_WL_POD_KEYS (POLICY_WL_FIELDS - POLICY_WL_POD_NAMESPACE)

/* One side of a conflict, as the caller knows it. */
struct policy_proc {
	const char *comm;      /* NULL or "": unknown, for each string */
	const char *exe;
	const char *cmdline;   /* argv joined by single spaces */
	const char *unit;      /* the innermost unit the system manager named */
	const char *user_unit; /* the innermost unit in a user's delegated subtree */
	const char *container; /* the container id, from the system manager's part */
	int64_t uid;           /* the real uid; -1: unknown */
	/*
	 * A holder's process identity, NULL when unknown (and for a
	 * requester): protect by uid holds when its real, effective or saved
	 * uid is listed, so a setuid-root program a user started is root's
	 * to protect.
	 */
	const struct proc_identity *id;
	int64_t age_ms;        /* since the process started; -1: unknown */
	enum policy_state state; /* the holder's socket; ANY: unknown */
	/*
	 * Its workload: the container it runs in or, for a runtime's port
	 * proxy (proxy true), the container it publishes a port for.  wl_id
	 * is the container's id (NULL: no workload known), each of wl NULL
	 * when unknown (or, for the pod's, outside a pod).
	 */
	const char *wl_id;
	const char *wl[POLICY_WL_FIELDS];
	bool proxy;
};

/* What policy_proc_of() points into. */
struct policy_proc_bufs {
	char comm[BW_COMM_LEN + 1];
};

/*
 * The process of which /proc said pi as the conditions see it, pointing
 * into pi and b: comm (BW_COMM_LEN bytes as the kernel gave them, or NULL:
 * unknown), its real uid (-1: unknown), its start (ns since boot) against
 * boot_ns (CLOCK_BOOTTIME now) for its age; state unknown.  unit and
 * container are pi's, the system manager's part of the cgroup path only,
 * and so is its workload (pi->workload).
 */
void policy_proc_of(struct policy_proc *pp, const char *comm, const struct proc_info *pi,
		    int64_t uid, uint64_t start_ns, uint64_t boot_ns, struct policy_proc_bufs *b);

/* The conditions on one side of a rule; each unset one always holds. */
struct policy_cond {
	char *comm;           /* NULL: unset, for each pointer */
	char *exe;
	char *unit;
	char *user_unit;
	struct policy_regex *cmdline;
	char *wl[POLICY_WL_FIELDS]; /* globs on the workload's fields */
	int64_t uid;          /* -1: unset */
	int64_t min_age_ms;   /* -1: unset */
	enum policy_state state; /* ANY: unset; always ANY for the requester */
};

struct policy_reclaim {
	int signal;           /* SIGTERM unless set */
	int escalate;         /* sent after grace_ms if the port is still held; 0: none */
	uint64_t grace_ms;
	uint64_t cooldown_ms; /* at most one reclaim per port in this time */
};

struct policy_rule {
	char *name;
	unsigned int line;    /* where the rule starts, for messages */
	int proto;            /* IPPROTO_TCP, IPPROTO_UDP, or 0: any */
	struct policy_cond holder, requester;
	enum policy_action action;
	struct policy_reclaim reclaim; /* the defaults unless action is reclaim */
	char **exec;          /* NULL-terminated argv templates, or NULL */
	unsigned int exec_line; /* where exec is, for messages */
	uint64_t ports[PORTLIST_WORDS];
};

struct policy_protect {
	char **comm;          /* NULL-terminated, or NULL when empty */
	char **unit;
	char **exe;
	char **wl[POLICY_WL_FIELDS]; /* globs on the workload's fields */
	int64_t *uid;         /* nuid uids */
	size_t nuid;
};

/*
 * A rule's cmdline pattern (on side "holder" or "requester") gave up on a
 * subject; why: which PCRE2 limit it reached.
 */
typedef void policy_limit_fn(void *arg, const struct policy_rule *r, const char *side,
			     const char *why);

/*
 * One read of a policy file, immutable once it is shared: the monitor's
 * decider and its expect rules use the same object, each holding a
 * reference (policy_ref()), so what is in force always comes from one
 * file, and a reload replaces all of it at once.  Matching writes nothing
 * in it but each pattern's once-only "reported" mark (policy_regex.h), so
 * any thread may match.
 */
struct policy {
	char *path;           /* the name given to policy_parse() */
	struct policy_protect protect;
	struct policy_rule *rules;
	size_t nrules;
	struct policy_rule *expects; /* expect rules, owner in requester */
	size_t nexpects;
	/*
	 * NULL: not reported; else once per pattern of a rule (not of an
	 * expect rule: its give-up is an unexpected owner, recorded).  Set
	 * by whoever read the policy, before it is shared.
	 */
	policy_limit_fn *on_limit;
	void *on_limit_arg;
	unsigned int refs;    /* references held; the last policy_free() frees */
};

/*
 * Parse the policy text[0..len) (not NUL-terminated) read from name.
 * Returns 0 and a policy in *out (one reference, for policy_free()), -EINVAL with
 * "NAME:LINE: what was expected" in err (of size errlen), or -ENOMEM.
 */
int policy_parse(const char *name, const char *text, size_t len,
		 struct policy **out, char *err, size_t errlen);

/*
 * Read and parse the policy file path, which must be a regular file owned
 * by root, not writable by group or others, at most POLICY_MAX_SIZE bytes,
 * in directories that are all owned by root and not writable by group or
 * others (a world-writable one only with the sticky bit, as /tmp), with no
 * symbolic link anywhere in the path (as sshd's StrictModes).  The path,
 * made absolute with the working directory, is walked from / one
 * component at a time with openat(O_NOFOLLOW), each checked on its open
 * descriptor, so nothing can be swapped in between.  Returns 0, or -errno
 * with "PATH: why" (or the parse error) in err: -EPERM for a file or
 * directory refused for its owner or mode, -ELOOP for a symbolic link,
 * -EINVAL for not a regular file or a bad policy, -EFBIG for too large,
 * open(2) and read(2)'s errors.  A parse error, which may quote the file,
 * comes only from a file that passed these checks.  Last, each rule's exec
 * program must be one that can be run (program.h), as --exec's: -ENOENT
 * or -EACCES with "PATH:LINE: 'exec': 'PROG': no such program" when not.
 */
int policy_load(const char *path, struct policy **out, char *err, size_t errlen);

/* Another reference to p, for policy_free(); p is returned.  Any thread. */
struct policy *policy_ref(struct policy *p);

/* Drop a reference to p: the last frees p and everything it holds.  NULL is fine. */
void policy_free(struct policy *p);

/*
 * The first rule of p that matches a conflict on port of protocol proto
 * (IPPROTO_TCP or IPPROTO_UDP), or NULL.  holder or requester may be NULL
 * when unknown.  Allocates nothing itself (PCRE2 may, within its heap
 * limit); the cost is a bitmap test per rule plus the conditions of the
 * rules whose port matches, a cmdline regular expression last, bounded by
 * PCRE2's limits on at most POLICY_CMDLINE_MAX bytes.
 */
const struct policy_rule *policy_match(const struct policy *p, unsigned int port,
				       int proto, const struct policy_proc *holder,
				       const struct policy_proc *requester);

#define POLICY_MISS_VALUE_MAX 256 /* bytes of a value a policy_miss keeps */

/*
 * The first condition of a rule that did not hold, with both sides as
 * text, copied (at most POLICY_MISS_VALUE_MAX - 1 bytes, cut between
 * characters): it outlives the processes it was matched on.  Fields:
 * "port", "proto" (side NULL); "state", "uid", "min_age", "comm", "unit",
 * "user_unit", "container.name" and the workload's others (policy_wl_field()),
 * "exe", "cmdline" (side "holder" or "requester").  A number
 * is in decimal, a duration as a policy writes it ("10m", "1500ms"), a
 * state or proto as a policy names it.
 */
struct policy_miss {
	const char *side;     /* "holder", "requester", or NULL */
	const char *field;
	char want[POLICY_MISS_VALUE_MAX]; /* the condition: a value, glob or pattern */
	char got[POLICY_MISS_VALUE_MAX];  /* the process's value; "" when unknown */
	bool known;           /* false: the value was unknown, so the condition failed */
	bool got_cut;         /* got is the start of a longer value */
	const char *gave_up;  /* cmdline: the PCRE2 limit the search reached, or NULL */
};

/*
 * Whether rule r of p holds for a conflict (as policy_match() tests each
 * rule, the port and protocol included); if not, and m is not NULL, m
 * says which condition failed first.
 */
bool policy_rule_holds(const struct policy *p, const struct policy_rule *r, unsigned int port,
		       int proto, const struct policy_proc *holder,
		       const struct policy_proc *requester, struct policy_miss *m);

#define POLICY_MAX_MISSES 4 /* rules a record explains, at most */

/*
 * The rules naming a conflict's port (of any protocol) that were tried
 * before the one that matched (every one, when none did): the first
 * POLICY_MAX_MISSES of them in order, each with why, and how many more.
 */
struct policy_misses {
	const struct policy_rule *rule[POLICY_MAX_MISSES];
	struct policy_miss miss[POLICY_MAX_MISSES];
	size_t n;
	size_t more;
};

/*
 * policy_match(), saying in why which rules naming the port did not hold
 * and why (what records and check-policy --replay report): the same
 * matching, so an explanation never disagrees with the decision.
 */
const struct policy_rule *policy_match_why(const struct policy *p, unsigned int port,
					   int proto, const struct policy_proc *holder,
					   const struct policy_proc *requester,
					   struct policy_misses *why);

/*
 * Whether some rule of p names port of protocol proto: whether
 * policy_match() can match at all, before what it needs is looked up.
 */
bool policy_names(const struct policy *p, unsigned int port, int proto);

/*
 * The first expect rule of p naming port of protocol proto when caller
 * meets the owner of none of those naming it, with why it missed that
 * first one in m (if not NULL); NULL when caller is an expected owner or
 * no expect rule names the port.
 */
const struct policy_rule *policy_expect_miss(const struct policy *p, unsigned int port,
					     int proto, const struct policy_proc *caller,
					     struct policy_miss *m);

/* The first expect rule of p (NULL: none) naming port of protocol proto, or NULL. */
const struct policy_rule *policy_expect_names(const struct policy *p, unsigned int port,
					      int proto);

/* The ports p's expect rules name, of any protocol, into ports[PORTLIST_WORDS]. */
void policy_expect_ports(const struct policy *p, uint64_t *ports);

/* Which protect entry covers a holder. */
struct policy_protect_hit {
	const char *key;      /* "protect.uid", "protect.exe", "protect.container.name", ... */
	const char *entry;    /* the glob or comm listed; NULL for a uid */
	int64_t uid;          /* protect.uid: the uid listed */
};

/*
 * True when p's protect list covers holder (NULL: false); if so, and hit
 * is not NULL, hit names the first entry that does (uids, comms, the
 * workload's fields, units, executables, in that order).
 */
bool policy_protected(const struct policy *p, const struct policy_proc *holder,
		      struct policy_protect_hit *hit);

/*
 * Whether p's protect list names a workload field, which it cannot see
 * on holder: a holder in a container (its id known) of which nothing but
 * the runtime and id could be read.  The reclaimer must not signal it, as
 * it must not signal a holder whose unit it could not read.
 */
bool policy_protect_blind(const struct policy *p, const struct policy_proc *holder);

/* "container.name", "pod.namespace": how policies and messages name field f. */
const char *policy_wl_field(enum policy_wl f);

/*
 * Whether rule r lets a requester have another user's processes signalled:
 * a reclaim rule naming a requester uid other than 0 whose holder uid is
 * unset or another.  If so, msg (of size len) says which uid may have
 * whose processes signalled.
 */
bool policy_cross_user(const struct policy_rule *r, char *msg, size_t len);

/* "log", "alert", "reclaim" or "probe". */
const char *policy_action_name(enum policy_action a);

#endif /* BW_POLICY_H */
