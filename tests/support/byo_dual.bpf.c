/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Test hook of "your own" that carries both transports (xdp_hints/transport.bpf.h): the
 * loader picks meta or prefix for the running kernel, as for the built-in hooks. No kfuncs
 * (so it loads anywhere XDP runs): a layout with a per-packet sequence number and the
 * frame's length as the hook saw it, so user space can check each frame got its own.
 *
 *   xdp-hints dump IF --hook-object build/tests/byo_dual.bpf.o [--transport prefix]
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <xdp_hints/transport.bpf.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seqs SEC(".maps");

__u32 xdp_hints_btf_obj_id;

struct xdp_hints_dual {
	__u64 seq;
	__u32 frame_len;
	__u32 pad;
	__u64 btf_full_id;
} __attribute__((aligned(8)));

#define PREFIX_LEN 24
_Static_assert(sizeof(struct xdp_hints_dual) == PREFIX_LEN, "the prefix is the layout");
const volatile __u32 xdp_hints_transport = XDP_HINTS_TRANSPORT_META;
const volatile __u32 xdp_hints_prefix_len = PREFIX_LEN;

SEC("xdp")
int byo_dual(struct xdp_md *ctx)
{
	struct xdp_hints_dual l = {};
	__u32 queue = ctx->rx_queue_index, zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&seqs, &zero);

	if (!seq || !bpf_map_lookup_elem(&xsk, &queue))
		return XDP_PASS;
	l.seq = (*seq)++;
	l.frame_len = ctx->data_end - ctx->data;
	l.btf_full_id = ((__u64)xdp_hints_btf_obj_id << 32) | bpf_core_type_id_local(struct xdp_hints_dual);
	if (xdp_hints_write(ctx, &l, sizeof(l), xdp_hints_transport, PREFIX_LEN))
		return XDP_PASS;
	return bpf_redirect_map(&xsk, queue, xdp_hints_transport == XDP_HINTS_TRANSPORT_PREFIX ? 0 : XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
