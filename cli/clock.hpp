#pragma once
// Which clock dump shows an rx_timestamp in (`--clock tai|realtime|phc`), and the seam to
// the PHC correlation that converts hardware ones.
//
// An rx_timestamp is in one of two clocks: the hook's software ones are CLOCK_TAI
// (bpf_ktime_get_tai_ns), hardware ones the NIC's PTP hardware clock (PHC), which can be
// seconds away from every system clock unless phc2sys steers it. dump shows each packet's
// rx_timestamp in the asked clock and says which clock each value is in:
//   tai       software ones as read; hardware ones converted through the PHC fit (with
//             its error bound and the raw PHC value beside). The default.
//   realtime  the same in CLOCK_REALTIME (UTC): software ones minus the kernel's TAI offset.
//   phc       nothing converted: hardware ones as the NIC gave them, software ones CLOCK_TAI.
// A hardware timestamp that cannot be converted (no PHC found, the PHC not running, not
// measured yet, too far from the newest measurement or on the far side of a step: see
// hook/phc_clock.hpp) is shown raw and said to be in "phc": never passed off as system time.
// A layout that cannot tell software from hardware (no status.rx_timestamp_sw) gives
// "unspecified" values, shown raw.
#include <cstdint>
#include <string>
#include <string_view>

namespace xdphints::render {

enum class Clock : uint8_t { tai, realtime, phc, unspecified };
std::string_view clock_name(Clock c) noexcept; // "tai", "realtime", "phc", "unspecified"

// A system time from a hardware timestamp: |ns - truth| <= error_ns when valid.
struct HwTime {
	int64_t ns = 0;
	int64_t error_ns = 0;
	bool valid = false;
};

// Hardware timestamp -> system time: what the PHC correlation (hook::PhcClock, through
// cli/phc_time.hpp) implements; the tests give fakes. Called per packet from the receive
// threads: const, thread-safe, no system call, no allocation.
class HardwareClock {
public:
	virtual ~HardwareClock() = default;
	// A NIC rx_timestamp in CLOCK_TAI (to == Clock::tai) or CLOCK_REALTIME (any other),
	// within error_ns of the truth; invalid when that cannot be promised (not measured yet,
	// the PHC not running, out of the fit's reach, across a step, ...).
	virtual HwTime to_system(uint64_t hw_ns, Clock to) const noexcept = 0;
	// e.g. "PHC /dev/ptp0 fitted against CLOCK_REALTIME".
	virtual std::string describe() const = 0;
};

// One rx_timestamp as shown.
struct ShownTime {
	uint64_t ns = 0;       // in `clock`
	int64_t error_ns = 0;  // converted only: the bound of the conversion
	uint64_t raw = 0;      // converted only: the PHC value the NIC gave
	Clock clock = Clock::unspecified;
	bool converted = false; // a hardware timestamp converted through the PHC fit
};

struct ClockView {
	Clock clock = Clock::tai;                // asked for: tai, realtime or phc
	int64_t tai_offset_ns = 0;               // CLOCK_TAI - CLOCK_REALTIME when dump started
	const HardwareClock *hardware = nullptr; // none: hardware timestamps are shown raw

	// `v`: a present rx_timestamp; `software`: status.rx_timestamp_sw set; `known`: the
	// layout has status.rx_timestamp_sw (otherwise software and hardware look alike).
	ShownTime show(uint64_t v, bool software, bool known) const noexcept
	{
		if (software) {
			if (clock == Clock::realtime && int64_t(v) > tai_offset_ns)
				return {v - uint64_t(tai_offset_ns), 0, 0, Clock::realtime, false};
			return {v, 0, 0, Clock::tai, false};
		}
		if (!known)
			return {v, 0, 0, Clock::unspecified, false};
		if (clock != Clock::phc && hardware)
			if (HwTime t = hardware->to_system(v, clock); t.valid && t.ns > 0)
				return {uint64_t(t.ns), t.error_ns, v, clock, true};
		return {v, 0, 0, Clock::phc, false};
	}

	// For dump's stderr: which clock the values are in, and how hardware ones get there.
	std::string describe() const;
};

} // namespace xdphints::render
