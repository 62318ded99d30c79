#include "timestamps.hpp"

#include <fmt/format.h>

#include <ctime>

namespace xdphints::render {

namespace {

int64_t ns_of(clockid_t c) noexcept
{
	timespec ts{};
	clock_gettime(c, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace

uint64_t realtime_ns() noexcept
{
	return uint64_t(ns_of(CLOCK_REALTIME));
}

int64_t kernel_tai_offset_ns() noexcept
{
	// The offset is whole seconds (timekeeping's tai_offset); two reads a few ns apart
	// round to it.
	int64_t d = ns_of(CLOCK_TAI) - ns_of(CLOCK_REALTIME);
	int64_t s = (d + (d >= 0 ? 500000000 : -500000000)) / 1000000000;
	return s * 1000000000;
}

std::string_view clock_name(Clock c) noexcept
{
	switch (c) {
	case Clock::tai:
		return "tai";
	case Clock::realtime:
		return "realtime";
	case Clock::phc:
		return "phc";
	case Clock::unspecified:
		break;
	}
	return "unspecified";
}

std::string ClockView::describe() const
{
	const char *sys = clock == Clock::realtime ? "CLOCK_REALTIME" : "CLOCK_TAI";
	if (clock == Clock::phc)
		return "rx_timestamp as written (--clock phc): hardware ones in the NIC's PHC time, software ones in "
		       "CLOCK_TAI; rx_timestamp_clock says which";
	std::string sw = clock == Clock::realtime
				 ? fmt::format("software ones (CLOCK_TAI) minus the TAI offset, {} s", tai_offset_ns / 1000000000)
				 : std::string("software ones as the hook read them");
	std::string hw = hardware ? "hardware ones converted from " + hardware->describe() +
					    " (rx_timestamp_error_ns: the bound; rx_timestamp_phc: the NIC's value), "
					    "shown as phc when they cannot be"
				  : std::string("hardware ones shown as the NIC gave them (phc): no PHC to convert them with");
	return fmt::format("rx_timestamp in {} (--clock {}): {}; {}", sys, clock_name(clock), sw, hw);
}

std::string PacketClock::describe() const
{
	std::string hw = hardware ? "hardware rx_timestamp: " + hardware->describe()
				  : std::string("hardware rx_timestamp: not converted (no PHC correlation), receive time");
	return fmt::format("software rx_timestamp: CLOCK_TAI from the hook, converted to UTC (TAI offset {} s); {}; "
			   "no rx_timestamp: receive time (CLOCK_REALTIME)",
			   tai_offset_ns / 1000000000, hw);
}

} // namespace xdphints::render
