// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proxy_parse.c - what a container runtime's port proxy says of the
 * container it forwards to: its argv, and the runtimes' records of
 * published ports (Docker's config.v2.json, libcni's cache) (proxy.h).
 *
 * It owns reading those texts; it must not open a file or decide whether
 * a process may be believed (proxy.c does both).  Everything here is the
 * word of whoever wrote the argv or the file: a flag's value is taken
 * only whole and well-formed (a 64-hex id, an address inet_pton() reads,
 * a port in range), never cut or guessed into one.  A flag given twice
 * counts as given last, as Go's flag package and GLib's option parser
 * (docker-proxy, the shims; conmon) take it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgpath.h"
#include "proxy.h"
#include "util.h"

#define PORT_MAX 65535
#define PORT_KEY_LEN 16 /* "65535/tcp" */

/* A proxy's executable, by its file name. */
struct proxy_exe {
	const char *name;
	enum proxy_kind kind;
};

static const struct proxy_exe proxy_exes[] = {
	{ "conmon", PROXY_CONMON },
	{ "docker-proxy", PROXY_DOCKER },
	{ "containerd-shim-runc-v2", PROXY_CONTAINERD_SHIM },
	{ "containerd-shim-runc-v1", PROXY_CONTAINERD_SHIM },
	{ "rootlessport", PROXY_ROOTLESS },
	{ "slirp4netns", PROXY_ROOTLESS },
	{ "pasta", PROXY_ROOTLESS },
	{ "pasta.avx2", PROXY_ROOTLESS },
};

/* The containerd namespace Docker's containers live in. */
#define DOCKER_NAMESPACE "moby"

/* The flags, as each proxy spells them (GLib's -c/--cid, Go's -flag/--flag). */
static const char *const conmon_id_flags[] = { "-c", "--cid", NULL };
static const char *const conmon_exit_flags[] = { "--exit-command", NULL };
static const char *const shim_id_flags[] = { "-id", "--id", NULL };
static const char *const shim_ns_flags[] = { "-namespace", "--namespace", NULL };
static const char *const docker_ip_flags[] = { "-container-ip", "--container-ip", NULL };
static const char *const docker_cport_flags[] = { "-container-port", "--container-port", NULL };
static const char *const docker_hport_flags[] = { "-host-port", "--host-port", NULL };
static const char *const docker_proto_flags[] = { "-proto", "--proto", NULL };

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static enum proxy_kind kind_of(const char *exe)
{
	const char *name = base_name(exe);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proxy_exes); i++)
		if (!strcmp(name, proxy_exes[i].name))
			return proxy_exes[i].kind;
	return PROXY_NONE;
}

/* The value of arg if it is one of flags given as "FLAG=VALUE", else NULL. */
static const char *joined_value(const char *arg, const char *const *flags)
{
	size_t n;

	for (; *flags; flags++) {
		n = strlen(*flags);
		if (!strncmp(arg, *flags, n) && arg[n] == '=')
			return arg + n + 1;
	}
	return NULL;
}

static bool is_flag(const char *arg, const char *const *flags)
{
	for (; *flags; flags++)
		if (!strcmp(arg, *flags))
			return true;
	return false;
}

/*
 * The value the last of flags has in the NUL-separated argv args[0..len)
 * ("FLAG VALUE" or "FLAG=VALUE"; argv[0] is never a flag), or NULL.
 */
static const char *flag_value(const char *args, size_t len, const char *const *flags)
{
	const char *arg = args, *end = args + len, *next, *v, *value = NULL;

	arg += strnlen(arg, len) + 1; /* argv[0] */
	for (; arg < end; arg = next) {
		next = arg + strnlen(arg, end - arg) + 1;
		if ((v = joined_value(arg, flags))) {
			value = v;
		} else if (is_flag(arg, flags) && next < end) {
			value = next; /* the value is no flag, even one that looks like it */
			next += strnlen(next, end - next) + 1;
		}
	}
	return value;
}

/* Copy s to buf (of size len) if it fits whole: 0, or -EINVAL. */
static int copy_whole(char *buf, size_t len, const char *s)
{
	if (!s || strlen(s) >= len)
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static bool is_container_id(const char *s)
{
	return s && cgpath_is_container_id(s, strlen(s));
}

/* A port number, digits only, 1..65535; -1 otherwise. */
static int parse_port(const char *s)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || v < 1 || v > PORT_MAX ? -1 : (int)v;
}

static bool is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static int parse_conmon(const char *args, size_t len, struct proxy_args *pa)
{
	const char *exit_cmd = flag_value(args, len, conmon_exit_flags);
	const char *id = flag_value(args, len, conmon_id_flags);

	/* podman's conmon calls podman back when the container exits; CRI-O's does not */
	if (exit_cmd && !strcmp(base_name(exit_cmd), "podman"))
		strcpy(pa->runtime, "podman");
	return is_container_id(id) ? copy_whole(pa->id, sizeof(pa->id), id) : -EINVAL;
}

static int parse_shim(const char *args, size_t len, struct proxy_args *pa)
{
	const char *id = flag_value(args, len, shim_id_flags);
	const char *ns = flag_value(args, len, shim_ns_flags);

	if (!is_container_id(id) || copy_whole(pa->ns, sizeof(pa->ns), ns ? ns : ""))
		return -EINVAL;
	strcpy(pa->runtime, !strcmp(pa->ns, DOCKER_NAMESPACE) ? "docker" : "containerd");
	return copy_whole(pa->id, sizeof(pa->id), id);
}

static int parse_docker_proxy(const char *args, size_t len, struct proxy_args *pa)
{
	const char *ip = flag_value(args, len, docker_ip_flags);
	const char *proto = flag_value(args, len, docker_proto_flags);

	strcpy(pa->runtime, "docker");
	pa->container_port = parse_port(flag_value(args, len, docker_cport_flags));
	pa->host_port = parse_port(flag_value(args, len, docker_hport_flags));
	/* docker-proxy's default protocol is tcp */
	if (copy_whole(pa->proto, sizeof(pa->proto), proto ? proto : "tcp"))
		return -EINVAL;
	if (!ip || !is_ip(ip) || pa->container_port < 0 || pa->host_port < 0)
		return -EINVAL;
	return copy_whole(pa->container_ip, sizeof(pa->container_ip), ip);
}

int proxy_parse(const char *exe, const char *args, size_t len, struct proxy_args *pa)
{
	memset(pa, 0, sizeof(*pa));
	pa->container_port = pa->host_port = -1;
	pa->kind = exe ? kind_of(exe) : PROXY_NONE;
	if (!args || !len)
		return pa->kind == PROXY_NONE ? -ENOENT : -EINVAL;
	switch (pa->kind) {
	case PROXY_CONMON:
		return parse_conmon(args, len, pa);
	case PROXY_DOCKER:
		return parse_docker_proxy(args, len, pa);
	case PROXY_CONTAINERD_SHIM:
		return parse_shim(args, len, pa);
	case PROXY_ROOTLESS:
		return 0; /* nothing in its argv names the container */
	case PROXY_NONE:
		break;
	}
	return -ENOENT;
}

/* Whether the address strings a and b are one IP address. */
static bool same_ip(const char *a, const char *b)
{
	unsigned char x[sizeof(struct in6_addr)], y[sizeof(struct in6_addr)];

	if (!a || !b)
		return false;
	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && !memcmp(x, y, sizeof(struct in_addr));
	return inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1 &&
	       !memcmp(x, y, sizeof(x));
}

/* Whether one of the container's networks gives it address ip. */
static bool has_ip(json_t *networks, const char *ip)
{
	const char *name;
	json_t *net;

	json_object_foreach(networks, name, net) {
		(void)name;
		if (same_ip(json_string_value(json_object_get(net, "IPAddress")), ip) ||
		    same_ip(json_string_value(json_object_get(net, "GlobalIPv6Address")), ip))
			return true;
	}
	return false;
}

/* Whether bindings (Docker's [{"HostIp", "HostPort"}]) hold host_port. */
static bool binds_host_port(const json_t *bindings, int host_port)
{
	size_t i;
	json_t *b;

	json_array_foreach(bindings, i, b)
		if (parse_port(json_string_value(json_object_get(b, "HostPort"))) == host_port)
			return true;
	return false;
}

bool proxy_docker_config_matches(const json_t *config, const struct proxy_args *pa)
{
	json_t *settings = json_object_get(config, "NetworkSettings");
	char key[PORT_KEY_LEN];

	snprintf(key, sizeof(key), "%d/%s", pa->container_port, pa->proto);
	return json_is_true(json_object_get(json_object_get(config, "State"), "Running")) &&
	       has_ip(json_object_get(settings, "Networks"), pa->container_ip) &&
	       binds_host_port(json_object_get(json_object_get(settings, "Ports"), key),
			       pa->host_port);
}

static bool same_string(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

int proxy_cni_container_port(const json_t *entry, const char *proto, int host_port)
{
	const json_t *maps = json_object_get(json_object_get(entry, "capabilityArgs"),
					     "portMappings");
	json_int_t cport;
	size_t i;
	json_t *m;

	json_array_foreach(maps, i, m) {
		cport = json_integer_value(json_object_get(m, "containerPort"));
		if (json_integer_value(json_object_get(m, "hostPort")) == host_port &&
		    same_string(json_string_value(json_object_get(m, "protocol")), proto) &&
		    cport >= 1 && cport <= PORT_MAX)
			return (int)cport;
	}
	return -1;
}
