/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tc ingress (tcx) tap: copies the XDP metadata of every frame the hook passed to the
 * stack (skb->data_meta .. skb->data) into a ring buffer, next to what the stack itself
 * knows of the frame (skb hash, VLAN tag). A diagnostic that reads hints without AF_XDP:
 * the bytes are exactly those the hook wrote, carried by the kernel into the skb.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK 0
#define TAP_META_WORDS 8 /* 64 bytes: larger than any built-in hint struct */

struct tap_record {
	__u32 meta_len;   /* bytes between data_meta and data */
	__u32 skb_hash;   /* skb->hash as the stack has it */
	__u32 vlan_present;
	__u16 vlan_tci;
	__u16 vlan_proto; /* host byte order */
	__u64 meta[TAP_META_WORDS]; /* the last meta_len bytes of this end at data */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} tap_ring SEC(".maps");

SEC("tc")
int meta_tap(struct __sk_buff *skb)
{
	void *meta = (void *)(long)skb->data_meta;
	void *data = (void *)(long)skb->data;
	struct tap_record *r;
	__u32 len = (__u32)(data - meta);

	r = bpf_ringbuf_reserve(&tap_ring, sizeof(*r), 0);
	if (!r)
		return TC_ACT_OK;
	__builtin_memset(r->meta, 0, sizeof(r->meta));
	r->meta_len = len;
	r->skb_hash = skb->hash;
	r->vlan_present = skb->vlan_present;
	r->vlan_tci = skb->vlan_tci;
	r->vlan_proto = bpf_ntohs((__u16)skb->vlan_proto);
	/* Word by word from the start of the metadata: every hook struct is a multiple of 8. */
#pragma unroll
	for (int i = 0; i < TAP_META_WORDS; i++) {
		if (meta + (i + 1) * 8 > data)
			break;
		r->meta[i] = *(__u64 *)(meta + i * 8);
	}
	bpf_ringbuf_submit(r, 0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
