/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * proxy.h - a container runtime's port proxy among a port's holders, and
 * the container it holds the port for.
 */
#ifndef BW_PROXY_H
#define BW_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "cgpath.h"

struct proc_info;
struct workload;

enum proxy_kind {
	PROXY_NONE,
	PROXY_CONMON,          /* podman's and CRI-O's monitor: -c/--cid ID */
	PROXY_DOCKER,          /* docker-proxy: -container-ip IP -container-port P */
	PROXY_CONTAINERD_SHIM, /* containerd-shim-runc-v2 -namespace NS -id ID */
	PROXY_ROOTLESS,        /* rootlessport, slirp4netns, pasta: no container id in argv */
};

#define PROXY_IP_LEN 46       /* INET6_ADDRSTRLEN */
#define PROXY_NAMESPACE_LEN 64 /* a containerd namespace, as ctr and the CRI name them */
#define PROXY_RUNTIME_LEN 16   /* WORKLOAD_RUNTIME_LEN */

/* What a proxy's argv says. */
struct proxy_args {
	enum proxy_kind kind;
	char runtime[PROXY_RUNTIME_LEN]; /* as workload.h names runtimes; "" when argv cannot tell */
	char id[CG_CONTAINER_ID_LEN + 1]; /* conmon's, a shim's container id; "" */
	char ns[PROXY_NAMESPACE_LEN];     /* a shim's containerd namespace; "" */
	char container_ip[PROXY_IP_LEN];  /* docker-proxy's; "" */
	char proto[8];                    /* docker-proxy's -proto: "tcp", "udp"; "" */
	int container_port;               /* docker-proxy's; -1 unknown */
	int host_port;                    /* docker-proxy's; -1 unknown */
};

/*
 * What the argv args[0..len) (NUL-separated, as /proc/PID/cmdline) of a
 * process running executable exe (a path) says, if exe is a proxy's: 0,
 * or -ENOENT when exe is no proxy's, -EINVAL when its argv lacks what
 * names the container (a conmon without -c, a docker-proxy without a
 * well-formed -container-ip).  Pure: whether the process may be believed
 * is proxy_workload()'s question.
 */
int proxy_parse(const char *exe, const char *args, size_t len, struct proxy_args *pa);

/*
 * Whether Docker's config.v2.json of a container, as parsed, says it runs
 * with pa's container IP and publishes pa's container port to pa's host
 * port.
 */
bool proxy_docker_config_matches(const json_t *config, const struct proxy_args *pa);

/*
 * The container port a CNI cache entry (libcni's cniCacheV1 JSON, as
 * parsed) maps host_port of protocol proto ("tcp", "udp") to; -1 when it
 * maps none.
 */
int proxy_cni_container_port(const json_t *entry, const char *proto, int host_port);

/*
 * The workload a holder is the proxy of, when the process pi describes
 * (pid pid, read with PROCINFO_CMDLINE | PROCINFO_IDENTITY) is a runtime's
 * proxy and may be believed, holding port of protocol (IPPROTO_*): a new
 * object (workload_free()), or NULL.
 */
struct workload *proxy_workload(const struct proc_info *pi, uint32_t pid, int protocol,
				int port);

#endif /* BW_PROXY_H */
