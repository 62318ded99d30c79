/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A fixed-layout hook in the style of the kernel selftest xdp_hw_metadata: it writes one
 * struct xdp_meta and no id, so every packet is decoded with that struct, named on the
 * command line. It calls the RX metadata kfuncs, so it is loaded device-bound. With no id
 * nothing tells a frame written for this packet from a stale one, so it writes the struct
 * into every frame it redirects (the wire rule) and passes a frame it cannot write.
 *
 *   xdp-hints dump eth1 --hook-object build/bpf/byo_fixed.bpf.o --layout xdp_meta --json
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsk SEC(".maps");

struct xdp_meta {
	__u64 rx_timestamp;
	__u64 xdp_timestamp;
	__u32 rx_hash;
	__u32 rx_hash_type;
};

/* Taking the struct as a parameter keeps it in BTF (clang drops types only locals use). */
static __attribute__((noinline)) int fill(struct xdp_meta *meta, struct xdp_md *ctx)
{
	meta->xdp_timestamp = bpf_ktime_get_tai_ns();
	bpf_xdp_metadata_rx_timestamp(ctx, &meta->rx_timestamp);
	return bpf_xdp_metadata_rx_hash(ctx, &meta->rx_hash, (enum xdp_rss_hash_type *)&meta->rx_hash_type);
}

SEC("xdp")
int byo_fixed(struct xdp_md *ctx)
{
	struct xdp_meta meta = {}, *m;
	__u32 queue = ctx->rx_queue_index;

	fill(&meta, ctx);
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(meta)))
		return XDP_PASS;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	*m = meta;
	return bpf_redirect_map(&xsk, queue, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
