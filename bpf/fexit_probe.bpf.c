// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fexit_probe.bpf.c - one empty fexit program on inet_bind, loaded and
 * attached as a light skeleton (src/capture/loader.c) before the capture
 * programs in auto mode: a kernel that refuses BPF trampolines refuses it
 * in a few milliseconds, where refusing the full fexit flavour of
 * bindwatch.bpf.c first costs libbpf a parse of the kernel's whole BTF.
 * It never runs for long: it is detached at once.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("fexit/inet_bind")
int BPF_PROG(fexit_probe)
{
	return 0;
}
