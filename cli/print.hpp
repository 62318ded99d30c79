#pragma once
// dump's and demo's statistics on stderr. Packets are rendered by render.hpp.
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/hook/hook.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xdphints::cli {

// What the sockets and the hook counted, summed over the sockets.
struct RunStats {
	uint64_t frames = 0, with_hints = 0, unknown_layout = 0; // ours (after the threads stopped)
	afxdp::XdpStatistics kernel;                              // XDP_STATISTICS
	std::optional<xdphints::hook::HookStats> hook;                            // the hook's counters
};
// Read only after the receive threads stopped: the sockets' own counters belong to them.
RunStats run_stats(const std::vector<std::unique_ptr<afxdp::XskSocket>> &socks, const xdphints::hook::Hook &hook);

// Statistics line for stderr: XDP_STATISTICS, the hook's counters, and ours. While receive
// threads run, pass `frames` (counted by the caller): the sockets' own counters belong to
// their threads and are read only after they stop.
std::string stats_line(const std::vector<std::unique_ptr<afxdp::XskSocket>> &socks, const xdphints::hook::Hook &hook,
		       std::optional<uint64_t> frames = std::nullopt);

} // namespace xdphints::cli
