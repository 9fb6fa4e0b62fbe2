/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * who.h - `bindwatch who PORT`: the one-shot answer to "who holds this
 * port", in place of ss -tlnp | grep, lsof -i :PORT and fuser PORT/tcp.
 */
#ifndef BW_WHO_H
#define BW_WHO_H

/* argv[0] is "who".  Returns the exit status: 0 held, 1 not held or error, 2 usage. */
int who_main(int argc, char **argv);

#endif /* BW_WHO_H */
