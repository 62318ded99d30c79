/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A hook written the way the AF_XDP-interaction prototype of xdp-project/bpf-examples
 * writes its program (af_xdp_kern.c), to show such programs load as they are:
 *  - its one program sits in SEC("xdp_sock"), a section name libbpf 1.x no longer knows
 *    (the loader sets the type to XDP before load);
 *  - two packed, 4-byte aligned hint structs, used only through a local pointer into the
 *    metadata area, each ending in the u32 btf_id that bpf_core_type_id_local() gives (the
 *    CO-RE relocation is what keeps them in .BTF);
 *  - the layouts alternate packet by packet on a per-CPU counter (rx_time, mark, ...);
 *  - statistics in its own per-CPU array, not our hook_stats.
 *
 *   xdp-hints dump eth1 --hook-object build/bpf/byo_xdp_sock.bpf.o --json
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 64);
} xdp_stats_map SEC(".maps");

struct xdp_hints_mark {
	__u32 mark;
	__u32 btf_id;
} __attribute__((aligned(4))) __attribute__((packed));

struct xdp_hints_rx_time {
	__u64 rx_ktime;
	__u32 xdp_rx_cpu;
	__u32 btf_id;
} __attribute__((aligned(4))) __attribute__((packed));

/* Both return 0, or < 0 when there is no room for the struct. */
static __always_inline int put_rx_time(struct xdp_md *ctx)
{
	struct xdp_hints_rx_time *h;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*h)))
		return -1;
	h = (void *)(long)ctx->data_meta;
	if ((void *)(h + 1) > (void *)(long)ctx->data)
		return -2;
	h->rx_ktime = bpf_ktime_get_ns();
	h->xdp_rx_cpu = bpf_get_smp_processor_id();
	h->btf_id = bpf_core_type_id_local(struct xdp_hints_rx_time);
	return 0;
}

static __always_inline int put_mark(struct xdp_md *ctx, __u32 mark)
{
	struct xdp_hints_mark *h;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*h)))
		return -1;
	h = (void *)(long)ctx->data_meta;
	if ((void *)(h + 1) > (void *)(long)ctx->data)
		return -2;
	h->mark = mark;
	h->btf_id = bpf_core_type_id_local(struct xdp_hints_mark);
	return 0;
}

SEC("xdp_sock")
int xdp_sock_prog(struct xdp_md *ctx)
{
	int queue = ctx->rx_queue_index;
	__u32 *seen = bpf_map_lookup_elem(&xdp_stats_map, &queue);
	int err;

	if (!seen)
		return XDP_ABORTED;
	/* Every other packet gets the other struct: one program, two layouts. */
	err = (*seen)++ % 2 == 0 ? put_rx_time(ctx) : put_mark(ctx, 42);
	if (err)
		return XDP_PASS; /* no struct written: never redirected (the wire rule) */
	if (bpf_map_lookup_elem(&xsks_map, &queue))
		return bpf_redirect_map(&xsks_map, queue, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
