// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * scrape.c - the metrics endpoint: an HTTP/1.x server for one path, on an
 * epoll loop in one thread.
 *
 * It owns the listening socket, the connections and their deadlines; it
 * must not know what it serves (the render callback does) nor block the
 * monitor (its thread keeps every signal blocked, so they reach the main
 * loop).
 *
 * Any local user can connect, so what a client may cost is bounded:
 *  - a whole request, from accept to the last byte of the answer, gets
 *    REQUEST_DEADLINE_MS, however it trickles its bytes; its head at most
 *    HTTP_HEAD_MAX bytes; then the answer, and the connection closes;
 *  - connections are shared out by peers.c: a peer of this host by the uid
 *    that owns its socket, which the kernel's socket tables tell
 *    (sockdiag_peer_uid(), one lookup at accept), so one user gets
 *    PEERS_PER_KEY connections from however many 127.x addresses; a
 *    remote peer by address; PEERS_MAX in all; a connection over its
 *    limit is closed at once;
 *  - a connection waiting costs a slot and its buffer, never a thread nor
 *    a wakeup: the loop sleeps in epoll_wait() until a socket is ready or
 *    the nearest deadline.
 * So one user's thousand slow connections leave another user's scrape an
 * accept and a lookup away.
 *
 * Why not libmicrohttpd: it limits connections per address only, and
 * times out idle connections, not requests, so a user trickling a byte a
 * second from 16 loopback addresses holds all of its connections; neither
 * can be changed from outside it.  What the endpoint needs of HTTP is
 * small (http.c), and a server of its own also keeps a library, and a
 * TLS-less build of it, out of the static binaries.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include "http.h"
#include "log.h"
#include "peers.h"
#include "scrape.h"
#include "sockdiag.h"
#include "util.h"

#define REQUEST_DEADLINE_MS 2000 /* a whole request, from accept to the answer sent */
#define ACCEPT_PAUSE_MS 100      /* out of descriptors: try accept() again after */
#define EVENTS_MAX 64            /* events taken per epoll_wait() */
#define ACCEPTS_PER_TURN PEERS_MAX /* then the connections under way get their turn */

/* epoll data of the two descriptors that are not connections (those: their slot) */
enum { EV_LISTEN = PEERS_MAX, EV_WAKE };

struct conn {
	int fd;            /* -1: the slot is free */
	uint64_t deadline; /* CLOCK_MONOTONIC ns: closed then, answered or not */
	size_t got;        /* bytes of the request head so far */
	size_t sent;       /* bytes of out written */
	struct strbuf out; /* the answer, once the head is in */
	char head[HTTP_HEAD_MAX];
};

struct scrape {
	int listen_fd, epoll_fd, wake_fd;
	int diag_fd;          /* sockdiag_open(), or its -errno */
	const char *path, *type;
	scrape_render render;
	void *arg;
	pthread_t thread;
	uint64_t paused_until; /* accept() paused until then (CLOCK_MONOTONIC ns); 0: not */
	int accept_err;        /* the last accept() failure said, 0 */
	int diag_err;          /* the last peer lookup failure said, 0 */
	struct peers peers;
	struct conn conns[PEERS_MAX];
};

static int watch(struct scrape *s, int op, int fd, uint32_t events, uint32_t id)
{
	struct epoll_event ev = { .events = events, .data.u32 = id };

	return epoll_ctl(s->epoll_fd, op, fd, &ev) ? -errno : 0;
}

/* Close slot's connection; the slot stays the peers table's to give. */
static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	strbuf_free(&c->out);
}

static void drop(struct scrape *s, int slot)
{
	conn_close(&s->conns[slot]);
	peers_release(&s->peers, slot);
}

/* An IPv4 address an IPv6 socket shows as ::ffff:a.b.c.d, as the IPv4 one. */
static void unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 v6 = *(struct sockaddr_in6 *)ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;

	if (ss->ss_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr))
		return;
	memset(ss, 0, sizeof(*ss));
	v4->sin_family = AF_INET;
	v4->sin_port = v6.sin6_port;
	memcpy(&v4->sin_addr, &v6.sin6_addr.s6_addr[PEER_V4MAPPED_LEN], sizeof(v4->sin_addr));
}

/*
 * Whom connection fd from peer counts against: its socket's owner when
 * the socket is this host's, else its address.  A failed lookup (said
 * once) counts the peer by address, as if remote.
 */
static void classify(struct scrape *s, int fd, struct sockaddr_storage *peer, struct peer_key *k)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	uint32_t uid;
	int err = s->diag_fd;

	unmap(peer);
	if (err >= 0)
		err = getsockname(fd, (struct sockaddr *)&local, &len) ? -errno : 0;
	if (!err) {
		unmap(&local);
		err = sockdiag_peer_uid(s->diag_fd, (struct sockaddr *)peer,
					(struct sockaddr *)&local, &uid);
	}
	if (!err) {
		peer_key_local(k, uid);
		return;
	}
	if (err != -ENOENT && err != s->diag_err)
		warn("--metrics: cannot tell which user a peer of this host is (%s); "
		     "such peers count by address", strerror(-err));
	if (err != -ENOENT)
		s->diag_err = err;
	peer_key_remote(k, (struct sockaddr *)peer);
}

/* Admit fd, from peer, or close it: over its peer's limit. */
static void take(struct scrape *s, int fd, struct sockaddr_storage *peer)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	struct peer_key k;
	struct conn *c;
	bool evicted;
	int slot;

	classify(s, fd, peer, &k);
	slot = peers_admit(&s->peers, &k, now, &evicted);
	if (slot < 0) {
		close(fd);
		return;
	}
	c = &s->conns[slot];
	if (evicted)
		conn_close(c);
	c->fd = fd;
	c->deadline = now + REQUEST_DEADLINE_MS * NSEC_PER_MSEC;
	c->got = c->sent = 0;
	strbuf_init(&c->out);
	if (watch(s, EPOLL_CTL_ADD, fd, EPOLLIN, (uint32_t)slot))
		drop(s, slot);
}

/* Listen for connections, or (paused) not; said when epoll refuses. */
static void listen_events(struct scrape *s, uint32_t events)
{
	int err = watch(s, EPOLL_CTL_MOD, s->listen_fd, events, EV_LISTEN);

	if (err)
		warn("--metrics: cannot %s accepting connections: %s", events ? "resume" : "pause",
		     strerror(-err));
}

/* Stop accepting for ACCEPT_PAUSE_MS: the listener would stay ready, and the loop spin. */
static void pause_accept(struct scrape *s, int err)
{
	if (err != s->accept_err)
		warn("--metrics: accepting a connection failed: %s; trying again in %d ms",
		     strerror(err), ACCEPT_PAUSE_MS);
	s->accept_err = err;
	s->paused_until = now_ns(CLOCK_MONOTONIC) + ACCEPT_PAUSE_MS * NSEC_PER_MSEC;
	listen_events(s, 0);
}

static void accept_some(struct scrape *s)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int i, fd;

	for (i = 0; i < ACCEPTS_PER_TURN; i++) {
		len = sizeof(peer);
		fd = accept4(s->listen_fd, (struct sockaddr *)&peer, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			take(s, fd, &peer);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		/* that connection is gone already: the next one may not be */
		if (errno != ECONNABORTED && errno != EINTR && errno != EPROTO) {
			pause_accept(s, errno);
			return;
		}
	}
}

/* The answer to the head in c, whose status is known: 0, or -ENOMEM. */
static int answer(struct scrape *s, struct conn *c, enum http_status status, bool head)
{
	struct strbuf body;
	bool oom;

	strbuf_init(&body);
	if (status == HTTP_OK)
		s->render(s->arg, &body);
	else
		http_error_body(&body, status, s->path);
	http_response_head(&c->out, status, status == HTTP_OK ? s->type : "text/plain",
			   body.len, time(NULL));
	if (!head)
		strbuf_add(&c->out, body.s, body.len);
	/* a body cut short is no answer */
	oom = body.oom || c->out.oom;
	strbuf_free(&body);
	return oom ? -ENOMEM : 0;
}

/* Send what is left of slot's answer; close the connection once it is sent. */
static void send_some(struct scrape *s, int slot)
{
	struct conn *c = &s->conns[slot];
	ssize_t n = send(c->fd, c->out.s + c->sent, c->out.len - c->sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n > 0)
		c->sent += (size_t)n;
	if (n <= 0 || c->sent == c->out.len)
		drop(s, slot);
}

/* Read more of slot's request head; once it is in, answer. */
static void receive(struct scrape *s, int slot)
{
	struct conn *c = &s->conns[slot];
	ssize_t n = recv(c->fd, c->head + c->got, sizeof(c->head) - c->got, MSG_DONTWAIT);
	enum http_status status;
	bool head;

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) { /* the client went away, or broke the connection */
		drop(s, slot);
		return;
	}
	c->got += (size_t)n;
	status = http_request(c->head, c->got, s->path, &head);
	if (status == HTTP_INCOMPLETE)
		return;
	if (answer(s, c, status, head)) {
		drop(s, slot);
		return;
	}
	/* most answers fit in the socket's buffer at once; else wait for room */
	send_some(s, slot);
	if (c->fd >= 0 && watch(s, EPOLL_CTL_MOD, c->fd, EPOLLOUT, (uint32_t)slot))
		drop(s, slot);
}

static void ready(struct scrape *s, int slot)
{
	if (s->conns[slot].fd < 0)
		return; /* closed earlier in this turn */
	if (s->conns[slot].out.len)
		send_some(s, slot);
	else
		receive(s, slot);
}

/* Close the connections past their deadline; resume a paused accept(). */
static void expire(struct scrape *s)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	int i;

	for (i = 0; i < PEERS_MAX; i++)
		if (s->conns[i].fd >= 0 && s->conns[i].deadline <= now)
			drop(s, i);
	if (s->paused_until && s->paused_until <= now) {
		s->paused_until = 0;
		listen_events(s, EPOLLIN);
	}
}

/* ms until the nearest deadline (a connection's, or the accept pause's); -1: none. */
static int wait_ms(const struct scrape *s)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC), next = s->paused_until;
	int i;

	for (i = 0; i < PEERS_MAX; i++)
		if (s->conns[i].fd >= 0 && (!next || s->conns[i].deadline < next))
			next = s->conns[i].deadline;
	if (!next)
		return -1;
	return next <= now ? 0 : (int)((next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

static void *serve(void *arg)
{
	struct scrape *s = arg;
	struct epoll_event ev[EVENTS_MAX];
	int n, i;

	for (;;) {
		n = epoll_wait(s->epoll_fd, ev, EVENTS_MAX, wait_ms(s));
		if (n < 0 && errno != EINTR) {
			warn("--metrics: waiting for connections failed: %s; metrics are no longer served",
			     strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == EV_WAKE)
				return NULL;
			if (ev[i].data.u32 == EV_LISTEN)
				accept_some(s);
			else
				ready(s, (int)ev[i].data.u32);
		}
		expire(s);
	}
}

/* Whether addr is IPv6's [::], which the endpoint takes as every address. */
static bool every_address(const struct sockaddr_storage *addr)
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;

	return addr->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
}

/*
 * The listening socket on addr, nonblocking.  [::] serves IPv4 too,
 * whatever net.ipv6.bindv6only says; on a host without IPv6, 0.0.0.0 does.
 */
static int listen_on(const struct sockaddr_storage *addr)
{
	socklen_t len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						    : sizeof(struct sockaddr_in);
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, off = 0, err;

	if (fd < 0 && errno == EAFNOSUPPORT && every_address(addr)) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
		struct sockaddr_storage any4 = { .ss_family = AF_INET };

		((struct sockaddr_in *)&any4)->sin_port = v6->sin6_port;
		return listen_on(&any4);
	}
	if (fd < 0)
		return -errno;
	/* a restart must not wait out its predecessor's TIME_WAIT connections */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (every_address(addr) && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off))) ||
	    bind(fd, (const struct sockaddr *)addr, len) || listen(fd, SOMAXCONN)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void scrape_free(struct scrape *s)
{
	int i;

	for (i = 0; i < PEERS_MAX; i++)
		if (s->conns[i].fd >= 0)
			conn_close(&s->conns[i]);
	if (s->diag_fd >= 0)
		close(s->diag_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->epoll_fd >= 0)
		close(s->epoll_fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s);
}

/* Everything but the thread; 0 or -errno. */
static int open_all(struct scrape *s, const struct sockaddr_storage *addr)
{
	s->listen_fd = listen_on(addr);
	if (s->listen_fd < 0)
		return s->listen_fd;
	s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epoll_fd < 0)
		return -errno;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0)
		return -errno;
	s->diag_fd = s->diag_err = sockdiag_open();
	if (s->diag_fd < 0)
		warn("--metrics: cannot open a sock_diag socket (%s); peers of this host count by "
		     "address", strerror(-s->diag_fd));
	if (watch(s, EPOLL_CTL_ADD, s->listen_fd, EPOLLIN, EV_LISTEN))
		return -errno;
	return watch(s, EPOLL_CTL_ADD, s->wake_fd, EPOLLIN, EV_WAKE);
}

int scrape_start(struct scrape **sp, const struct sockaddr_storage *addr, const char *path,
		 const char *type, scrape_render render, void *arg)
{
	struct scrape *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int i, err;

	if (!s)
		return -ENOMEM;
	s->listen_fd = s->epoll_fd = s->wake_fd = s->diag_fd = -1;
	for (i = 0; i < PEERS_MAX; i++)
		s->conns[i].fd = -1;
	s->path = path;
	s->type = type;
	s->render = render;
	s->arg = arg;
	err = open_all(s, addr);
	if (!err) {
		/* the thread inherits this mask: signals stay with the main loop */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		err = -pthread_create(&s->thread, NULL, serve, s);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (err) {
		scrape_free(s);
		return err;
	}
	*sp = s;
	return 0;
}

void scrape_stop(struct scrape *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	/* epoll_wait() is a cancellation point, should the wakeup itself fail */
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(s->thread);
	pthread_join(s->thread, NULL);
	scrape_free(s);
}
