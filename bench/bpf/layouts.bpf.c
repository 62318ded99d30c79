/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Benchmark hook: NLAYOUTS (1, 8 or 64; a power of two, set with -DNLAYOUTS=) distinct
 * BTF-described hint layouts written in rotation, packet i getting layout i % NLAYOUTS,
 * so a consumer has to demultiplex every packet by its layout id. Used by
 * xdp-hints-bench for the "cost growth" figures (layouts_1, layouts_8, layouts_64).
 *
 * It keeps the bring-your-own hook contract (hints-hook/include/xdphints/hook/hook.hpp,
 * check_contract): one SEC("xdp") program, one XSKMAP, hint structs named xdp_hints_*
 * whose last member is btf_full_id, and xdp_hints_btf_obj_id in .bss for the loader.
 *
 * Per packet it does what the veth hook specialised to rx_timestamp does (the timestamp
 * kfunc, the CLOCK_TAI software fallback, valid/status bits, the id) plus the rotation,
 * and it carries both transports (xdp_hints/transport.bpf.h), as the built-in hooks do.
 * Every layout is 96 or 104 bytes; they differ in where the members sit:
 *
 *   layout K:  __u64 pre[1 + K % 8];  members in order (K / 8) % 4;
 *              __u64 post[8 - K % 8 + K / 32];  __u64 btf_full_id;
 *
 * so 64 layouts have 32 distinct member offsets and two sizes (the 96/104 split keeps
 * the metadata copy identical within 1 and 8 layouts, and nearly so for 64).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <xdp_hints/hints.h>
#include <xdp_hints/transport.bpf.h>

#ifndef NLAYOUTS
#define NLAYOUTS 1
#endif
_Static_assert(NLAYOUTS >= 1 && NLAYOUTS <= 64 && (NLAYOUTS & (NLAYOUTS - 1)) == 0,
	       "NLAYOUTS is a power of two in 1..64");

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym __weak;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Rotation counter, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rotation SEC(".maps");

/* Set by the loader after load, before attach (hook contract). */
__u32 xdp_hints_btf_obj_id;

/* Both transports (transport.bpf.h): the loader picks the one this kernel allows. The
 * prefix is the largest layout, 104 bytes. */
#define PREFIX_LEN 104
const volatile __u32 xdp_hints_transport = XDP_HINTS_TRANSPORT_META;
const volatile __u32 xdp_hints_prefix_len = PREFIX_LEN;

#define MEMBERS_0 __u64 rx_timestamp; struct xdp_hints_valid valid; struct xdp_hints_status status; __u32 seq;
#define MEMBERS_1 __u64 rx_timestamp; __u32 seq; struct xdp_hints_valid valid; struct xdp_hints_status status;
#define MEMBERS_2 struct xdp_hints_valid valid; struct xdp_hints_status status; __u32 seq; __u64 rx_timestamp;
#define MEMBERS_3 __u32 seq; struct xdp_hints_valid valid; struct xdp_hints_status status; __u64 rx_timestamp;

/* One layout and the function writing it so that it ends where the packet begins. */
#define LAYOUT(K, PRE, ORDER, POST)                                                       \
	struct xdp_hints_bench_##K {                                                      \
		__u64 pre[PRE];                                                           \
		MEMBERS_##ORDER                                                           \
		__u64 post[POST];                                                         \
		__u64 btf_full_id;                                                        \
	} __attribute__((aligned(8)));                                                    \
	_Static_assert(__builtin_offsetof(struct xdp_hints_bench_##K, btf_full_id) + 8 == \
			       sizeof(struct xdp_hints_bench_##K) &&                      \
		       sizeof(struct xdp_hints_bench_##K) <= PREFIX_LEN,                  \
		       "the id ends the struct, which fits the prefix");                  \
	static __always_inline int write_##K(struct xdp_md *ctx, __u64 ts, __u32 seq,     \
					     struct xdp_hints_valid v, struct xdp_hints_status s) \
	{                                                                                 \
		struct xdp_hints_bench_##K m = {};                                        \
		m.rx_timestamp = ts;                                                      \
		m.seq = seq;                                                              \
		m.valid = v;                                                              \
		m.status = s;                                                             \
		m.btf_full_id = ((__u64)xdp_hints_btf_obj_id << 32) |                     \
				bpf_core_type_id_local(struct xdp_hints_bench_##K);       \
		return xdp_hints_write(ctx, &m, sizeof(m), xdp_hints_transport, PREFIX_LEN); \
	}

/* NLAYOUTS is a power of two, so the groups below are exact. */
LAYOUT(0, 1, 0, 8)
#if NLAYOUTS > 1
LAYOUT(1, 2, 0, 7)
#endif
#if NLAYOUTS > 2
LAYOUT(2, 3, 0, 6)
LAYOUT(3, 4, 0, 5)
#endif
#if NLAYOUTS > 4
LAYOUT(4, 5, 0, 4)
LAYOUT(5, 6, 0, 3)
LAYOUT(6, 7, 0, 2)
LAYOUT(7, 8, 0, 1)
#endif
#if NLAYOUTS > 8
LAYOUT(8, 1, 1, 8)
LAYOUT(9, 2, 1, 7)
LAYOUT(10, 3, 1, 6)
LAYOUT(11, 4, 1, 5)
LAYOUT(12, 5, 1, 4)
LAYOUT(13, 6, 1, 3)
LAYOUT(14, 7, 1, 2)
LAYOUT(15, 8, 1, 1)
#endif
#if NLAYOUTS > 16
LAYOUT(16, 1, 2, 8)
LAYOUT(17, 2, 2, 7)
LAYOUT(18, 3, 2, 6)
LAYOUT(19, 4, 2, 5)
LAYOUT(20, 5, 2, 4)
LAYOUT(21, 6, 2, 3)
LAYOUT(22, 7, 2, 2)
LAYOUT(23, 8, 2, 1)
LAYOUT(24, 1, 3, 8)
LAYOUT(25, 2, 3, 7)
LAYOUT(26, 3, 3, 6)
LAYOUT(27, 4, 3, 5)
LAYOUT(28, 5, 3, 4)
LAYOUT(29, 6, 3, 3)
LAYOUT(30, 7, 3, 2)
LAYOUT(31, 8, 3, 1)
#endif
#if NLAYOUTS > 32
LAYOUT(32, 1, 0, 9)
LAYOUT(33, 2, 0, 8)
LAYOUT(34, 3, 0, 7)
LAYOUT(35, 4, 0, 6)
LAYOUT(36, 5, 0, 5)
LAYOUT(37, 6, 0, 4)
LAYOUT(38, 7, 0, 3)
LAYOUT(39, 8, 0, 2)
LAYOUT(40, 1, 1, 9)
LAYOUT(41, 2, 1, 8)
LAYOUT(42, 3, 1, 7)
LAYOUT(43, 4, 1, 6)
LAYOUT(44, 5, 1, 5)
LAYOUT(45, 6, 1, 4)
LAYOUT(46, 7, 1, 3)
LAYOUT(47, 8, 1, 2)
LAYOUT(48, 1, 2, 9)
LAYOUT(49, 2, 2, 8)
LAYOUT(50, 3, 2, 7)
LAYOUT(51, 4, 2, 6)
LAYOUT(52, 5, 2, 5)
LAYOUT(53, 6, 2, 4)
LAYOUT(54, 7, 2, 3)
LAYOUT(55, 8, 2, 2)
LAYOUT(56, 1, 3, 9)
LAYOUT(57, 2, 3, 8)
LAYOUT(58, 3, 3, 7)
LAYOUT(59, 4, 3, 6)
LAYOUT(60, 5, 3, 5)
LAYOUT(61, 6, 3, 4)
LAYOUT(62, 7, 3, 3)
LAYOUT(63, 8, 3, 2)
#endif

SEC("xdp")
int xdp_hints_bench(struct xdp_md *ctx)
{
	struct xdp_hints_valid v = {.rx_timestamp = 1};
	struct xdp_hints_status s = {.rx_timestamp = XDP_HINTS_STATE_OK};
	__u32 zero = 0, k;
	__u64 *rot, ts = 0, n;
	int err;

	rot = bpf_map_lookup_elem(&rotation, &zero);
	if (!rot)
		return XDP_PASS;
	n = (*rot)++;
	k = (__u32)n & (NLAYOUTS - 1);

	/* As the veth hook: veth has no timestamp for redirected frames (-ENODATA), and 0
	 * for stack-sent ones; then a CLOCK_TAI software timestamp, flagged. */
	err = bpf_xdp_metadata_rx_timestamp(ctx, &ts);
	if (err || ts == 0) {
		ts = bpf_ktime_get_tai_ns();
		s.rx_timestamp = XDP_HINTS_STATE_NODATA;
		s.rx_timestamp_sw = 1;
	}

	/* The prefix goes only on a frame that is redirected (transport.bpf.h). */
	if (xdp_hints_transport == XDP_HINTS_TRANSPORT_PREFIX) {
		__u32 q = ctx->rx_queue_index;

		if (!bpf_map_lookup_elem(&xsks_map, &q))
			return XDP_PASS;
	}
	switch (k) {
	case 0: err = write_0(ctx, ts, (__u32)n, v, s); break;
#if NLAYOUTS > 1
	case 1: err = write_1(ctx, ts, (__u32)n, v, s); break;
#endif
#if NLAYOUTS > 2
	case 2: err = write_2(ctx, ts, (__u32)n, v, s); break;
	case 3: err = write_3(ctx, ts, (__u32)n, v, s); break;
#endif
#if NLAYOUTS > 4
	case 4: err = write_4(ctx, ts, (__u32)n, v, s); break;
	case 5: err = write_5(ctx, ts, (__u32)n, v, s); break;
	case 6: err = write_6(ctx, ts, (__u32)n, v, s); break;
	case 7: err = write_7(ctx, ts, (__u32)n, v, s); break;
#endif
#if NLAYOUTS > 8
	case 8: err = write_8(ctx, ts, (__u32)n, v, s); break;
	case 9: err = write_9(ctx, ts, (__u32)n, v, s); break;
	case 10: err = write_10(ctx, ts, (__u32)n, v, s); break;
	case 11: err = write_11(ctx, ts, (__u32)n, v, s); break;
	case 12: err = write_12(ctx, ts, (__u32)n, v, s); break;
	case 13: err = write_13(ctx, ts, (__u32)n, v, s); break;
	case 14: err = write_14(ctx, ts, (__u32)n, v, s); break;
	case 15: err = write_15(ctx, ts, (__u32)n, v, s); break;
#endif
#if NLAYOUTS > 16
	case 16: err = write_16(ctx, ts, (__u32)n, v, s); break;
	case 17: err = write_17(ctx, ts, (__u32)n, v, s); break;
	case 18: err = write_18(ctx, ts, (__u32)n, v, s); break;
	case 19: err = write_19(ctx, ts, (__u32)n, v, s); break;
	case 20: err = write_20(ctx, ts, (__u32)n, v, s); break;
	case 21: err = write_21(ctx, ts, (__u32)n, v, s); break;
	case 22: err = write_22(ctx, ts, (__u32)n, v, s); break;
	case 23: err = write_23(ctx, ts, (__u32)n, v, s); break;
	case 24: err = write_24(ctx, ts, (__u32)n, v, s); break;
	case 25: err = write_25(ctx, ts, (__u32)n, v, s); break;
	case 26: err = write_26(ctx, ts, (__u32)n, v, s); break;
	case 27: err = write_27(ctx, ts, (__u32)n, v, s); break;
	case 28: err = write_28(ctx, ts, (__u32)n, v, s); break;
	case 29: err = write_29(ctx, ts, (__u32)n, v, s); break;
	case 30: err = write_30(ctx, ts, (__u32)n, v, s); break;
	case 31: err = write_31(ctx, ts, (__u32)n, v, s); break;
#endif
#if NLAYOUTS > 32
	case 32: err = write_32(ctx, ts, (__u32)n, v, s); break;
	case 33: err = write_33(ctx, ts, (__u32)n, v, s); break;
	case 34: err = write_34(ctx, ts, (__u32)n, v, s); break;
	case 35: err = write_35(ctx, ts, (__u32)n, v, s); break;
	case 36: err = write_36(ctx, ts, (__u32)n, v, s); break;
	case 37: err = write_37(ctx, ts, (__u32)n, v, s); break;
	case 38: err = write_38(ctx, ts, (__u32)n, v, s); break;
	case 39: err = write_39(ctx, ts, (__u32)n, v, s); break;
	case 40: err = write_40(ctx, ts, (__u32)n, v, s); break;
	case 41: err = write_41(ctx, ts, (__u32)n, v, s); break;
	case 42: err = write_42(ctx, ts, (__u32)n, v, s); break;
	case 43: err = write_43(ctx, ts, (__u32)n, v, s); break;
	case 44: err = write_44(ctx, ts, (__u32)n, v, s); break;
	case 45: err = write_45(ctx, ts, (__u32)n, v, s); break;
	case 46: err = write_46(ctx, ts, (__u32)n, v, s); break;
	case 47: err = write_47(ctx, ts, (__u32)n, v, s); break;
	case 48: err = write_48(ctx, ts, (__u32)n, v, s); break;
	case 49: err = write_49(ctx, ts, (__u32)n, v, s); break;
	case 50: err = write_50(ctx, ts, (__u32)n, v, s); break;
	case 51: err = write_51(ctx, ts, (__u32)n, v, s); break;
	case 52: err = write_52(ctx, ts, (__u32)n, v, s); break;
	case 53: err = write_53(ctx, ts, (__u32)n, v, s); break;
	case 54: err = write_54(ctx, ts, (__u32)n, v, s); break;
	case 55: err = write_55(ctx, ts, (__u32)n, v, s); break;
	case 56: err = write_56(ctx, ts, (__u32)n, v, s); break;
	case 57: err = write_57(ctx, ts, (__u32)n, v, s); break;
	case 58: err = write_58(ctx, ts, (__u32)n, v, s); break;
	case 59: err = write_59(ctx, ts, (__u32)n, v, s); break;
	case 60: err = write_60(ctx, ts, (__u32)n, v, s); break;
	case 61: err = write_61(ctx, ts, (__u32)n, v, s); break;
	case 62: err = write_62(ctx, ts, (__u32)n, v, s); break;
	case 63: err = write_63(ctx, ts, (__u32)n, v, s); break;
#endif
	default:
		err = -1;
	}
	if (err)
		return XDP_PASS;
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index,
				xdp_hints_transport == XDP_HINTS_TRANSPORT_PREFIX ? 0 : XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
