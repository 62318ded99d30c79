/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Example XDP logic against the stable hint struct: per-VLAN packet counts, and a drop
 * rule on the RSS hash type (drop L4-hashed packets of VLAN `drop_vid`).
 *
 * It runs inside a hints hook: the loader links this object with the hook
 * (HookOptions::user_object), its xdp_hints_user() replacing the hook's weak default, and
 * relocates its struct xdp_hints accesses against the layout the hook writes, so this one
 * object works unchanged with the full veth layout, a specialised one, or another
 * driver's. A layout without the VLAN hint counts every packet under VLAN 0; one without
 * the hash type never drops.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <xdp_hints/helpers.bpf.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u16);   /* VLAN id; 0: untagged, or no VLAN hint in the layout */
	__type(value, __u64); /* packets */
} vlan_counts SEC(".maps");

volatile __u16 drop_vid = 42; /* .data: the loader or a test may change it */
__u64 dropped;
__u64 without_hints;

__attribute__((noinline)) int xdp_hints_user(struct xdp_md *ctx)
{
	struct xdp_hints *h = xdp_hints_get(ctx);
	__u16 vid = 0;
	__u64 one = 1, *n;

	if (!h) {
		__sync_fetch_and_add(&without_hints, 1);
		return XDP_HINTS_CONTINUE;
	}
	if (xdp_hints_has(h, rx_vlan_tci))
		vid = h->rx_vlan_tci & 0x0fff;
	n = bpf_map_lookup_elem(&vlan_counts, &vid);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&vlan_counts, &vid, &one, BPF_NOEXIST);

	if (vid == drop_vid && xdp_hints_has(h, rx_hash_type) && (h->rx_hash_type & XDP_RSS_L4)) {
		__sync_fetch_and_add(&dropped, 1);
		return XDP_DROP;
	}
	return XDP_HINTS_CONTINUE;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
