// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_workload.c - a container's workload from the runtimes' own files.
 *
 * The files are copies of real ones (tests/unit/data/workload/README.md),
 * laid out under a root of the test's own (BINDWATCH_TEST_WORKLOAD_ROOT)
 * as each runtime has them on a host.  Then the ways they go wrong: a
 * file someone other than root could have written (group or other
 * writable, another owner, a link, a FIFO that would block a reader),
 * one too big, one cut short, and values of the wrong type, too long, with
 * a NUL or control bytes inside: what cannot be learned stays NULL, and a
 * layout's runtime and id are all a container then has.  A root-owned
 * file is what is trusted, so the reading tests need root (they skip
 * without it).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "util.h"
#include "wl_file.h"
#include "workload.h"

#define DATA_DIR "tests/unit/data/workload/"
#define NOBODY 65534
#define FILE_MODE 0644

#define PODMAN_ID "6370f341bfead803922d6f0176983061493b1de46b79f2627a5c6fa8f3f825c3"
#define PODMAN_OTHER_ID "89027aceb4f7bea5d61054318beb0d6ffec7341fd466876f0602d142cdb7c3bd"
#define DOCKER_ID "c85bd0f2e380c034f4a2feea79bba8c87cc4db96da244b9aaf7454c15cefd772"
#define POD_UID "6b5c9e3a-1f2d-4c8e-9a7b-0c1d2e3f4a5b"

#define STORAGE WL_STORAGE_ROOT "/overlay-containers"
#define PODMAN_INDEX STORAGE "/containers.json"
#define PODMAN_BUNDLE STORAGE "/" PODMAN_ID "/userdata/config.json"
#define DOCKER_FILE WL_DOCKER_ROOT "/containers/" DOCKER_ID "/config.v2.json"
#define CTR_NS "bwcore"
#define CTR_ID "bwcore-job"
#define CTR_FILE WL_CONTAINERD_STATE "/io.containerd.runtime.v2.task/" CTR_NS "/" CTR_ID \
	"/config.json"

#define ROOT_LEN 64

static char root[ROOT_LEN];

/* root's path of runtime path rel, in buf */
static const char *at(char *buf, const char *rel)
{
	snprintf(buf, PATH_MAX, "%s%s", root, rel);
	return buf;
}

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

/* Write data[0..n) as runtime file rel under root, mode FILE_MODE, root's. */
static void put(const char *rel, const void *data, size_t n)
{
	char path[PATH_MAX];
	int fd;

	at(path, rel);
	mkdirs(path);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, FILE_MODE);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, FILE_MODE), 0);
	close(fd);
}

static void put_str(const char *rel, const char *s)
{
	put(rel, s, strlen(s));
}

/* The contents of fixture name, a new buffer of *len bytes. */
static char *fixture(const char *name, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf;
	int fd;

	snprintf(path, sizeof(path), DATA_DIR "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("%s: %s (run the tests from the repository's root)", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = st.st_size;
	return buf;
}

/* Fixture name as runtime file rel; its first cut bytes only when cut. */
static void put_fixture(const char *rel, const char *name, size_t cut)
{
	size_t len;
	char *buf = fixture(name, &len);

	put(rel, buf, cut && cut < len ? cut : len);
	free(buf);
}

static void put_all(void)
{
	put_fixture(PODMAN_INDEX, "podman-containers.json", 0);
	put_fixture(PODMAN_BUNDLE, "podman-config.json", 0);
	put_fixture(DOCKER_FILE, "docker-config.v2.json", 0);
	put_fixture(CTR_FILE, "containerd-config.json", 0);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int group_setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/bw-test-workload.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return setenv(WL_ROOT_ENV, root, 1);
}

static int group_teardown(void **state)
{
	wl_cache_flush();
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Each test starts from the real files and an empty cache; skipped without root. */
static int setup(void **state)
{
	if (geteuid())
		return 0;
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(root, 0700);
	put_all();
	wl_cache_flush();
	return 0;
}

static void need_root(void)
{
	if (geteuid()) {
		print_message("skip: a runtime's file is trusted only when root's; run as root\n");
		skip();
	}
}

static struct workload *of_path(const char *path)
{
	return workload_of_cgroup(path, strlen(path));
}

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/* w is the container of runtime rt, id, name and image given (NULL: unknown). */
static void expect(struct workload *w, const char *rt, const char *id, const char *name,
		   const char *image)
{
	assert_non_null(w);
	assert_string_equal(w->runtime, rt);
	assert_string_equal(w->id, id);
	assert_str_or_null(w->name, name);
	assert_str_or_null(w->image, image);
	assert_int_equal(w->source, WORKLOAD_CGROUP);
	assert_int_equal(w->container_port, -1);
}

static void expect_pod(const struct workload *w, const char *name, const char *ns,
		       const char *uid, const char *container)
{
	assert_str_or_null(w->pod.name, name);
	assert_str_or_null(w->pod.namespace, ns);
	assert_str_or_null(w->pod.uid, uid);
	assert_str_or_null(w->pod.container, container);
}

/* Podman, cgroupfs and systemd layouts: containers.json names it, the bundle says libpod. */
static void test_podman(void **state)
{
	struct workload *w;

	need_root();
	w = of_path("/libpod_parent/libpod-" PODMAN_ID);
	expect(w, "podman", PODMAN_ID, "bwcore-web", "localhost/bwtest-busybox:latest");
	expect_pod(w, NULL, NULL, NULL, NULL);
	workload_free(w);
	/* the other container of the index, whose bundle is not there */
	w = of_path("/machine.slice/libpod-" PODMAN_OTHER_ID ".scope/container");
	expect(w, "podman", PODMAN_OTHER_ID, "bwtest-a", "localhost/bwtest-busybox:latest");
	workload_free(w);
}

/* Docker: its name without Docker's '/', the image as given, the kubelet's labels. */
static void test_docker(void **state)
{
	struct workload *w;

	need_root();
	w = of_path("/docker/" DOCKER_ID);
	expect(w, "docker", DOCKER_ID, "bwcore-job", "bwcore/busybox:1");
	expect_pod(w, "web-7d9", "default", NULL, NULL);
	workload_free(w);
	w = of_path("/system.slice/docker-" DOCKER_ID ".scope");
	expect(w, "docker", DOCKER_ID, "bwcore-job", "bwcore/busybox:1");
	workload_free(w);
	/* Kubernetes' cgroupfs layout names no runtime: the one that knows the id answers */
	w = of_path("/kubepods/burstable/pod" POD_UID "/" DOCKER_ID);
	expect(w, "docker", DOCKER_ID, "bwcore-job", "bwcore/busybox:1");
	workload_free(w);
}

/* containerd: ctr's /NAMESPACE/ID, the CRI's annotations in the task bundle. */
static void test_containerd(void **state)
{
	struct workload *w;

	need_root();
	w = of_path("/" CTR_NS "/" CTR_ID);
	expect(w, "containerd", CTR_ID, CTR_ID, "docker.io/library/nginx:1.25");
	expect_pod(w, "web-7d9", "default", POD_UID, "nginx");
	workload_free(w);
	/* the shape without a task is no container: not a guess */
	assert_null(of_path("/" CTR_NS "/other-job"));
	assert_null(of_path("/default/" CTR_ID));
	assert_null(of_path("/system.slice/cron.service"));
	assert_null(workload_of_cgroup(NULL, 0));
}

/* A proxy's container, by runtime and id: found in any namespace, source and port kept. */
static void test_of_container(void **state)
{
	struct workload *w;

	need_root();
	w = workload_of_container("containerd", CTR_ID, WORKLOAD_PROXY, 80);
	assert_non_null(w);
	assert_string_equal(w->name, CTR_ID);
	assert_int_equal(w->source, WORKLOAD_PROXY);
	assert_int_equal(w->container_port, 80);
	workload_free(w);
	w = workload_of_container(NULL, PODMAN_ID, WORKLOAD_PROXY, 8080);
	assert_non_null(w);
	assert_string_equal(w->name, "bwcore-web");
	assert_string_equal(w->runtime, "podman");
	workload_free(w);
	w = workload_of_container("docker", DOCKER_ID, WORKLOAD_PROXY, -1);
	assert_non_null(w);
	assert_int_equal(w->container_port, -1);
	workload_free(w);
	/* no runtime knows it, an unknown runtime, an id that is a path */
	assert_null(workload_of_container("podman", DOCKER_ID, WORKLOAD_PROXY, 80));
	assert_null(workload_of_container("rkt", DOCKER_ID, WORKLOAD_PROXY, 80));
	assert_null(workload_of_container("containerd", "../" CTR_NS, WORKLOAD_PROXY, 80));
	assert_null(workload_of_container("containerd", "", WORKLOAD_PROXY, 80));
	assert_null(workload_of_container(NULL, NULL, WORKLOAD_PROXY, 80));
}

/* A layout's container whose files are gone keeps its runtime and id, nothing more. */
static void expect_layout_only(const char *path, const char *rt, const char *id)
{
	struct workload *w = of_path(path);

	expect(w, rt, id, NULL, NULL);
	expect_pod(w, NULL, NULL, NULL, NULL);
	workload_free(w);
}

static void test_files_missing(void **state)
{
	char path[PATH_MAX];

	need_root();
	unlink(at(path, DOCKER_FILE));
	unlink(at(path, PODMAN_INDEX));
	unlink(at(path, PODMAN_BUNDLE));
	expect_layout_only("/docker/" DOCKER_ID, "docker", DOCKER_ID);
	expect_layout_only("/libpod_parent/libpod-" PODMAN_ID, "podman", PODMAN_ID);
	expect_layout_only("/kubepods/besteffort/pod" POD_UID "/" DOCKER_ID, "", DOCKER_ID);
}

/* What wl_load() says of runtime file rel. */
static int load_err(const char *rel, size_t max)
{
	char path[PATH_MAX];
	json_t *j;
	int err;

	j = wl_load(at(path, rel), max, &err);
	json_decref(j);
	return j ? 0 : err;
}

/* Files someone other than root could have written, or that are no file. */
static void test_refused(void **state)
{
	char path[PATH_MAX], target[PATH_MAX];

	need_root();
	assert_int_equal(load_err(DOCKER_FILE, WL_FILE_MAX), 0);
	chmod(at(path, DOCKER_FILE), 0664);
	assert_int_equal(load_err(DOCKER_FILE, WL_FILE_MAX), -EPERM);
	chmod(path, 0646);
	assert_int_equal(load_err(DOCKER_FILE, WL_FILE_MAX), -EPERM);
	chmod(path, FILE_MODE);
	assert_int_equal(chown(path, NOBODY, NOBODY), 0);
	assert_int_equal(load_err(DOCKER_FILE, WL_FILE_MAX), -EPERM);
	expect_layout_only("/docker/" DOCKER_ID, "docker", DOCKER_ID);
	/* a link to a good file: not followed */
	put_fixture(CTR_FILE ".real", "containerd-config.json", 0);
	unlink(at(path, CTR_FILE));
	assert_int_equal(symlink(at(target, CTR_FILE ".real"), path), 0);
	assert_int_equal(load_err(CTR_FILE, WL_FILE_MAX), -EPERM);
	/* a FIFO no one writes: refused at once, never read */
	unlink(at(path, PODMAN_BUNDLE));
	assert_int_equal(mkfifo(path, FILE_MODE), 0);
	assert_int_equal(load_err(PODMAN_BUNDLE, WL_FILE_MAX), -EPERM);
	unlink(path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(load_err(PODMAN_BUNDLE, WL_FILE_MAX), -EPERM);
	assert_int_equal(load_err("/nowhere/config.json", WL_FILE_MAX), -ENOENT);
}

/* A file over its limit is not read; containers.json has a limit of its own. */
static void test_oversized(void **state)
{
	size_t big = WL_FILE_MAX + 1, i, n, entries = 4000;
	char *buf = malloc(WL_INDEX_MAX + 2);
	struct workload *w;

	need_root();
	assert_non_null(buf);
	/* valid JSON, one byte over: {"ID":"...","Name":"/x","pad":"   ...  "} */
	n = (size_t)snprintf(buf, big, "{\"ID\":\"%s\",\"Name\":\"/x\",\"pad\":\"", DOCKER_ID);
	memset(buf + n, ' ', big - n - 2);
	memcpy(buf + big - 2, "\"}", 2);
	put(DOCKER_FILE, buf, big);
	assert_int_equal(load_err(DOCKER_FILE, WL_FILE_MAX), -EFBIG);
	expect_layout_only("/docker/" DOCKER_ID, "docker", DOCKER_ID);
	/* an index of thousands of containers, over WL_FILE_MAX but within its own limit */
	n = (size_t)snprintf(buf, WL_INDEX_MAX, "[");
	for (i = 0; i < entries; i++)
		n += (size_t)snprintf(buf + n, WL_INDEX_MAX - n,
				      "{\"id\":\"%064zx\",\"names\":[\"c%zu\"],\"metadata\":"
				      "\"{\\\"image-name\\\":\\\"img%zu\\\",\\\"pad\\\":\\\"%0200d\\\"}\"},",
				      i, i, i, 0);
	n += (size_t)snprintf(buf + n, WL_INDEX_MAX - n,
			      "{\"id\":\"%s\",\"names\":[\"last\"],\"metadata\":\"{}\"}]", PODMAN_ID);
	assert_true(n > WL_FILE_MAX && n < WL_INDEX_MAX);
	put(PODMAN_INDEX, buf, n);
	w = of_path("/libpod_parent/libpod-" PODMAN_ID);
	expect(w, "podman", PODMAN_ID, "last", NULL);
	workload_free(w);
	/* and over it */
	memset(buf, ' ', WL_INDEX_MAX + 1);
	buf[0] = '[';
	buf[WL_INDEX_MAX] = ']';
	put(PODMAN_INDEX, buf, WL_INDEX_MAX + 1);
	assert_int_equal(load_err(PODMAN_INDEX, WL_INDEX_MAX), -EFBIG);
	free(buf);
}

/* Each real file cut short is no JSON: the layout's runtime and id only. */
static void test_truncated(void **state)
{
	struct workload *w;

	need_root();
	put_fixture(DOCKER_FILE, "docker-config.v2.json", 700);
	assert_int_equal(load_err(DOCKER_FILE, WL_FILE_MAX), -EINVAL);
	expect_layout_only("/docker/" DOCKER_ID, "docker", DOCKER_ID);
	put_fixture(PODMAN_INDEX, "podman-containers.json", 900);
	put_fixture(PODMAN_BUNDLE, "podman-config.json", 5000);
	expect_layout_only("/libpod_parent/libpod-" PODMAN_ID, "podman", PODMAN_ID);
	put_fixture(CTR_FILE, "containerd-config.json", 100);
	assert_null(of_path("/" CTR_NS "/" CTR_ID));
	/* an empty file */
	put_str(DOCKER_FILE, "");
	wl_cache_flush();
	w = of_path("/docker/" DOCKER_ID);
	expect(w, "docker", DOCKER_ID, NULL, NULL);
	workload_free(w);
}

/* Docker's file with name and image given as JSON text. */
static struct workload *docker_with(const char *name_json, const char *config_json)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "{\"ID\":\"%s\",\"Name\":%s,\"Config\":%s}", DOCKER_ID,
		 name_json, config_json);
	put_str(DOCKER_FILE, buf);
	wl_cache_flush();
	return of_path("/docker/" DOCKER_ID);
}

/* Values of the wrong type, too long, with a NUL: unknown; control bytes: kept. */
static void test_hostile_values(void **state)
{
	char huge[WL_STR_MAX + 16], json[WL_STR_MAX + 64];
	struct workload *w;

	need_root();
	w = docker_with("5", "[]");
	expect(w, "docker", DOCKER_ID, NULL, NULL);
	workload_free(w);
	w = docker_with("\"/\"", "{\"Image\":{\"a\":1},\"Labels\":[\"io.kubernetes.pod.name\"]}");
	expect(w, "docker", DOCKER_ID, NULL, NULL);
	expect_pod(w, NULL, NULL, NULL, NULL);
	workload_free(w);
	w = docker_with("\"/we\\u0000b\"", "{\"Image\":\"\",\"Labels\":"
			"{\"io.kubernetes.pod.name\":7,\"io.kubernetes.pod.namespace\":null}}");
	expect(w, "docker", DOCKER_ID, NULL, NULL);
	expect_pod(w, NULL, NULL, NULL, NULL);
	workload_free(w);
	/* control bytes, quotes and bidi overrides are the writers' to escape */
	w = docker_with("\"/a\\u001b[2J\\\"b\\u202e\"", "{\"Image\":\"x\\nheld by sshd[1]\"}");
	expect(w, "docker", DOCKER_ID, "a\x1b[2J\"b\xe2\x80\xae", "x\nheld by sshd[1]");
	workload_free(w);
	/* one byte over the longest kept: unknown, not cut */
	memset(huge, 'n', sizeof(huge));
	snprintf(json, sizeof(json), "\"/%.*s\"", WL_STR_MAX, huge);
	w = docker_with(json, "{}");
	assert_null(w->name);
	workload_free(w);
	snprintf(json, sizeof(json), "\"/%.*s\"", WL_STR_MAX - 1, huge);
	w = docker_with(json, "{}");
	assert_int_equal(strlen(w->name), WL_STR_MAX - 1);
	workload_free(w);
	/* another container's file, duplicate keys */
	put_str(DOCKER_FILE, "{\"ID\":\"" PODMAN_ID "\",\"Name\":\"/other\"}");
	wl_cache_flush();
	expect_layout_only("/docker/" DOCKER_ID, "docker", DOCKER_ID);
	put_str(DOCKER_FILE, "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/a\",\"Name\":\"/b\"}");
	assert_int_equal(load_err(DOCKER_FILE, WL_FILE_MAX), -EINVAL);
}

/* containers/storage and containerd with their values of the wrong shape. */
static void test_hostile_storage(void **state)
{
	struct workload *w;

	need_root();
	put_str(PODMAN_INDEX, "[{\"id\":\"" PODMAN_ID "\",\"names\":\"web\",\"metadata\":"
		"\"{\\\"name\\\":\\\"meta\\\",\\\"image-name\\\":[1]}\"}]");
	put_str(PODMAN_BUNDLE, "{\"annotations\":[\"io.container.manager\"]}");
	w = of_path("/libpod_parent/libpod-" PODMAN_ID);
	expect(w, "podman", PODMAN_ID, "meta", NULL);
	workload_free(w);
	put_str(PODMAN_INDEX, "[5,{\"id\":5},{\"id\":\"" PODMAN_ID "\",\"names\":[7],\"metadata\":"
		"\"{not json\"}]");
	put_str(PODMAN_BUNDLE, "{\"annotations\":{\"io.container.manager\":\"cri-o\","
		"\"io.kubernetes.pod.name\":\"web\",\"io.kubernetes.pod.namespace\":\"prod\","
		"\"io.kubernetes.cri-o.ImageName\":\"quay.io/x:1\"}}");
	wl_cache_flush();
	/* a bare id: the bundle names CRI-O, its annotations the pod and image */
	w = of_path("/kubepods/pod" POD_UID "/" PODMAN_ID);
	expect(w, "cri-o", PODMAN_ID, NULL, "quay.io/x:1");
	expect_pod(w, "web", "prod", NULL, NULL);
	workload_free(w);
	put_str(PODMAN_INDEX, "{\"id\":\"" PODMAN_ID "\"}");
	put_str(PODMAN_BUNDLE, "[]");
	put_str(CTR_FILE, "{\"annotations\":\"io.kubernetes.cri.sandbox-name\"}");
	wl_cache_flush();
	expect_layout_only("/libpod_parent/libpod-" PODMAN_ID, "podman", PODMAN_ID);
	w = of_path("/" CTR_NS "/" CTR_ID);
	expect(w, "containerd", CTR_ID, CTR_ID, NULL);
	expect_pod(w, NULL, NULL, NULL, NULL);
	workload_free(w);
}

/* Answers are kept a while, bounded in number, and copies are deep. */
static void test_cache(void **state)
{
	char path[PATH_MAX], id[CG_CONTAINER_ID_LEN + 1];
	struct workload *w, *d;
	int i;

	need_root();
	w = of_path("/docker/" DOCKER_ID);
	unlink(at(path, DOCKER_FILE));
	d = of_path("/docker/" DOCKER_ID);
	assert_string_equal(d->name, "bwcore-job"); /* cached */
	workload_free(d);
	d = workload_dup(w);
	assert_non_null(d);
	assert_ptr_not_equal(d->name, w->name);
	assert_ptr_not_equal(d->pod.name, w->pod.name);
	assert_string_equal(d->pod.namespace, "default");
	workload_free(d);
	workload_free(w);
	assert_null(workload_dup(NULL));
	workload_free(NULL);
	/* many more containers than slots: each answered, none kept for ever */
	for (i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "%064x", i);
		snprintf(path, sizeof(path), "/docker/%s", id);
		w = of_path(path);
		expect(w, "docker", id, NULL, NULL);
		workload_free(w);
	}
	wl_cache_flush();
	expect_layout_only("/docker/" DOCKER_ID, "docker", DOCKER_ID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_podman, setup),
		cmocka_unit_test_setup(test_docker, setup),
		cmocka_unit_test_setup(test_containerd, setup),
		cmocka_unit_test_setup(test_of_container, setup),
		cmocka_unit_test_setup(test_files_missing, setup),
		cmocka_unit_test_setup(test_refused, setup),
		cmocka_unit_test_setup(test_oversized, setup),
		cmocka_unit_test_setup(test_truncated, setup),
		cmocka_unit_test_setup(test_hostile_values, setup),
		cmocka_unit_test_setup(test_hostile_storage, setup),
		cmocka_unit_test_setup(test_cache, setup),
	};

	return cmocka_run_group_tests_name("workload", tests, group_setup, group_teardown);
}
