/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgpath.h - what a cgroup v2 path says about the service behind a process.
 *
 * systemd names the cgroup of a unit after the unit ("/system.slice/
 * api.service"); container runtimes put a 64-hex-digit container id in the
 * path ("/system.slice/docker-<id>.scope", "/docker/<id>", "/kubepods/
 * .../cri-containerd-<id>.scope", "/machine.slice/libpod-<id>.scope").
 */
#ifndef BW_CGPATH_H
#define BW_CGPATH_H

#include <stddef.h>

#define CG_CONTAINER_ID_LEN 64

/*
 * The innermost systemd unit in path: the last component ending in
 * ".service", ".scope", ".socket", ".mount" or ".swap" (not ".slice").
 * Copies it to unit (of size len) and returns 0, or -ENOENT when there is
 * none, -ENAMETOOLONG when it does not fit.
 */
int cgpath_unit(const char *path, char *unit, size_t len);

/*
 * The innermost container id in path: a run of exactly 64 lowercase hex
 * digits forming a whole component, or following "docker-", "libpod-",
 * "crio-", "cri-containerd-" in a component ending in ".scope".  Copies the
 * 64 digits plus NUL to id and returns 0, or -ENOENT when there is none.
 */
int cgpath_container(const char *path, char id[CG_CONTAINER_ID_LEN + 1]);

#endif /* BW_CGPATH_H */
