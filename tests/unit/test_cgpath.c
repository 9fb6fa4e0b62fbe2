// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_cgpath.c - unit and container names from real-world cgroup paths.
 *
 * The paths are the shapes systemd, Docker, Podman, containerd, CRI-O and
 * Kubernetes (both cgroup drivers) create.  The negative cases guard the
 * two ways this goes wrong: naming a slice or a made-up unit, and taking
 * a hex run of the wrong length, or a runtime's helper scope, for a
 * container id.  The unit/user_unit cases pin the trust boundary: below
 * user@UID.service a user names cgroups at will, so nothing there is a unit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "cgpath.h"

#define UNIT_LEN 256

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define POD "pod6b5c9e3a-1f2d-4c8e-9a7b-0c1d2e3f4a5b"

#define ID_63 "123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

_Static_assert(sizeof(ID) == CG_CONTAINER_ID_LEN + 1, "ID is one id");
_Static_assert(sizeof(ID_63) == CG_CONTAINER_ID_LEN, "ID_63 is one short");

static char unit[UNIT_LEN];
static char id[CG_CONTAINER_ID_LEN + 1];

static int get_unit(const char *path)
{
	memset(unit, 0, sizeof(unit));
	return cgpath_unit(path, unit, sizeof(unit));
}

static int get_id(const char *path)
{
	memset(id, 0, sizeof(id));
	return cgpath_container(path, id);
}

static void test_unit_service(void **state)
{
	(void)state;
	assert_int_equal(get_unit("/system.slice/api.service"), 0);
	assert_string_equal(unit, "api.service");
	assert_int_equal(get_unit("/system.slice/api.service/"), 0);
	assert_string_equal(unit, "api.service");
	assert_int_equal(get_unit("//system.slice//api.service"), 0);
	assert_string_equal(unit, "api.service");
	assert_int_equal(get_unit("/system.slice/api.service/worker"), 0);
	assert_string_equal(unit, "api.service");
}

static void test_unit_kinds(void **state)
{
	(void)state;
	assert_int_equal(get_unit("/user.slice/user-0.slice/session-3.scope"), 0);
	assert_string_equal(unit, "session-3.scope");
	assert_int_equal(get_unit("/system.slice/sshd.socket"), 0);
	assert_string_equal(unit, "sshd.socket");
	assert_int_equal(get_unit("/system.slice/boot.mount"), 0);
	assert_string_equal(unit, "boot.mount");
	assert_int_equal(get_unit("/system.slice/dev-sda2.swap"), 0);
	assert_string_equal(unit, "dev-sda2.swap");
}

static void test_unit_innermost(void **state)
{
	(void)state;
	assert_int_equal(get_unit("/system.slice/api.service/sub.scope"), 0);
	assert_string_equal(unit, "sub.scope");
	assert_int_equal(get_unit("/user.slice/user-1000.slice/"
				  "user@1000.service/app.slice"), 0);
	assert_string_equal(unit, "user@1000.service");
}

static int get_user_unit(const char *path)
{
	memset(unit, 0, sizeof(unit));
	return cgpath_user_unit(path, unit, sizeof(unit));
}

#define USER_1000 "/user.slice/user-1000.slice/user@1000.service"

/* A unit below a user's delegation is the user's word: a user_unit, not a unit. */
static void test_user_unit(void **state)
{
	(void)state;
	assert_int_equal(get_unit(USER_1000 "/app.slice/app-gnome-firefox-2211.scope"), 0);
	assert_string_equal(unit, "user@1000.service");
	assert_int_equal(get_user_unit(USER_1000 "/app.slice/app-gnome-firefox-2211.scope"), 0);
	assert_string_equal(unit, "app-gnome-firefox-2211.scope");

	/* the issue's attack: a user's own "legacy.service" */
	assert_int_equal(get_unit(USER_1000 "/app.slice/legacy.service"), 0);
	assert_string_equal(unit, "user@1000.service");
	assert_int_equal(get_user_unit(USER_1000 "/app.slice/legacy.service"), 0);
	assert_string_equal(unit, "legacy.service");
	/* nor can it pass for docker.service, nested however deep */
	assert_int_equal(get_unit(USER_1000 "/system.slice/docker.service/x.scope/sshd.service"), 0);
	assert_string_equal(unit, "user@1000.service");
	assert_int_equal(get_user_unit(USER_1000 "/system.slice/docker.service/x.scope/sshd.service"), 0);
	assert_string_equal(unit, "sshd.service");

	/* a delegation anywhere in the tree, the first one counts */
	assert_int_equal(get_unit("/test.slice/user@65534.service/app.slice/legacy.service"), 0);
	assert_string_equal(unit, "user@65534.service");
	assert_int_equal(get_user_unit("/test.slice/user@65534.service/app.slice/legacy.service"), 0);
	assert_string_equal(unit, "legacy.service");
	assert_int_equal(get_unit("/a/user@1.service/user@0.service/b.service"), 0);
	assert_string_equal(unit, "user@1.service");
	assert_int_equal(get_user_unit("/a/user@1.service/user@0.service/b.service"), 0);
	assert_string_equal(unit, "b.service");
	assert_int_equal(get_unit("/system.slice/capsule@app.service/x.service"), 0);
	assert_string_equal(unit, "capsule@app.service");

	/* no delegation, or nothing below it: no user_unit */
	assert_int_equal(get_user_unit("/system.slice/api.service"), -ENOENT);
	assert_int_equal(get_user_unit("/user.slice/user-1000.slice/session-3.scope"), -ENOENT);
	assert_int_equal(get_user_unit(USER_1000), -ENOENT);
	assert_int_equal(get_user_unit(USER_1000 "/app.slice"), -ENOENT);
	assert_int_equal(get_user_unit(USER_1000 "/init.scope"), 0);
	assert_string_equal(unit, "init.scope");

	/* only "user@" and digits delegates: these are ordinary units */
	assert_int_equal(get_unit("/system.slice/user@x.service/legacy.service"), 0);
	assert_string_equal(unit, "legacy.service");
	assert_int_equal(get_unit("/system.slice/user@.service/legacy.service"), 0);
	assert_string_equal(unit, "legacy.service");
	assert_int_equal(get_unit("/system.slice/user-runtime-dir@1000.service"), 0);
	assert_string_equal(unit, "user-runtime-dir@1000.service");
	assert_int_equal(get_user_unit("/system.slice/user-runtime-dir@1000.service/a.service"),
			 -ENOENT);
}

static void test_system_len(void **state)
{
	(void)state;
	assert_int_equal(cgpath_system_len(""), 0);
	assert_int_equal(cgpath_system_len("/system.slice/api.service"),
			 strlen("/system.slice/api.service"));
	assert_int_equal(cgpath_system_len(USER_1000 "/app.slice/legacy.service"),
			 strlen(USER_1000));
	assert_int_equal(cgpath_system_len(USER_1000), strlen(USER_1000));
}

static void test_unit_container_scope(void **state)
{
	(void)state;
	assert_int_equal(get_unit("/system.slice/docker-" ID ".scope"), 0);
	assert_string_equal(unit, "docker-" ID ".scope");
}

static void test_no_unit(void **state)
{
	(void)state;
	assert_int_equal(get_unit("/"), -ENOENT);
	assert_int_equal(get_unit(""), -ENOENT);
	assert_int_equal(get_unit("/system.slice"), -ENOENT);
	assert_int_equal(get_unit("/user.slice/user-0.slice"), -ENOENT);
	assert_int_equal(get_unit("/docker/" ID), -ENOENT);
	assert_int_equal(get_unit("/kubepods/burstable/" POD "/" ID), -ENOENT);
	assert_int_equal(get_unit("/system.slice/.service"), -ENOENT);
	assert_int_equal(get_unit("/system.slice/api.service.d"), -ENOENT);
	assert_int_equal(get_unit("/system.slice/apiservice"), -ENOENT);
	assert_int_equal(get_unit("/system.slice/sshd.target"), -ENOENT);
}

static void test_unit_buffer_size(void **state)
{
	char small[sizeof("api.service")];

	(void)state;
	assert_int_equal(cgpath_unit("/system.slice/api.service", small,
				     sizeof(small)), 0);
	assert_string_equal(small, "api.service");
	assert_int_equal(cgpath_unit("/system.slice/api.service", small,
				     sizeof(small) - 1), -ENAMETOOLONG);
	assert_int_equal(cgpath_unit("/system.slice/api.service", small, 0),
			 -ENAMETOOLONG);
	assert_int_equal(cgpath_unit("/", small, 0), -ENOENT);
}

static void test_docker(void **state)
{
	(void)state;
	assert_int_equal(get_id("/system.slice/docker-" ID ".scope"), 0);
	assert_string_equal(id, ID);
	assert_int_equal(get_id("/docker/" ID), 0);
	assert_string_equal(id, ID);
	assert_int_equal(get_id("/docker/" ID "/"), 0);
	assert_string_equal(id, ID);
}

static void test_kubernetes(void **state)
{
	(void)state;
	assert_int_equal(get_id("/kubepods/burstable/" POD "/" ID), 0);
	assert_string_equal(id, ID);
	assert_int_equal(get_id("/kubepods.slice/kubepods-burstable.slice/"
				"kubepods-burstable-" POD ".slice/"
				"cri-containerd-" ID ".scope"), 0);
	assert_string_equal(id, ID);
	assert_int_equal(get_id("/kubepods.slice/kubepods-besteffort.slice/"
				"kubepods-besteffort-" POD ".slice/"
				"crio-" ID ".scope"), 0);
	assert_string_equal(id, ID);
}

static void test_podman(void **state)
{
	(void)state;
	assert_int_equal(get_id("/machine.slice/libpod-" ID ".scope"), 0);
	assert_string_equal(id, ID);
	assert_int_equal(get_id("/machine.slice/libpod-" ID ".scope/container"),
			 0);
	assert_string_equal(id, ID);
}

static void test_innermost_id(void **state)
{
	(void)state;
	assert_int_equal(get_id("/docker/" ID "/docker/" ID2), 0);
	assert_string_equal(id, ID2);
	assert_int_equal(get_id("/system.slice/docker-" ID ".scope/" ID2 "/x"),
			 0);
	assert_string_equal(id, ID2);
}

static void test_not_an_id(void **state)
{
	(void)state;
	assert_int_equal(get_id("/"), -ENOENT);
	assert_int_equal(get_id(""), -ENOENT);
	assert_int_equal(get_id("/system.slice/api.service"), -ENOENT);
	/* 63 and 65 hex digits */
	assert_int_equal(get_id("/docker/" ID_63), -ENOENT);
	assert_int_equal(get_id("/docker/0" ID), -ENOENT);
	assert_int_equal(get_id("/docker/" ID "0"), -ENOENT);
	assert_int_equal(get_id("/system.slice/docker-" ID_63 ".scope"), -ENOENT);
	assert_int_equal(get_id("/system.slice/docker-0" ID ".scope"), -ENOENT);
	assert_int_equal(get_id("/system.slice/docker-" ID "0.scope"), -ENOENT);
	/* upper case, a stray character, a partial component */
	assert_int_equal(get_id("/docker/0123456789ABCDEF0123456789ABCDEF"
				"0123456789ABCDEF0123456789ABCDEF"), -ENOENT);
	assert_int_equal(get_id("/docker/" ID "x"), -ENOENT);
	assert_int_equal(get_id("/docker/x" ID), -ENOENT);
}

static void test_not_a_runtime_scope(void **state)
{
	(void)state;
	assert_int_equal(get_id("/system.slice/docker-" ID ".service"), -ENOENT);
	assert_int_equal(get_id("/system.slice/docker-" ID), -ENOENT);
	assert_int_equal(get_id("/system.slice/podman-" ID ".scope"), -ENOENT);
	assert_int_equal(get_id("/machine.slice/crio-conmon-" ID ".scope"),
			 -ENOENT);
	assert_int_equal(get_id("/system.slice/" ID ".scope"), -ENOENT);
	assert_int_equal(get_id("/kubepods/burstable/" POD), -ENOENT);
}

/*
 * Only the system manager's part of the path may name a container: below
 * user@UID.service a user names its cgroups "docker-<id>.scope" if it likes.
 */
static void test_system_container(void **state)
{
	char id[CG_CONTAINER_ID_LEN + 1];

	(void)state;
	assert_int_equal(cgpath_system_container("/system.slice/docker-" ID ".scope", id), 0);
	assert_string_equal(id, ID);
	assert_int_equal(cgpath_system_container("/user.slice/user-1000.slice/user@1000.service/"
						 "app.slice/docker-" ID ".scope", id), -ENOENT);
	assert_int_equal(cgpath_container("/user.slice/user-1000.slice/user@1000.service/"
					  "app.slice/docker-" ID ".scope", id), 0);
	/* a system container holding a user's delegated tree: the system's id */
	assert_int_equal(cgpath_system_container("/system.slice/docker-" ID ".scope/user@1000."
						 "service/docker-" ID2 ".scope", id), 0);
	assert_string_equal(id, ID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_service),
		cmocka_unit_test(test_unit_kinds),
		cmocka_unit_test(test_unit_innermost),
		cmocka_unit_test(test_user_unit),
		cmocka_unit_test(test_system_len),
		cmocka_unit_test(test_unit_container_scope),
		cmocka_unit_test(test_no_unit),
		cmocka_unit_test(test_unit_buffer_size),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_innermost_id),
		cmocka_unit_test(test_not_an_id),
		cmocka_unit_test(test_not_a_runtime_scope),
		cmocka_unit_test(test_system_container),
	};

	return cmocka_run_group_tests_name("cgpath", tests, NULL, NULL);
}
