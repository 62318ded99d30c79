/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Test user logic (--user-object): after the hook wrote this packet's hints, frames whose
 * length is 1 mod 4 are passed to the stack and 3 mod 4 dropped; the rest go on to the
 * AF_XDP socket. In zero-copy mode the kernel puts a passed or dropped umem frame straight
 * back on the pool's free list, its headroom still holding that packet's hints, and the
 * next packet lands there: the kernel tier checks that every frame user space gets
 * carries its own packet's hash, never the one left behind (guest-cases, zc-stale).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <xdp_hints/helpers.bpf.h>

__u64 passed;
__u64 dropped;

__attribute__((noinline)) int xdp_hints_user(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	if ((len & 3) == 1) {
		__sync_fetch_and_add(&passed, 1);
		return XDP_PASS;
	}
	if ((len & 3) == 3) {
		__sync_fetch_and_add(&dropped, 1);
		return XDP_DROP;
	}
	return XDP_HINTS_CONTINUE;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
