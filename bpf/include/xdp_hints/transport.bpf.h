/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How a hints hook hands a packet's hints over, chosen by the loader for the running kernel
 * and set before load (.rodata xdp_hints_transport):
 *
 *   XDP_HINTS_TRANSPORT_META    the XDP metadata area (bpf_xdp_adjust_meta): the hint struct
 *                               ends at ctx->data, on every frame the hook redirects.
 *   XDP_HINTS_TRANSPORT_PREFIX  for kernels (or drivers) that refuse the metadata area: once a
 *                               frame is being redirected to an AF_XDP socket, the hook moves
 *                               the packet start back by the prefix length
 *                               (bpf_xdp_adjust_head) and writes the same struct there,
 *                               right-aligned, so it ends where the original packet begins.
 *                               The prefix length (.rodata xdp_hints_prefix_len) is the hook's
 *                               largest layout, a multiple of 8; user space strips it.
 *                               Frames passed to the stack are never changed.
 *
 * XDP user logic linked into the hook runs before any prefix is added (it sees the packet
 * as it arrived). With the prefix transport it reads the hints from the per-CPU scratch
 * map below, which the hook fills for each packet before calling it; helpers.bpf.h's
 * xdp_hints_get() picks the right place, so the same user object works with both.
 */
#ifndef XDP_HINTS_TRANSPORT_BPF_H
#define XDP_HINTS_TRANSPORT_BPF_H

#define XDP_HINTS_TRANSPORT_META 0
#define XDP_HINTS_TRANSPORT_PREFIX 1

/* Room for one layout in the scratch map (the largest metadata area any kernel allows). */
#define XDP_HINTS_SCRATCH_BYTES 256

/* The scratch map's definition, shared by the hook (which defines the map) and user logic
 * (which declares it extern; libbpf's static linker resolves it to the hook's). */
#define XDP_HINTS_SCRATCH_MAP                                                           \
	struct {                                                                        \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                \
		__uint(max_entries, 1);                                                 \
		__type(key, __u32);                                                     \
		__type(value, __u64[XDP_HINTS_SCRATCH_BYTES / 8]);                      \
	}

/*
 * Hooks of your own can carry both transports too (the loader then chooses, as for the
 * built-in hooks). Declare in .rodata, with PREFIX_LEN your largest layout (a multiple of 8,
 * at most XDP_HINTS_SCRATCH_BYTES):
 *
 *     const volatile __u32 xdp_hints_transport = XDP_HINTS_TRANSPORT_META;
 *     const volatile __u32 xdp_hints_prefix_len = PREFIX_LEN;
 *
 * and hand each frame its layout (id last) with
 *
 *     if (xdp_hints_write(ctx, &layout, sizeof(layout), xdp_hints_transport, PREFIX_LEN))
 *             return XDP_PASS;                      // not written: never redirect it
 *     return bpf_redirect_map(&xsks_map, queue, xdp_hints_transport ? 0 : XDP_PASS);
 *
 * With the prefix transport call it only for a frame you redirect to AF_XDP, right before
 * the redirect (it changes the packet), and redirect with flags 0, so a frame whose socket
 * went away is dropped, not passed to the stack with the prefix. `size` and `prefix_len`
 * must be constants (the function is inlined; its copies unroll).
 */
static __always_inline void xdp_hints_copy_words(__u64 *dst, const __u64 *src, __u32 words)
{
#pragma clang loop unroll(full)
	for (__u32 i = 0; i < XDP_HINTS_SCRATCH_BYTES / 8; i++)
		if (i < words)
			dst[i] = src[i];
}

static __always_inline int xdp_hints_write(struct xdp_md *ctx, const void *layout, __u32 size, __u32 transport,
					   __u32 prefix_len)
{
	const __u64 *l = layout;

	if (size % 8 || size > prefix_len)
		return -1;
	if (transport != XDP_HINTS_TRANSPORT_PREFIX) {
		__u64 *m;

		if (bpf_xdp_adjust_meta(ctx, -(int)size))
			return -1;
		m = (void *)(long)ctx->data_meta;
		if ((void *)m + size > (void *)(long)ctx->data)
			return -1;
		xdp_hints_copy_words(m, l, size / 8);
		return 0;
	}
	{
		__u32 gap = (prefix_len - size) / 8;
		__u64 *p;

		if (bpf_xdp_adjust_head(ctx, -(int)prefix_len))
			return -1;
		p = (void *)(long)ctx->data;
		if ((void *)p + prefix_len > (void *)(long)ctx->data_end) {
			/* Cannot happen (the packet only grew); never pass a frame on prefixed. */
			bpf_xdp_adjust_head(ctx, (int)prefix_len);
			return -1;
		}
#pragma clang loop unroll(full)
		for (__u32 i = 0; i < XDP_HINTS_SCRATCH_BYTES / 8; i++)
			if (i < gap)
				p[i] = 0;
		xdp_hints_copy_words(p + gap, l, size / 8);
		return 0;
	}
}

#endif /* XDP_HINTS_TRANSPORT_BPF_H */
