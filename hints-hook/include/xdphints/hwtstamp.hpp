#pragma once
// Hardware RX timestamping on request (--hwtstamp): SIOCSHWTSTAMP with restore. Without
// it the interface's timestamping configuration is left alone; drivers only fill the
// rx_timestamp kfunc when RX timestamping is on.
#include <xdphints/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace xdphints {

class HwTimestamping {
public:
	// Asks for timestamps on all received packets (HWTSTAMP_FILTER_ALL), keeping the TX
	// setting; remembers the previous configuration (SIOCGHWTSTAMP) and puts it back on
	// destruction. In the calling thread's network namespace.
	static Result<HwTimestamping> enable(std::string_view ifname);

	HwTimestamping(HwTimestamping &&o) noexcept;
	HwTimestamping(const HwTimestamping &) = delete;
	HwTimestamping &operator=(const HwTimestamping &) = delete;
	HwTimestamping &operator=(HwTimestamping &&) = delete;
	~HwTimestamping();

	int rx_filter() const noexcept { return rx_filter_; }         // as the driver set it
	int previous_rx_filter() const noexcept { return prev_rx_; }  // restored on destruction

private:
	HwTimestamping() = default;
	int sock_ = -1; // keeps the namespace of the interface for the restore
	std::string ifname_;
	int prev_flags_ = 0, prev_tx_ = 0, prev_rx_ = 0;
	int rx_filter_ = 0;
	bool configured_ = false; // SIOCSHWTSTAMP succeeded: restore on destruction
};

} // namespace xdphints
