#pragma once
// The XDP metadata limit of the running kernel: how many bytes a program can reserve in
// front of a packet with bpf_xdp_adjust_meta (252 from Linux 6.8, 32 before). The Decoder
// takes it as DecoderOptions::metadata_limit and refuses layouts no hook could write here.
//
//   xdphints::DecoderOptions o;
//   if (auto lim = xdphints::hook::kernel_metadata_limit())
//       o.metadata_limit = *lim;
//   auto dec = xdphints::Decoder::build(q, layouts, o);
#include <xdphints/export.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace xdphints::hook {

// Measured, not looked up by version: a tiny XDP program run once by BPF_PROG_TEST_RUN
// grows the metadata area 4 bytes at a time until bpf_xdp_adjust_meta refuses with
// -EACCES (the length check, xdp_metalen_invalid()); the area it reached is the limit.
// It first moves the packet start forward so headroom is never what stops it. Helpers
// and the test-run context it uses exist since Linux 5.13 (so on 6.1). Needs CAP_BPF +
// CAP_NET_ADMIN (or root). A kernel that allowed more than 512 bytes would report 512.
XDPHINTS_API Result<uint32_t> probe_metadata_limit();

// probe_metadata_limit(), run once per process; later calls return the cached answer (a
// failed probe is not cached).
XDPHINTS_API Result<uint32_t> kernel_metadata_limit();

// The limit the kernel release implies: 252 bytes from Linux 6.8, 32 before (and for a
// release it cannot read). Pure.
XDPHINTS_API uint32_t metadata_limit_of_release(std::string_view release) noexcept;

struct MetadataLimit {
	uint32_t bytes = 0;
	// How it is known, for messages: "probed", or "from the kernel release 6.1.0-..., the
	// probe failed: ..." (never the largest limit of any kernel by default).
	std::string source;
};

// kernel_metadata_limit(), else (a failed probe) the running release's limit, saying so.
XDPHINTS_API MetadataLimit metadata_limit();

// Before load: the first of `layouts` larger than the limit is refused, naming the layout,
// its size, the limit, how it is known and the fix. `whose`: "hook object x.bpf.o". Pure.
XDPHINTS_API Status check_layouts_fit(std::span<const Layout> layouts, const MetadataLimit &limit, std::string_view whose);

} // namespace xdphints::hook
