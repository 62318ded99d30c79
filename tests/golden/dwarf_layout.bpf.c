/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One struct compiled twice: with IN_BTF=1 a global keeps it in .BTF; with IN_BTF=0 only
 * a local pointer uses it (the selftest xdp_hw_metadata's way), so clang leaves it out of
 * .BTF and only the DWARF (-g) has it. The layout read from the DWARF (pahole) must be the
 * one read from .BTF, member by member.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

enum golden_valid {
	GOLDEN_VALID_TS = 1 << 0,
	GOLDEN_VALID_HASH = 1 << 1,
	GOLDEN_VALID_VLAN = 1 << 2,
};

struct golden_meta {
	union {
		__u64 rx_timestamp;
		__s32 rx_timestamp_err;
	};
	__u32 rx_hash;
	struct {
		__be16 rx_vlan_proto;
		__u16 rx_vlan_tci;
	} vlan;
	__u8 queue[3];
	__u8 flag_a : 1, flag_b : 3;
	__be32 addr;
	enum golden_valid valid;
};

#if IN_BTF
struct golden_meta golden_last;
#endif

SEC("xdp")
int golden_dwarf(struct xdp_md *ctx)
{
	struct golden_meta *m;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return XDP_PASS;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		return XDP_PASS;
	m->rx_hash = 1;
	m->vlan.rx_vlan_proto = 0x0081;
	m->valid = GOLDEN_VALID_HASH;
#if IN_BTF
	golden_last = *m;
#endif
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
