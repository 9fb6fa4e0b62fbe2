// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_netns.c - naming network namespaces from a /run/netns-like
 * directory (netns.c), on real files in a temporary directory: the files
 * stand for namespace files, their device for nsfs.  Checks what is
 * believed (files of that device, in a directory only its owner writes),
 * what is not (links, other devices, a directory others may write or that
 * is itself a link), when a miss rescans, the bound on entries read per
 * scan, and the container id fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "netns.h"

#define NSEC_PER_SEC 1000000000ULL
#define T0 (1000 * NSEC_PER_SEC)
#define EXTRA_ENTRIES 10
#define CONTAINER_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
	char base[PATH_MAX];    /* the temporary directory, removed after */
	char dir[PATH_MAX];
	char outside[PATH_MAX]; /* a file of the same device, outside dir */
	dev_t dev;
	struct netns_names nn;
};

static ino_t make_file(const char *dir, const char *name)
{
	char path[PATH_MAX + NAME_MAX + 2];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0444);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char base[] = "/tmp/bw-netns-XXXXXX";
	struct stat st;

	assert_non_null(f);
	assert_non_null(mkdtemp(base));
	snprintf(f->base, sizeof(f->base), "%s", base);
	snprintf(f->dir, sizeof(f->dir), "%s/netns", base);
	assert_int_equal(mkdir(f->dir, 0755), 0);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", base);
	make_file(base, "outside");
	assert_int_equal(stat(f->dir, &st), 0);
	f->dev = st.st_dev;
	netns_names_init(&f->nn, f->dir, f->dev, geteuid());
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[PATH_MAX + 16];

	netns_names_free(&f->nn);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int lookup(struct fixture *f, ino_t ino, uint64_t now, char name[NETNS_NAME_LEN])
{
	return netns_name(&f->nn, (uint32_t)ino, now, name);
}

static void test_named_by_inode(void **state)
{
	struct fixture *f = *state;
	char name[NETNS_NAME_LEN];
	ino_t t1 = make_file(f->dir, "t1"), t2 = make_file(f->dir, "blue \"ns\"");

	assert_int_equal(lookup(f, t1, T0, name), 0);
	assert_string_equal(name, "t1");
	assert_int_equal(lookup(f, t2, T0, name), 0);
	assert_string_equal(name, "blue \"ns\"");
}

/* A link in the directory names nothing, not even what it points to. */
static void test_links_not_followed(void **state)
{
	struct fixture *f = *state;
	char name[NETNS_NAME_LEN], path[PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/planted", f->dir);
	assert_int_equal(symlink(f->outside, path), 0);
	assert_int_equal(stat(f->outside, &st), 0);
	assert_int_equal(lookup(f, st.st_ino, T0, name), -ENOENT);
}

/* Only files of the namespace device count. */
static void test_other_device(void **state)
{
	struct fixture *f = *state;
	char name[NETNS_NAME_LEN];
	ino_t t1 = make_file(f->dir, "t1");

	netns_names_free(&f->nn);
	netns_names_init(&f->nn, f->dir, f->dev + 1, geteuid());
	assert_int_equal(lookup(f, t1, T0, name), -ENOENT);
}

/* A directory someone else could write, or a link to one, is not believed. */
static void test_untrusted_dir(void **state)
{
	struct fixture *f = *state;
	char name[NETNS_NAME_LEN], link[PATH_MAX + 8];
	ino_t t1 = make_file(f->dir, "t1");

	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(lookup(f, t1, T0, name), -EPERM);
	assert_int_equal(chmod(f->dir, 0775), 0);
	assert_int_equal(lookup(f, t1, T0, name), -EPERM);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(lookup(f, t1, T0, name), 0);

	netns_names_free(&f->nn);
	netns_names_init(&f->nn, f->dir, f->dev, geteuid() + 1);
	assert_int_equal(lookup(f, t1, T0, name), -EPERM);

	snprintf(link, sizeof(link), "%s.link", f->dir);
	assert_int_equal(symlink(f->dir, link), 0);
	netns_names_free(&f->nn);
	netns_names_init(&f->nn, link, f->dev, geteuid());
	assert_int_equal(lookup(f, t1, T0, name), -EPERM);
	unlink(link);

	netns_names_free(&f->nn);
	netns_names_init(&f->nn, "/nonexistent/netns", f->dev, geteuid());
	assert_int_equal(lookup(f, t1, T0, name), -ENOENT);
}

/* A miss rescans when the directory changed, or a second later. */
static void test_rescan(void **state)
{
	struct fixture *f = *state;
	char name[NETNS_NAME_LEN], path[PATH_MAX + 16];
	struct timespec times[2];
	struct stat before;
	ino_t t1 = make_file(f->dir, "t1"), t2, t3;

	assert_int_equal(lookup(f, t1, T0, name), 0);
	/* a new entry changes the directory: found at once */
	t2 = make_file(f->dir, "t2");
	assert_int_equal(lookup(f, t2, T0, name), 0);
	assert_string_equal(name, "t2");

	/* one that appears without changing it (a mount on an entry) */
	assert_int_equal(stat(f->dir, &before), 0);
	snprintf(path, sizeof(path), "%s/t3", f->dir);
	t3 = make_file(f->dir, "t3");
	times[0] = before.st_atim;
	times[1] = before.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, f->dir, times, 0), 0);
	assert_int_equal(lookup(f, t3, T0 + 1, name), -ENOENT);
	assert_int_equal(lookup(f, t3, T0 + NSEC_PER_SEC, name), 0);
	assert_string_equal(name, "t3");

	/* deleted: its number names nothing any more, whatever the cache says */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(utimensat(AT_FDCWD, f->dir, times, 0), 0);
	assert_int_equal(lookup(f, t3, T0 + NSEC_PER_SEC, name), -ENOENT);
}

/* At most NETNS_SCAN_MAX entries are read per scan. */
static void test_scan_bounded(void **state)
{
	struct fixture *f = *state;
	const int total = NETNS_SCAN_MAX + EXTRA_ENTRIES;
	char name[NETNS_NAME_LEN], entry[32];
	ino_t *inos = calloc(total, sizeof(*inos));
	int i, found = 0;

	assert_non_null(inos);
	for (i = 0; i < total; i++) {
		snprintf(entry, sizeof(entry), "ns%d", i);
		inos[i] = make_file(f->dir, entry);
	}
	lookup(f, inos[0], T0, name); /* the one scan; no rescan at T0 after it */
	for (i = 0; i < total; i++)
		found += lookup(f, inos[i], T0, name) == 0;
	free(inos);
	/* "." and ".." are among the entries read */
	assert_in_range(found, NETNS_SCAN_MAX - 2, NETNS_SCAN_MAX);
}

/*
 * The host's own namespace is never named; a container's id is a name.
 * procinfo gives a container only from the system manager's part of the
 * cgroup path (test_cgpath.c), so pi->container is all netns_label() reads.
 */
static void test_label(void **state)
{
	struct fixture *f = *state;
	char buf[NETNS_NAME_LEN];
	struct proc_info pi = { .container = CONTAINER_ID };
	ino_t t1 = make_file(f->dir, "t1");
	int err;

	assert_null(netns_label(&f->nn, t1, t1, &pi, T0, buf, &err));
	assert_string_equal(netns_label(&f->nn, t1, t1 + 1, &pi, T0, buf, &err), "t1");
	assert_int_equal(err, 0);
	/* unnamed: the container the system manager ran it in */
	assert_string_equal(netns_label(&f->nn, t1 + 1, t1, &pi, T0, buf, &err), CONTAINER_ID);
	/* none: no name */
	pi.container[0] = '\0';
	assert_null(netns_label(&f->nn, t1 + 1, t1, &pi, T0, buf, &err));
	assert_null(netns_label(&f->nn, t1 + 1, t1, NULL, T0, buf, &err));
	assert_int_equal(err, 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_null(netns_label(&f->nn, t1, t1 + 1, &pi, T0, buf, &err));
	assert_int_equal(err, -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_named_by_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_untrusted_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rescan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label, setup, teardown),
	};

	return cmocka_run_group_tests_name("netns", tests, NULL, NULL);
}
