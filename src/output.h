/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output.h - where records go: stdout (text or JSON) and the --log file.
 */
#ifndef BW_OUTPUT_H
#define BW_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include "options.h"
#include "record.h"
#include "strbuf.h"

struct output {
	bool json;
	int log_fd;          /* -1 without --log */
	const char *log_path;
	struct strbuf line;  /* reused for every record */
	uint64_t records;    /* records rendered */
};

/* Open the sinks o names.  0 or -errno (reported). */
int output_open(struct output *out, const struct bw_options *o);
void output_close(struct output *out);

void output_record(struct output *out, const struct bw_record *r);
void output_lost(struct output *out, uint64_t count);

#endif /* BW_OUTPUT_H */
