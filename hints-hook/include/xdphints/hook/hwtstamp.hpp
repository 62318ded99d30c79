#pragma once
// Hardware RX timestamping on request (--hwtstamp): SIOCSHWTSTAMP with restore. Without
// it the interface's timestamping configuration is left alone; drivers only fill the
// rx_timestamp kfunc when RX timestamping is on.
//
// The previous setting is written to a state record (/run/xdp-hints/<netns>-<ifindex>,
// see restore_left_behind() in hook.hpp) BEFORE it is changed, so a process killed with
// SIGKILL leaves behind what is needed to put it back: the next enable() or attach on the
// interface, or `xdp-hints reset IFNAME`, restores it and says so.
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xdphints::hook {

class XDPHINTS_API HwTimestamping {
public:
	// Asks for timestamps on all received packets (HWTSTAMP_FILTER_ALL), keeping the TX
	// setting; remembers the previous configuration (SIOCGHWTSTAMP) and puts it back on
	// destruction. In the calling thread's network namespace. A setting left changed by a
	// process that no longer runs is restored first (restored() says so); one changed by a
	// process that still runs is refused (EBUSY).
	static Result<HwTimestamping> enable(std::string_view ifname);

	HwTimestamping(HwTimestamping &&o) noexcept = default;
	HwTimestamping(const HwTimestamping &) = delete;
	HwTimestamping &operator=(const HwTimestamping &) = delete;
	HwTimestamping &operator=(HwTimestamping &&) = delete;
	~HwTimestamping(); // puts the previous setting back (not fd juggling: a restore)

	int rx_filter() const noexcept { return rx_filter_; }         // as the driver set it
	int previous_rx_filter() const noexcept { return prev_rx_; }  // restored on destruction
	// What enable() restored first (a setting left by a killed process), or "".
	const std::string &restored() const noexcept { return restored_; }

private:
	HwTimestamping() = default;
	// Its socket keeps the namespace of the interface for the restore; empty once moved.
	std::optional<edge::Ethtool> eth_;
	std::string ifname_;
	int ifindex_ = 0;
	uint64_t netns_ = 0;
	int prev_flags_ = 0, prev_tx_ = 0, prev_rx_ = 0;
	int rx_filter_ = 0;
	bool configured_ = false; // SIOCSHWTSTAMP succeeded: restore on destruction
	std::string restored_;
};

// Tests answer SIOCGHWTSTAMP / SIOCSHWTSTAMP through the edge seam (xdphints/edge/sys.hpp,
// Sys::ioctl), so the enable, record and restore paths run without a NIC that timestamps.

} // namespace xdphints::hook
