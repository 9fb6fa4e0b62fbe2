// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * event.c - what the data model's types need besides their fields
 * (event.h): freeing a diagnosis, holding a record for later, and the
 * names of a record's event and of an action's results (hooks get them as
 * variables, records as values).
 *
 * It owns the lifetime of what a record points to; it must not fill a
 * record (the stages do) or write one out.
 *
 * A record is written on the thread that read it unless a decision or a
 * reclaim takes it over; then it must outlive the ring buffer's sample
 * and the ledger's entries, which move on.  held_record_take() moves the
 * requester and the diagnosis in and copies the ledger entries the
 * holders point to, so a held record owns everything it points to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "event.h"
#include "ledger.h"
#include "util.h"

const char *record_event_name(const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;

	if (r->kind == RECORD_UNEXPECTED_OWNER)
		return "unexpected-owner";
	if (r->kind == RECORD_REUSEPORT_JOIN)
		return "reuseport-join";
	if (r->kind == RECORD_INCIDENT_END)
		return "incident-end";
	if (event_conflict(ev))
		return "conflict";
	return ev->ret < 0 ? "error" : "ok";
}

const char *action_result_name(enum action_result r)
{
	static const char *const names[] = {
		[ACTION_RECLAIMED] = "reclaimed", [ACTION_DRY_RUN] = "dry-run",
		[ACTION_PROTECTED] = "protected", [ACTION_COOLDOWN] = "cooldown",
		[ACTION_FAILED] = "failed", [ACTION_TIMEOUT] = "timeout",
		[ACTION_IN_PROGRESS] = "in-progress",
	};

	return (unsigned int)r < ARRAY_SIZE(names) ? names[r] : NULL;
}

void holder_infos_free(struct holder_info *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		procinfo_free(&v[i].pi);
	free(v);
}

void diagnosis_free(struct diagnosis *d)
{
	holder_infos_free(d->holders, d->n);
	memset(d, 0, sizeof(*d));
}

int held_record_take(struct held_record *h, const struct bw_record *r, struct proc_info *req,
		     struct diagnosis *diag)
{
	size_t i;

	memset(h, 0, sizeof(*h));
	if (diag->n && !(h->bound = calloc(diag->n, sizeof(*h->bound))))
		return -ENOMEM;
	h->ev = *r->ev;
	h->wall = r->wall;
	h->boot_ns = r->boot_ns;
	memcpy(h->bound_dev, r->bound_dev, sizeof(h->bound_dev));
	memcpy(h->netns_name, r->netns_name, sizeof(h->netns_name));
	h->req = *req;
	h->diag = *diag;
	memset(req, 0, sizeof(*req));
	memset(diag, 0, sizeof(*diag));
	for (i = 0; i < h->diag.n; i++) {
		struct holder_info *hi = &h->diag.holders[i];

		if (hi->bound_by) {
			h->bound[i] = *hi->bound_by;
			hi->bound_by = &h->bound[i];
		}
	}
	return 0;
}

/* d's holders copied into out: 0, or -ENOMEM with out empty. */
static int diagnosis_copy(struct diagnosis *out, const struct diagnosis *d)
{
	size_t i;

	*out = *d;
	out->holders = NULL;
	out->n = 0;
	if (!d->n)
		return 0;
	out->holders = calloc(d->n, sizeof(*out->holders));
	if (!out->holders)
		return -ENOMEM;
	for (i = 0; i < d->n; i++, out->n++) {
		out->holders[i] = d->holders[i];
		if (procinfo_copy(&out->holders[i].pi, &d->holders[i].pi)) {
			diagnosis_free(out);
			return -ENOMEM;
		}
	}
	return 0;
}

int held_record_copy(struct held_record *h, const struct bw_record *r)
{
	struct diagnosis diag = {};
	struct proc_info req = {};
	int err;

	if (procinfo_copy(&req, r->req))
		return -ENOMEM;
	if (r->diag && diagnosis_copy(&diag, r->diag)) {
		procinfo_free(&req);
		return -ENOMEM;
	}
	err = held_record_take(h, r, &req, &diag);
	if (err) {
		procinfo_free(&req);
		diagnosis_free(&diag);
	}
	return err;
}

size_t held_record_size(const struct held_record *h)
{
	size_t i, n = sizeof(*h) + procinfo_size(&h->req);

	for (i = 0; i < h->diag.n; i++)
		n += sizeof(h->diag.holders[i]) + sizeof(h->bound[i]) +
		     procinfo_size(&h->diag.holders[i].pi);
	return n;
}

void held_record_view(struct held_record *h, struct bw_record *r)
{
	memset(r, 0, sizeof(*r));
	r->ev = &h->ev;
	r->req = &h->req;
	r->diag = &h->diag;
	r->wall = h->wall;
	r->boot_ns = h->boot_ns;
	memcpy(r->bound_dev, h->bound_dev, sizeof(r->bound_dev));
	memcpy(r->netns_name, h->netns_name, sizeof(r->netns_name));
}

void held_record_free(struct held_record *h)
{
	procinfo_free(&h->req);
	diagnosis_free(&h->diag);
	free(h->bound);
	memset(h, 0, sizeof(*h));
}
