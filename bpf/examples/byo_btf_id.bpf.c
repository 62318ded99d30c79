/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A hook of "someone else's", in the convention of the AF_XDP-interaction prototype in
 * xdp-project/bpf-examples: no kfuncs, a struct xdp_hints_* whose last member is the u32
 * btf_id (the struct's type id in this object's BTF). Works on any driver, generic mode too.
 *
 *   xdp-hints dump eth1 --hook-object build/bpf/byo_btf_id.bpf.o --json
 *
 * The contract (README, "Bring your own hook"): one SEC("xdp") program, one XSKMAP (the
 * library inserts its sockets, key = queue id), hint structs by the discovery rule, the id
 * as the last member, ending the struct; and the wire rule: every frame it redirects
 * carries metadata written for it (here the struct, always), a frame it cannot write is
 * passed, not redirected.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} my_sockets SEC(".maps");

struct xdp_hints_rx_time {
	__u64 rx_ktime;      /* CLOCK_MONOTONIC when the program ran */
	__u32 xdp_rxq_index;
	__u32 btf_id;        /* last: ends at ctx->data */
} __attribute__((aligned(4)));

SEC("xdp")
int byo_btf_id(struct xdp_md *ctx)
{
	struct xdp_hints_rx_time h = {}, *m;
	__u32 queue = ctx->rx_queue_index;

	h.rx_ktime = bpf_ktime_get_ns();
	h.xdp_rxq_index = queue;
	h.btf_id = bpf_core_type_id_local(struct xdp_hints_rx_time);
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(h)))
		return XDP_PASS;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	*m = h;
	return bpf_redirect_map(&my_sockets, queue, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
