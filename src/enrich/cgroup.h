/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup.h - translate between cgroup v2 ids (what the kernel records) and
 * paths (what operators read).
 */
#ifndef BW_CGROUP_H
#define BW_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* Find the cgroup2 mount; call once before the functions below. */
int cgroup_init(void);
void cgroup_fini(void);

/*
 * Path of cgroup id relative to the cgroup2 root ("/system.slice/x.service"),
 * resolved through the kernel (open_by_handle_at), so it works after the
 * process has exited as long as the cgroup exists, and in *sys_len how
 * much of it the system manager named (cgroup_system_len()).  0 or -errno.
 */
int cgroup_path_from_id(uint64_t id, char *path, size_t len, size_t *sys_len);

/*
 * How many bytes at the start of path (relative to the cgroup2 root) the
 * system manager named, by cgpath_system_len(): a cgroup is delegated when
 * someone other than root may create cgroups in it (its directory is not
 * root's, or is writable by its group or others) or systemd marked it so
 * (the trusted.delegate attribute, readable only with CAP_SYS_ADMIN); one
 * whose directory cannot be opened is unknown.  0 without a cgroup2 mount.
 */
size_t cgroup_system_len(const char *path);

/* The same in the tree whose root directory is open as rootfd. */
size_t cgroup_system_len_at(int rootfd, const char *path);

/*
 * Id and depth (root = 0) of the cgroup at path: an absolute filesystem path
 * inside the cgroup2 mount, or a path relative to its root ("/system.slice").
 * 0 or -errno.
 */
int cgroup_id_from_path(const char *path, uint64_t *id, unsigned int *level);

/*
 * The directory of this process's own cgroup v2, under the mount
 * ("/sys/fs/cgroup/system.slice/bindwatch.service"), from /proc/self/cgroup.
 * 0 or -errno (-ENOENT without a cgroup2 mount).
 */
int cgroup_self_dir(char *path, size_t len);

/*
 * The cgroup2 mount's root directory, open (cgroup_init()'s descriptor,
 * owned here: not to be closed), or -ENOENT without a cgroup2 mount.
 */
int cgroup_root_fd(void);

#endif /* BW_CGROUP_H */
