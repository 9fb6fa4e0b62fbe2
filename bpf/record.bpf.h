/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record.bpf.h - build a struct bw_event from a request, its outcome and
 * the calling task.
 *
 * A record is built in two parts.  The head is cheap (the request, the
 * outcome, the pid, uid and process start): it is all a storm's key needs,
 * so a failure inside a storm's window costs no more.  The rest is costly
 * (parent, cgroup, comm, executable, argv: a probe read per pointer before
 * typed task pointers) and is read only for a record that goes out or
 * starts a storm.
 *
 * Must not: decide whether a record goes out, nor touch a map: emit.bpf.h
 * does both.  A record may be built in a buffer that held the last one (a
 * CPU's scratch): the two parts together set every field.
 */
#ifndef BW_RECORD_BPF_H
#define BW_RECORD_BPF_H

#include "capture.bpf.h"
#include "core_fixes.bpf.h"
#include "owners.bpf.h"

/* What a record's costly part takes from the current task's struct; none of it for kernel threads' argv. */
struct task_view {
	__u64 exe_ino;
	unsigned long arg_start, arg_end;
	__u32 ppid;
};

/* Read v: plain loads with typed task pointers, a probe read per field before. */
static __always_inline void read_task(struct task_view *v)
{
	struct task_struct *task;
	struct mm_struct *mm;

	if (task_btf) {
		task = bpf_get_current_task_btf();
		mm = task->mm;
		v->ppid = task->real_parent->tgid;
		if (mm) {
			v->exe_ino = mm->exe_file->f_inode->i_ino;
			v->arg_start = mm->arg_start;
			v->arg_end = mm->arg_end;
		}
		return;
	}
	task = (struct task_struct *)bpf_get_current_task();
	mm = BPF_CORE_READ(task, mm);
	v->ppid = BPF_CORE_READ(task, real_parent, tgid);
	if (mm) {
		v->exe_ino = BPF_CORE_READ(mm, exe_file, f_inode, i_ino);
		v->arg_start = BPF_CORE_READ(mm, arg_start);
		v->arg_end = BPF_CORE_READ(mm, arg_end);
	}
}

/* The current process's start, ns since boot: plain loads with typed task pointers. */
static __always_inline __u64 process_start_ns(void)
{
	if (task_btf)
		return bpf_get_current_task_btf()->group_leader->start_boottime;
	return task_start_boottime(BPF_CORE_READ((struct task_struct *)bpf_get_current_task(),
						 group_leader));
}

/*
 * The head of a record: req, its outcome ret and what the storm key needs
 * of the calling task (pid, uid, process start), all cheap.  Every field
 * fill_rest() does not set is set here, so the two leave nothing of the
 * scratch record's last call behind.
 */
static __always_inline void fill_head(struct bw_event *e, const struct bw_request *req,
				      long ret, __u8 mode, __u64 now)
{
	__u64 id = bpf_get_current_pid_tgid(), ugid = bpf_get_current_uid_gid();

	e->version = BW_ABI_VERSION;
	e->syscall = req->syscall;
	e->mode = mode;
	e->ret = ret;
	e->ts_ns = now;
	e->start_ns = process_start_ns();
	e->sock_ino = req->sock_ino;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->count = 1;
	e->kind = BW_EVENT_CALL;
	e->scope = BW_SCOPE_ADDRESS;
	e->owners_n = 0;
	e->owners_flags = 0;
	e->via = req->via;
	e->__pad = 0;
	e->sock = req->sock;
	/* a connect()'s destination came in sock.addr (capture.bpf.h) */
	if (req->syscall == BW_SYS_CONNECT) {
		__builtin_memcpy(e->daddr, req->sock.addr, sizeof(e->daddr));
		__builtin_memset(e->sock.addr, 0, sizeof(e->sock.addr));
	} else {
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	}
	e->dport = req->dport;
	e->__pad2 = 0;
	e->kstack = req->kstack;
}

/*
 * The rest, the costly part (parent, cgroup, comm, executable, argv, and
 * for a failure the sockets on the port of the requesting socket sk,
 * owners.bpf.h): only for a record that goes out or starts a storm.
 */
/*
 * Set by the loader between open and load.  Whether failures' records read
 * the port's owners: a verifier before Linux 6.4 (commit be2ef8161572,
 * "bpf: allow precision tracking for programs with subprogs") marks every
 * scalar precise at a subprogram call, so the paths through the owners walk
 * multiply; where they pass its million-instruction limit (E2BIG: 6.1's
 * did, for the fexit programs, while their frames were larger), the loader
 * loads them again without it, and userspace walks by port.
 */
const volatile bool read_owners = true;

static __always_inline void fill_rest(struct bw_event *e, const struct sock *sk)
{
	struct task_view v = {};
	unsigned long len;

	/*
	 * first: it reads sockets through e->args, which the argv then fills;
	 * a connect() has no port of its own to have owners of
	 */
	if (read_owners && e->ret < 0 && e->syscall != BW_SYS_CONNECT)
		fill_owners(e, sk);
	read_task(&v);
	e->ppid = v.ppid;
	e->exe_ino = v.exe_ino;
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* the scratch record holds the last call's argv: clear its tail */
	__builtin_memset(e->args, 0, sizeof(e->args));
	e->args_len = 0;
	len = v.arg_end - v.arg_start;
	if (len > BW_ARGS_LEN)
		len = BW_ARGS_LEN;
	if (len && !bpf_probe_read_user(e->args, len, (const void *)v.arg_start))
		e->args_len = len;
}

#endif /* BW_RECORD_BPF_H */
