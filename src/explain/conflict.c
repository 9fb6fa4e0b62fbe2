// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conflict.c - decide, as the kernel does, whether a socket on the port
 * blocks a request, and say why in terms an operator can act on.
 *
 * It owns the kernel's conflict rules; it must not look sockets up.
 *
 * bindwatch finds every socket on the requested port; only those that
 * really clash under the kernel's rules (conflict.h) are named as holders.
 * Matching on the port number alone would blame a listener on 127.0.0.2
 * for a failure on 127.0.0.1, or a socket bound to another device.
 * No libbpf here: the rules are unit-tested without root.
 *
 * The sentences are advice someone acts on at 3 a.m.: one that would make
 * things worse if followed is not given (conflict.h, enum conflict_peers).
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include "conflict.h"

#define V4_LEN 4
#define V4_MAPPED_PREFIX_LEN 12
/* the IPv4 view of an IPv6 socket bound to a non-mapped address (net/ipv6/af_inet6.c) */
#define LOOPBACK4_IPV6 { 127, 0, 0, 6 }

static const __u8 v4_mapped_prefix[V4_MAPPED_PREFIX_LEN] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

static bool is_zero(const __u8 *a, size_t n)
{
	while (n--)
		if (*a++)
			return false;
	return true;
}

static bool has(const struct bw_sock *s, enum bw_sockflag f)
{
	return s->sockflags & f;
}

static bool v6_any(const struct bw_sock *s)
{
	return s->family == AF_INET6 && is_zero(s->addr, sizeof(s->addr));
}

static bool v6_mapped(const struct bw_sock *s)
{
	return s->family == AF_INET6 &&
	       !memcmp(s->addr, v4_mapped_prefix, V4_MAPPED_PREFIX_LEN);
}

/*
 * The IPv4 address a socket answers for, as the kernel keeps it in
 * sk_rcv_saddr: its own for IPv4; for IPv6, 0.0.0.0 for [::], a.b.c.d for
 * ::ffff:a.b.c.d, and a placeholder for any other address.
 */
static void v4_view(const struct bw_sock *s, __u8 out[V4_LEN])
{
	static const __u8 placeholder[V4_LEN] = LOOPBACK4_IPV6;

	if (s->family == AF_INET)
		memcpy(out, s->addr, V4_LEN);
	else if (v6_any(s))
		memset(out, 0, V4_LEN);
	else if (v6_mapped(s))
		memcpy(out, s->addr + V4_MAPPED_PREFIX_LEN, V4_LEN);
	else
		memcpy(out, placeholder, V4_LEN);
}

/* ipv4_rcv_saddr_equal(): IPv4 addresses of two sockets, with wildcards. */
static bool v4_overlap(const struct bw_sock *a, const struct bw_sock *b)
{
	__u8 x[V4_LEN], y[V4_LEN];

	if (b->family == AF_INET6 && has(b, BW_SF_V6ONLY))
		return false;
	v4_view(a, x);
	v4_view(b, y);
	return !memcmp(x, y, V4_LEN) || is_zero(x, V4_LEN) || is_zero(y, V4_LEN);
}

/* ipv6_rcv_saddr_equal(): a is an IPv6 socket, b either family. */
static bool v6_overlap(const struct bw_sock *a, const struct bw_sock *b)
{
	bool b_any = v6_any(b), b_mapped = b->family == AF_INET || v6_mapped(b);
	bool b_v6only = b->family == AF_INET6 && has(b, BW_SF_V6ONLY);

	if (v6_mapped(a) && b_mapped)
		return !b_v6only && v4_overlap(a, b);
	if (v6_any(a) && b_any)
		return true;
	if (b_any && !(b_v6only && v6_mapped(a)))
		return true;
	if (v6_any(a) && !(has(a, BW_SF_V6ONLY) && b_mapped))
		return true;
	return b->family == AF_INET6 && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool addr_overlap(const struct bw_sock *a, const struct bw_sock *b)
{
	return a->family == AF_INET6 ? v6_overlap(a, b) : v4_overlap(a, b);
}

static bool devices_compatible(const struct bw_sock *a, const struct bw_sock *b)
{
	return !a->bound_ifindex || !b->bound_ifindex || a->bound_ifindex == b->bound_ifindex;
}

static bool reuseport_shared(const struct bw_sock *a, const struct bw_sock *b)
{
	return has(a, BW_SF_REUSEPORT) && has(b, BW_SF_REUSEPORT);
}

bool conflict_may_clash(const struct conflict_req *req, const struct bw_sock *b)
{
	const struct bw_sock *a = req->sock;

	return a->protocol == b->protocol && a->port == b->port && a->netns == b->netns &&
	       devices_compatible(a, b) && addr_overlap(a, b);
}

bool conflict_clash(const struct conflict_req *req, const struct bw_holder *h)
{
	const struct bw_sock *a = req->sock, *b = &h->sock;
	bool both_reuse = has(a, BW_SF_REUSEADDR) && has(b, BW_SF_REUSEADDR);

	if (!conflict_may_clash(req, b))
		return false;
	if (a->protocol == IPPROTO_UDP)
		return !both_reuse && !(reuseport_shared(a, b) && a->uid == b->uid);
	if (both_reuse && h->state != TCP_LISTEN)
		return false;
	return !(reuseport_shared(a, b) && (h->state == TCP_TIME_WAIT || a->uid == b->uid));
}

/* An IPv4 address, natively or v4-mapped into IPv6. */
static bool is_v4(const struct bw_sock *s)
{
	return s->family == AF_INET || v6_mapped(s);
}

/* One side an IPv4 address, the other the IPv6 wildcard [::] covering it. */
static bool dual_stack(const struct bw_sock *a, const struct bw_sock *b)
{
	return (is_v4(a) && v6_any(b)) || (v6_any(a) && is_v4(b));
}

static bool same_address(const struct bw_sock *a, const struct bw_sock *b)
{
	__u8 x[V4_LEN], y[V4_LEN];

	if (is_v4(a) && is_v4(b)) {
		v4_view(a, x);
		v4_view(b, y);
		return !memcmp(x, y, V4_LEN);
	}
	return a->family == b->family && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

enum conflict_reason conflict_reason(const struct conflict_req *req,
				     const struct bw_holder *h)
{
	const struct bw_sock *a = req->sock;

	if (!a->port)
		return REASON_EPHEMERAL_EXHAUSTED;
	if (!h)
		return REASON_UNKNOWN;
	if (req->listen)
		return REASON_LISTEN_CONFLICT;
	if (reuseport_shared(a, &h->sock) && h->state != TCP_TIME_WAIT)
		return REASON_REUSEPORT_UID;
	if (has(a, BW_SF_REUSEPORT) != has(&h->sock, BW_SF_REUSEPORT))
		return REASON_REUSEPORT_ONE_SIDED;
	if (dual_stack(a, &h->sock))
		return REASON_DUAL_STACK_OVERLAP;
	if (!same_address(a, &h->sock))
		return REASON_WILDCARD_OVERLAP;
	if (h->state == TCP_TIME_WAIT)
		return REASON_TIME_WAIT;
	if (a->protocol == IPPROTO_UDP)
		return REASON_UDP_NO_REUSE;
	return h->state == TCP_LISTEN ? REASON_LISTENER : REASON_BOUND;
}

static const char *const reason_codes[] = {
	[REASON_UNKNOWN] = "unknown",
	[REASON_LISTENER] = "listener",
	[REASON_BOUND] = "bound",
	[REASON_TIME_WAIT] = "time-wait",
	[REASON_WILDCARD_OVERLAP] = "wildcard-overlap",
	[REASON_DUAL_STACK_OVERLAP] = "dual-stack-overlap",
	[REASON_REUSEPORT_UID] = "reuseport-uid-mismatch",
	[REASON_REUSEPORT_ONE_SIDED] = "reuseport-one-sided",
	[REASON_LISTEN_CONFLICT] = "listen-conflict",
	[REASON_UDP_NO_REUSE] = "udp-no-reuse",
	[REASON_EPHEMERAL_EXHAUSTED] = "ephemeral-exhausted",
};

const char *conflict_reason_code(enum conflict_reason r)
{
	if ((unsigned int)r >= sizeof(reason_codes) / sizeof(reason_codes[0]))
		r = REASON_UNKNOWN;
	return reason_codes[r];
}

/* Which side lacks SO_REUSEADDR; other names the holder's side.  b may be NULL. */
static const char *missing_reuseaddr(const struct bw_sock *a, const struct bw_sock *b,
				     const char *other)
{
	bool ra = has(a, BW_SF_REUSEADDR), rb = b && has(b, BW_SF_REUSEADDR);

	if (!ra && !rb)
		return "neither side set SO_REUSEADDR";
	return ra ? other : "the requester did not set SO_REUSEADDR";
}

#define SPLIT_TRAFFIC \
	"sharing the port would split its traffic between two programs"

/* Which of the holder's executable and user differ from the requester's. */
static const char *other_what(const struct bw_sock *a, const struct bw_sock *b)
{
	return b && a->uid != b->uid ? "another user's program" : "another program";
}

/* reuseport-one-sided: SO_REUSEPORT is advised only between instances of one program. */
static void explain_one_sided(struct strbuf *sb, const struct conflict_req *req,
			      const struct bw_sock *b)
{
	const struct bw_sock *a = req->sock;

	strbuf_addf(sb, "only the %s set SO_REUSEPORT; ",
		    has(a, BW_SF_REUSEPORT) ? "requester" : "holder");
	switch (req->peers) {
	case PEERS_SAME_PROGRAM:
		strbuf_adds(sb, "sharing needs it on both");
		break;
	case PEERS_OTHER_PROGRAM:
		strbuf_addf(sb, "the holder is %s, and " SPLIT_TRAFFIC, other_what(a, b));
		break;
	default:
		strbuf_adds(sb, "sharing needs it on both sockets of one user, and is for "
			    "instances of one program: the kernel splits the port's traffic "
			    "between them");
	}
}

void conflict_explain(struct strbuf *sb, enum conflict_reason r,
		      const struct conflict_req *req, const struct bw_holder *h)
{
	const struct bw_sock *a = req->sock, *b = h ? &h->sock : NULL;

	switch (r) {
	case REASON_EPHEMERAL_EXHAUSTED:
		strbuf_adds(sb, "no ephemeral port was free (ip_local_port_range exhausted)");
		break;
	case REASON_LISTENER:
		strbuf_adds(sb, "a listening socket already has this address and port");
		break;
	case REASON_BOUND:
		strbuf_addf(sb, "a socket is bound to this address and port and %s",
			    missing_reuseaddr(a, b, "the holder did not set SO_REUSEADDR"));
		break;
	case REASON_TIME_WAIT:
		strbuf_addf(sb, "a closed connection on this port is in TIME_WAIT and %s",
			    missing_reuseaddr(a, b, "the old socket did not set SO_REUSEADDR"));
		break;
	case REASON_WILDCARD_OVERLAP:
		strbuf_adds(sb, "a socket on a different address of this port overlaps it: "
			    "one side is a wildcard (0.0.0.0 or ::)");
		break;
	case REASON_DUAL_STACK_OVERLAP:
		strbuf_adds(sb, "an IPv6 [::] socket without IPV6_V6ONLY also covers IPv4 "
			    "on this port");
		break;
	case REASON_REUSEPORT_UID:
		strbuf_adds(sb, "both sides set SO_REUSEPORT but belong to different users; "
			    SPLIT_TRAFFIC);
		break;
	case REASON_REUSEPORT_ONE_SIDED:
		explain_one_sided(sb, req, b);
		break;
	case REASON_LISTEN_CONFLICT:
		strbuf_adds(sb, "the bind() was shared through SO_REUSEADDR, but another socket "
			    "already listens on this address and port");
		break;
	case REASON_UDP_NO_REUSE:
		strbuf_adds(sb, "a UDP socket already has this address and port; sharing needs "
			    "SO_REUSEADDR or SO_REUSEPORT on both");
		break;
	default:
		strbuf_adds(sb, "no socket that explains the conflict was found (it may have "
			    "closed already)");
	}
}

/* The same file: by device and inode when both are known, else by path. */
static bool same_exe(const struct proc_info *x, const struct proc_info *y)
{
	if (x->id.exe_ino && y->id.exe_ino)
		return x->id.exe_dev == y->id.exe_dev && x->id.exe_ino == y->id.exe_ino;
	return !strcmp(x->exe, y->exe);
}

enum conflict_peers conflict_peers(const struct bw_sock *s, const struct proc_info *req,
				   const struct holder_info *h)
{
	if (!h->h.pid) /* TIME_WAIT, a kernel socket: no program to compare */
		return PEERS_UNKNOWN;
	if (s->uid != h->h.sock.uid)
		return PEERS_OTHER_PROGRAM;
	if (!req || !req->exe || !h->pi.exe)
		return PEERS_UNKNOWN;
	if (!same_exe(req, &h->pi))
		return PEERS_OTHER_PROGRAM;
	if (req->cmdline && h->pi.cmdline && strcmp(req->cmdline, h->pi.cmdline))
		return PEERS_OTHER_PROGRAM;
	return PEERS_SAME_PROGRAM;
}

void conflict_explain_record(struct strbuf *sb, const struct bw_record *r)
{
	const struct diagnosis *d = r->diag;
	const struct holder_info *main = d->n ? &d->holders[0] : NULL;
	struct conflict_req req = {
		.sock = &r->ev->sock,
		.listen = r->ev->syscall == BW_SYS_LISTEN,
		.peers = main ? conflict_peers(&r->ev->sock, r->req, main) : PEERS_UNKNOWN,
	};

	conflict_explain(sb, d->reason, &req, main ? &main->h : NULL);
}
