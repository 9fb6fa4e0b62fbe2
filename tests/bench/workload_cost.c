// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * workload_cost - what naming a record's container costs: the time of
 * workload_of_cgroup() (src/enrich/workload.c) for a container of each
 * runtime, cold (the cache emptied before each lookup: the runtime's files
 * opened, read through the stall guard and parsed) and cached (the answer
 * of the 5 s cache copied), as p50 and p99 of RUNS lookups in
 * microseconds.  The runtimes' files are the real ones the unit tests use
 * (tests/unit/data/workload/), laid out below a directory of its own
 * (BINDWATCH_TEST_WORKLOAD_ROOT), so it needs no daemon, only root (a
 * runtime's file counts only when root's).  Run from the repository's
 * root.  Prints one line per runtime and case:
 *
 *   workload podman cold p50 95.1 p99 160.2 us
 *
 *   workload_cost [RUNS]
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util.h"
#include "wl_file.h"
#include "workload.h"

#define DATA_DIR "tests/unit/data/workload/"
#define RUNS_DEFAULT 2000
#define NSEC_PER_USEC 1000.0
#define P50 50
#define P99 99
#define PERCENT 100

static const struct {
	const char *runtime, *cgroup;
	const char *fixture, *path; /* one file, two for containers/storage */
	const char *fixture2, *path2;
} cases[] = {
	{ "podman", "/libpod_parent/libpod-6370f341bfead803922d6f0176983061493b1de46b79f2627a5c6fa8f3f825c3",
	  "podman-containers.json", WL_STORAGE_ROOT "/overlay-containers/containers.json",
	  "podman-config.json", WL_STORAGE_ROOT "/overlay-containers/6370f341bfead803922d6f0176983061493b1de46b79f2627a5c6fa8f3f825c3/userdata/config.json" },
	{ "docker", "/docker/c85bd0f2e380c034f4a2feea79bba8c87cc4db96da244b9aaf7454c15cefd772",
	  "docker-config.v2.json", WL_DOCKER_ROOT "/containers/c85bd0f2e380c034f4a2feea79bba8c87cc4db96da244b9aaf7454c15cefd772/config.v2.json",
	  NULL, NULL },
	{ "containerd", "/bwcore/bwcore-job",
	  "containerd-config.json", WL_CONTAINERD_STATE "/io.containerd.runtime.v2.task/bwcore/bwcore-job/config.json",
	  NULL, NULL },
};

static char root[] = "/tmp/bw-workload-cost.XXXXXX";

static void mkdirs(const char *path)
{
	char dir[PATH_MAX], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	for (p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
}

/* Copy fixture name to runtime path rel below root: 0 or -1 (said). */
static int copy(const char *name, const char *rel)
{
	char from[PATH_MAX], to[PATH_MAX], buf[1 << 16];
	int in, out, rc = 0;
	ssize_t n;

	snprintf(from, sizeof(from), DATA_DIR "%s", name);
	snprintf(to, sizeof(to), "%s%s", root, rel);
	mkdirs(to);
	in = open(from, O_RDONLY);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			rc = -1;
	if (in < 0 || out < 0 || rc || fchmod(out, 0644)) {
		fprintf(stderr, "workload_cost: %s -> %s: %s (run from the repository's root)\n",
			from, to, strerror(errno));
		rc = -1;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* RUNS lookups of cgroup, cold (cache emptied first) or cached: times into t. */
static int measure(const char *cgroup, int cold, uint64_t *t, size_t runs)
{
	struct workload *w;
	uint64_t t0;
	size_t i;

	for (i = 0; i < runs; i++) {
		if (cold)
			wl_cache_flush();
		t0 = now_ns(CLOCK_MONOTONIC);
		w = workload_of_cgroup(cgroup, strlen(cgroup));
		t[i] = now_ns(CLOCK_MONOTONIC) - t0;
		if (!w || !w->name) {
			fprintf(stderr, "workload_cost: %s: no name learned\n", cgroup);
			workload_free(w);
			return -1;
		}
		workload_free(w);
	}
	qsort(t, runs, sizeof(*t), cmp);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(int argc, char **argv)
{
	size_t runs = argc > 1 ? strtoul(argv[1], NULL, 10) : RUNS_DEFAULT, i;
	uint64_t *t = calloc(runs ? runs : 1, sizeof(*t));
	int cold, rc = 0;

	if (!t || !runs || geteuid() || !mkdtemp(root)) {
		fprintf(stderr, "usage: workload_cost [RUNS], as root\n");
		return 1;
	}
	setenv(WL_ROOT_ENV, root, 1);
	for (i = 0; i < ARRAY_SIZE(cases) && !rc; i++) {
		rc = copy(cases[i].fixture, cases[i].path) ||
		     (cases[i].fixture2 && copy(cases[i].fixture2, cases[i].path2));
		for (cold = 1; cold >= 0 && !rc; cold--) {
			rc = measure(cases[i].cgroup, cold, t, runs);
			if (!rc)
				printf("workload %s %s p50 %.1f p99 %.1f us\n", cases[i].runtime,
				       cold ? "cold" : "cached", t[runs * P50 / PERCENT] / NSEC_PER_USEC,
				       t[runs * P99 / PERCENT] / NSEC_PER_USEC);
		}
	}
	wl_cache_flush();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return rc ? 1 : 0;
}
