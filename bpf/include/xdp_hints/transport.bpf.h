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

#endif /* XDP_HINTS_TRANSPORT_BPF_H */
