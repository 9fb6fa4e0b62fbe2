/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * scrape.h - the HTTP endpoint that serves one path (the metrics) on a
 * thread of its own, to any number of slow clients at no cost per client.
 */
#ifndef BW_SCRAPE_H
#define BW_SCRAPE_H

#include <sys/socket.h>
#include "strbuf.h"

struct scrape;

/* Append the body served to sb; called on the endpoint's thread. */
typedef void (*scrape_render)(void *arg, struct strbuf *sb);

/*
 * Listen on addr and serve path, with the body render(arg) appends, as
 * type.  0 or -errno (not reported: the caller names the address).
 */
int scrape_start(struct scrape **sp, const struct sockaddr_storage *addr, const char *path,
		 const char *type, scrape_render render, void *arg);

/* Close every connection and the endpoint; s may be NULL. */
void scrape_stop(struct scrape *s);

#endif /* BW_SCRAPE_H */
