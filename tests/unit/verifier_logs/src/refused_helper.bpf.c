/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Recording source (tests/unit/verifier_logs): an XDP program calling a tc-only helper,
 * which no kernel gives to XDP programs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int refused_helper(struct xdp_md *ctx)
{
	return bpf_skb_vlan_push((struct __sk_buff *)ctx, 0x8100, 7) ? XDP_ABORTED : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
