/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One hint layout of a hook. hook_common.bpf.h includes this file once per combination of
 * hint groups, with
 *   LAYOUT_MASK    1..7: HOOK_HINT_TS | HOOK_HINT_HASH | HOOK_HINT_VLAN it carries
 *   LAYOUT_SUFFIX  the name suffix (_ts, _hash, _ts_hash, ...)
 * A combination the driver cannot give is skipped. The layout with all the driver's
 * groups is HOOK_STRUCT itself (xdp_hints_veth); the others are HOOK_STRUCT<suffix>
 * (xdp_hints_veth_ts, ...). A layout without a group has no member for it at all: the
 * struct is smaller, and BTF still describes it exactly, with its own type id.
 *
 * Defines struct LAYOUT_NAME (the id last, ending where the packet begins) and
 * hook_write_<LAYOUT_MASK>(ctx, record, to), which fills it from the record and hands it to
 * hook_emit() for the destination `to` (metadata area, prefix, or the user logic's
 * scratch: hook_common.bpf.h).
 */
#if (LAYOUT_MASK & ~HOOK_HINTS) == 0

#if LAYOUT_MASK == HOOK_HINTS
#define LAYOUT_NAME HOOK_STRUCT
#else
#define LAYOUT_NAME HOOK_PASTE(HOOK_STRUCT, LAYOUT_SUFFIX)
#endif
#define LAYOUT_TS (LAYOUT_MASK & HOOK_HINT_TS)
#define LAYOUT_HASH (LAYOUT_MASK & HOOK_HINT_HASH)
#define LAYOUT_VLAN (LAYOUT_MASK & HOOK_HINT_VLAN)

struct LAYOUT_NAME {
#if LAYOUT_TS
	__u64 rx_timestamp;
#endif
#if LAYOUT_HASH
	__u32 rx_hash;
	enum xdp_rss_hash_type rx_hash_type;
#endif
#if LAYOUT_VLAN
	__u16 rx_vlan_tci;
	__u16 rx_vlan_proto; /* host byte order */
#endif
	struct xdp_hints_valid valid;
	struct xdp_hints_status status;
	__u64 btf_full_id; /* last: ends at ctx->data */
} __attribute__((aligned(8)));

_Static_assert(sizeof(struct LAYOUT_NAME) % 8 == 0 &&
		       __builtin_offsetof(struct LAYOUT_NAME, btf_full_id) + 8 == sizeof(struct LAYOUT_NAME),
	       "the id must end the struct, with no padding after it");

static __always_inline int HOOK_PASTE(hook_write_, LAYOUT_MASK)(struct xdp_md *ctx, const struct hook_record *r,
								 enum hook_dest to)
{
	struct LAYOUT_NAME l = {};

#if LAYOUT_TS
	l.rx_timestamp = r->rx_timestamp;
	l.valid.rx_timestamp = r->valid.rx_timestamp;
	l.status.rx_timestamp = r->status.rx_timestamp;
	l.status.rx_timestamp_sw = r->status.rx_timestamp_sw;
#endif
#if LAYOUT_HASH
	l.rx_hash = r->rx_hash;
	l.rx_hash_type = r->rx_hash_type;
	l.valid.rx_hash = r->valid.rx_hash;
	l.valid.rx_hash_type = r->valid.rx_hash_type;
	l.status.rx_hash = r->status.rx_hash;
	l.status.rx_hash_type = r->status.rx_hash_type;
#endif
#if LAYOUT_VLAN
	l.rx_vlan_tci = r->rx_vlan_tci;
	l.rx_vlan_proto = r->rx_vlan_proto;
	l.valid.rx_vlan_tci = r->valid.rx_vlan_tci;
	l.valid.rx_vlan_proto = r->valid.rx_vlan_proto;
	l.status.rx_vlan_tci = r->status.rx_vlan_tci;
	l.status.rx_vlan_proto = r->status.rx_vlan_proto;
#endif
	l.btf_full_id = ((__u64)xdp_hints_btf_obj_id << 32) | bpf_core_type_id_local(struct LAYOUT_NAME);

	return hook_emit(ctx, (const __u64 *)&l, sizeof(l), to);
}

#undef LAYOUT_NAME
#undef LAYOUT_TS
#undef LAYOUT_HASH
#undef LAYOUT_VLAN
#endif /* a combination the driver can give */
#undef LAYOUT_MASK
#undef LAYOUT_SUFFIX
