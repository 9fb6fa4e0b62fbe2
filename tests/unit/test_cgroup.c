// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_cgroup.c - where the system manager's part of a cgroup path ends,
 * as cgroup.c reads it from the file system (cgroup_system_len_at()), on
 * real directories in a temporary tree that stands for the cgroup2 mount.
 *
 * A cgroup is delegated when someone other than root may create cgroups
 * in it: its directory is another user's, or its group or others may write
 * it, or systemd marked it with trusted.delegate.  One that cannot be
 * opened (gone, a symbolic link) ends the system part before its name.
 * Changing owners and setting trusted.* needs root: without it those cases
 * are skipped, and a tree the tester owns is delegated from its first
 * cgroup.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <cmocka.h>
#include "cgroup.h"

#define NOBODY_UID 65534
#define TREE "/system.slice/ci-runner.service/system.slice/nginx.service"
#define RUNNER "/system.slice/ci-runner.service"

struct fixture {
	char base[sizeof("/tmp/bw-cgroup-XXXXXX")];
	int fd;
};

/* mkdir -p of rel below f->base */
static void make_dirs(struct fixture *f, const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s%s", f->base, rel);
	for (p = path + strlen(f->base) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		assert_true(!mkdir(path, 0755) || errno == EEXIST);
		*p = '/';
	}
	assert_true(!mkdir(path, 0755) || errno == EEXIST);
}

static void full(char *buf, size_t len, const struct fixture *f, const char *rel)
{
	snprintf(buf, len, "%s%s", f->base, rel);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char base[] = "/tmp/bw-cgroup-XXXXXX";

	assert_non_null(f);
	assert_non_null(mkdtemp(base));
	snprintf(f->base, sizeof(f->base), "%s", base);
	assert_int_equal(chmod(f->base, 0755), 0);
	f->fd = open(f->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->fd >= 0);
	make_dirs(f, TREE);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[PATH_MAX + 16];

	close(f->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->base);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* Root's tree, no marks: the system's all the way down. */
static void test_roots_tree(void **state)
{
	struct fixture *f = *state;

	need_root();
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(TREE));
	assert_int_equal(cgroup_system_len_at(f->fd, "/"), 1);
}

/* Delegate=yes with User=: the unit's directory is the user's. */
static void test_owner_delegates(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	need_root();
	full(path, sizeof(path), f, RUNNER);
	assert_int_equal(chown(path, NOBODY_UID, NOBODY_UID), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(RUNNER));
	assert_int_equal(cgroup_system_len_at(f->fd, RUNNER), strlen(RUNNER));
	assert_int_equal(cgroup_system_len_at(f->fd, "/system.slice"), strlen("/system.slice"));
	/* a user's cgroup above: the first delegation ends the system part */
	full(path, sizeof(path), f, "/system.slice");
	assert_int_equal(chown(path, NOBODY_UID, NOBODY_UID), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen("/system.slice"));
}

/* A directory its group or others may write: they name what is below. */
static void test_writable_delegates(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	need_root();
	full(path, sizeof(path), f, RUNNER);
	assert_int_equal(chmod(path, 0775), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(RUNNER));
	assert_int_equal(chmod(path, 0757), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(RUNNER));
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(TREE));
}

/* systemd's mark on a delegated unit, root's too; user.delegate counts for nothing. */
static void test_xattr_delegates(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	need_root();
	full(path, sizeof(path), f, RUNNER);
	if (setxattr(path, "trusted.delegate", "1", 1, 0))
		skip(); /* a file system without trusted.* attributes */
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(RUNNER));
	assert_int_equal(setxattr(path, "trusted.delegate", "0", 1, 0), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(TREE));
	assert_int_equal(setxattr(path, "trusted.delegate", "yes", 3, 0), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(RUNNER));
	assert_int_equal(removexattr(path, "trusted.delegate"), 0);
	if (!setxattr(path, "user.delegate", "1", 1, 0))
		assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen(TREE));
}

/* A cgroup that is gone, or is no directory of the tree, ends the part before its name. */
static void test_unknown_ends_before(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX], target[PATH_MAX];

	need_root();
	assert_int_equal(cgroup_system_len_at(f->fd, RUNNER "/gone.service/x.service"),
			 strlen(RUNNER "/"));
	full(path, sizeof(path), f, "/link.service");
	full(target, sizeof(target), f, RUNNER);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(cgroup_system_len_at(f->fd, "/link.service/system.slice"), 1);
	assert_int_equal(cgroup_system_len_at(f->fd, RUNNER "/../ci-runner.service"),
			 strlen(RUNNER "/"));
	/* no mount: nothing is known */
	assert_int_equal(cgroup_system_len_at(-1, TREE), 1);
}

/* Not root: the tester's own tree is delegated from its first cgroup. */
static void test_users_tree(void **state)
{
	struct fixture *f = *state;

	if (geteuid() == 0)
		skip();
	assert_int_equal(cgroup_system_len_at(f->fd, TREE), strlen("/system.slice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roots_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_delegates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writable_delegates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattr_delegates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_ends_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_tree, setup, teardown),
	};

	return cmocka_run_group_tests_name("cgroup", tests, NULL, NULL);
}
