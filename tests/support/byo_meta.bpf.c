/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Test hook: a fixed 40-byte struct xdp_meta, no kfuncs (so it loads on Linux 6.1, whose
 * XDP metadata limit is 32 bytes), and the hook_stats counters of the built-in hooks
 * (0 rx, 1 meta_failed, 2 redirected). With -DMETA_EXTRA=N it asks bpf_xdp_adjust_meta for N
 * bytes more than the struct, so with N = 256 every metadata write fails on every kernel:
 * a hook whose writes fail at run time, passing every packet to the stack.
 *
 *   xdp-hints dump IF --hook-object build/tests/byo_meta40.bpf.o --layout xdp_meta
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#ifndef META_EXTRA
#define META_EXTRA 0
#endif

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	__type(value, __u64);
} hook_stats SEC(".maps");

struct xdp_meta {
	__u64 rx_timestamp;
	__u64 pad[4];
};

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&hook_stats, &idx);
	if (v)
		*v += 1;
}

/* Taking the struct as a parameter keeps it in BTF (clang drops types only locals use). */
static __attribute__((noinline)) int fill(struct xdp_meta *meta)
{
	meta->rx_timestamp = bpf_ktime_get_ns();
	return 0;
}

SEC("xdp")
int byo_meta(struct xdp_md *ctx)
{
	struct xdp_meta meta = {}, *m;
	__u32 queue = ctx->rx_queue_index;

	count(0);
	fill(&meta);
	if (bpf_xdp_adjust_meta(ctx, -(int)(sizeof(meta) + META_EXTRA))) {
		count(1);
		return XDP_PASS;
	}
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data) {
		count(1);
		return XDP_PASS;
	}
	*m = meta;
	count(2);
	return bpf_redirect_map(&xsk, queue, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
