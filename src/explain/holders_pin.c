// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holders_pin.c - a running monitor's iterators, pinned in bpffs for
 * `bindwatch who` and `check`, and found there again.
 *
 * It owns the pins; it must not load or walk (holders.c, holders_walk.c).
 *
 * The monitor pins its links and the targets map, and the one-shot
 * commands use them when they are there: a running monitor makes every
 * `who` a walk and nothing else.  The directory is named for the ABI
 * version and a hash of the programs (holders_pin_dir()), so a bindwatch
 * of another build never runs them.  Only one monitor runs at a time
 * (instance.c), so when it pins, every bindwatch pin directory there is a
 * leftover of a monitor that was killed, of this build or another: all of
 * them are removed first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "holders.h"
#include "holders_int.h"

/* The pinned targets map has this build's layout (a stale pin may not). */
static bool targets_compatible(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       info.key_size == sizeof(struct bw_reader) &&
	       info.value_size == sizeof(struct bw_target);
}

int holders_open_pinned(struct holders **hp)
{
	struct holders *h = holders_new();
	char path[PIN_PATH_LEN];
	int i, err = 0;

	if (!h)
		return -ENOMEM;
	for (i = 0; i < PINS && !err; i++) {
		int *fd = i < WALKERS ? &h->link_fds[i] : &h->targets_fd;

		holders_pin_path(path, i);
		*fd = bpf_obj_get(path);
		/* a monitor whose kernel has no iter/unix pins no indirect walkers */
		if (*fd < 0 && (i == WALK_UNIX || i == WALK_INDIRECT))
			*fd = -1;
		else if (*fd < 0)
			err = -errno;
	}
	if (!err && !targets_compatible(h->targets_fd))
		err = -ENOENT;
	if (err) {
		holders_close(h);
		return err;
	}
	*hp = h;
	return 0;
}

/* Empty and remove directory name of BPFFS (a pin directory). */
static void remove_pin_dir(int bpffs, const char *name)
{
	int fd = openat(bpffs, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(bpffs, name, AT_REMOVEDIR);
}

/* Every bindwatch pin directory: what monitors killed before us left. */
static void remove_stale_pins(void)
{
	DIR *d = opendir(BPFFS);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && !strncmp(e->d_name, PIN_DIR_PREFIX, strlen(PIN_DIR_PREFIX)))
			remove_pin_dir(dirfd(d), e->d_name);
	closedir(d);
}

static int ensure_bpffs(void)
{
	struct statfs fs;

	if (!statfs(BPFFS, &fs) && fs.f_type == BPF_FS_MAGIC)
		return 0;
	return mount("bpf", BPFFS, "bpf", 0, "mode=0700") ? -errno : 0;
}

int holders_pin(struct holders *h)
{
	char path[PIN_PATH_LEN];
	int i, err = ensure_bpffs();

	if (err)
		return err;
	remove_stale_pins();
	if (mkdir(holders_pin_dir(), 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < PINS && !err; i++) {
		int fd = i < WALKERS ? h->link_fds[i] : h->targets_fd;

		holders_pin_path(path, i);
		if (fd >= 0 && bpf_obj_pin(fd, path))
			err = -errno;
	}
	if (err)
		holders_unpin();
	h->pinned = !err;
	return err;
}
