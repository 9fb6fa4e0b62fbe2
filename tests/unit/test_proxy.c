// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_proxy.c - what a runtime's port proxy says of its container: the
 * argv of conmon, docker-proxy and a containerd shim as podman 4.3, Docker
 * 20.10 and containerd 1.6 start them (copied from real runs, cut), and
 * the published ports in Docker's config.v2.json and libcni's cache.
 *
 * The negative cases guard against taking a guess for a name: an id of
 * the wrong length or case, a flag without its value, a flag's prefix, a
 * port out of range, and executables named almost like a proxy's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include "proxy.h"

#define ID "89027aceb4f7bea5d61054318beb0d6ffec7341fd466876f0602d142cdb7c3bd"
#define ID2 "13f4f819c274c9567234d19b3d3a723eee4feb91bee18fe261a15ff31207c709"
#define ID_UPPER "89027ACEB4F7BEA5D61054318BEB0D6FFEC7341FD466876F0602D142CDB7C3BD"
#define ID_63 "9027aceb4f7bea5d61054318beb0d6ffec7341fd466876f0602d142cdb7c3bd"

/* argv as /proc/PID/cmdline has it: NUL after each argument */
#define ARGS(s) (s), sizeof(s) - 1

#define CONMON_ARGS "/usr/bin/conmon\0--api-version\0" "1\0-c\0" ID "\0-u\0" ID "\0-r\0" \
	"/usr/bin/runc\0-b\0/var/lib/containers/storage/overlay-containers/" ID "/userdata\0" \
	"-n\0bw-web\0--exit-dir\0/run/libpod/exits\0--full-attach\0--exit-command\0" \
	"/usr/bin/podman\0--exit-command-arg\0--root\0"

#define DOCKER_PROXY_ARGS "/usr/sbin/docker-proxy\0-proto\0tcp\0-host-ip\0" "127.0.0.1\0" \
	"-host-port\0" "48112\0-container-ip\0" "172.17.0.2\0-container-port\0" "80\0"

#define SHIM_ARGS "/usr/bin/containerd-shim-runc-v2\0-namespace\0k8s.io\0-id\0" ID \
	"\0-address\0/run/containerd/containerd.sock\0"

static struct proxy_args pa;

static void test_conmon(void **state)
{
	(void)state;
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS(CONMON_ARGS), &pa), 0);
	assert_int_equal(pa.kind, PROXY_CONMON);
	assert_string_equal(pa.id, ID);
	assert_string_equal(pa.runtime, "podman");
	assert_int_equal(pa.container_port, -1);
}

static void test_conmon_crio(void **state)
{
	(void)state;
	/* CRI-O's conmon: no podman to call back, so argv cannot tell the runtime */
	assert_int_equal(proxy_parse("/usr/libexec/crio/conmon",
				     ARGS("conmon\0-s\0-c\0" ID "\0-n\0k8s_nginx\0"), &pa), 0);
	assert_string_equal(pa.id, ID);
	assert_string_equal(pa.runtime, "");
}

static void test_conmon_long_flag(void **state)
{
	(void)state;
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0--cid=" ID "\0"), &pa), 0);
	assert_string_equal(pa.id, ID);
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0--cid\0" ID "\0"), &pa), 0);
	assert_string_equal(pa.id, ID);
	/* given twice: the last counts, as GLib takes it */
	assert_int_equal(proxy_parse("/usr/bin/conmon",
				     ARGS("conmon\0-c\0" ID2 "\0-c\0" ID "\0"), &pa), 0);
	assert_string_equal(pa.id, ID);
}

static void test_conmon_bad_ids(void **state)
{
	(void)state;
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0-c\0" ID_63 "\0"), &pa),
			 -EINVAL);
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0-c\0" ID_UPPER "\0"), &pa),
			 -EINVAL);
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0-c\0" ID "x\0"), &pa),
			 -EINVAL);
	/* the flag last, with no value */
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0-n\0web\0-c\0"), &pa),
			 -EINVAL);
	/* "-c" as the value of -c is no -c */
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0-c\0-c\0" ID "\0"), &pa),
			 -EINVAL);
	/* a prefix of a flag's name is not the flag */
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("conmon\0--ci=" ID "\0"), &pa),
			 -EINVAL);
	/* argv[0] is never a flag */
	assert_int_equal(proxy_parse("/usr/bin/conmon", ARGS("-c\0" ID "\0"), &pa), -EINVAL);
	assert_int_equal(proxy_parse("/usr/bin/conmon", "", 0, &pa), -EINVAL);
}

static void test_docker_proxy(void **state)
{
	(void)state;
	assert_int_equal(proxy_parse("/usr/sbin/docker-proxy", ARGS(DOCKER_PROXY_ARGS), &pa), 0);
	assert_int_equal(pa.kind, PROXY_DOCKER);
	assert_string_equal(pa.runtime, "docker");
	assert_string_equal(pa.container_ip, "172.17.0.2");
	assert_string_equal(pa.proto, "tcp");
	assert_int_equal(pa.container_port, 80);
	assert_int_equal(pa.host_port, 48112);
	assert_string_equal(pa.id, "");
}

static void test_docker_proxy_bad(void **state)
{
	(void)state;
	assert_int_equal(proxy_parse("/usr/sbin/docker-proxy",
				     ARGS("docker-proxy\0-container-ip\0" "172.17.0.256\0"
					  "-container-port\0" "80\0-host-port\0" "8080\0"), &pa),
			 -EINVAL);
	assert_int_equal(proxy_parse("/usr/sbin/docker-proxy",
				     ARGS("docker-proxy\0-container-ip\0" "172.17.0.2\0"
					  "-container-port\0" "65536\0-host-port\0" "8080\0"), &pa),
			 -EINVAL);
	assert_int_equal(proxy_parse("/usr/sbin/docker-proxy",
				     ARGS("docker-proxy\0-container-ip\0" "172.17.0.2\0"
					  "-container-port\0" "80x\0-host-port\0" "8080\0"), &pa),
			 -EINVAL);
	/* IPv6 and the = form; the protocol defaults to tcp */
	assert_int_equal(proxy_parse("/usr/sbin/docker-proxy",
				     ARGS("docker-proxy\0--container-ip=fd00::2\0"
					  "-container-port=80\0-host-port=8080\0"), &pa), 0);
	assert_string_equal(pa.container_ip, "fd00::2");
	assert_string_equal(pa.proto, "tcp");
}

static void test_shim(void **state)
{
	(void)state;
	assert_int_equal(proxy_parse("/usr/bin/containerd-shim-runc-v2", ARGS(SHIM_ARGS), &pa), 0);
	assert_int_equal(pa.kind, PROXY_CONTAINERD_SHIM);
	assert_string_equal(pa.id, ID);
	assert_string_equal(pa.ns, "k8s.io");
	assert_string_equal(pa.runtime, "containerd");
	/* Docker's containers are in containerd's namespace moby */
	assert_int_equal(proxy_parse("/usr/bin/containerd-shim-runc-v2",
				     ARGS("shim\0-namespace\0moby\0-id\0" ID2 "\0"), &pa), 0);
	assert_string_equal(pa.runtime, "docker");
	assert_string_equal(pa.id, ID2);
}

static void test_not_proxies(void **state)
{
	(void)state;
	assert_int_equal(proxy_parse("/usr/bin/python3", ARGS("conmon\0-c\0" ID "\0"), &pa),
			 -ENOENT);
	assert_int_equal(proxy_parse("/tmp/conmon2", ARGS("conmon\0-c\0" ID "\0"), &pa), -ENOENT);
	assert_int_equal(proxy_parse("/usr/bin/conmon (deleted)", ARGS("conmon\0-c\0" ID "\0"),
				     &pa), -ENOENT);
	assert_int_equal(proxy_parse(NULL, ARGS("conmon\0-c\0" ID "\0"), &pa), -ENOENT);
	/* rootless proxies are proxies, but name no container */
	assert_int_equal(proxy_parse("/usr/bin/slirp4netns",
				     ARGS("slirp4netns\0--disable-host-loopback\0tap0\0"), &pa), 0);
	assert_int_equal(pa.kind, PROXY_ROOTLESS);
	assert_string_equal(pa.id, "");
}

/* Docker 20.10's config.v2.json of a running container, cut to what is read */
#define DOCKER_CONFIG(running, ip, ports) \
	"{\"ID\":\"" ID2 "\",\"State\":{\"Running\":" running ",\"Pid\":7344}," \
	"\"Name\":\"/bw-web\",\"Config\":{\"Image\":\"bw-e2e-busybox:latest\"}," \
	"\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"Gateway\":\"172.17.0.1\"," \
	"\"IPAddress\":\"" ip "\",\"IPPrefixLen\":16,\"GlobalIPv6Address\":\"\"}}," \
	"\"Ports\":" ports "}}"
#define PORTS_48112 "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"48112\"}]}"

/* Parsed as wl_load() parses a runtime's file: NULL when it is no JSON */
static json_t *parse(const char *text)
{
	return json_loads(text, JSON_REJECT_DUPLICATES, NULL);
}

static bool docker_matches(const char *text)
{
	json_t *config = parse(text);
	bool match;

	assert_int_equal(proxy_parse("/usr/sbin/docker-proxy", ARGS(DOCKER_PROXY_ARGS), &pa), 0);
	match = proxy_docker_config_matches(config, &pa);
	json_decref(config);
	return match;
}

static void test_docker_config(void **state)
{
	(void)state;
	assert_true(docker_matches(DOCKER_CONFIG("true", "172.17.0.2", PORTS_48112)));
	assert_false(docker_matches(DOCKER_CONFIG("false", "172.17.0.2", PORTS_48112)));
	assert_false(docker_matches(DOCKER_CONFIG("true", "172.17.0.3", PORTS_48112)));
	assert_false(docker_matches(DOCKER_CONFIG("true", "172.17.0.2",
		"{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"48112\"}]}")));
	assert_false(docker_matches(DOCKER_CONFIG("true", "172.17.0.2",
		"{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"48113\"}]}")));
	assert_false(docker_matches(DOCKER_CONFIG("true", "172.17.0.2", "null")));
	/* hostile: not JSON, cut, duplicate keys, wrong types */
	assert_false(docker_matches("not json"));
	assert_false(docker_matches("{\"State\":{\"Running\":true},\"NetworkSettings\":"));
	assert_false(docker_matches("{\"State\":{\"Running\":true},\"State\":{}}"));
	assert_false(docker_matches(DOCKER_CONFIG("\"true\"", "172.17.0.2", PORTS_48112)));
	assert_false(docker_matches(DOCKER_CONFIG("true", "172.17.0.2",
		"{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":48112}]}")));
}

/* libcni's cache entry for a podman container (podman 4.3, CNI backend), cut */
#define CNI_CACHE(maps) \
	"{\"kind\":\"cniCacheV1\",\"containerId\":\"" ID "\",\"ifName\":\"eth0\"," \
	"\"networkName\":\"podman\",\"capabilityArgs\":{\"aliases\":{\"podman\":" \
	"[\"89027aceb4f7\"]},\"portMappings\":" maps "}}"
#define CNI_MAPS "[{\"hostPort\":48111,\"containerPort\":80,\"protocol\":\"tcp\"," \
	"\"hostIP\":\"127.0.0.1\"},{\"hostPort\":48111,\"containerPort\":53," \
	"\"protocol\":\"udp\",\"hostIP\":\"\"}]"

static int cni_port(const char *text, const char *proto, int host_port)
{
	json_t *entry = parse(text);
	int port = proxy_cni_container_port(entry, proto, host_port);

	json_decref(entry);
	return port;
}

static void test_cni_cache(void **state)
{
	(void)state;
	assert_int_equal(cni_port(CNI_CACHE(CNI_MAPS), "tcp", 48111), 80);
	assert_int_equal(cni_port(CNI_CACHE(CNI_MAPS), "udp", 48111), 53);
	assert_int_equal(cni_port(CNI_CACHE(CNI_MAPS), "tcp", 48112), -1);
	assert_int_equal(cni_port(CNI_CACHE("[]"), "tcp", 48111), -1);
	assert_int_equal(cni_port(CNI_CACHE("{}"), "tcp", 48111), -1);
	assert_int_equal(cni_port(CNI_CACHE("[{\"hostPort\":48111,\"containerPort\":70000,"
					    "\"protocol\":\"tcp\"}]"), "tcp", 48111), -1);
	assert_int_equal(cni_port(CNI_CACHE("[{\"hostPort\":48111,\"containerPort\":80}]"),
				  "tcp", 48111), -1);
	assert_int_equal(cni_port("{\"capabilityArgs\":", "tcp", 48111), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conmon),
		cmocka_unit_test(test_conmon_crio),
		cmocka_unit_test(test_conmon_long_flag),
		cmocka_unit_test(test_conmon_bad_ids),
		cmocka_unit_test(test_docker_proxy),
		cmocka_unit_test(test_docker_proxy_bad),
		cmocka_unit_test(test_shim),
		cmocka_unit_test(test_not_proxies),
		cmocka_unit_test(test_docker_config),
		cmocka_unit_test(test_cni_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
