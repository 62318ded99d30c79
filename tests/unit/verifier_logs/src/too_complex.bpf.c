/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Recording source (tests/unit/verifier_logs): a bounded loop whose every iteration the
 * verifier walks again (the counter differs each time, so no state is pruned), times a
 * branch per iteration: more than the 1,000,000 instructions it processes for a program. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int too_complex(struct xdp_md *ctx)
{
	__u32 acc = 0;

#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < 200000; i++) {
		if (bpf_get_prandom_u32() & 1)
			acc += i;
		else
			acc ^= i;
	}
	return acc & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
