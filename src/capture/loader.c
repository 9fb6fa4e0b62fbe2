// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader.c - the ladder of capture modes, and everything between
 * bpf_object open and a running set of attached programs.
 *
 * It owns the BPF objects, their maps and the capture mode; it must not
 * interpret records.
 *
 * fexit costs nothing outside bind()/listen(), and neither do the cgroup
 * hooks (they run on binds, and the state tracepoint on TCP state changes),
 * while any syscall tracepoint sends every system call of every thread
 * down the slow path; so auto mode tries fexit first and falls back to
 * the tracepoints.  The cgroup mode is taken only when asked for, until
 * it passes the whole end-to-end suite (two storm tests fail in it).  Whether a mode works is learned by
 * loading and attaching it, never from the kernel version: kernels with
 * trampolines may still refuse them (lockdown, a security module, a
 * hypervisor policy), and the cgroup mode needs a cgroup2 mount.  The
 * unused flavours are switched off with bpf_program__set_autoload() so
 * they cost nothing.
 *
 * In auto mode the question is first put to the kernel with one empty fexit
 * program (bpf/fexit_probe.bpf.c) through a light skeleton, which the
 * kernel relocates and attaches from its own BTF: a refusal then costs a
 * few milliseconds instead of libbpf parsing the kernel's whole BTF (~90
 * ms) for the full flavour.  The probe only skips the fexit attempt when
 * the light loader itself is known to work (a sleepable syscall program
 * loads), so an old kernel without it still tries fexit the full way.
 *
 * Flow: open (with --btf) -> set .rodata and map sizes -> load -> fill the
 * filter maps -> mount tracefs if the tracepoints need it -> attach.
 *
 * The storm table is shared out here: STORMS_MAX storms in all, at most
 * 1/STORM_SHARES of them for one uid, plus room for one aggregate per uid
 * of the UIDS_MAX the kernel keeps a share and a rate limit for.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bindwatch.skel.h"
#include "fexit_probe.lskel.h"
#include "cgroup.h"
#include "loader.h"
#include "log.h"
#include "privs.h"
#include "util.h"

/*
 * The ring holds what the reader has not taken yet: a record is 400 bytes.
 * The default rate limit lets one uid send RATE_BURST (100) at once, then
 * 20 a second; without it (--rate-limit 0) one process's burst of distinct
 * storms is what fills the ring: the end-to-end test trust_storm_table_fill
 * (34,000 failures on distinct addresses and ports, one process) sends
 * ~1,750 records (0.7 MB) at once, and measured, a 512 KiB ring lost
 * records, 1 MiB none; 2 MiB keeps three times that burst.  Its pages
 * count in the monitor's resident memory once written, twice (the kernel
 * maps the data area twice for wraparound): 4 MiB cost up to 8 MiB.
 */
#define RINGBUF_BYTES (2U << 20)
#define WAKEUP_INTERVAL_NS (5 * 1000 * 1000ULL) /* at most ~200 wakeups/s; < BUSY_POLL_MS */
#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define STORMS_MAX 16384  /* storms at once, of all uids */
#define STORM_SHARES 8    /* one uid may hold 1/STORM_SHARES of them */
#define UIDS_MAX 4096     /* uids with a share and a rate limit; beyond, neither */

/*
 * libbpf resolves tracepoint ids through tracefs, unmounted on some hosts.
 * Whether it is mounted is asked of the file system itself (statfs), not
 * with access(): the mount point is root's, mode 0700, and access() judges
 * a capability-only run by its uid alone.  Reading it then takes
 * CAP_DAC_READ_SEARCH (or uid 0); mounting it, CAP_SYS_ADMIN.
 */
static bool is_tracefs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == TRACEFS_MAGIC;
}

static int ensure_tracefs(void)
{
	int err;

	if (is_tracefs(TRACEFS) || is_tracefs(DEBUGFS_TRACING))
		return 0;
	if (!privs_have(CAP_SYS_ADMIN)) {
		warn("tracefs is not mounted on %s, and mounting it needs CAP_SYS_ADMIN: "
		     "mount it first (mount -t tracefs tracefs %s) or use --mode fexit",
		     TRACEFS, TRACEFS);
		return -EPERM;
	}
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		err = -errno;
		warn("cannot mount tracefs on %s: %s", TRACEFS, strerror(-err));
		return err;
	}
	return 0;
}

static void detach_cgroup(struct bw_loader *l)
{
	size_t i;

	for (i = 0; i < CGROUP_LINKS; i++) {
		bpf_link__destroy(l->cgroup_links[i]);
		l->cgroup_links[i] = NULL;
	}
}

/* The cgroup flavour's programs attached to the root cgroup, by the loader (libbpf cannot). */
static struct bpf_program **cgroup_progs(struct bindwatch_bpf *skel, size_t i)
{
	struct bpf_program **progs[CGROUP_LINKS] = {
		&skel->progs.cg_bind4, &skel->progs.cg_bind6, &skel->progs.cg_post_bind4,
		&skel->progs.cg_post_bind6, &skel->progs.cg_sock_release,
	};

	return progs[i];
}

/*
 * The programs of mode; with the tracepoints, io_uring's completions too
 * if uring; connect() out of ephemeral ports too if connect (fexit: on the
 * port-picking functions; tracepoint: sys_exit_connect).
 */
static void set_flavour(struct bindwatch_bpf *skel, enum bw_mode mode, bool uring, bool connect)
{
	bool fexit = mode == BW_MODE_FEXIT, tp = mode == BW_MODE_TRACEPOINT;
	bool cg = mode == BW_MODE_CGROUP;
	size_t i;

	bpf_program__set_autoload(skel->progs.fexit_inet_bind, fexit);
	bpf_program__set_autoload(skel->progs.fexit_inet6_bind, fexit);
	bpf_program__set_autoload(skel->progs.fexit_inet_listen, fexit);
	bpf_program__set_autoload(skel->progs.fexit_inet_hash_connect, fexit && connect);
	bpf_program__set_autoload(skel->progs.fexit_inet6_hash_connect, fexit && connect);
	bpf_program__set_autoload(skel->progs.tp_enter_bind, tp);
	bpf_program__set_autoload(skel->progs.tp_exit_bind, tp);
	bpf_program__set_autoload(skel->progs.tp_enter_listen, tp);
	bpf_program__set_autoload(skel->progs.tp_exit_listen, tp);
	bpf_program__set_autoload(skel->progs.tp_exit_connect, tp && connect);
	bpf_program__set_autoload(skel->progs.tp_uring_complete, tp && uring);
	for (i = 0; i < CGROUP_LINKS; i++)
		bpf_program__set_autoload(*cgroup_progs(skel, i), cg);
	bpf_program__set_autoload(skel->progs.cg_listen_state, cg);
	bpf_program__set_autoload(skel->progs.sweep_pending, cg);
}

/*
 * Attach the cgroup flavour's programs to the root of the cgroup2 mount,
 * with links: every socket of the host runs them (a descendant's own
 * programs run as well, links never override), and they go with
 * bindwatch.  0 or -errno, nothing left attached then.
 */
static int attach_cgroup(struct bw_loader *l)
{
	int fd = cgroup_root_fd(), err;
	size_t i;

	if (fd < 0) {
		note("cgroup mode: no cgroup2 mount to attach to");
		return fd;
	}
	for (i = 0; i < CGROUP_LINKS; i++) {
		l->cgroup_links[i] = bpf_program__attach_cgroup(*cgroup_progs(l->skel, i), fd);
		if (!l->cgroup_links[i]) {
			err = -errno;
			note("cgroup mode: cannot attach %s to the root cgroup: %s",
				bpf_program__name(*cgroup_progs(l->skel, i)), strerror(-err));
			detach_cgroup(l);
			return err;
		}
	}
	return 0;
}

/*
 * Where the tracepoint flavour parks a request between entry and exit: the
 * task's local storage where tracing programs may use it (Linux 5.13; the
 * map type alone came in 5.11, for BPF LSM programs only), and with it
 * typed task pointers (5.11), else the "inflight" hash.  Both are asked of
 * the kernel: the map type by creating one, the helper by loading a
 * tracepoint program that calls it.  The map not used is cut to one
 * entry, and nothing reads it; task storage, which older kernels cannot
 * create, becomes an array.  BINDWATCH_TEST_NO_TASK_STORAGE=1 in the
 * environment takes the older kernels' way here too, so that the tests
 * run it on this one.
 */
static int park_requests(struct bindwatch_bpf *skel)
{
	struct bpf_map *unused = skel->maps.inflight;
	int err;

	skel->rodata->task_btf = !getenv("BINDWATCH_TEST_NO_TASK_STORAGE") &&
		libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) > 0 &&
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_storage_get,
					NULL) > 0 &&
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_task_btf,
					NULL) > 0;
	if (!skel->rodata->task_btf) {
		unused = skel->maps.requests;
		err = bpf_map__set_type(unused, BPF_MAP_TYPE_ARRAY);
		if (!err)
			err = bpf_map__set_map_flags(unused, 0);
		if (err)
			return err;
	}
	return bpf_map__set_max_entries(unused, 1);
}

/* Everything decided before load: .rodata, map sizes, which flavour. */
static int configure(struct bindwatch_bpf *skel, const struct capture_config *o,
		     enum bw_mode mode, bool uring, bool connect, bool owners)
{
	struct bindwatch_bpf__rodata *ro = skel->rodata;
	int err;

	ro->read_owners = owners;
	/* successful binds always: the ledger remembers who bound what */
	ro->report = o->report | BW_REPORT_BINDS;
	ro->wakeup_interval_ns = WAKEUP_INTERVAL_NS;
	ro->wakeup_bytes = RINGBUF_BYTES / 4;
	ro->window_ns = o->window_ms * 1000000ULL;
	ro->storms_max = STORMS_MAX;
	ro->storm_quota = STORMS_MAX / STORM_SHARES;
	if (o->rate_limit) {
		ro->rate_interval_ns = NSEC_PER_SEC / o->rate_limit;
		ro->rate_tolerance_ns = (o->rate_burst - 1) * ro->rate_interval_ns;
	}
	if (o->port_filter) {
		ro->filters |= BW_FILTER_PORT;
		memcpy((void *)ro->port_bitmap, o->ports, sizeof(o->ports));
	}
	if (o->npids)
		ro->filters |= BW_FILTER_PID;
	if (o->ncomms)
		ro->filters |= BW_FILTER_COMM;
	if (o->cgroup_path) {
		uint64_t id;
		unsigned int level;

		err = cgroup_id_from_path(o->cgroup_path, &id, &level);
		if (err) {
			warn("--cgroup: '%s': not a cgroup v2 directory: %s",
			     o->cgroup_path, strerror(-err));
			return err;
		}
		ro->filters |= BW_FILTER_CGROUP;
		ro->filter_cgroup_id = id;
		ro->filter_cgroup_level = level;
	}
	set_flavour(skel, mode, uring, connect);
	err = park_requests(skel);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.events, RINGBUF_BYTES);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.storms, STORMS_MAX + UIDS_MAX);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.uids, UIDS_MAX);
	/* only fexit sees the kernel's own binds, whose stacks it keeps */
	if (!err && mode != BW_MODE_FEXIT)
		err = bpf_map__set_max_entries(skel->maps.kstacks, 1);
	if (!err && o->npids)
		err = bpf_map__set_max_entries(skel->maps.pid_filter, o->npids);
	if (!err && o->ncomms)
		err = bpf_map__set_max_entries(skel->maps.comm_filter, o->ncomms);
	return err;
}

static int fill_filters(struct bindwatch_bpf *skel, const struct capture_config *o)
{
	__u8 one = 1;
	size_t i;
	int err;

	for (i = 0; i < o->npids; i++) {
		err = bpf_map__update_elem(skel->maps.pid_filter, &o->pids[i],
					   sizeof(o->pids[i]), &one, sizeof(one), BPF_ANY);
		if (err)
			return err;
	}
	for (i = 0; i < o->ncomms; i++) {
		err = bpf_map__update_elem(skel->maps.comm_filter, o->comms[i],
					   BW_COMM_LEN, &one, sizeof(one), BPF_ANY);
		if (err)
			return err;
	}
	return 0;
}

/* Try one flavour of mode from scratch (set_flavour()); on failure nothing is left loaded. */
static int try_flavour(struct bw_loader *l, const struct capture_config *o, enum bw_mode mode,
		       bool uring, bool connect, bool owners)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = o->btf_path);
	struct bindwatch_bpf *skel = bindwatch_bpf__open_opts(&oo);
	int err;

	if (!skel)
		return -errno;
	err = configure(skel, o, mode, uring, connect, owners);
	if (!err)
		err = bindwatch_bpf__load(skel);
	if (!err)
		err = fill_filters(skel, o);
	if (!err && mode == BW_MODE_TRACEPOINT)
		err = ensure_tracefs();
	if (!err)
		err = bindwatch_bpf__attach(skel);
	l->skel = skel;
	if (!err && mode == BW_MODE_CGROUP)
		err = attach_cgroup(l);
	if (err) {
		bindwatch_bpf__destroy(skel);
		l->skel = NULL;
		return err;
	}
	l->mode = mode;
	l->connect = connect;
	return 0;
}

/*
 * Whether the tracepoint flavour can see connect(): its exit program reads
 * the call's arguments through bpf_task_pt_regs() (Linux 5.15).
 */
static bool sys_connect_seen(void)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_task_pt_regs, NULL) > 0 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_task_btf,
				       NULL) > 0;
}

/* Where and why a mode loaded without the connect() programs does not see connect(). */
static const char *connect_unseen(enum bw_mode mode)
{
	if (mode == BW_MODE_FEXIT)
		return "fexit mode on this kernel";
	if (mode == BW_MODE_CGROUP)
		return "cgroup mode (it attaches no syscall tracepoint)";
	return "tracepoint mode on this kernel (it needs bpf_task_pt_regs(), Linux 5.15)";
}

/*
 * Try mode (with io_uring's completions if uring) with connect() seen
 * where it can be: always in fexit mode (a comparison per TCP connect()),
 * with --ephemeral in tracepoint mode (a syscall tracepoint more), never
 * in cgroup mode.  Where the kernel refuses those programs alone, the
 * mode is tried without them, and said.
 */
static int try_mode(struct bw_loader *l, const struct capture_config *o, enum bw_mode mode,
		    bool uring)
{
	bool connect = mode == BW_MODE_FEXIT ||
		       (mode == BW_MODE_TRACEPOINT && o->ephemeral && sys_connect_seen());
	bool owners = true;
	int err = try_flavour(l, o, mode, uring, connect, owners);

	if (err == -E2BIG) {
		/* the verifier gave up (before Linux 6.4): record.bpf.h, read_owners */
		note("the kernel's verifier gave up on reading a port's owners at the failing "
		     "call (%s); loading without: holders are found by walks", strerror(-err));
		owners = false;
		err = try_flavour(l, o, mode, uring, connect, owners);
	}
	if (err && connect)
		err = try_flavour(l, o, mode, uring, false, owners);
	if (!err && !l->connect && (mode == BW_MODE_FEXIT || o->ephemeral))
		warn("connect() out of ephemeral ports is not seen in %s", connect_unseen(mode));
	return err;
}

/* Whether the kernel loads a light skeleton's loader: a sleepable syscall program. */
static bool light_loader_works(void)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = BPF_F_SLEEPABLE);
	int fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, NULL, "GPL", ret0, ARRAY_SIZE(ret0), &opts);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The kernel refused the probe's fexit program (load or attach). */
static bool fexit_refused(void)
{
	struct fexit_probe_lbpf *probe;
	bool refused;

	if (!light_loader_works())
		return false;
	probe = fexit_probe_lbpf__open_and_load();
	refused = !probe || fexit_probe_lbpf__attach(probe) < 0;
	if (probe)
		fexit_probe_lbpf__destroy(probe);
	return refused;
}

/*
 * The tracepoint flavour, with io_uring's completions (bpf/uring.bpf.h),
 * else without them: a kernel without io_uring's BTF tracepoint (built
 * without io_uring) refuses the whole load for that one program, and the
 * system calls are still worth watching.  Either way, what this mode
 * cannot see is said once, with -v.
 */
static int start_tracepoints(struct bw_loader *l, const struct capture_config *o)
{
	int err = try_mode(l, o, BW_MODE_TRACEPOINT, true);

	if (err) {
		if (try_mode(l, o, BW_MODE_TRACEPOINT, false))
			return err;
		note("tracepoint mode: io_uring binds and listens are not seen: the kernel refused "
		     "tp_btf/io_uring_complete (%s)", strerror(-err));
	}
	note("tracepoint mode: binds the kernel makes on its own sockets (VXLAN, Geneve, "
	     "WireGuard, sunrpc, ...) are not seen; fexit mode sees them");
	return 0;
}

int loader_start(struct bw_loader *l, const struct capture_config *o)
{
	int err;

	if (!o->btf_path && access(KERNEL_BTF, R_OK)) {
		warn("this kernel exposes no BTF at %s; pass a BTF file for it with --btf FILE",
		     KERNEL_BTF);
		return -ENOENT;
	}
	if (o->btf_path && access(o->btf_path, R_OK)) {
		err = -errno;
		warn("--btf: '%s': %s", o->btf_path, strerror(-err));
		return err;
	}
	/*
	 * Both modes send records through a ring buffer (Linux 5.8): without
	 * one, each load would fail with an EINVAL that names no cause.
	 */
	if (!libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL)) {
		warn("this kernel has no BPF ring buffer maps; bindwatch needs Linux 5.8 or later");
		return -EOPNOTSUPP;
	}
	if (o->mode == MODE_AUTO || o->mode == BW_MODE_FEXIT) {
		/* --btf: a kernel without BTF of its own cannot relocate the probe */
		if (o->mode == MODE_AUTO && !o->btf_path && fexit_refused())
			err = -EPERM;
		else
			err = try_mode(l, o, BW_MODE_FEXIT, false);
		if (!err || o->mode == BW_MODE_FEXIT) {
			if (err)
				warn("fexit mode unavailable: the kernel refused the fexit programs (%s); "
				     "--mode cgroup and --mode tracepoint work without BPF trampolines",
				     strerror(-err));
			return err;
		}
		note("fexit mode unavailable (%s): falling back to tracepoint mode; cgroup mode "
		     "is not exact yet for storms (see bindwatch(8)) and is taken only when asked for",
		     strerror(-err));
	}
	if (o->mode == BW_MODE_CGROUP) {
		err = try_mode(l, o, BW_MODE_CGROUP, false);
		if (err)
			warn("cgroup mode unavailable: %s (run with -v for why); "
			     "--mode tracepoint works without it", strerror(-err));
		return err;
	}
	err = start_tracepoints(l, o);
	if (err)
		warn("cannot load and attach the tracepoint programs: %s (run with -v for libbpf's log)",
		     strerror(-err));
	return err;
}

void loader_detach(struct bw_loader *l)
{
	detach_cgroup(l);
	if (l->skel)
		bindwatch_bpf__detach(l->skel);
}

void loader_destroy(struct bw_loader *l)
{
	detach_cgroup(l);
	bindwatch_bpf__destroy(l->skel);
	l->skel = NULL;
}

int loader_flush(const struct bw_loader *l, bool all)
{
	struct bw_flush_args args = { .all = all };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(l->skel->progs.flush_storms), &opts))
		return -errno;
	return 0;
}

bool loader_pending(const struct bw_loader *l)
{
	return l->mode == BW_MODE_CGROUP && *(volatile __u64 *)&l->skel->bss->pending_n;
}

int loader_sweep(const struct bw_loader *l)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(l->skel->progs.sweep_pending), &opts))
		return -errno;
	return 0;
}

void loader_set_expect(const struct bw_loader *l, const uint64_t ports[BW_PORT_WORDS])
{
	struct bindwatch_bpf__bss *bss = l->skel->bss;
	__u32 set = 0;
	size_t i;

	/* word by word: a call meanwhile sees the old or the new bit of its port */
	for (i = 0; i < BW_PORT_WORDS; i++) {
		bss->expect_ports[i] = ports ? ports[i] : 0;
		set |= bss->expect_ports[i] != 0;
	}
	bss->expect_ports_set = set;
}

int loader_kstack(const struct bw_loader *l, uint32_t kstack, uint64_t ips[BW_KSTACK_DEPTH])
{
	__u32 id = kstack - 1;
	int n;

	if (!kstack)
		return -ENOENT;
	memset(ips, 0, BW_KSTACK_DEPTH * sizeof(*ips));
	if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.kstacks), &id, ips))
		return -errno;
	for (n = 0; n < BW_KSTACK_DEPTH && ips[n]; n++)
		;
	return n;
}

int loader_ringbuf_fd(const struct bw_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

/*
 * Calls the kernel skipped a capture program for because it was already
 * running on that CPU (an fexit program preempted halfway): each may have
 * been a failure, so each counts as lost.
 */
static uint64_t recursion_misses(const struct bw_loader *l)
{
	struct bpf_program *prog;
	uint64_t misses = 0;

	bpf_object__for_each_program(prog, l->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		if (fd >= 0 && prog != l->skel->progs.flush_storms &&
		    prog != l->skel->progs.sweep_pending &&
		    !bpf_obj_get_info_by_fd(fd, &info, &len))
			misses += info.recursion_misses;
	}
	return misses;
}

int loader_stats(const struct bw_loader *l, uint64_t stats[BW_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->skel->maps.stats);
	__u64 *vals;
	__u32 key;
	int cpu, err = 0;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (key = 0; key < BW_STAT_MAX && !err; key++) {
		if (bpf_map_lookup_elem(fd, &key, vals)) {
			err = -errno;
			break;
		}
		stats[key] = 0;
		for (cpu = 0; cpu < ncpu; cpu++)
			stats[key] += vals[cpu];
	}
	free(vals);
	if (!err)
		stats[BW_STAT_LOST] += recursion_misses(l);
	return err;
}
