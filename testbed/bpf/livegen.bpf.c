/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Live-frames traffic generator. Run through BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES in the sender's network namespace: the kernel builds an XDP
 * frame from data_in for every repetition, this program stamps it and redirects it into
 * the sending veth, which hands it to its peer as if received from a wire.
 *
 * The frame (built in userspace) is Ethernet [+ 802.1Q] + IPv4 (IHL 5) + UDP + payload.
 * Per frame the program writes: the UDP source port (sport_base + n % flows), and at the
 * start of the payload (after the PTP header for PTP packets) a stamp {seq, tai_ns}. For
 * PTP packets also sequenceId and originTimestamp. Live frames are recycled without being
 * re-initialised, so everything that varies is written every time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_8021Q 0x8100

const volatile __u32 tx_ifindex = 0;
const volatile __u32 flows = 1;
const volatile __u16 sport_base = 10000;
const volatile __u8 ptp = 0;

/* Frames generated on each CPU (the test run of one CPU is not preempted by itself). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} generated SEC(".maps");

struct stamp {
	__u64 seq;    /* per-CPU sequence number << 8 | cpu */
	__u64 tai_ns; /* bpf_ktime_get_tai_ns() when the frame was generated */
};

#define PTP_HDR_LEN 34
#define PTP_SYNC_LEN 44

SEC("xdp")
int livegen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;
	struct stamp *st;
	__u8 *pl;
	__u32 zero = 0;
	__u64 *cnt, n, now;

	cnt = bpf_map_lookup_elem(&generated, &zero);
	if (!cnt)
		return XDP_ABORTED;
	n = (*cnt)++;

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	ip = (void *)(eth + 1);
	if (eth->h_proto == bpf_htons(ETH_P_8021Q))
		ip = (void *)ip + 4;
	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return XDP_ABORTED;
	udp->source = bpf_htons((__u16)(sport_base + n % flows));

	now = bpf_ktime_get_tai_ns();
	pl = (void *)(udp + 1);
	if (ptp) {
		if ((void *)(pl + PTP_SYNC_LEN + sizeof(*st)) > end)
			return XDP_ABORTED;
		__u64 sec = now / 1000000000ull;
		__u32 nsec = now % 1000000000ull;
		*(__u16 *)(pl + 30) = bpf_htons((__u16)n);
		*(__u16 *)(pl + 34) = bpf_htons((__u16)(sec >> 32));
		*(__u32 *)(pl + 36) = bpf_htonl((__u32)sec);
		*(__u32 *)(pl + 40) = bpf_htonl(nsec);
		st = (void *)(pl + PTP_SYNC_LEN);
	} else {
		st = (void *)pl;
		if ((void *)(st + 1) > end)
			return XDP_ABORTED;
	}
	st->seq = n << 8 | (bpf_get_smp_processor_id() & 0xff);
	st->tai_ns = now;
	return bpf_redirect(tx_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
