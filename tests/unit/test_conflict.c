// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_conflict.c - which socket on a port blocks a bind() or listen(), and
 * the reason an operator is given.
 *
 * Every expectation is the kernel's answer, not conflict.c's: TCP from
 * inet_bind_conflict() with the address test of inet_rcv_saddr_equal()
 * (ipv4_rcv_saddr_equal() / ipv6_rcv_saddr_equal()), UDP from
 * udp_lib_lport_inuse().  Each case is a requester and one holder built
 * from readable pieces (family from the address string, options, state),
 * checked for the clash and, when it clashes, for the reason code.  Holders
 * carry what the iterators read after the kernel's bind(), so an IPv6
 * holder on a specific address has V6ONLY set, as __inet6_bind() forces.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "conflict.h"

#define PORT 8080
#define OTHER_PORT 8081
#define UID_ALICE 1000
#define UID_BOB 1001
#define NETNS_HOST 4026531840u
#define NETNS_CONTAINER 4026532001u
#define IFINDEX_ETH0 2
#define IFINDEX_ETH1 3
#define REASON_OUT_OF_RANGE 99

#define RA BW_SF_REUSEADDR
#define RP BW_SF_REUSEPORT
#define V6ONLY BW_SF_V6ONLY

/* A socket of protocol on addr (its family from the string) and port. */
static struct bw_sock sock_on(int protocol, const char *addr, __u16 port, __u32 flags)
{
	struct bw_sock s;

	memset(&s, 0, sizeof(s));
	s.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	s.type = protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	s.protocol = protocol;
	s.port = port;
	s.netns = NETNS_HOST;
	s.uid = UID_ALICE;
	s.sockflags = flags;
	assert_int_equal(inet_pton(s.family, addr, s.addr), 1);
	return s;
}

static struct bw_sock tcp(const char *addr, __u32 flags)
{
	return sock_on(IPPROTO_TCP, addr, PORT, flags);
}

static struct bw_sock udp(const char *addr, __u32 flags)
{
	return sock_on(IPPROTO_UDP, addr, PORT, flags);
}

static struct bw_sock with_uid(struct bw_sock s, __u32 uid)
{
	s.uid = uid;
	return s;
}

static struct bw_sock on_device(struct bw_sock s, int ifindex)
{
	s.bound_ifindex = ifindex;
	return s;
}

static struct bw_holder holder(struct bw_sock s, int state)
{
	struct bw_holder h;

	memset(&h, 0, sizeof(h));
	h.sock = s;
	h.state = state;
	return h;
}

/* A holder as UDP sockets are: unconnected, TCP_CLOSE. */
static struct bw_holder udp_holder(struct bw_sock s)
{
	return holder(s, TCP_CLOSE);
}

static bool bind_clashes(struct bw_sock s, struct bw_holder h)
{
	struct conflict_req req = { .sock = &s, .listen = false };

	return conflict_clash(&req, &h);
}

static const char *bind_reason(struct bw_sock s, struct bw_holder h)
{
	struct conflict_req req = { .sock = &s, .listen = false };

	return conflict_reason_code(conflict_reason(&req, &h));
}

static bool listen_clashes(struct bw_sock s, struct bw_holder h)
{
	struct conflict_req req = { .sock = &s, .listen = true };

	return conflict_clash(&req, &h);
}

static const char *listen_reason(struct bw_sock s, struct bw_holder h)
{
	struct conflict_req req = { .sock = &s, .listen = true };

	return conflict_reason_code(conflict_reason(&req, &h));
}

/* conflict_explain() for r into sb (reset first); the sentence. */
static const char *explain(struct strbuf *sb, enum conflict_reason r,
			   struct bw_sock s, const struct bw_holder *h)
{
	struct conflict_req req = { .sock = &s, .listen = false };

	strbuf_reset(sb);
	conflict_explain(sb, r, &req, h);
	assert_false(sb->oom);
	return sb->s;
}

/*
 * What can be ruled out without a socket's options: another address or
 * device; the same or an overlapping address may clash, whatever the
 * options say.
 */
static void test_may_clash(void **state)
{
	struct bw_sock req = tcp("127.0.0.1", 0);
	struct conflict_req r = { .sock = &req };
	struct bw_sock other = tcp("127.0.1.1", 0), any = tcp("0.0.0.0", 0);
	struct bw_sock shared = tcp("127.0.0.1", BW_SF_REUSEADDR | BW_SF_REUSEPORT);
	struct bw_sock dev = on_device(tcp("127.0.0.1", 0), 7);
	struct bw_sock u = udp("127.0.0.1", 0);

	(void)state;
	assert_false(conflict_may_clash(&r, &other));
	assert_true(conflict_may_clash(&r, &any));
	assert_true(conflict_may_clash(&r, &shared));
	assert_false(conflict_may_clash(&r, &u));
	req = on_device(req, 3);
	assert_false(conflict_may_clash(&r, &dev));
}

static void test_same_address_listener(void **state)
{
	struct bw_holder h = holder(tcp("127.0.0.1", 0), TCP_LISTEN);

	(void)state;
	assert_true(bind_clashes(tcp("127.0.0.1", 0), h));
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), h), "listener");
	h = holder(tcp("::1", V6ONLY), TCP_LISTEN);
	assert_true(bind_clashes(tcp("::1", 0), h));
	assert_string_equal(bind_reason(tcp("::1", 0), h), "listener");
}

static void test_different_addresses(void **state)
{
	(void)state;
	assert_false(bind_clashes(tcp("127.0.0.1", 0),
				  holder(tcp("127.0.0.2", 0), TCP_LISTEN)));
	assert_false(bind_clashes(tcp("::1", 0),
				  holder(tcp("fe80::1", V6ONLY), TCP_LISTEN)));
	/* an IPv6 holder on ::1 is IPv6-only (__inet6_bind): no IPv4 overlap */
	assert_false(bind_clashes(tcp("0.0.0.0", 0),
				  holder(tcp("::1", V6ONLY), TCP_LISTEN)));
	assert_false(bind_clashes(tcp("::1", 0),
				  holder(tcp("0.0.0.0", 0), TCP_LISTEN)));
}

static void test_ipv4_wildcard(void **state)
{
	struct bw_holder any = holder(tcp("0.0.0.0", 0), TCP_LISTEN);
	struct bw_holder other = holder(tcp("127.0.0.2", 0), TCP_LISTEN);

	(void)state;
	assert_true(bind_clashes(tcp("127.0.0.1", 0), any));
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), any), "wildcard-overlap");
	assert_true(bind_clashes(tcp("0.0.0.0", 0), other));
	assert_string_equal(bind_reason(tcp("0.0.0.0", 0), other), "wildcard-overlap");
	assert_true(bind_clashes(tcp("0.0.0.0", 0), any));
	assert_string_equal(bind_reason(tcp("0.0.0.0", 0), any), "listener");
}

static void test_dual_stack(void **state)
{
	struct bw_holder v4_any = holder(tcp("0.0.0.0", 0), TCP_LISTEN);
	struct bw_holder v6_any = holder(tcp("::", 0), TCP_LISTEN);

	(void)state;
	assert_true(bind_clashes(tcp("::", 0), v4_any));
	assert_string_equal(bind_reason(tcp("::", 0), v4_any), "dual-stack-overlap");
	assert_true(bind_clashes(tcp("0.0.0.0", 0), v6_any));
	assert_string_equal(bind_reason(tcp("0.0.0.0", 0), v6_any), "dual-stack-overlap");
	assert_true(bind_clashes(tcp("127.0.0.1", 0), v6_any));
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), v6_any), "dual-stack-overlap");
	assert_true(bind_clashes(tcp("::", 0), holder(tcp("127.0.0.1", 0), TCP_LISTEN)));
}

static void test_v6only(void **state)
{
	struct bw_holder v6only_any = holder(tcp("::", V6ONLY), TCP_LISTEN);

	(void)state;
	assert_false(bind_clashes(tcp("::", V6ONLY), holder(tcp("0.0.0.0", 0), TCP_LISTEN)));
	assert_false(bind_clashes(tcp("0.0.0.0", 0), v6only_any));
	assert_false(bind_clashes(tcp("127.0.0.1", 0), v6only_any));
	assert_false(bind_clashes(tcp("::ffff:127.0.0.1", 0), v6only_any));
	assert_false(bind_clashes(tcp("::", V6ONLY),
				  holder(tcp("::ffff:127.0.0.1", 0), TCP_LISTEN)));
	/* V6ONLY still covers every IPv6 address */
	assert_true(bind_clashes(tcp("::1", 0), v6only_any));
	assert_string_equal(bind_reason(tcp("::1", 0), v6only_any), "wildcard-overlap");
	assert_true(bind_clashes(tcp("::", 0), v6only_any));
	assert_true(bind_clashes(tcp("::", V6ONLY), holder(tcp("::", 0), TCP_LISTEN)));
}

static void test_ipv6_wildcard(void **state)
{
	struct bw_holder any = holder(tcp("::", 0), TCP_LISTEN);
	struct bw_holder loopback = holder(tcp("::1", V6ONLY), TCP_LISTEN);

	(void)state;
	assert_true(bind_clashes(tcp("::1", 0), any));
	assert_string_equal(bind_reason(tcp("::1", 0), any), "wildcard-overlap");
	assert_true(bind_clashes(tcp("::", 0), loopback));
	assert_string_equal(bind_reason(tcp("::", 0), loopback), "wildcard-overlap");
}

static void test_v4_mapped_clashes(void **state)
{
	struct bw_holder v4 = holder(tcp("127.0.0.1", 0), TCP_LISTEN);
	struct bw_holder mapped = holder(tcp("::ffff:127.0.0.1", 0), TCP_LISTEN);

	(void)state;
	assert_true(bind_clashes(tcp("::ffff:127.0.0.1", 0), v4));
	assert_true(bind_clashes(tcp("127.0.0.1", 0), mapped));
	assert_true(bind_clashes(tcp("::ffff:127.0.0.1", 0), mapped));
	assert_true(bind_clashes(tcp("::ffff:127.0.0.1", 0),
				 holder(tcp("0.0.0.0", 0), TCP_LISTEN)));
	assert_true(bind_clashes(tcp("0.0.0.0", 0), mapped));
	assert_false(bind_clashes(tcp("::ffff:127.0.0.1", 0),
				  holder(tcp("127.0.0.2", 0), TCP_LISTEN)));
	assert_false(bind_clashes(tcp("::ffff:127.0.0.1", 0),
				  holder(tcp("::1", V6ONLY), TCP_LISTEN)));
}

/*
 * ::ffff:127.0.0.1 is 127.0.0.1 to the kernel: the holder listens on the
 * very address asked for, no wildcard and no [::] socket is involved.
 */
static void test_v4_mapped_reason(void **state)
{
	struct bw_holder v4 = holder(tcp("127.0.0.1", 0), TCP_LISTEN);
	struct bw_holder mapped = holder(tcp("::ffff:127.0.0.1", 0), TCP_LISTEN);

	(void)state;
	assert_string_equal(bind_reason(tcp("::ffff:127.0.0.1", 0), v4), "listener");
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), mapped), "listener");
}

static void test_devices(void **state)
{
	struct bw_sock eth0 = on_device(tcp("0.0.0.0", 0), IFINDEX_ETH0);
	struct bw_sock eth1 = on_device(tcp("0.0.0.0", 0), IFINDEX_ETH1);
	struct bw_holder h;

	(void)state;
	assert_false(bind_clashes(eth0, holder(eth1, TCP_LISTEN)));
	assert_true(bind_clashes(eth0, holder(eth0, TCP_LISTEN)));
	h = holder(tcp("0.0.0.0", 0), TCP_LISTEN);
	assert_true(bind_clashes(eth0, h));
	assert_string_equal(bind_reason(eth0, h), "listener");
	h = holder(eth1, TCP_LISTEN);
	assert_true(bind_clashes(tcp("0.0.0.0", 0), h));
	assert_string_equal(bind_reason(tcp("0.0.0.0", 0), h), "listener");
	assert_false(bind_clashes(on_device(udp("0.0.0.0", 0), IFINDEX_ETH0),
				  udp_holder(on_device(udp("0.0.0.0", 0), IFINDEX_ETH1))));
}

static void test_reuseaddr_bound(void **state)
{
	struct bw_holder bound = holder(tcp("127.0.0.1", RA), TCP_CLOSE);
	struct bw_holder listener = holder(tcp("127.0.0.1", RA), TCP_LISTEN);
	struct bw_holder established = holder(tcp("127.0.0.1", RA), TCP_ESTABLISHED);

	(void)state;
	assert_false(bind_clashes(tcp("127.0.0.1", RA), bound));
	assert_false(bind_clashes(tcp("127.0.0.1", RA), established));
	assert_false(bind_clashes(tcp("0.0.0.0", RA), bound));
	assert_true(bind_clashes(tcp("127.0.0.1", RA), listener));
	assert_string_equal(bind_reason(tcp("127.0.0.1", RA), listener), "listener");
}

static void test_listen_after_shared_bind(void **state)
{
	struct bw_holder listener = holder(tcp("127.0.0.1", RA), TCP_LISTEN);
	struct bw_holder bound = holder(tcp("127.0.0.1", RA), TCP_CLOSE);

	(void)state;
	assert_true(listen_clashes(tcp("127.0.0.1", RA), listener));
	assert_string_equal(listen_reason(tcp("127.0.0.1", RA), listener), "listen-conflict");
	/* the first listen() of the two succeeds */
	assert_false(listen_clashes(tcp("127.0.0.1", RA), bound));
	/* SO_REUSEPORT listeners of one owner share the port */
	assert_false(listen_clashes(tcp("127.0.0.1", RA | RP),
				    holder(tcp("127.0.0.1", RA | RP), TCP_LISTEN)));
}

static void test_bound_without_reuseaddr(void **state)
{
	struct bw_holder holder_lacks = holder(tcp("127.0.0.1", 0), TCP_CLOSE);
	struct bw_holder holder_has = holder(tcp("127.0.0.1", RA), TCP_CLOSE);
	struct bw_holder established = holder(tcp("127.0.0.1", 0), TCP_ESTABLISHED);

	(void)state;
	assert_true(bind_clashes(tcp("127.0.0.1", RA), holder_lacks));
	assert_string_equal(bind_reason(tcp("127.0.0.1", RA), holder_lacks), "bound");
	assert_true(bind_clashes(tcp("127.0.0.1", 0), holder_has));
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), holder_has), "bound");
	assert_true(bind_clashes(tcp("127.0.0.1", 0), holder_lacks));
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), holder_lacks), "bound");
	assert_true(bind_clashes(tcp("127.0.0.1", RA), established));
	assert_string_equal(bind_reason(tcp("127.0.0.1", RA), established), "bound");
}

static void test_time_wait(void **state)
{
	struct bw_holder tw_reuse = holder(tcp("127.0.0.1", RA), TCP_TIME_WAIT);
	struct bw_holder tw_plain = holder(tcp("127.0.0.1", 0), TCP_TIME_WAIT);
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	assert_false(bind_clashes(tcp("127.0.0.1", RA), tw_reuse));

	assert_true(bind_clashes(tcp("127.0.0.1", 0), tw_reuse));
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), tw_reuse), "time-wait");
	explain(&sb, REASON_TIME_WAIT, tcp("127.0.0.1", 0), &tw_reuse);
	assert_non_null(strstr(sb.s, "requester did not set SO_REUSEADDR"));
	assert_null(strstr(sb.s, "old socket"));

	assert_true(bind_clashes(tcp("127.0.0.1", RA), tw_plain));
	assert_string_equal(bind_reason(tcp("127.0.0.1", RA), tw_plain), "time-wait");
	explain(&sb, REASON_TIME_WAIT, tcp("127.0.0.1", RA), &tw_plain);
	assert_non_null(strstr(sb.s, "old socket did not set SO_REUSEADDR"));
	assert_null(strstr(sb.s, "requester"));

	assert_true(bind_clashes(tcp("127.0.0.1", 0), tw_plain));
	explain(&sb, REASON_TIME_WAIT, tcp("127.0.0.1", 0), &tw_plain);
	assert_non_null(strstr(sb.s, "neither side set SO_REUSEADDR"));
	strbuf_free(&sb);
}

static void test_bound_explain_names_side(void **state)
{
	struct bw_holder holder_lacks = holder(tcp("127.0.0.1", 0), TCP_CLOSE);
	struct bw_holder holder_has = holder(tcp("127.0.0.1", RA), TCP_CLOSE);
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	explain(&sb, REASON_BOUND, tcp("127.0.0.1", RA), &holder_lacks);
	assert_non_null(strstr(sb.s, "holder did not set SO_REUSEADDR"));
	explain(&sb, REASON_BOUND, tcp("127.0.0.1", 0), &holder_has);
	assert_non_null(strstr(sb.s, "requester did not set SO_REUSEADDR"));
	explain(&sb, REASON_BOUND, tcp("127.0.0.1", 0), &holder_lacks);
	assert_non_null(strstr(sb.s, "neither side set SO_REUSEADDR"));
	strbuf_free(&sb);
}

static void test_reuseport(void **state)
{
	struct bw_holder alice = holder(tcp("127.0.0.1", RP), TCP_LISTEN);
	struct bw_holder plain = holder(tcp("127.0.0.1", 0), TCP_LISTEN);
	struct bw_sock bob = with_uid(tcp("127.0.0.1", RP), UID_BOB);

	(void)state;
	assert_false(bind_clashes(tcp("127.0.0.1", RP), alice));
	assert_false(bind_clashes(tcp("0.0.0.0", RP), alice));
	assert_true(bind_clashes(bob, alice));
	assert_string_equal(bind_reason(bob, alice), "reuseport-uid-mismatch");
	assert_true(bind_clashes(bob, holder(tcp("127.0.0.1", RP), TCP_CLOSE)));
	assert_true(bind_clashes(tcp("127.0.0.1", RP), plain));
	assert_string_equal(bind_reason(tcp("127.0.0.1", RP), plain), "reuseport-one-sided");
	assert_true(bind_clashes(tcp("127.0.0.1", 0), alice));
	assert_string_equal(bind_reason(tcp("127.0.0.1", 0), alice), "reuseport-one-sided");
}

static void test_reuseport_explain_names_side(void **state)
{
	struct bw_holder alice = holder(tcp("127.0.0.1", RP), TCP_LISTEN);
	struct bw_holder plain = holder(tcp("127.0.0.1", 0), TCP_LISTEN);
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	explain(&sb, REASON_REUSEPORT_ONE_SIDED, tcp("127.0.0.1", RP), &plain);
	assert_non_null(strstr(sb.s, "only the requester set SO_REUSEPORT"));
	explain(&sb, REASON_REUSEPORT_ONE_SIDED, tcp("127.0.0.1", 0), &alice);
	assert_non_null(strstr(sb.s, "only the holder set SO_REUSEPORT"));
	strbuf_free(&sb);
}

/* The reuseport sentence for a requester that is peers to the holder. */
static const char *explain_peers(struct strbuf *sb, enum conflict_reason r, struct bw_sock s,
				 const struct bw_holder *h, enum conflict_peers peers)
{
	struct conflict_req req = { .sock = &s, .peers = peers };

	strbuf_reset(sb);
	conflict_explain(sb, r, &req, h);
	assert_false(sb->oom);
	return sb->s;
}

/*
 * SO_REUSEPORT between two programs splits the port's traffic between
 * them: only between instances of one program (and user) is it advised.
 */
static void test_reuseport_advice_only_for_one_program(void **state)
{
	struct bw_holder alice = holder(tcp("127.0.0.1", RP), TCP_LISTEN);
	struct bw_holder bob = holder(with_uid(tcp("127.0.0.1", RP), UID_BOB), TCP_LISTEN);
	struct bw_holder bob_plain = holder(with_uid(tcp("127.0.0.1", 0), UID_BOB), TCP_LISTEN);
	const char *t;
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	t = explain_peers(&sb, REASON_REUSEPORT_ONE_SIDED, tcp("127.0.0.1", 0), &alice,
			  PEERS_SAME_PROGRAM);
	assert_string_equal(t, "only the holder set SO_REUSEPORT; sharing needs it on both");
	t = explain_peers(&sb, REASON_REUSEPORT_ONE_SIDED, tcp("127.0.0.1", 0), &alice,
			  PEERS_OTHER_PROGRAM);
	assert_string_equal(t, "only the holder set SO_REUSEPORT; the holder is another program, "
			    "and sharing the port would split its traffic between two programs");
	t = explain_peers(&sb, REASON_REUSEPORT_ONE_SIDED, tcp("127.0.0.1", RP), &bob_plain,
			  PEERS_OTHER_PROGRAM);
	assert_string_equal(t, "only the requester set SO_REUSEPORT; the holder is another "
			    "user's program, and sharing the port would split its traffic "
			    "between two programs");
	t = explain_peers(&sb, REASON_REUSEPORT_ONE_SIDED, tcp("127.0.0.1", 0), &alice,
			  PEERS_UNKNOWN);
	assert_non_null(strstr(t, "is for instances of one program"));
	t = explain_peers(&sb, REASON_REUSEPORT_UID, tcp("127.0.0.1", RP), &bob,
			  PEERS_OTHER_PROGRAM);
	assert_string_equal(t, "both sides set SO_REUSEPORT but belong to different users; "
			    "sharing the port would split its traffic between two programs");
	strbuf_free(&sb);
}

/* A process's info with exe (and its inode; 0: unknown) and cmdline. */
static struct proc_info proc(const char *exe, uint64_t ino, const char *cmdline)
{
	struct proc_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.exe = (char *)exe;
	pi.cmdline = (char *)cmdline;
	pi.id.exe_dev = 1;
	pi.id.exe_ino = ino;
	return pi;
}

static struct holder_info holder_proc(struct bw_sock s, const char *exe, uint64_t ino,
				      const char *cmdline)
{
	struct holder_info h;

	memset(&h, 0, sizeof(h));
	h.h = holder(s, TCP_LISTEN);
	h.h.pid = 4242;
	h.pi = proc(exe, ino, cmdline);
	return h;
}

static void test_peers(void **state)
{
	struct bw_sock s = tcp("127.0.0.1", 0);
	struct proc_info py = proc("/usr/bin/python3", 11, "python3 /srv/api_v2.py");
	struct proc_info py_noline = proc("/usr/bin/python3", 11, NULL);
	struct holder_info same = holder_proc(tcp("127.0.0.1", RP), "/usr/bin/python3", 11,
					      "python3 /srv/api_v2.py");
	struct holder_info script = holder_proc(tcp("127.0.0.1", RP), "/usr/bin/python3", 11,
						"python3 /srv/other.py");
	struct holder_info redis = holder_proc(tcp("127.0.0.1", RP), "/usr/bin/redis-server", 12,
					       "python3 /srv/api_v2.py");
	struct holder_info bobs = holder_proc(with_uid(tcp("127.0.0.1", RP), UID_BOB),
					      "/usr/bin/python3", 11, "python3 /srv/api_v2.py");
	struct holder_info no_ino = holder_proc(tcp("127.0.0.1", RP), "/usr/bin/python3", 0,
						"python3 /srv/api_v2.py");
	struct holder_info gone = holder_proc(tcp("127.0.0.1", RP), NULL, 0, NULL);
	struct holder_info tw = same;

	(void)state;
	tw.h.pid = 0;
	assert_int_equal(conflict_peers(&s, &py, &same), PEERS_SAME_PROGRAM);
	assert_int_equal(conflict_peers(&s, &py_noline, &same), PEERS_SAME_PROGRAM);
	assert_int_equal(conflict_peers(&s, &py, &no_ino), PEERS_SAME_PROGRAM); /* by path */
	assert_int_equal(conflict_peers(&s, &py, &script), PEERS_OTHER_PROGRAM);
	assert_int_equal(conflict_peers(&s, &py, &redis), PEERS_OTHER_PROGRAM);
	assert_int_equal(conflict_peers(&s, &py, &bobs), PEERS_OTHER_PROGRAM);
	assert_int_equal(conflict_peers(&s, NULL, &bobs), PEERS_OTHER_PROGRAM); /* check --uid */
	assert_int_equal(conflict_peers(&s, NULL, &same), PEERS_UNKNOWN);
	assert_int_equal(conflict_peers(&s, &py, &gone), PEERS_UNKNOWN);
	assert_int_equal(conflict_peers(&s, &py, &tw), PEERS_UNKNOWN);
}

static void test_reuseport_time_wait(void **state)
{
	struct bw_holder tw = holder(tcp("127.0.0.1", RP), TCP_TIME_WAIT);

	(void)state;
	assert_false(bind_clashes(with_uid(tcp("127.0.0.1", RP), UID_BOB), tw));
	assert_false(bind_clashes(tcp("127.0.0.1", RP), tw));
	assert_true(bind_clashes(tcp("127.0.0.1", 0), tw));
}

static void test_udp(void **state)
{
	struct bw_holder plain = udp_holder(udp("127.0.0.1", 0));
	struct bw_holder reuse = udp_holder(udp("127.0.0.1", RA));
	struct bw_holder alice = udp_holder(udp("127.0.0.1", RP));
	struct bw_sock bob = with_uid(udp("127.0.0.1", RP), UID_BOB);

	(void)state;
	assert_true(bind_clashes(udp("127.0.0.1", 0), plain));
	assert_string_equal(bind_reason(udp("127.0.0.1", 0), plain), "udp-no-reuse");
	assert_true(bind_clashes(udp("127.0.0.1", RA), plain));
	assert_string_equal(bind_reason(udp("127.0.0.1", RA), plain), "udp-no-reuse");
	/* SO_REUSEADDR shares a UDP port with no uid check */
	assert_false(bind_clashes(udp("127.0.0.1", RA), reuse));
	assert_false(bind_clashes(with_uid(udp("127.0.0.1", RA), UID_BOB), reuse));
	assert_false(bind_clashes(udp("127.0.0.1", RP), alice));
	assert_true(bind_clashes(bob, alice));
	assert_string_equal(bind_reason(bob, alice), "reuseport-uid-mismatch");
	assert_false(bind_clashes(udp("127.0.0.1", 0), udp_holder(udp("127.0.0.2", 0))));
	assert_true(bind_clashes(udp("127.0.0.1", 0), udp_holder(udp("0.0.0.0", 0))));
	assert_string_equal(bind_reason(udp("127.0.0.1", 0), udp_holder(udp("0.0.0.0", 0))),
			    "wildcard-overlap");
	assert_true(bind_clashes(udp("0.0.0.0", 0), udp_holder(udp("::", 0))));
	assert_false(bind_clashes(udp("0.0.0.0", 0), udp_holder(udp("::", V6ONLY))));
}

static void test_never_clash(void **state)
{
	struct bw_holder h = holder(tcp("0.0.0.0", 0), TCP_LISTEN);
	struct bw_sock other_ns = tcp("0.0.0.0", 0);

	(void)state;
	other_ns.netns = NETNS_CONTAINER;
	assert_false(bind_clashes(udp("0.0.0.0", 0), h));
	assert_false(bind_clashes(tcp("0.0.0.0", 0), udp_holder(udp("0.0.0.0", 0))));
	assert_false(bind_clashes(sock_on(IPPROTO_TCP, "0.0.0.0", OTHER_PORT, 0), h));
	assert_false(bind_clashes(other_ns, h));
}

static void test_ephemeral_and_unknown(void **state)
{
	struct bw_sock any_port = sock_on(IPPROTO_TCP, "0.0.0.0", 0, 0);
	struct bw_sock s = tcp("127.0.0.1", 0);
	struct bw_holder h = holder(tcp("127.0.0.1", 0), TCP_LISTEN);
	struct conflict_req eph = { .sock = &any_port, .listen = false };
	struct conflict_req req = { .sock = &s, .listen = false };

	(void)state;
	assert_string_equal(conflict_reason_code(conflict_reason(&eph, NULL)),
			    "ephemeral-exhausted");
	assert_string_equal(conflict_reason_code(conflict_reason(&eph, &h)),
			    "ephemeral-exhausted");
	assert_string_equal(conflict_reason_code(conflict_reason(&req, NULL)), "unknown");
}

static void test_reason_codes(void **state)
{
	(void)state;
	assert_string_equal(conflict_reason_code(REASON_UNKNOWN), "unknown");
	assert_string_equal(conflict_reason_code(REASON_LISTENER), "listener");
	assert_string_equal(conflict_reason_code(REASON_BOUND), "bound");
	assert_string_equal(conflict_reason_code(REASON_TIME_WAIT), "time-wait");
	assert_string_equal(conflict_reason_code(REASON_WILDCARD_OVERLAP), "wildcard-overlap");
	assert_string_equal(conflict_reason_code(REASON_DUAL_STACK_OVERLAP),
			    "dual-stack-overlap");
	assert_string_equal(conflict_reason_code(REASON_REUSEPORT_UID),
			    "reuseport-uid-mismatch");
	assert_string_equal(conflict_reason_code(REASON_REUSEPORT_ONE_SIDED),
			    "reuseport-one-sided");
	assert_string_equal(conflict_reason_code(REASON_LISTEN_CONFLICT), "listen-conflict");
	assert_string_equal(conflict_reason_code(REASON_UDP_NO_REUSE), "udp-no-reuse");
	assert_string_equal(conflict_reason_code(REASON_EPHEMERAL_EXHAUSTED),
			    "ephemeral-exhausted");
	assert_string_equal(conflict_reason_code((enum conflict_reason)REASON_OUT_OF_RANGE),
			    "unknown");
	assert_string_equal(conflict_reason_code((enum conflict_reason)(REASON_EPHEMERAL_EXHAUSTED + 1)),
			    "unknown");
	assert_string_equal(conflict_reason_code((enum conflict_reason)-1), "unknown");
}

/* Every reason has its own non-empty sentence, with and without a holder. */
static void test_explain_every_reason(void **state)
{
	struct bw_holder h = holder(tcp("0.0.0.0", 0), TCP_LISTEN);
	struct strbuf sb, unknown;
	int r;

	(void)state;
	strbuf_init(&sb);
	strbuf_init(&unknown);
	explain(&unknown, REASON_UNKNOWN, tcp("127.0.0.1", 0), NULL);
	assert_true(unknown.len > 0);
	for (r = REASON_UNKNOWN; r <= REASON_EPHEMERAL_EXHAUSTED; r++) {
		explain(&sb, r, tcp("127.0.0.1", 0), &h);
		assert_true(sb.len > 0);
		assert_int_equal(strlen(sb.s), sb.len);
		if (r != REASON_UNKNOWN)
			assert_string_not_equal(sb.s, unknown.s);
	}
	explain(&sb, REASON_EPHEMERAL_EXHAUSTED, sock_on(IPPROTO_TCP, "0.0.0.0", 0, 0), NULL);
	assert_true(sb.len > 0);
	explain(&sb, REASON_OUT_OF_RANGE, tcp("127.0.0.1", 0), NULL);
	assert_string_equal(sb.s, unknown.s);
	strbuf_free(&sb);
	strbuf_free(&unknown);
}

/* conflict_explain() appends: what the buffer held stays in front. */
static void test_explain_appends(void **state)
{
	struct bw_sock s = tcp("127.0.0.1", 0);
	struct bw_holder h = holder(tcp("127.0.0.1", 0), TCP_LISTEN);
	struct conflict_req req = { .sock = &s, .listen = false };
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "EADDRINUSE: ");
	conflict_explain(&sb, REASON_LISTENER, &req, &h);
	assert_int_equal(strncmp(sb.s, "EADDRINUSE: ", strlen("EADDRINUSE: ")), 0);
	assert_true(sb.len > strlen("EADDRINUSE: "));
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_may_clash),
		cmocka_unit_test(test_same_address_listener),
		cmocka_unit_test(test_different_addresses),
		cmocka_unit_test(test_ipv4_wildcard),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_v6only),
		cmocka_unit_test(test_ipv6_wildcard),
		cmocka_unit_test(test_v4_mapped_clashes),
		cmocka_unit_test(test_v4_mapped_reason),
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_reuseaddr_bound),
		cmocka_unit_test(test_listen_after_shared_bind),
		cmocka_unit_test(test_bound_without_reuseaddr),
		cmocka_unit_test(test_time_wait),
		cmocka_unit_test(test_bound_explain_names_side),
		cmocka_unit_test(test_reuseport),
		cmocka_unit_test(test_reuseport_explain_names_side),
		cmocka_unit_test(test_reuseport_advice_only_for_one_program),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_reuseport_time_wait),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_never_clash),
		cmocka_unit_test(test_ephemeral_and_unknown),
		cmocka_unit_test(test_reason_codes),
		cmocka_unit_test(test_explain_every_reason),
		cmocka_unit_test(test_explain_appends),
	};

	return cmocka_run_group_tests_name("conflict", tests, NULL, NULL);
}
