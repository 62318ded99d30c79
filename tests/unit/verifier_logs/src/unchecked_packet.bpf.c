/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Recording source (tests/unit/verifier_logs): a packet read without the bounds check the
 * verifier asks for: an ordinary rejection with no cause of its own, quoted as it is. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int unchecked_packet(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[12] == 0x08 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
