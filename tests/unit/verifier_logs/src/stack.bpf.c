/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Recording source (tests/unit/verifier_logs): two functions of 320 stack bytes each, one
 * calling the other. clang checks each function's stack alone (<= 512); the verifier adds
 * them up along the call chain. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) __u64 inner(struct xdp_md *ctx)
{
	volatile __u64 buf[40];
	__u64 s = 0;

	for (int i = 0; i < 40; i++)
		buf[i] = ctx->rx_queue_index + i;
	for (int i = 0; i < 40; i++)
		s += buf[i];
	return s;
}

SEC("xdp")
int stack(struct xdp_md *ctx)
{
	volatile __u64 buf[40];
	__u64 s = 0;

	for (int i = 0; i < 40; i++)
		buf[i] = inner(ctx) + i;
	for (int i = 0; i < 40; i++)
		s += buf[i];
	return s & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
