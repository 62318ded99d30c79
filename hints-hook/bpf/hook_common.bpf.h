/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared body of the per-driver hints hooks. A driver's hook defines which XDP RX
 * metadata kfuncs the driver implements and the name of its hint struct, then includes
 * this file:
 *
 *     #define HOOK_STRUCT    xdp_hints_veth
 *     #define HOOK_TIMESTAMP 1      // bpf_xdp_metadata_rx_timestamp
 *     #define HOOK_HASH      1      // bpf_xdp_metadata_rx_hash
 *     #define HOOK_VLAN      1      // bpf_xdp_metadata_rx_vlan_tag
 *     #include "hook_common.bpf.h"
 *
 * The generic hook defines HOOK_SW_TIMESTAMP 1 instead: no kfuncs, a software timestamp.
 *
 * Per packet the hook writes one hint layout so that it ends exactly where the packet
 * begins (its last member is the id, at data - 8), or, when there is no hint to write, the
 * id slot alone with id 0; then it redirects to the AF_XDP socket of the packet's RX queue,
 * else passes the packet on. A packet whose hints cannot be written is passed, never
 * redirected (docs/DESIGN.md, "The wire rule"). Where the layout goes is the transport
 * (xdp_hints/transport.bpf.h): the metadata area in front of every packet, or, on kernels
 * that refuse that area, a prefix the hook adds only to frames it redirects.
 *
 * Specialisation: the loader sets the read-only constants below before load. The
 * verifier sees them as known values, so the kfunc calls and stores of the hint groups
 * not wanted are dead code and removed, and the layout written is the smaller struct for
 * just the wanted groups (each layout is its own BTF struct with its own type id).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <xdp_hints/hints.h>
#include <xdp_hints/transport.bpf.h>

#ifndef ENODATA
#define ENODATA 61
#endif
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif

#ifndef HOOK_TIMESTAMP
#define HOOK_TIMESTAMP 0
#endif
#ifndef HOOK_HASH
#define HOOK_HASH 0
#endif
#ifndef HOOK_VLAN
#define HOOK_VLAN 0
#endif
#ifndef HOOK_SW_TIMESTAMP
#define HOOK_SW_TIMESTAMP 0
#endif

#define HOOK_PASTE_(a, b) a##b
#define HOOK_PASTE(a, b) HOOK_PASTE_(a, b)

/* Hint groups; the loader uses the same bits (hints-hook/src/hook_specs.hpp). */
#define HOOK_HINT_TS 1
#define HOOK_HINT_HASH 2
#define HOOK_HINT_VLAN 4
#define HOOK_HINTS                                                                      \
	(((HOOK_TIMESTAMP || HOOK_SW_TIMESTAMP) ? HOOK_HINT_TS : 0) | (HOOK_HASH ? HOOK_HINT_HASH : 0) | \
	 (HOOK_VLAN ? HOOK_HINT_VLAN : 0))

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym __weak;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym __weak;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

/* Set before load (.rodata). xdp_hints_want: the hint groups to write (HOOK_HINT_*).
 * xdp_hints_ptp_split: PTP event packets (UDP port 319, ethertype 0x88F7) get the
 * timestamp layout, all others the hash layout. xdp_hints_transport: XDP_HINTS_TRANSPORT_*,
 * the transport the loader chose for this kernel; the verifier keeps only its code. */
const volatile __u32 xdp_hints_want = HOOK_HINTS;
const volatile __u32 xdp_hints_ptp_split = 0;
const volatile __u32 xdp_hints_transport = XDP_HINTS_TRANSPORT_META;
/* Call xdp_hints_user() after writing the hints (the loader sets it when a user object is
 * linked in; otherwise the verifier drops the call). */
const volatile __u32 xdp_hints_user_enabled = 0;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* The packet's hints for user logic linked into the hook, with the prefix transport (the
 * prefix is added after that logic ran). Per CPU: an XDP program runs to its end on one CPU. */
XDP_HINTS_SCRATCH_MAP xdp_hints_scratch SEC(".maps");

/* What the hook did, per CPU. Indexes: enum hook_counter. */
enum hook_counter {
	HOOK_RX = 0,          /* packets seen */
	HOOK_META_FAILED = 1, /* the hints could not be written (bpf_xdp_adjust_meta or, with the
			       * prefix transport, _adjust_head refused): passed to the stack,
			       * not to AF_XDP */
	HOOK_REDIRECTED = 2,  /* handed to an AF_XDP socket */
	HOOK_PTP = 3,         /* PTP event packets (when xdp_hints_ptp_split) */
	HOOK_USER_VERDICT = 4, /* the user program decided (returned an XDP action) */
	HOOK_COUNTERS = 5,
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HOOK_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} hook_stats SEC(".maps");

/* BTF object id of this program's BTF in the kernel; set by the loader after load and
 * before attach, so every packet carries a globally unique layout id. */
__u32 xdp_hints_btf_obj_id;

/* Everything the driver told us about one packet; each layout copies what it carries. */
struct hook_record {
	__u64 rx_timestamp;
	__u32 rx_hash;
	enum xdp_rss_hash_type rx_hash_type;
	__u16 rx_vlan_tci;
	__u16 rx_vlan_proto;
	struct xdp_hints_valid valid;
	struct xdp_hints_status status;
};

static __always_inline void hook_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&hook_stats, &idx);
	if (v)
		*v += 1;
}

static __always_inline __u16 hook_state(int err)
{
	if (err == 0)
		return XDP_HINTS_STATE_OK;
	if (err == -EOPNOTSUPP)
		return XDP_HINTS_STATE_UNSUPPORTED;
	return XDP_HINTS_STATE_NODATA;
}

static __always_inline void hook_read_timestamp(struct xdp_md *ctx, struct hook_record *r)
{
#if HOOK_TIMESTAMP
	int err = bpf_xdp_metadata_rx_timestamp(ctx, &r->rx_timestamp);

	r->status.rx_timestamp = hook_state(err);
	/* veth answers 0 with success for frames that came through the stack: no timestamp. */
	if (err == 0 && r->rx_timestamp == 0)
		r->status.rx_timestamp = XDP_HINTS_STATE_NODATA;
#else
	r->status.rx_timestamp = XDP_HINTS_STATE_UNSUPPORTED; /* generic: no driver timestamp */
#endif
	if (r->status.rx_timestamp != XDP_HINTS_STATE_OK) {
		r->rx_timestamp = bpf_ktime_get_tai_ns();
		r->status.rx_timestamp_sw = 1;
	}
	r->valid.rx_timestamp = 1;
}

static __always_inline void hook_read_hash(struct xdp_md *ctx, struct hook_record *r)
{
#if HOOK_HASH
	int err = bpf_xdp_metadata_rx_hash(ctx, &r->rx_hash, &r->rx_hash_type);

	r->status.rx_hash = hook_state(err);
	r->status.rx_hash_type = r->status.rx_hash;
	r->valid.rx_hash = err == 0;
	r->valid.rx_hash_type = err == 0;
#endif
}

static __always_inline void hook_read_vlan(struct xdp_md *ctx, struct hook_record *r)
{
#if HOOK_VLAN
	__be16 proto = 0;
	int err = bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &r->rx_vlan_tci);

	r->rx_vlan_proto = bpf_ntohs(proto);
	r->status.rx_vlan_tci = hook_state(err);
	r->status.rx_vlan_proto = r->status.rx_vlan_tci;
	r->valid.rx_vlan_tci = err == 0;
	r->valid.rx_vlan_proto = err == 0;
#endif
}

#define PTP_EVENT_PORT 319
#define ETH_P_1588_ 0x88F7
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8
#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86DD

/* PTP event message (Sync, Delay_Req, Pdelay_Req, Pdelay_Resp): over UDP to port 319
 * (IPv4, IPv6), or over Ethernet (0x88F7) with messageType < 8; one VLAN tag allowed. */
static __always_inline int hook_is_ptp_event(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__u16 proto;

	if ((void *)(eth + 1) > end)
		return 0;
	proto = bpf_ntohs(eth->h_proto);
	l3 = eth + 1;
	if (proto == ETH_P_8021Q_ || proto == ETH_P_8021AD_) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return 0;
		proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
		l3 = vh + 1;
	}
	if (proto == ETH_P_1588_) {
		__u8 *msg = l3;

		if ((void *)(msg + 1) > end)
			return 0;
		return (*msg & 0x0f) < 8;
	}
	if (proto == ETH_P_IP_) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
			return 0;
		l3 = (void *)ip + ip->ihl * 4;
	} else if (proto == ETH_P_IPV6_) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return 0;
		l3 = ip6 + 1;
	} else {
		return 0;
	}
	{
		struct udphdr *udp = l3;

		if ((void *)(udp + 1) > end)
			return 0;
		return udp->dest == bpf_htons(PTP_EVENT_PORT);
	}
}

/* Where hook_emit() puts a layout. */
enum hook_dest {
	HOOK_TO_META,    /* the metadata area, ending at ctx->data */
	HOOK_TO_PREFIX,  /* a prefix of HOOK_PREFIX_LEN bytes in front of the packet */
	HOOK_TO_SCRATCH, /* xdp_hints_scratch, for the user logic (prefix transport) */
};

/* Writes a layout of `size` bytes (a multiple of 8, its id last) to `to`; non-zero when it
 * could not be written. Defined below the layouts: the prefix is the largest of them. */
static __always_inline int hook_emit(struct xdp_md *ctx, const __u64 *l, __u32 size, enum hook_dest to);

/* The layouts: every combination of the driver's hint groups. */
#define LAYOUT_MASK 1
#define LAYOUT_SUFFIX _ts
#include "hook_layout.bpf.h"
#define LAYOUT_MASK 2
#define LAYOUT_SUFFIX _hash
#include "hook_layout.bpf.h"
#define LAYOUT_MASK 3
#define LAYOUT_SUFFIX _ts_hash
#include "hook_layout.bpf.h"
#define LAYOUT_MASK 4
#define LAYOUT_SUFFIX _vlan
#include "hook_layout.bpf.h"
#define LAYOUT_MASK 5
#define LAYOUT_SUFFIX _ts_vlan
#include "hook_layout.bpf.h"
#define LAYOUT_MASK 6
#define LAYOUT_SUFFIX _hash_vlan
#include "hook_layout.bpf.h"
#define LAYOUT_MASK 7
#define LAYOUT_SUFFIX _ts_hash_vlan
#include "hook_layout.bpf.h"

/* The wire rule: every frame the hook redirects carries metadata written for that frame.
 * A frame with no hint to write (PTP split: a non-PTP packet when the hook writes only the
 * timestamp) still gets the id slot, id 0: "no hints for this frame" (type id 0 is void).
 * A bare frame would be read with whatever its headroom held: the kernel recycles buffers
 * without telling user space (copy mode, RX ring full), so that can be an earlier
 * packet's metadata, and user space cannot clear what it never saw. */
static __always_inline int hook_write_none(struct xdp_md *ctx, enum hook_dest to)
{
	__u64 none = 0;

	return hook_emit(ctx, &none, sizeof(none), to);
}

/* The prefix: as long as the hook's largest layout (the struct with all its groups, a
 * multiple of 8), so it is one constant of the loaded hook; each layout is written
 * right-aligned in it, the bytes in front of a smaller one zeroed. The loader reads it
 * from xdp_hints_prefix_len; user space strips it from every frame it receives. */
#define HOOK_PREFIX_LEN ((__u32)sizeof(struct HOOK_STRUCT))
const volatile __u32 xdp_hints_prefix_len = HOOK_PREFIX_LEN;
_Static_assert(HOOK_PREFIX_LEN % 8 == 0 && HOOK_PREFIX_LEN <= XDP_HINTS_SCRATCH_BYTES,
	       "the prefix is whole u64 words and every layout fits the scratch");

static __always_inline int hook_emit(struct xdp_md *ctx, const __u64 *l, __u32 size, enum hook_dest to)
{
	if (to == HOOK_TO_SCRATCH) {
		__u32 key = 0;
		__u64 *s = bpf_map_lookup_elem(&xdp_hints_scratch, &key);

		if (!s)
			return -1;
		xdp_hints_copy_words(s, l, size / 8);
		return 0;
	}
	return xdp_hints_write(ctx, l, size,
			       to == HOOK_TO_PREFIX ? XDP_HINTS_TRANSPORT_PREFIX : XDP_HINTS_TRANSPORT_META,
			       HOOK_PREFIX_LEN);
}

#define HOOK_CASE(m)                                                                    \
	case m:                                                                         \
		return HOOK_PASTE(hook_write_, m)(ctx, r, to);

/* Writes the layout for `mask` (the id slot alone, id 0, when mask is 0) to `to`; non-zero
 * when it could not be written: then the frame must not be redirected. */
static __always_inline int hook_write(struct xdp_md *ctx, const struct hook_record *r, __u32 mask,
				      enum hook_dest to)
{
	switch (mask) {
#if (HOOK_HINTS & 1) == 1
	HOOK_CASE(1)
#endif
#if (HOOK_HINTS & 2) == 2
	HOOK_CASE(2)
#endif
#if (HOOK_HINTS & 3) == 3
	HOOK_CASE(3)
#endif
#if (HOOK_HINTS & 4) == 4
	HOOK_CASE(4)
#endif
#if (HOOK_HINTS & 5) == 5
	HOOK_CASE(5)
#endif
#if (HOOK_HINTS & 6) == 6
	HOOK_CASE(6)
#endif
#if (HOOK_HINTS & 7) == 7
	HOOK_CASE(7)
#endif
	default:
		return hook_write_none(ctx, to);
	}
}

/*
 * The user's XDP logic runs here. This is a weak default: a user object that defines
 * `int xdp_hints_user(struct xdp_md *ctx)` is statically linked with the hook before load
 * (libbpf's BPF linker; strong beats weak), so its code runs inside the hook, in the same
 * device-bound program, and reads the packet's hints through the stable struct of
 * bpf/include/xdp_hints/helpers.bpf.h, relocated against the layout this hook writes.
 * Returns an XDP action, or XDP_HINTS_CONTINUE to let the hook redirect or
 * pass as usual.
 */
__attribute__((weak, noinline)) int xdp_hints_user(struct xdp_md *ctx)
{
	int verdict = XDP_HINTS_CONTINUE;

	/* Opaque to the compiler, so the caller does not fold the default answer in. */
	asm volatile("" : "+r"(verdict));
	return ctx ? verdict : XDP_HINTS_CONTINUE;
}

/* The prefix transport: the user logic sees the packet as it arrived (its hints in the
 * scratch); only a frame about to be redirected gets the prefix, and it is redirected with
 * flags 0, so a socket gone since the lookup drops the frame (XDP_ABORTED) rather than
 * passing a prefixed frame to the stack. */
static __always_inline int hook_deliver_prefix(struct xdp_md *ctx, const struct hook_record *r, __u32 mask)
{
	__u32 queue;

	if (xdp_hints_user_enabled) {
		int verdict;

		if (hook_write(ctx, r, mask, HOOK_TO_SCRATCH)) {
			hook_count(HOOK_META_FAILED);
			return XDP_PASS;
		}
		verdict = xdp_hints_user(ctx);
		if (verdict >= 0) {
			hook_count(HOOK_USER_VERDICT);
			return verdict;
		}
	}
	queue = ctx->rx_queue_index;
	if (!bpf_map_lookup_elem(&xsks_map, &queue))
		return XDP_PASS;
	if (hook_write(ctx, r, mask, HOOK_TO_PREFIX)) {
		hook_count(HOOK_META_FAILED);
		return XDP_PASS;
	}
	hook_count(HOOK_REDIRECTED);
	return bpf_redirect_map(&xsks_map, queue, 0);
}

SEC("xdp")
int xdp_hints_hook(struct xdp_md *ctx)
{
	struct hook_record r = {};
	__u32 want = xdp_hints_want & HOOK_HINTS;
	__u32 mask = want;
	__u32 queue;

	hook_count(HOOK_RX);

	if (xdp_hints_ptp_split) {
		/* Only PTP event packets need (and get) the timestamp. */
		if (hook_is_ptp_event(ctx)) {
			hook_count(HOOK_PTP);
			mask = want & HOOK_HINT_TS;
		} else {
			mask = want & HOOK_HINT_HASH;
		}
	}
	if (mask & HOOK_HINT_TS)
		hook_read_timestamp(ctx, &r);
	if (mask & HOOK_HINT_HASH)
		hook_read_hash(ctx, &r);
	if (mask & HOOK_HINT_VLAN)
		hook_read_vlan(ctx, &r);

	if (xdp_hints_transport == XDP_HINTS_TRANSPORT_PREFIX)
		return hook_deliver_prefix(ctx, &r, mask);

	if (hook_write(ctx, &r, mask, HOOK_TO_META)) {
		hook_count(HOOK_META_FAILED);
		return XDP_PASS;
	}

	if (xdp_hints_user_enabled) {
		int verdict = xdp_hints_user(ctx);

		if (verdict >= 0) {
			hook_count(HOOK_USER_VERDICT);
			return verdict;
		}
	}

	queue = ctx->rx_queue_index;
	if (bpf_map_lookup_elem(&xsks_map, &queue)) {
		hook_count(HOOK_REDIRECTED);
		return bpf_redirect_map(&xsks_map, queue, XDP_PASS);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
