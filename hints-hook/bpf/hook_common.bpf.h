/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared body of the per-driver hints hooks. A driver's hook defines which XDP RX
 * metadata kfuncs the driver implements and the name of its hint struct, then includes
 * this file:
 *
 *     #define HOOK_STRUCT    xdp_hints_veth
 *     #define HOOK_TIMESTAMP 1
 *     #define HOOK_HASH      1
 *     #define HOOK_VLAN      1
 *     #include "hook_common.bpf.h"
 *
 * The hook writes struct HOOK_STRUCT so that it ends exactly at ctx->data (its last member
 * is the id, at data - 8), then redirects to the AF_XDP socket of the packet's RX queue.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <xdp_hints/hints.h>

#ifndef ENODATA
#define ENODATA 61
#endif
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym __weak;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym __weak;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* What the hook did, per CPU. Indexes: enum hook_counter. */
enum hook_counter {
	HOOK_RX = 0,          /* packets seen */
	HOOK_META_FAILED = 1, /* bpf_xdp_adjust_meta refused: passed to the stack, not to AF_XDP */
	HOOK_REDIRECTED = 2,  /* handed to an AF_XDP socket */
	HOOK_COUNTERS = 3,
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HOOK_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} hook_stats SEC(".maps");

/* BTF object id of this program's BTF in the kernel; set by the loader after load and
 * before attach, so every packet carries a globally unique layout id. */
__u32 xdp_hints_btf_obj_id;

static __always_inline void hook_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&hook_stats, &idx);
	if (v)
		*v += 1;
}

static __always_inline __u16 hook_state(int err)
{
	if (err == 0)
		return XDP_HINTS_STATE_OK;
	if (err == -EOPNOTSUPP)
		return XDP_HINTS_STATE_UNSUPPORTED;
	return XDP_HINTS_STATE_NODATA;
}

struct HOOK_STRUCT {
#if HOOK_TIMESTAMP
	__u64 rx_timestamp;
#endif
#if HOOK_HASH
	__u32 rx_hash;
	enum xdp_rss_hash_type rx_hash_type;
#endif
#if HOOK_VLAN
	__u16 rx_vlan_tci;
	__u16 rx_vlan_proto; /* host byte order */
#endif
	struct xdp_hints_valid valid;
	struct xdp_hints_status status;
	__u64 btf_full_id; /* last: ends at ctx->data */
} __attribute__((aligned(8)));

_Static_assert(sizeof(struct HOOK_STRUCT) % 8 == 0 &&
		       __builtin_offsetof(struct HOOK_STRUCT, btf_full_id) + 8 ==
			       sizeof(struct HOOK_STRUCT),
	       "the id must end the struct, with no padding after it");

SEC("xdp")
int xdp_hints_hook(struct xdp_md *ctx)
{
	struct HOOK_STRUCT h = {};
	struct HOOK_STRUCT *m;
	void *data;
	__u32 queue;
	int err;

	hook_count(HOOK_RX);

#if HOOK_TIMESTAMP
	err = bpf_xdp_metadata_rx_timestamp(ctx, &h.rx_timestamp);
	h.status.rx_timestamp = hook_state(err);
	/* veth answers 0 with success for frames that came through the stack: no timestamp. */
	if (err == 0 && h.rx_timestamp == 0)
		h.status.rx_timestamp = XDP_HINTS_STATE_NODATA;
	if (h.status.rx_timestamp != XDP_HINTS_STATE_OK) {
		h.rx_timestamp = bpf_ktime_get_tai_ns();
		h.status.rx_timestamp_sw = 1;
	}
	h.valid.rx_timestamp = 1;
#endif
#if HOOK_HASH
	err = bpf_xdp_metadata_rx_hash(ctx, &h.rx_hash, &h.rx_hash_type);
	h.status.rx_hash = hook_state(err);
	h.status.rx_hash_type = h.status.rx_hash;
	h.valid.rx_hash = err == 0;
	h.valid.rx_hash_type = err == 0;
#endif
#if HOOK_VLAN
	{
		__be16 proto = 0;

		err = bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &h.rx_vlan_tci);
		h.rx_vlan_proto = bpf_ntohs(proto);
		h.status.rx_vlan_tci = hook_state(err);
		h.status.rx_vlan_proto = h.status.rx_vlan_tci;
		h.valid.rx_vlan_tci = err == 0;
		h.valid.rx_vlan_proto = err == 0;
	}
#endif
	h.btf_full_id = ((__u64)xdp_hints_btf_obj_id << 32) |
			bpf_core_type_id_local(struct HOOK_STRUCT);

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(h))) {
		hook_count(HOOK_META_FAILED);
		return XDP_PASS;
	}
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data) {
		hook_count(HOOK_META_FAILED);
		return XDP_PASS;
	}
	*m = h;

	queue = ctx->rx_queue_index;
	if (bpf_map_lookup_elem(&xsks_map, &queue)) {
		hook_count(HOOK_REDIRECTED);
		return bpf_redirect_map(&xsks_map, queue, XDP_PASS);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
