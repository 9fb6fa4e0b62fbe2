// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * peers.c - share the metrics endpoint's connections out between peers.
 *
 * It owns the admission rule; it must not touch a socket nor learn who a
 * peer is (scrape.c asks the kernel and hands a struct peer_key in).
 *
 * Any local user can connect to the endpoint, from 127.0.0.1 or from any
 * of the 2^24 addresses of 127/8, so a local peer is counted by the uid
 * that owns its socket, never by address: a user gets PEERS_PER_KEY
 * connections however many addresses it binds.  A remote peer is counted
 * by address (an IPv6 one by /64).  Past PEERS_MAX in all, a newcomer that
 * holds fewer connections than the peer holding most takes that peer's
 * oldest: so a user with many uids (subordinate ranges) or many remote
 * addresses can fill the table only until another peer comes, which then
 * gets in at once, and never by pushing out a peer holding fewer than it.
 * Connections do not last (scrape.c puts a deadline on each), so the
 * table turns over anyway.  Linear scans: PEERS_MAX is small.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include "peers.h"

#define IPV6_PREFIX_BYTES 8 /* a /64 */

void peer_key_local(struct peer_key *k, uint32_t uid)
{
	memset(k, 0, sizeof(*k));
	k->local = 1;
	k->uid = uid;
}

void peer_key_remote(struct peer_key *k, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
		memcpy(k->addr, &v6->sin6_addr, PEER_ADDR_LEN);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(k->addr, &v6->sin6_addr, IPV6_PREFIX_BYTES);
	} else {
		k->addr[PEER_V4MAPPED_LEN - 2] = k->addr[PEER_V4MAPPED_LEN - 1] = 0xff;
		memcpy(k->addr + PEER_V4MAPPED_LEN, &v4->sin_addr, sizeof(v4->sin_addr));
	}
}

/* Connections of k held. */
static unsigned int held(const struct peers *p, const struct peer_key *k)
{
	unsigned int i, n = 0;

	for (i = 0; i < PEERS_MAX; i++)
		n += p->used[i] && !memcmp(&p->key[i], k, sizeof(*k));
	return n;
}

/* The oldest connection of the peer holding most (its count in *most), or -1. */
static int fullest(const struct peers *p, unsigned int *most)
{
	unsigned int i, n;
	int victim = -1;

	*most = 0;
	for (i = 0; i < PEERS_MAX; i++) {
		if (!p->used[i])
			continue;
		n = held(p, &p->key[i]);
		if (victim < 0 || n > *most || (n == *most && p->since[i] < p->since[victim])) {
			*most = n;
			victim = (int)i;
		}
	}
	return victim;
}

int peers_admit(struct peers *p, const struct peer_key *k, uint64_t now, bool *evicted)
{
	unsigned int mine = held(p, k), most, i;
	int slot = -1;

	*evicted = false;
	if (mine >= PEERS_PER_KEY)
		return -EBUSY;
	for (i = 0; i < PEERS_MAX && slot < 0; i++)
		if (!p->used[i])
			slot = (int)i;
	if (slot < 0) {
		slot = fullest(p, &most);
		if (slot < 0 || most <= mine)
			return -EBUSY;
		*evicted = true;
	}
	p->used[slot] = true;
	p->key[slot] = *k;
	p->since[slot] = now;
	return slot;
}

void peers_release(struct peers *p, int slot)
{
	p->used[slot] = false;
}
