/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * conflict.h - the kernel's rules for when two inet sockets may not share a
 * port, and a reason code an operator can act on when they may not.
 *
 * The rules mirror inet_csk_bind_conflict() (TCP) and udp_lib_lport_inuse()
 * (UDP), applied to a request (the socket that asked, with the address it
 * asked for) and a socket already on the port (a holder):
 *
 *  - Only the same protocol on the same port in the same network namespace
 *    can clash (the caller finds the candidates that way).
 *  - Sockets bound to different devices (SO_BINDTODEVICE) never clash; one
 *    bound and one unbound can.
 *  - The addresses must overlap: equal, or either side a wildcard.  IPv4
 *    0.0.0.0 overlaps every IPv4 address; IPv6 [::] overlaps every IPv6
 *    address and, unless IPV6_V6ONLY, every IPv4 address; a v4-mapped
 *    IPv6 address (::ffff:a.b.c.d) compares as the IPv4 address.
 *      e.g. 127.0.0.1 vs 0.0.0.0: clash; 127.0.0.1 vs 127.0.0.2: no clash;
 *           [::] dual-stack vs 0.0.0.0: clash; [::] V6ONLY vs 0.0.0.0: none.
 *  - TCP: both SO_REUSEADDR and the holder not listening: no clash (so a
 *    listen() conflicts with a listener even when both set it).  Otherwise
 *    a clash, unless both set SO_REUSEPORT and the owners' uids are equal
 *    (or the holder is in TIME_WAIT).
 *  - UDP: both SO_REUSEADDR: no clash; both SO_REUSEPORT with equal uids:
 *    no clash; otherwise a clash.
 */
#ifndef BW_CONFLICT_H
#define BW_CONFLICT_H

#include <stdbool.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "event.h"
#include "strbuf.h"

/*
 * Who the requester is to the holder, as far as is known.  SO_REUSEPORT
 * on both sides makes the kernel split a port's connections (or
 * datagrams) between the sockets: between two instances of one program
 * that is load sharing, between two programs it is half the traffic sent
 * to the wrong one, silently.  So it is advised only between the same
 * program and user.
 */
enum conflict_peers {
	PEERS_UNKNOWN,       /* a side's program is not known (check's requester, no process) */
	PEERS_SAME_PROGRAM,  /* one executable, one command line (when both are known), one uid */
	PEERS_OTHER_PROGRAM, /* another executable or command line, or another uid */
};

/* What asked: the socket (with the requested address) and the call. */
struct conflict_req {
	const struct bw_sock *sock;
	bool listen; /* listen(), not bind() */
	enum conflict_peers peers; /* to the holder explained; PEERS_UNKNOWN when not said */
};

/* True when the kernel's rules make h's socket block req. */
bool conflict_clash(const struct conflict_req *req, const struct bw_holder *h);

/*
 * False when socket s cannot block req whatever its options
 * (SO_REUSEADDR, SO_REUSEPORT) and state: another protocol, port or
 * namespace, another device, or addresses that do not overlap.
 */
bool conflict_may_clash(const struct conflict_req *req, const struct bw_sock *s);

/*
 * Why req failed, given the holder that blocks it (NULL when none was
 * found).  The most specific explanation wins: ephemeral exhaustion, then
 * listen(), SO_REUSEPORT mismatches, address overlaps, then the holder's
 * state.
 */
enum conflict_reason conflict_reason(const struct conflict_req *req,
				     const struct bw_holder *h);

/* "listener", "time-wait", ... (the JSON "reason" code). */
const char *conflict_reason_code(enum conflict_reason r);

/*
 * Append a sentence explaining r for req and h (h may be NULL).  The
 * SO_REUSEPORT reasons suggest setting it only for PEERS_SAME_PROGRAM;
 * for another program they say that sharing would split its traffic.
 */
void conflict_explain(struct strbuf *sb, enum conflict_reason r,
		      const struct conflict_req *req, const struct bw_holder *h);

/*
 * What a requester whose socket is s and whose process is req (NULL when
 * not known) is to the holder h: the socket owners' uids, then the
 * executables (by device and inode when both are known, else by path)
 * and command lines (an interpreter's executable is the same whatever
 * the script).
 */
enum conflict_peers conflict_peers(const struct bw_sock *s, const struct proc_info *req,
				   const struct holder_info *h);

/* conflict_explain() for a diagnosed record: its reason, requester and main holder. */
void conflict_explain_record(struct strbuf *sb, const struct bw_record *r);

#endif /* BW_CONFLICT_H */
