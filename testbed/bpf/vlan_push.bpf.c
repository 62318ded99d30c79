/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tc egress on the sending veth: tag UDP packets to one destination port with a VLAN.
 * bpf_skb_vlan_push gives the skb a hardware-accelerated tag, which veth carries to its
 * peer, where the XDP rx_vlan_tag kfunc reports it. This kernel has no 8021q module, so
 * this is how the tests and the demo make tagged traffic.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100
#define TC_ACT_OK 0

const volatile __u16 vlan_tci = 0;   /* set before load */
const volatile __u16 udp_dport = 0;  /* host byte order */

__u64 tagged = 0;

SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return TC_ACT_OK;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(udp_dport))
		return TC_ACT_OK;
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), vlan_tci) == 0)
		__sync_fetch_and_add(&tagged, 1);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
