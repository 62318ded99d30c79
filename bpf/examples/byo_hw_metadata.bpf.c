/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A hook written the way the kernel's selftest xdp_hw_metadata is
 * (tools/testing/selftests/bpf/progs/xdp_hw_metadata.c with xdp_metadata.h), to show such
 * programs load as they are:
 *  - SEC("xdp.frags"); it redirects UDP port 9091 to AF_XDP and passes everything else;
 *  - one fixed struct xdp_meta, no id: decoded with --layout xdp_meta;
 *  - the struct is used only through a local pointer into the metadata area, so clang
 *    leaves it out of .BTF: its layout comes from the DWARF (-g) through pahole;
 *  - unions of a value with its kfunc's error, a __be16 member (the VLAN protocol as the
 *    kfunc gives it, network order) and a flags enum saying which hints are valid.
 *
 *   xdp-hints dump eth1 --hook-object build/bpf/byo_hw_metadata.bpf.o --layout xdp_meta --json
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* vmlinux.h has types, not macros. */
#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} xsk SEC(".maps");

enum xdp_meta_field {
	XDP_META_FIELD_TS = 1 << 0,
	XDP_META_FIELD_RSS = 1 << 1,
	XDP_META_FIELD_VLAN_TAG = 1 << 2,
};

struct xdp_meta {
	union {
		__u64 rx_timestamp;
		__s32 rx_timestamp_err;
	};
	__u64 xdp_timestamp;
	__u32 rx_hash;
	union {
		__u32 rx_hash_type;
		__s32 rx_hash_err;
	};
	union {
		struct {
			__be16 rx_vlan_proto;
			__u16 rx_vlan_tci;
		};
		__s32 rx_vlan_tag_err;
	};
	enum xdp_meta_field hint_valid;
};

__u64 pkts_skip, pkts_fail, pkts_redir;

/* The UDP destination port of an Ethernet (optionally VLAN-tagged) IPv4 frame, else 0. */
static __always_inline __u16 udp_dport(void *data, void *end)
{
	struct ethhdr *eth = data;
	__be16 proto;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end)
		return 0;
	proto = eth->h_proto;
	data = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *v = data;

		if ((void *)(v + 1) > end)
			return 0;
		proto = v->h_vlan_encapsulated_proto;
		data = v + 1;
	}
	ip = data;
	if (proto != bpf_htons(ETH_P_IP) || (void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
		return 0;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return 0;
	return bpf_ntohs(udp->dest);
}

SEC("xdp.frags")
int rx(struct xdp_md *ctx)
{
	struct xdp_meta *meta;
	int err;

	if (udp_dport((void *)(long)ctx->data, (void *)(long)ctx->data_end) != 9091) {
		__sync_add_and_fetch(&pkts_skip, 1);
		return XDP_PASS;
	}
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta))) {
		__sync_add_and_fetch(&pkts_fail, 1);
		return XDP_PASS;
	}
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data) {
		__sync_add_and_fetch(&pkts_fail, 1);
		return XDP_PASS;
	}
	meta->hint_valid = 0;
	meta->xdp_timestamp = bpf_ktime_get_tai_ns();
	err = bpf_xdp_metadata_rx_timestamp(ctx, &meta->rx_timestamp);
	if (err)
		meta->rx_timestamp_err = err;
	else
		meta->hint_valid |= XDP_META_FIELD_TS;
	err = bpf_xdp_metadata_rx_hash(ctx, &meta->rx_hash, (enum xdp_rss_hash_type *)&meta->rx_hash_type);
	if (err)
		meta->rx_hash_err = err;
	else
		meta->hint_valid |= XDP_META_FIELD_RSS;
	err = bpf_xdp_metadata_rx_vlan_tag(ctx, &meta->rx_vlan_proto, &meta->rx_vlan_tci);
	if (err)
		meta->rx_vlan_tag_err = err;
	else
		meta->hint_valid |= XDP_META_FIELD_VLAN_TAG;
	__sync_add_and_fetch(&pkts_redir, 1);
	return bpf_redirect_map(&xsk, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
