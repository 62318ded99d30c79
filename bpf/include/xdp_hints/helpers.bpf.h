/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * xdp-hints for XDP programs: read a packet's hints through one stable struct, whatever
 * layout the active hook writes.
 *
 * A user program defines the hook's hook point, a global function, in its own object:
 *
 *     #include "vmlinux.h"
 *     #include <bpf/bpf_helpers.h>
 *     #include <xdp_hints/helpers.bpf.h>
 *
 *     __attribute__((noinline)) int xdp_hints_user(struct xdp_md *ctx)
 *     {
 *             struct xdp_hints *h = xdp_hints_get(ctx);
 *             __u16 vid;
 *
 *             if (h && xdp_hints_has(h, rx_vlan_tci))
 *                     vid = h->rx_vlan_tci & 0xfff;
 *             ...
 *             return XDP_HINTS_CONTINUE;     // or XDP_DROP, XDP_PASS, ...
 *     }
 *
 * and no SEC("xdp") program. The loader (HookOptions::user_object) links it with the hook
 * (libbpf's BPF static linker: this strong definition replaces the hook's weak default),
 * so it runs inside the hook's device-bound program. (An freplace program of the same
 * global function would be the other way in, but needs BPF trampolines; the loader links
 * instead, which works on every kernel that runs the hook.)
 *
 * The loader relocates every access to struct xdp_hints against
 * the layout the hook writes (libbpf CO-RE with a target BTF in which `struct xdp_hints`
 * is that layout): offsets, sizes and bitfields follow the layout, and a hint the layout
 * does not carry makes xdp_hints_has() a constant 0, so the code behind it is removed by
 * the verifier. The same object runs unchanged against every hook and specialisation.
 */
#ifndef XDP_HINTS_HELPERS_BPF_H
#define XDP_HINTS_HELPERS_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <xdp_hints/hints.h>
#include <xdp_hints/transport.bpf.h>

/* Defined by the hook this object is linked into (transport.bpf.h). */
extern const volatile __u32 xdp_hints_transport;
extern XDP_HINTS_SCRATCH_MAP xdp_hints_scratch SEC(".maps");

/* The stable view. Member names are the hint-struct names; no id member: the helpers
 * below find the struct, and the layout is fixed per hook at load time. */
struct xdp_hints {
	__u64 rx_timestamp;
	__u32 rx_hash;
	enum xdp_rss_hash_type rx_hash_type;
	__u16 rx_vlan_tci;
	__u16 rx_vlan_proto; /* host byte order */
	struct xdp_hints_valid valid;
	struct xdp_hints_status status;
} __attribute__((preserve_access_index));

/* The packet's hints, or NULL when there are none for it. With the metadata transport
 * they end at ctx->data (NULL when the area does not hold the active layout: the hook wrote
 * only the id slot, id 0); with the prefix transport they are in the hook's per-CPU scratch,
 * written for this packet just before the user logic runs. xdp_hints_transport is a
 * constant the loader sets, so the verifier keeps only one of the two ways. */
static __always_inline struct xdp_hints *xdp_hints_get(struct xdp_md *ctx)
{
	void *meta = (void *)(long)ctx->data_meta;
	void *data = (void *)(long)ctx->data;

	if (xdp_hints_transport == XDP_HINTS_TRANSPORT_PREFIX) {
		__u32 key = 0;

		if (bpf_core_type_size(struct xdp_hints) > XDP_HINTS_SCRATCH_BYTES)
			return 0;
		return bpf_map_lookup_elem(&xdp_hints_scratch, &key);
	}

	/* bpf_core_type_size: the size of the layout the hook writes, a constant after
	 * relocation, so this check also bounds every access for the verifier. */
	if (meta + bpf_core_type_size(struct xdp_hints) > data)
		return 0;
	return meta;
}

/* 1 when the layout carries `hint` and the hook marked it valid for this packet.
 * (Bitfields are read from `h` with the nested path, so the CO-RE offset is relative to
 * the struct start: `&h->valid` would count the offset of `valid` twice.) */
#define xdp_hints_has(h, hint)                                                          \
	(bpf_core_field_exists((h)->hint) &&                                            \
	 (!bpf_core_field_exists((h)->valid) || BPF_CORE_READ_BITFIELD(h, valid.hint)))

/* enum xdp_hints_state of `hint`; NOT_REQUESTED when the layout does not carry it. */
#define xdp_hints_state(h, hint)                                                        \
	(bpf_core_field_exists((h)->hint) && bpf_core_field_exists((h)->status)           \
		 ? (__u32)BPF_CORE_READ_BITFIELD(h, status.hint)                      \
		 : (__u32)XDP_HINTS_STATE_NOT_REQUESTED)

/* 1 when rx_timestamp is the hook's software fallback (CLOCK_TAI). */
#define xdp_hints_timestamp_is_sw(h)                                                    \
	(bpf_core_field_exists((h)->status) && BPF_CORE_READ_BITFIELD(h, status.rx_timestamp_sw))

#endif /* XDP_HINTS_HELPERS_BPF_H */
