/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Recording source (tests/unit/verifier_logs): the VLAN metadata kfunc (Linux >= 6.8) and
 * no other, so libbpf names it when the kernel lacks it. Loaded device-bound it is fine
 * from 6.8 on; not device-bound, the verifier refuses it. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto, __u16 *vlan_tci) __ksym;

SEC("xdp")
int vlan_tag(struct xdp_md *ctx)
{
	__be16 proto = 0;
	__u16 tci = 0;

	if (bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci))
		return XDP_PASS;
	return tci == 7 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
