// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * identity.c - who a process is across restarts, as a supervisor sees it
 * (identity.h).
 *
 * It owns the keyed hash of a process's identity; it must not keep
 * tables of identities (incident.c, verdict.c do).
 *
 * Identities are hashed (SipHash-2-4 with a key drawn at start) into 64
 * bits next to the exact uid: the tables that hold them stay small
 * whatever the paths, and a name crafted to collide would need the key.
 */
#include <string.h>
#include <sys/random.h>
#include "identity.h"
#include "workload.h"

#define SIP_C_ROUNDS 2
#define SIP_D_ROUNDS 4

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

/* SipHash-2-4 of s[0..n) under the key (k0, k1). */
static uint64_t siphash(uint64_t k0, uint64_t k1, const char *s, size_t n)
{
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, left = n % 8;
	int r;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, s + i, 8); /* little-endian hosts only: a key of our own */
		v[3] ^= m;
		for (r = 0; r < SIP_C_ROUNDS; r++)
			sip_round(v);
		v[0] ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)(unsigned char)s[n - left + i] << (8 * i);
	v[3] ^= b;
	for (r = 0; r < SIP_C_ROUNDS; r++)
		sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (r = 0; r < SIP_D_ROUNDS; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t identity_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = 0;
	return seed;
}

/* Hash of "kind" NUL "name": a unit cannot pose as an exe of the same text. */
static uint64_t hash_of(uint64_t seed, const char *kind, const char *name)
{
	size_t nk = strlen(kind) + 1, nn = strlen(name);
	uint64_t h = siphash(seed, ~seed, kind, nk);

	return siphash(seed, h, name, nn) | 1; /* never 0: that is "nothing known" */
}

/* Whether unit names a service: a supervisor restarts those (not scopes, slices). */
static bool is_service(const char *unit)
{
	static const char sfx[] = ".service";
	size_t n = strlen(unit), k = sizeof(sfx) - 1;

	return n > k && !strcmp(unit + n - k, sfx) && strncmp(unit, "user@", strlen("user@"));
}

/*
 * The container a process runs in, by what a restart keeps: a pod's
 * namespace, name and container name (Kubernetes gives a restarted
 * container a new id), else the runtime's name for it (a `docker run
 * --rm --name` loop makes a new id each time), else its id.  0: none.
 */
static uint64_t container_id(uint64_t seed, const struct proc_info *pi)
{
	const struct workload *wl = pi->workload;

	if (wl && wl->source == WORKLOAD_CGROUP && wl->pod.namespace && wl->pod.name &&
	    wl->pod.container) {
		uint64_t ns = hash_of(seed, "pod-namespace", wl->pod.namespace);

		/* each part hashed on its own: no name can pose as another split */
		return (hash_of(ns, "pod", wl->pod.name) ^
			hash_of(ns, "pod-container", wl->pod.container)) | 1;
	}
	if (wl && wl->source == WORKLOAD_CGROUP && wl->name)
		return hash_of(hash_of(seed, "runtime", wl->runtime), "container-name", wl->name);
	return pi->container[0] ? hash_of(seed, "container", pi->container) : 0;
}

/*
 * What a supervisor restarts the process as: its container (container_id())
 * or its service unit; 0 when neither is known.  Below a user's delegation
 * the user names cgroups as it likes: the executable then.
 */
static uint64_t supervised_id(uint64_t seed, const struct proc_info *pi)
{
	if (pi->user_unit)
		return 0;
	if (pi->container[0])
		return container_id(seed, pi);
	if (pi->unit && is_service(pi->unit))
		return hash_of(seed, "unit", pi->unit);
	return 0;
}

void identity_of(struct identity *out, uint64_t seed, const struct proc_info *pi, int64_t uid)
{
	out->uid = uid;
	out->id = 0;
	if (!pi)
		return;
	out->id = supervised_id(seed, pi);
	if (!out->id && pi->exe)
		out->id = hash_of(seed, "exe", pi->exe);
}

/* The keyed hash of an executable's inode. */
static uint64_t ino_id(uint64_t seed, uint64_t exe_ino)
{
	char ino[sizeof(exe_ino)];

	memcpy(ino, &exe_ino, sizeof(ino));
	return exe_ino ? siphash(seed, ~seed, ino, sizeof(ino)) | 1 : 0;
}

void identity_of_requester(struct identity *out, uint64_t seed, const struct proc_info *pi,
			   uint64_t exe_ino, int64_t uid)
{
	out->uid = uid;
	out->id = pi ? supervised_id(seed, pi) : 0;
	if (!out->id)
		out->id = ino_id(seed, exe_ino);
}

void identity_of_ino(struct identity *out, uint64_t seed, uint64_t exe_ino, int64_t uid)
{
	out->uid = uid;
	out->id = ino_id(seed, exe_ino);
}
