/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One hint struct, four layouts. Compiled once per -DTARGET=N; the golden test resolves a
 * consumer described by one build's BTF against every other build's BTF and reads the
 * clang-initialised sample below (its bytes come from the object's .data section), so a
 * wrong offset, shift or sign extension shows up as a wrong value.
 *
 * Consumer paths, the same in every TARGET: rx_timestamp, rx_hash, vlan.tci, vlan.proto,
 * prio (signed), queue[1], mark.
 *   1: plain, widest integers, btf_full_id                      (the reference)
 *   2: reordered; anonymous struct/union nesting; typedef/const/volatile wrappers
 *   3: bitfields and narrower integers (hash u16, prio s8:5, mark :20, tci :12)
 *   4: ___flavor name, btf_id (u32), enum-typed status bitfields with shuffled values
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#if TARGET == 4
/* Not hints.h: the same enumerator names with other values, resolved by name. */
enum xdp_hints_state {
	XDP_HINTS_STATE_UNSUPPORTED = 0,
	XDP_HINTS_STATE_NODATA = 1,
	XDP_HINTS_STATE_OK = 2,
	XDP_HINTS_STATE_NOT_REQUESTED = 3,
};
#define ST_OK XDP_HINTS_STATE_OK
#define ST_NODATA XDP_HINTS_STATE_NODATA
#else
#define ST_OK 1
#define ST_NODATA 2
#endif

struct xdp_hints_valid {
	__u16 rx_timestamp : 1;
	__u16 rx_hash : 1;
	__u16 vlan : 1;
	__u16 prio : 1;
};

#if TARGET == 4
struct xdp_hints_status {
	enum xdp_hints_state rx_timestamp : 2;
	enum xdp_hints_state rx_hash : 2;
	enum xdp_hints_state vlan : 2;
	__u32 rx_timestamp_sw : 1;
};
#else
struct xdp_hints_status {
	__u16 rx_timestamp : 2;
	__u16 rx_hash : 2;
	__u16 vlan : 2;
	__u16 rx_timestamp_sw : 1;
};
#endif

#if TARGET == 1
#define GOLDEN xdp_hints_golden
struct golden_vlan {
	__u16 tci;
	__u16 proto;
};
struct GOLDEN {
	__u64 rx_timestamp;
	__u32 rx_hash;
	struct golden_vlan vlan;
	__s32 prio;
	__u8 queue[4];
	__u32 mark;
	struct xdp_hints_valid valid;
	struct xdp_hints_status status;
	__u32 pad;
	__u64 btf_full_id;
};
#elif TARGET == 2
#define GOLDEN xdp_hints_golden
typedef __u32 golden_hash_t;
typedef const volatile golden_hash_t golden_cv_hash_t;
struct GOLDEN {
	__u32 mark;
	union {
		struct {
			struct xdp_hints_status status;
			struct xdp_hints_valid valid;
			__u8 queue[4];
		};
		__u64 raw;
	};
	struct {
		__u16 proto;
		__u16 tci;
	} vlan;
	golden_cv_hash_t rx_hash;
	volatile __s32 prio;
	__u32 pad;
	const __u64 rx_timestamp;
	__u64 btf_full_id;
};
#elif TARGET == 3
#define GOLDEN xdp_hints_golden
struct GOLDEN {
	struct xdp_hints_valid valid;
	__u16 rx_hash;
	struct {
		__u16 tci : 12;
		__u16 pcp : 4;
		__u16 proto;
	} vlan;
	__s8 prio : 5;
	__u32 mark : 20;
	__u8 queue[2];
	struct xdp_hints_status status;
	__u64 rx_timestamp;
	__u64 btf_full_id;
};
#elif TARGET == 4
#define GOLDEN xdp_hints_golden___v2
struct GOLDEN {
	__u64 rx_timestamp;
	__s16 prio;
	struct {
		__u16 tci;
		__u16 proto;
	} vlan;
	__u8 queue[3];
	__u32 rx_hash;
	__u32 mark;
	struct xdp_hints_status status;
	struct xdp_hints_valid valid;
	__u16 pad;
	__u32 btf_id;
};
#else
#error "TARGET must be 1..4"
#endif



/* The same values in every TARGET; each fits the narrowest layout (TARGET 3). */
struct GOLDEN golden_sample = {
	.rx_timestamp = 0x1122334455667788ULL,
	.rx_hash = 0xBEEF,
	.vlan = { .tci = 0x123, .proto = 0x88a8 },
	.prio = -3,
	.queue = { 7, 9 },
	.mark = 0xABCDE,
	.valid = { .rx_timestamp = 1, .rx_hash = 0, .vlan = 1, .prio = 1 },
	.status = { .rx_timestamp = ST_NODATA, .rx_hash = ST_NODATA, .vlan = ST_OK,
		    .rx_timestamp_sw = 1 },
};

SEC("xdp")
int golden_prog(struct xdp_md *ctx)
{
	return golden_sample.mark ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
