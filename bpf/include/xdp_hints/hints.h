/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * xdp-hints: the stable hint structs, BPF side.
 *
 * A hints hook writes one of these structs into the XDP metadata area so that it ends
 * exactly at ctx->data; its last member is the layout id. Consumers never include this
 * file to read hints: they resolve members by name in the BTF of the loaded hook (CO-RE
 * style), so a hook may reorder, drop or resize members and every consumer still works.
 *
 * Conventions a consumer relies on (all by BTF member name):
 *   - hint members:   rx_timestamp, rx_hash, rx_hash_type, rx_vlan_tci, rx_vlan_proto
 *   - valid.<hint>:   1-bit bitfield, set when <hint> holds a value for this packet
 *   - status.<hint>:  2-bit bitfield, enum xdp_hints_state: why a hint is absent
 *   - status.rx_timestamp_sw: the timestamp is software (bpf_ktime_get_tai_ns), not the NIC's
 *   - last member:    btf_full_id (u64: BTF object id << 32 | BTF type id) or
 *                     btf_id (u32: BTF type id in the hook's own BTF)
 *
 * Requires: Linux >= 6.3 for the timestamp/hash kfuncs, >= 6.8 for the VLAN kfunc.
 */
#ifndef XDP_HINTS_HINTS_H
#define XDP_HINTS_HINTS_H

/* Why a hint is or is not present. Values are resolved by name, never assumed. */
enum xdp_hints_state {
	XDP_HINTS_STATE_NOT_REQUESTED = 0, /* the hook was specialised without this hint */
	XDP_HINTS_STATE_OK = 1,
	XDP_HINTS_STATE_NODATA = 2,        /* -ENODATA: no value for this packet */
	XDP_HINTS_STATE_UNSUPPORTED = 3,   /* -EOPNOTSUPP: the driver does not provide it */
};

/* What a user's xdp_hints_user() replacement returns to let the hook go on (redirect to
 * the AF_XDP socket or pass); any value >= 0 is an XDP action the hook returns as is. */
#define XDP_HINTS_CONTINUE (-1)

struct xdp_hints_valid {
	__u16 rx_timestamp : 1;
	__u16 rx_hash : 1;
	__u16 rx_hash_type : 1;
	__u16 rx_vlan_tci : 1;
	__u16 rx_vlan_proto : 1;
};

struct xdp_hints_status {
	__u16 rx_timestamp : 2;
	__u16 rx_hash : 2;
	__u16 rx_hash_type : 2;
	__u16 rx_vlan_tci : 2;
	__u16 rx_vlan_proto : 2;
	__u16 rx_timestamp_sw : 1;
};

#endif /* XDP_HINTS_HINTS_H */
