/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Recording source (tests/unit/verifier_logs): a bounded loop without a branch of its own
 * (the counter is known, so the loop test never forks): the verifier walks it straight
 * through and stops at the 1,000,000 instructions it processes for a program. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int too_long(struct xdp_md *ctx)
{
	__u64 acc = bpf_get_prandom_u32();

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < 400000; i++)
		acc = acc * 31 + i;
	return acc & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
