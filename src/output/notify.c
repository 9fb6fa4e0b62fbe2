// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * notify.c - the sd_notify protocol without libsystemd: one datagram to the
 * AF_UNIX socket named by $NOTIFY_SOCKET ('@' first means the abstract
 * namespace).  With Type=notify, systemd considers the unit started only
 * once every program is attached, so nothing that starts after bindwatch
 * can slip past it.
 *
 * It owns the one datagram; it must not depend on libsystemd.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "notify.h"

int notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t plen;
	socklen_t alen;
	int fd, err = 0;

	if (!path || !*path)
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	alen = offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/');
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sun, alen) < 0)
		err = -errno;
	close(fd);
	return err;
}
