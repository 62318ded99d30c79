#include "print.hpp"

#include <fmt/format.h>

namespace xdphints::cli {

using namespace xdphints::hook;

namespace {

void add_kernel(const afxdp::XskSocket &s, afxdp::XdpStatistics &k)
{
	if (auto ks = s.kernel_stats()) {
		k.rx_dropped += ks->rx_dropped;
		k.rx_invalid_descs += ks->rx_invalid_descs;
		k.rx_ring_full += ks->rx_ring_full;
		k.rx_fill_ring_empty_descs += ks->rx_fill_ring_empty_descs;
		k.tx_invalid_descs += ks->tx_invalid_descs;
		k.tx_ring_empty_descs += ks->tx_ring_empty_descs;
	}
}

std::string format_line(const std::string &ours, const afxdp::XdpStatistics &k, const std::optional<HookStats> &h)
{
	std::string hs;
	if (h)
		hs = fmt::format(" | hook: rx {} redirected {} meta_failed {}", h->rx, h->redirected, h->meta_failed);
	return fmt::format("{} | kernel: rx_dropped {} rx_invalid {} "
			   "rx_ring_full {} fill_ring_empty {} tx_invalid {} tx_ring_empty {}{}",
			   ours, k.rx_dropped, k.rx_invalid_descs, k.rx_ring_full,
			   k.rx_fill_ring_empty_descs, k.tx_invalid_descs, k.tx_ring_empty_descs, hs);
}

std::optional<HookStats> hook_stats(const Hook &hook)
{
	if (auto h = hook.stats())
		return *h;
	return std::nullopt;
}

} // namespace

RunStats run_stats(const std::vector<std::unique_ptr<afxdp::XskSocket>> &socks, const Hook &hook)
{
	RunStats r;
	for (auto &s : socks) {
		r.frames += s->counters().rx_frames;
		r.with_hints += s->counters().rx_with_hints;
		r.unknown_layout += s->counters().rx_unknown_layout;
		add_kernel(*s, r.kernel);
	}
	r.hook = hook_stats(hook);
	return r;
}

std::string stats_line(const std::vector<std::unique_ptr<afxdp::XskSocket>> &socks, const Hook &hook,
		       std::optional<uint64_t> running_frames)
{
	if (!running_frames) {
		RunStats r = run_stats(socks, hook);
		return format_line(fmt::format("stats: frames {} with_hints {} unknown_layout {}", r.frames, r.with_hints,
					       r.unknown_layout),
				   r.kernel, r.hook);
	}
	afxdp::XdpStatistics k{};
	for (auto &s : socks)
		add_kernel(*s, k);
	return format_line(fmt::format("stats: frames {}", *running_frames), k, hook_stats(hook));
}

} // namespace xdphints::cli
