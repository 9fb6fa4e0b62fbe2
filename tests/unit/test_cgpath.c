// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_cgpath.c - unit and container names from real-world cgroup paths.
 *
 * The paths are the shapes systemd, Docker, Podman, containerd, CRI-O and
 * Kubernetes (both cgroup drivers) create.  The negative cases guard the
 * two ways this goes wrong: naming a slice or a made-up unit, and taking
 * a hex run of the wrong length, or a runtime's helper scope, for a
 * container id.  The unit/user_unit cases pin the trust boundary: below
 * user@UID.service, or any cgroup the caller's owner function calls
 * delegated, a user names cgroups at will, so nothing there is a unit or a
 * container; a cgroup the owner function cannot vouch for is not even the
 * system's by its own name.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
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

/* The system part by the names alone (no owners known) */
static size_t names_len(const char *path)
{
	return cgpath_system_len(path, NULL, NULL);
}

static int get_unit(const char *path)
{
	memset(unit, 0, sizeof(unit));
	return cgpath_unit(path, names_len(path), unit, sizeof(unit));
}

/* A container id anywhere in path */
static int get_id(const char *path)
{
	memset(id, 0, sizeof(id));
	return cgpath_container(path, strlen(path), id);
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
	return cgpath_user_unit(path, names_len(path), unit, sizeof(unit));
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
	assert_int_equal(names_len(""), 0);
	assert_int_equal(names_len("/system.slice/api.service"),
			 strlen("/system.slice/api.service"));
	assert_int_equal(names_len(USER_1000 "/app.slice/legacy.service"), strlen(USER_1000));
	assert_int_equal(names_len(USER_1000), strlen(USER_1000));
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
	static const char path[] = "/system.slice/api.service";
	char small[sizeof("api.service")];

	(void)state;
	assert_int_equal(cgpath_unit(path, strlen(path), small, sizeof(small)), 0);
	assert_string_equal(small, "api.service");
	assert_int_equal(cgpath_unit(path, strlen(path), small, sizeof(small) - 1), -ENAMETOOLONG);
	assert_int_equal(cgpath_unit(path, strlen(path), small, 0), -ENAMETOOLONG);
	assert_int_equal(cgpath_unit("/", 1, small, 0), -ENOENT);
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
	static const char user[] = "/user.slice/user-1000.slice/user@1000.service/app.slice/"
				   "docker-" ID ".scope",
			  nested[] = "/system.slice/docker-" ID ".scope/user@1000.service/docker-"
				     ID2 ".scope";

	(void)state;
	assert_int_equal(cgpath_container("/system.slice/docker-" ID ".scope",
					  names_len("/system.slice/docker-" ID ".scope"), id), 0);
	assert_string_equal(id, ID);
	assert_int_equal(cgpath_container(user, names_len(user), id), -ENOENT);
	assert_int_equal(get_id(user), 0);
	/* a system container holding a user's delegated tree: the system's id */
	assert_int_equal(cgpath_container(nested, names_len(nested), id), 0);
	assert_string_equal(id, ID);
}

/* What a fake file system says of each cgroup: the owners of listed prefixes. */
static const struct fake_cgroup {
	const char *path;
	enum cgpath_owner owner;
} fake_tree[] = {
	{ "/ci-runner.service", CGPATH_DELEGATED },     /* Delegate=yes, User=runner */
	{ "/system.slice/ci.service", CGPATH_DELEGATED },
	{ "/system.slice/gone.service", CGPATH_UNKNOWN }, /* removed meanwhile */
	{ "/system.slice/gone.service/x.service", CGPATH_SYSTEM },
};

/* The prefixes asked about, in order, for the walk-order check. */
static char asked[8][256];
static size_t nasked;

static enum cgpath_owner fake_owner(const char *path, size_t len, void *arg)
{
	size_t i;

	assert_ptr_equal(arg, fake_tree);
	assert_true(nasked < 8 && len < sizeof(asked[0]));
	memcpy(asked[nasked], path, len);
	asked[nasked++][len] = '\0';
	for (i = 0; i < sizeof(fake_tree) / sizeof(fake_tree[0]); i++)
		if (strlen(fake_tree[i].path) == len && !memcmp(fake_tree[i].path, path, len))
			return fake_tree[i].owner;
	return CGPATH_SYSTEM;
}

static size_t fake_len(const char *path)
{
	nasked = 0;
	return cgpath_system_len(path, fake_owner, (void *)fake_tree);
}

/* names of path, its system part as fake_tree says */
static void names(const char *path, const char *want_unit, const char *want_user_unit,
		  const char *want_id)
{
	size_t sys = fake_len(path);
	char got[UNIT_LEN];

	if (want_unit) {
		assert_int_equal(cgpath_unit(path, sys, got, sizeof(got)), 0);
		assert_string_equal(got, want_unit);
	} else {
		assert_int_equal(cgpath_unit(path, sys, got, sizeof(got)), -ENOENT);
	}
	if (want_user_unit) {
		assert_int_equal(cgpath_user_unit(path, sys, got, sizeof(got)), 0);
		assert_string_equal(got, want_user_unit);
	} else {
		assert_int_equal(cgpath_user_unit(path, sys, got, sizeof(got)), -ENOENT);
	}
	if (want_id) {
		assert_int_equal(cgpath_container(path, sys, id), 0);
		assert_string_equal(id, want_id);
	} else {
		assert_int_equal(cgpath_container(path, sys, id), -ENOENT);
	}
}

/*
 * The issue's attacks: a service with Delegate=yes whose user names
 * cgroups like the system's.  The delegated cgroup's own name is the
 * system's; below it nothing is a unit or a container.
 */
static void test_delegated_by_owner(void **state)
{
	(void)state;
	assert_int_equal(fake_len("/ci-runner.service/system.slice/nginx.service"),
			 strlen("/ci-runner.service"));
	names("/ci-runner.service/system.slice/nginx.service", "ci-runner.service",
	      "nginx.service", NULL);
	/* a squatter one level down is still in the protected unit */
	names("/ci-runner.service/sub", "ci-runner.service", NULL, NULL);
	names("/ci-runner.service", "ci-runner.service", NULL, NULL);
	/* a docker-like scope below the delegation is no container */
	names("/ci-runner.service/docker-" ID ".scope", "ci-runner.service",
	      "docker-" ID ".scope", NULL);
	names("/system.slice/ci.service/a/b.scope", "ci.service", "b.scope", NULL);
	/* not delegated: the system's names all the way down */
	names("/system.slice/docker-" ID ".scope/x.service", "x.service", NULL, ID);
	names("/system.slice/ci.service.d/x.service", "x.service", NULL, NULL);
}

/* The walk asks about each cgroup from the root, and stops where the system part ends. */
static void test_walk_order(void **state)
{
	(void)state;
	fake_len("/system.slice/ci.service/a/b");
	assert_int_equal(nasked, 2);
	assert_string_equal(asked[0], "/system.slice");
	assert_string_equal(asked[1], "/system.slice/ci.service");
	fake_len("//a//b/c/");
	assert_int_equal(nasked, 3);
	assert_string_equal(asked[0], "//a");
	assert_string_equal(asked[1], "//a//b");
	assert_string_equal(asked[2], "//a//b/c");
	fake_len("/");
	assert_int_equal(nasked, 0);
	/* the name rule needs no owner beyond the delegating cgroup */
	fake_len("/user.slice/user@1000.service/app.slice");
	assert_int_equal(nasked, 2);
}

/* A cgroup that cannot be told (gone) ends the system part before its name. */
static void test_unknown_owner(void **state)
{
	(void)state;
	assert_int_equal(fake_len("/system.slice/gone.service/x.service"),
			 strlen("/system.slice/"));
	names("/system.slice/gone.service/x.service", NULL, "x.service", NULL);
	names("/system.slice/gone.service", NULL, "gone.service", NULL);
}

/* Both rules hold: a delegating name ends the system part whatever its owner says. */
static void test_name_rule_kept(void **state)
{
	(void)state;
	names("/user.slice/user@1000.service/app.slice/legacy.service", "user@1000.service",
	      "legacy.service", NULL);
	names("/ci-runner.service/user@0.service/x.service", "ci-runner.service",
	      "x.service", NULL);
}

static struct cgpath_ctr ctr;

/* The container and runtime cgpath_container_of() finds in the whole path (names only) */
static int get_ctr(const char *path)
{
	memset(&ctr, 0xa5, sizeof(ctr));
	return cgpath_container_of(path, names_len(path), &ctr);
}

/* Found in path: runtime rt, id, namespace ns, named or not. */
static void expect_ctr(const char *path, enum cgpath_runtime rt, const char *cid,
		       const char *ns, bool named)
{
	assert_int_equal(get_ctr(path), 0);
	assert_int_equal(ctr.runtime, rt);
	assert_string_equal(ctr.id, cid);
	assert_string_equal(ctr.ns, ns);
	assert_int_equal(ctr.named, named);
}

/* Every layout the runtimes create, systemd's and cgroupfs' */
static void test_runtime_layouts(void **state)
{
	(void)state;
	expect_ctr("/system.slice/docker-" ID ".scope", CGPATH_RUNTIME_DOCKER, ID, "", false);
	expect_ctr("/docker/" ID, CGPATH_RUNTIME_DOCKER, ID, "docker", false);
	expect_ctr("/machine.slice/libpod-" ID ".scope", CGPATH_RUNTIME_PODMAN, ID, "", false);
	expect_ctr("/machine.slice/libpod-" ID ".scope/container", CGPATH_RUNTIME_PODMAN, ID, "",
		   false);
	/* podman's cgroupfs layout, as a real run here makes it */
	expect_ctr("/libpod_parent/libpod-" ID, CGPATH_RUNTIME_PODMAN, ID, "", false);
	expect_ctr("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" POD ".slice/"
		   "crio-" ID ".scope", CGPATH_RUNTIME_CRIO, ID, "", false);
	expect_ctr("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" POD ".slice/"
		   "cri-containerd-" ID ".scope", CGPATH_RUNTIME_CONTAINERD, ID, "k8s.io", false);
	/* Kubernetes' cgroupfs layout names no runtime; the pod's cgroup is no namespace */
	expect_ctr("/kubepods/burstable/" POD "/" ID, CGPATH_RUNTIME_UNKNOWN, ID, POD, false);
	/* ctr's default: namespace and the id it was given */
	expect_ctr("/default/web", CGPATH_RUNTIME_CONTAINERD, "web", "default", true);
	expect_ctr("/bw-e2e/job_1.x-2", CGPATH_RUNTIME_CONTAINERD, "job_1.x-2", "bw-e2e", true);
	expect_ctr("/default/" ID, CGPATH_RUNTIME_UNKNOWN, ID, "default", false);
	/* cgpath_container() agrees, but for a named id */
	assert_int_equal(get_id("/libpod_parent/libpod-" ID), 0);
	assert_string_equal(id, ID);
	assert_int_equal(get_id("/default/web"), -ENOENT);
}

/* Shapes that name no container, or none a runtime's files could confirm */
static void test_runtime_not_a_layout(void **state)
{
	(void)state;
	/* a runtime's helper scopes (conmon), a prefix out of its place */
	assert_int_equal(get_ctr("/machine.slice/libpod-conmon-" ID ".scope"), -ENOENT);
	assert_int_equal(get_ctr("/machine.slice/libpod-" ID), -ENOENT);
	assert_int_equal(get_ctr("/libpod_parent/libpod-" ID_63), -ENOENT);
	assert_int_equal(get_ctr("/libpod_parent/conmon"), -ENOENT);
	assert_int_equal(get_ctr("/system.slice/docker-" ID ".service"), -ENOENT);
	/* systemd's own two-component paths are not ctr's */
	assert_int_equal(get_ctr("/system.slice/cron.service"), -ENOENT);
	assert_int_equal(get_ctr("/user.slice/user-1000.slice"), -ENOENT);
	assert_int_equal(get_ctr("/machine.slice/web"), -ENOENT);
	assert_int_equal(get_ctr("/init.scope"), -ENOENT);
	assert_int_equal(get_ctr("/default"), -ENOENT);
	assert_int_equal(get_ctr("/a/b/c"), -ENOENT);
	/* hostile names: dots, separators at the ends or doubled, too long */
	assert_int_equal(get_ctr("/default/.."), -ENOENT);
	assert_int_equal(get_ctr("/../web"), -ENOENT);
	assert_int_equal(get_ctr("/default/.web"), -ENOENT);
	assert_int_equal(get_ctr("/default/web-"), -ENOENT);
	assert_int_equal(get_ctr("/default/we..b"), -ENOENT);
	assert_int_equal(get_ctr("/default/w\x1b[2Jb"), -ENOENT);
	assert_int_equal(get_ctr("/default/" ID "0"), -ENOENT);
	assert_int_equal(get_ctr("/default/" ID "a" ID), -ENOENT);
	assert_int_equal(get_ctr("/" ID ID ID "/web"), -ENOENT);
}

/* Below a delegation nothing is a container, whatever its shape */
static void test_runtime_delegated(void **state)
{
	const char *user = "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID
			   ".scope";
	const char *nested = "/system.slice/docker-" ID ".scope/docker-" ID2 ".scope";

	(void)state;
	assert_int_equal(cgpath_container_of(user, names_len(user), &ctr), -ENOENT);
	/* the delegated cgroup itself is the system's: its id, not the one inside */
	assert_int_equal(cgpath_container_of(nested, strlen("/system.slice/docker-" ID ".scope"),
					     &ctr), 0);
	assert_string_equal(ctr.id, ID);
	/* ctr's shape cut by the delegation: the system named only the namespace */
	assert_int_equal(cgpath_container_of("/default/web", strlen("/default"), &ctr), -ENOENT);
	assert_int_equal(cgpath_container_of("/default/web", 0, &ctr), -ENOENT);
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
		cmocka_unit_test(test_delegated_by_owner),
		cmocka_unit_test(test_walk_order),
		cmocka_unit_test(test_unknown_owner),
		cmocka_unit_test(test_name_rule_kept),
		cmocka_unit_test(test_runtime_layouts),
		cmocka_unit_test(test_runtime_not_a_layout),
		cmocka_unit_test(test_runtime_delegated),
	};

	return cmocka_run_group_tests_name("cgpath", tests, NULL, NULL);
}
