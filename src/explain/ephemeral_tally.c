// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ephemeral_tally.c - the ephemeral range from its two sysctls' text, and
 * the tally of the sockets on it (ephemeral.h): ports in use, TIME_WAIT,
 * sockets no process holds, the top holders and their destinations.
 *
 * It owns the counting; it must not read a file or a socket (ephemeral.c
 * does), so it is unit tested as it runs.
 *
 * A port counts as in use when any socket of the protocol is on it,
 * whatever its state: a TCP port bound by bind() is never reused by
 * connect(), and one used by connect() is reused only towards another
 * destination.  So "full" means no port is free for a new destination;
 * an existing destination runs out earlier, when each port has a
 * connection to it: the top holders' destinations show which one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "ephemeral.h"

int eph_range_parse(const char *range, const char *reserved, struct eph_range *r, char *err,
		    size_t errlen)
{
	unsigned int lo, hi, p;
	char extra, *list;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (sscanf(range, "%u %u %c", &lo, &hi, &extra) != 2 || !lo || lo > hi || hi > UINT16_MAX) {
		snprintf(err, errlen, "ip_local_port_range: '%s': expected two ports, LO HI", range);
		return -EINVAL;
	}
	r->lo = lo;
	r->hi = hi;
	list = strdup(reserved);
	if (!list)
		return -ENOMEM;
	list[strcspn(list, "\n")] = '\0';
	/* the kernel prints an empty line when none is reserved */
	if (*list && portlist_parse(list, r->reserved, err, errlen) < 0)
		rc = -EINVAL;
	free(list);
	for (p = lo; !rc && p <= hi; p++)
		r->size += !portlist_has(r->reserved, p);
	return rc;
}

/* Sockets by process, then destination; sockets no process holds (pid 0) first. */
static int by_holder(const void *a, const void *b)
{
	const struct sockdiag_conn *x = a, *y = b;
	int c;

	if (x->h.pid != y->h.pid)
		return x->h.pid < y->h.pid ? -1 : 1;
	if (x->h.sock.family != y->h.sock.family)
		return x->h.sock.family - y->h.sock.family;
	c = memcmp(x->daddr, y->daddr, sizeof(x->daddr));
	return c ? c : x->dport - y->dport;
}

static bool same_dest(const struct sockdiag_conn *x, const struct sockdiag_conn *y)
{
	return x->h.sock.family == y->h.sock.family && x->dport == y->dport &&
	       !memcmp(x->daddr, y->daddr, sizeof(x->daddr));
}

/* Keep d among h's EPH_DEST_MAX most used destinations (the rest counted). */
static void add_dest(struct eph_holder *h, const struct sockdiag_conn *c, uint32_t sockets)
{
	struct eph_dest d = { .family = c->h.sock.family, .port = c->dport, .sockets = sockets };
	size_t i;

	memcpy(d.addr, c->daddr, sizeof(d.addr));
	if (h->ndests < EPH_DEST_MAX) {
		h->dests[h->ndests++] = d;
	} else if (h->dests[EPH_DEST_MAX - 1].sockets < sockets) {
		h->other_dests += h->dests[EPH_DEST_MAX - 1].sockets;
		h->dests[EPH_DEST_MAX - 1] = d;
	} else {
		h->other_dests += sockets;
		return;
	}
	/* one insertion step keeps them by count, most first */
	for (i = h->ndests - 1; i > 0 && h->dests[i - 1].sockets < h->dests[i].sockets; i--) {
		d = h->dests[i - 1];
		h->dests[i - 1] = h->dests[i];
		h->dests[i] = d;
	}
}

/* Place h among v's top holders by sockets, most first; the rest counted. */
static void add_holder(struct eph_view *v, const struct eph_holder *h)
{
	struct eph_holder t;
	size_t i;

	if (v->ntop < EPH_TOP_MAX) {
		v->top[v->ntop++] = *h;
	} else if (v->top[EPH_TOP_MAX - 1].sockets < h->sockets) {
		v->top[EPH_TOP_MAX - 1] = *h;
		v->other_holders++;
	} else {
		v->other_holders++;
		return;
	}
	for (i = v->ntop - 1; i > 0 && v->top[i - 1].sockets < v->top[i].sockets; i--) {
		t = v->top[i - 1];
		v->top[i - 1] = v->top[i];
		v->top[i] = t;
	}
}

/* The holder of the sockets c[0..n), all of one process, by destination. */
static void tally_process(struct eph_view *v, const struct sockdiag_conn *c, size_t n)
{
	struct eph_holder h = {
		.pid = c->h.pid, .start_ns = c->h.start_ns, .uid = c->h.sock.uid,
		.sockets = n,
	};
	size_t i, run;

	memcpy(h.comm, c->h.comm, sizeof(h.comm));
	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && same_dest(&c[i], &c[i + run]); run++)
			;
		add_dest(&h, &c[i], run);
	}
	add_holder(v, &h);
}

void eph_tally(struct eph_view *v, struct sockdiag_conn *c, size_t n)
{
	uint64_t used[PORTLIST_WORDS] = { 0 };
	size_t i, j, kept = 0;

	/* the range's sockets of the protocol, on a port the kernel may pick */
	for (i = 0; i < n; i++)
		if (c[i].h.sock.protocol == v->protocol && c[i].h.sock.port >= v->range.lo &&
		    c[i].h.sock.port <= v->range.hi &&
		    !portlist_has(v->range.reserved, c[i].h.sock.port))
			c[kept++] = c[i];
	for (i = 0; i < kept; i++) {
		unsigned int p = c[i].h.sock.port;

		v->in_use += !portlist_has(used, p);
		used[p / 64] |= 1ULL << (p % 64);
		if (c[i].h.state == TCP_TIME_WAIT && v->protocol == IPPROTO_TCP)
			v->time_wait++;
		else if (!c[i].h.pid)
			v->unheld++;
	}
	v->sockets = kept;
	if (kept)
		qsort(c, kept, sizeof(*c), by_holder);
	for (i = 0; i < kept; i = j) {
		for (j = i + 1; j < kept && c[j].h.pid == c[i].h.pid; j++)
			;
		if (c[i].h.pid)
			tally_process(v, &c[i], j - i);
	}
}
