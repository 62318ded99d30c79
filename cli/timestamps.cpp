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

std::string PacketClock::describe() const
{
	std::string hw = hardware ? "hardware rx_timestamp: " + hardware->describe()
				  : std::string("hardware rx_timestamp: not converted (no PHC correlation), receive time");
	return fmt::format("software rx_timestamp: CLOCK_TAI from the hook, converted to UTC (TAI offset {} s); {}; "
			   "no rx_timestamp: receive time (CLOCK_REALTIME)",
			   tai_offset_ns / 1000000000, hw);
}

} // namespace xdphints::render
