/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The benchmark's plain XDP programs for the receiving veth:
 *   bench_drop  XDP_DROP: the ceiling of the generator -> veth -> XDP pipe (xdp_drop);
 *   bench_pass  XDP_PASS: frames go to the stack, where AF_PACKET sees them (af_packet).
 * veth accepts redirected frames only while some XDP program is attached, so the
 * af_packet variant needs one even though it does nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
