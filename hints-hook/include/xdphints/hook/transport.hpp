#pragma once
// How a hints hook hands the hints to AF_XDP: the transport, chosen once per kernel.
//
//   meta    the XDP metadata area (bpf_xdp_adjust_meta): the hint struct ends at the packet,
//           in the headroom, on every frame the hook redirects (Linux >= 4.15; the layout at
//           most the kernel's metadata limit, meta_limit.hpp).
//   prefix  for kernels that refuse the metadata area: the hook moves the packet start back
//           (bpf_xdp_adjust_head) on each frame it redirects and writes the same struct
//           there, right-aligned in a prefix as long as the hook's largest layout (a multiple
//           of 8), so it ends where the packet begins. The AF_XDP layer strips the prefix
//           (afxdp::SocketConfig::hints_prefix): Frame::bytes() starts at the packet and the
//           Decoder reads the hints in front of it, as with meta. Frames passed to the stack
//           are never changed. Works wherever XDP does.
//
// The application sees no difference. What differs: with prefix, frames the hook passes to
// the stack carry no hints (MetaTap reads nothing), and user logic linked into the hook
// reads the hints from the hook's per-CPU scratch (bpf/include/xdp_hints/transport.bpf.h).
//
//   auto t = xdphints::hook::choose_transport_for(Transport::automatic);
//   // t->transport == Transport::prefix, t->reason == "transport prefix (...): this kernel
//   // refuses the XDP metadata area (bpf_xdp_adjust_meta)"
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace xdphints::hook {

enum class Transport {
	automatic, // meta where the kernel allows it, else prefix (XDP_HINTS_TRANSPORT overrides)
	meta,
	prefix,
};

XDPHINTS_API const char *transport_name(Transport t) noexcept; // "auto", "meta", "prefix"
// "meta", "prefix", "auto" -> Transport; an error naming the choices otherwise.
XDPHINTS_API Result<Transport> parse_transport(std::string_view s);

// The environment variable that chooses for Transport::automatic, for programs that cannot
// be told otherwise (tests run under both transports, deployments on kernels that accept
// the metadata area helper but whose driver refuses it at run time).
inline constexpr const char *kTransportEnv = "XDP_HINTS_TRANSPORT";

// What choose_transport() looks at; choose_transport_for() gathers it, tests build it.
struct TransportInput {
	Transport requested = Transport::automatic;
	std::optional<Transport> from_env; // kTransportEnv, when set (never automatic)
	bool metadata_area = true;         // the kernel lets XDP programs call bpf_xdp_adjust_meta
};

struct TransportChoice {
	Transport transport = Transport::meta; // meta or prefix, never automatic
	std::string reason;                    // one line: which, and why
};

// Pure. Errors: meta asked for (explicitly or by the environment) where the kernel refuses
// the metadata area.
XDPHINTS_API Result<TransportChoice> choose_transport(const TransportInput &in);

// Whether this kernel lets an XDP program use the metadata area: a three-instruction XDP
// program calling bpf_xdp_adjust_meta is loaded once per process (the answer is cached).
// false when the verifier refuses the helper; an error when the probe cannot tell (no
// privileges: CAP_BPF + CAP_NET_ADMIN, or root). A driver may still refuse the area at
// run time (the hook then counts meta_failed): that only traffic shows.
XDPHINTS_API Result<bool> metadata_area_allowed();

// choose_transport() with the environment and the kernel's answer gathered.
XDPHINTS_API Result<TransportChoice> choose_transport_for(Transport requested);

} // namespace xdphints::hook
