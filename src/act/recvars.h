/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * recvars.h - the variables of a conflict record that hooks are given:
 * one table for the BINDWATCH_* environment of every hook, the {name}
 * placeholders of a rule's exec, and the policy checker that admits them.
 * It owns the names and how each value is read from a record; it must not
 * run anything or decide what a placeholder may be used for (template.h).
 */
#ifndef BW_RECVARS_H
#define BW_RECVARS_H

#include "event.h"
#include "template.h"

#define RECORD_VAR_LEN 64 /* a number, an address, a protocol or a comm, and its NUL */

struct record_var {
	const char *name;  /* the placeholder: {name} */
	const char *env;   /* the hook's environment variable */
	bool chosen;       /* the process in the record (or whoever started its container) chooses it */
	/* the value for r (buf: RECORD_VAR_LEN bytes for it), NULL when r has none */
	const char *(*value)(const struct bw_record *r, char *buf);
};

#define RECORD_VARS 26
extern const struct record_var record_vars[RECORD_VARS];

/* The placeholders, for template_check(): every name, values NULL. */
void record_vars_names(struct template_var vars[RECORD_VARS]);

/* The placeholders with r's values (NULL: none), written into bufs. */
void record_vars_values(const struct bw_record *r, struct template_var vars[RECORD_VARS],
			char bufs[RECORD_VARS][RECORD_VAR_LEN]);

#endif /* BW_RECVARS_H */
