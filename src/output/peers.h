/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * peers.h - who may hold the metrics endpoint's connections: at most
 * PEERS_PER_KEY per peer (a local uid, or a remote address), PEERS_MAX in
 * all, shared out fairly when they are all taken.
 */
#ifndef BW_PEERS_H
#define BW_PEERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define PEERS_MAX 64     /* connections at once */
#define PEERS_PER_KEY 4  /* connections of one peer at once */
#define PEER_ADDR_LEN 16 /* an IPv6 address; IPv4 as ::ffff:a.b.c.d */
#define PEER_V4MAPPED_LEN 12 /* the ::ffff: before an IPv4 address */

/*
 * Whom a connection counts against: a process of this host by the uid
 * that owns its socket, or a remote peer by its address (an IPv6 one by
 * its /64, see peer_key_remote()).  Compared bytewise: build it zeroed.
 */
struct peer_key {
	uint8_t local;   /* 1: uid says who; 0: addr */
	uint8_t __pad[3];
	uint32_t uid;
	uint8_t addr[PEER_ADDR_LEN];
};

/* The connections held, by slot (the caller keeps its own state per slot). */
struct peers {
	bool used[PEERS_MAX];
	struct peer_key key[PEERS_MAX];
	uint64_t since[PEERS_MAX]; /* when the slot's connection came */
};

/* The key of a local peer whose socket uid owns. */
void peer_key_local(struct peer_key *k, uint32_t uid);

/*
 * The key of a remote peer at sa (AF_INET or AF_INET6): an IPv6 address
 * counts by its first 64 bits, the network a host is given, so that one
 * host cannot pass for many by changing the rest; an IPv4 one (mapped or
 * not) by all of it.
 */
void peer_key_remote(struct peer_key *k, const struct sockaddr *sa);

/*
 * Admit a connection of k that came at now: the slot it takes, or
 * -EBUSY when k holds PEERS_PER_KEY already, or when every slot is taken
 * and no peer holds more connections than k.  When every slot is taken
 * and some peer holds more than k, the oldest connection of the peer that
 * holds most (the oldest of them on a tie) gives its slot up: *evicted is
 * then set, and the caller closes that connection before reusing the slot.
 */
int peers_admit(struct peers *p, const struct peer_key *k, uint64_t now, bool *evicted);

/* The connection in slot is gone. */
void peers_release(struct peers *p, int slot);

#endif /* BW_PEERS_H */
