// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holder_list.c - the list of sockets a lookup found (holders.h).
 *
 * It owns the list's memory and the rule that makes several descriptors
 * of one socket one holder; it must not walk (holders_walk.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "holders.h"

/*
 * Several fds of one process on one socket (dup()) are one holder; a
 * socket a table walk found with a file is dropped when a process was seen
 * holding it (process entries come first).
 */
void holder_list_dedup(struct holder_list *l)
{
	size_t i, j, kept = 0;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < kept; j++)
			if (l->v[j].ino == l->v[i].ino &&
			    ((l->v[j].pid == l->v[i].pid && l->v[i].pid) || l->v[i].hidden))
				break;
		if (j == kept)
			l->v[kept++] = l->v[i];
	}
	l->n = kept;
}

bool holder_list_hidden(const struct holder_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].hidden)
			return true;
	return false;
}

int holder_list_add(struct holder_list *l, const struct bw_holder *h)
{
	struct bw_holder *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n++] = *h;
	return 0;
}

void holder_list_free(struct holder_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
