// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proxy.c - a holder that is a container runtime's port proxy, named as
 * the container it holds the port for (proxy.h).
 *
 * It owns whether a holder is a proxy to believe, and which container its
 * port is for; it must not take an argv or a runtime's file apart
 * (proxy_parse.c does) nor read a container's name (workload.c does).
 *
 * A process chooses its argv and its comm: a local user can run a program
 * called conmon with a root container's id after -c.  So a holder is
 * believed to be a proxy only when
 *   - it runs as root, its real, effective and saved uids all 0: the
 *     runtimes start their proxies as root, and a setuid program a user
 *     runs keeps that user's real uid;
 *   - the executable it runs (the file /proc/PID/exe is, the same by
 *     device and inode that procinfo read) is a regular file that root
 *     owns and neither its group nor others may write, under a proxy's
 *     file name: a root process running what only root could have put
 *     there.
 * A rootless user's proxies (rootlessport, slirp4netns, pasta) run as that
 * user, so they are never believed: whatever they say is that user's
 * word, their argv names no container anyway, and the user's containers'
 * files are in the user's home, which the lookup does not read.  They are
 * named as the processes they are.
 *
 * Which container: conmon (-c) and a containerd shim (-id) name it;
 * docker-proxy names the container's address and ports only, so Docker's
 * containers (config.v2.json under its data root, at most SCAN_MAX of
 * them) are searched for the running one with that address that publishes
 * the proxy's host port.  conmon's container port is in libcni's cache
 * (CNI_RESULTS/NETWORK-ID-IFNAME, podman's CNI network backend); podman
 * with netavark keeps it in its database only, and it stays unknown.
 * Files are read through wl_load(): root's, bounded in size and in time;
 * a search also ends SCAN_BUDGET_MS after it began, whatever is left.
 *
 * A docker-proxy forwards to one container as long as it runs (Docker
 * starts one per published port and stops it with the container), and a
 * conflict on a published port names the same proxy again and again: the
 * container found for a proxy process (pid and start time) is kept for
 * CACHE_NS in CACHE_SLOTS slots, the oldest making room, so that a storm
 * on the port costs one search.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "procinfo.h"
#include "proxy.h"
#include "util.h"
#include "wl_file.h"
#include "workload.h"

#define CNI_RESULTS "/var/lib/cni/results" /* libcni's cache directory */
#define SCAN_MAX 512 /* directory entries looked at per search */
#define SCAN_BUDGET_MS 100
#define CACHE_SLOTS 16
#define CACHE_NS (30 * NSEC_PER_SEC)

/* The container a docker-proxy process was found to forward to. */
struct slot {
	uint32_t pid;
	uint64_t start_ticks;
	uint64_t at; /* CLOCK_MONOTONIC; 0: empty */
	char id[CG_CONTAINER_ID_LEN + 1];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot cache[CACHE_SLOTS];

static const char *proto_name(int protocol)
{
	return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : NULL;
}

/* Whether the process pi describes (pid) runs as root a file only root may have written. */
static bool believed(const struct proc_info *pi, uint32_t pid)
{
	char exe[32];
	struct stat st;

	if (pi->exited || pi->id.ruid || pi->id.euid || pi->id.suid || !pi->id.exe_ino)
		return false;
	snprintf(exe, sizeof(exe), "/proc/%u/exe", pid);
	if (stat(exe, &st))
		return false;
	return st.st_dev == pi->id.exe_dev && st.st_ino == pi->id.exe_ino && S_ISREG(st.st_mode) &&
	       st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* Whether a search that began at start (CLOCK_MONOTONIC) may go on. */
static bool within_budget(uint64_t start)
{
	return now_ns(CLOCK_MONOTONIC) - start < SCAN_BUDGET_MS * NSEC_PER_MSEC;
}

/* The JSON file dir/name + file (dir a host path: wl_path()) as wl_load() reads it, or NULL. */
static json_t *load_in(const char *dir, const char *name, const char *file)
{
	char path[PATH_MAX];
	int err;

	if (snprintf(path, sizeof(path), "%s/%s%s", dir, name, file) >= (int)sizeof(path))
		return NULL;
	return wl_load(path, WL_FILE_MAX, &err);
}

/* The container port libcni's cache says container id maps port (of proto) to, or -1. */
static int cni_container_port(const char *id, const char *proto, int port)
{
	char dir[PATH_MAX], infix[CG_CONTAINER_ID_LEN + 3];
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	int cport = -1, seen = 0;
	struct dirent *d;
	json_t *entry;
	DIR *dp;

	if (!proto || wl_path(dir, sizeof(dir), CNI_RESULTS) || !(dp = opendir(dir)))
		return -1;
	snprintf(infix, sizeof(infix), "-%s-", id);
	while (cport < 0 && seen++ < SCAN_MAX && within_budget(start) && (d = readdir(dp)))
		if (strstr(d->d_name, infix) && (entry = load_in(dir, d->d_name, ""))) {
			cport = proxy_cni_container_port(entry, proto, port);
			json_decref(entry);
		}
	closedir(dp);
	return cport;
}

/* The id of Docker's running container pa's docker-proxy forwards to, into id: 0 or -ENOENT. */
static int search_docker(const struct proxy_args *pa, char id[CG_CONTAINER_ID_LEN + 1])
{
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	char dir[PATH_MAX];
	struct dirent *d;
	json_t *config;
	int seen = 0, err = -ENOENT;
	DIR *dp;

	if (wl_path(dir, sizeof(dir), WL_DOCKER_ROOT "/containers") || !(dp = opendir(dir)))
		return -ENOENT;
	while (err && seen++ < SCAN_MAX && within_budget(start) && (d = readdir(dp))) {
		if (!cgpath_is_container_id(d->d_name, strlen(d->d_name)) ||
		    !(config = load_in(dir, d->d_name, "/config.v2.json")))
			continue;
		if (proxy_docker_config_matches(config, pa)) {
			memcpy(id, d->d_name, CG_CONTAINER_ID_LEN + 1);
			err = 0;
		}
		json_decref(config);
	}
	closedir(dp);
	return err;
}

/* The cached container of proxy process pid (started start_ticks), if fresh: true then. */
static bool cached(uint32_t pid, uint64_t start_ticks, uint64_t now,
		   char id[CG_CONTAINER_ID_LEN + 1])
{
	bool hit = false;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < CACHE_SLOTS && !hit; i++) {
		hit = cache[i].at && now - cache[i].at < CACHE_NS && cache[i].pid == pid &&
		      cache[i].start_ticks == start_ticks;
		if (hit)
			memcpy(id, cache[i].id, CG_CONTAINER_ID_LEN + 1);
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

/* Keep id as proxy process pid's container, in its slot, an empty one or the oldest. */
static void remember(uint32_t pid, uint64_t start_ticks, uint64_t now, const char *id)
{
	struct slot *s = &cache[0];
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].at && cache[i].pid == pid && cache[i].start_ticks == start_ticks) {
			s = &cache[i];
			break;
		}
		if (cache[i].at < s->at)
			s = &cache[i];
	}
	*s = (struct slot){ .pid = pid, .start_ticks = start_ticks, .at = now };
	memcpy(s->id, id, CG_CONTAINER_ID_LEN + 1);
	pthread_mutex_unlock(&lock);
}

/* The container docker-proxy process pid (pi, pa) forwards to, from the cache or a search. */
static int docker_container(const struct proc_info *pi, uint32_t pid,
			    const struct proxy_args *pa, char id[CG_CONTAINER_ID_LEN + 1])
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);

	if (cached(pid, pi->id.start_ticks, now, id))
		return 0;
	if (search_docker(pa, id))
		return -ENOENT;
	remember(pid, pi->id.start_ticks, now, id);
	return 0;
}

struct workload *proxy_workload(const struct proc_info *pi, uint32_t pid, int protocol,
				int port)
{
	const char *proto = proto_name(protocol);
	char id[CG_CONTAINER_ID_LEN + 1];
	struct proxy_args pa;

	if (!pi->exe || proxy_parse(pi->exe, pi->args, pi->cmdline_len, &pa) || !believed(pi, pid))
		return NULL;
	switch (pa.kind) {
	case PROXY_CONMON:
		return workload_of_container(pa.runtime, pa.id, WORKLOAD_PROXY,
					     cni_container_port(pa.id, proto, port));
	case PROXY_DOCKER:
		/* it forwards one port: a socket on another is not what its argv describes */
		if (!proto || strcmp(pa.proto, proto) || pa.host_port != port ||
		    docker_container(pi, pid, &pa, id))
			return NULL;
		return workload_of_container(pa.runtime, id, WORKLOAD_PROXY, pa.container_port);
	case PROXY_CONTAINERD_SHIM:
		return workload_of_container(pa.runtime, pa.id, WORKLOAD_PROXY, -1);
	case PROXY_ROOTLESS:
	case PROXY_NONE:
		break;
	}
	return NULL;
}
