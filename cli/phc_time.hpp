#pragma once
// hook::PhcClock as dump's HardwareClock (clock.hpp): the NIC's rx_timestamps converted to
// CLOCK_TAI or CLOCK_REALTIME with the fit PhcRefresher keeps up to date off the packet
// path. Per packet: PhcClock::to_system (a seqlock read, no system call).
#include "clock.hpp"

#include <xdphints/hook/phc_clock.hpp>

#include <string>

namespace xdphints::render {

class PhcTime final : public HardwareClock {
public:
	explicit PhcTime(const hook::PhcClock &clk) : clk_(&clk) {}
	HwTime to_system(uint64_t hw_ns, Clock to) const noexcept override
	{
		hook::SystemTime t =
			clk_->to_system(hw_ns, to == Clock::tai ? hook::TimeBase::tai : hook::TimeBase::realtime);
		return {t.ns, t.error_ns, t.valid};
	}
	std::string describe() const override { return "PHC " + clk_->path() + " fitted against CLOCK_REALTIME"; }

private:
	const hook::PhcClock *clk_;
};

} // namespace xdphints::render
