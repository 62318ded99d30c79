#pragma once
// Packet times for pcapng, which wants UTC (ns since the UNIX epoch): from the rx_timestamp
// hint when it can be converted, else the time dump received the packet.
//
// Clock domains of an rx_timestamp:
//   software (status.rx_timestamp_sw): the hook's bpf_ktime_get_tai_ns(), CLOCK_TAI. UTC is
//     CLOCK_TAI minus the kernel's TAI offset (37 s where NTP/PTP set it, often 0 on hosts
//     where nothing did), read when dump starts.
//   hardware: the NIC's PTP hardware clock (PHC), which may be seconds away from any system
//     clock. Converted only through a HardwareClock (clock.hpp; hook::PhcClock through
//     phc_time.hpp); without one, or when it cannot convert, the packet gets its receive
//     time and the comment keeps the raw value.
//   unspecified (a layout without status.rx_timestamp_sw): no domain known: receive time.
#include "clock.hpp"
#include "render.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace xdphints::render {

// CLOCK_REALTIME now, ns (vDSO).
uint64_t realtime_ns() noexcept;
// The kernel's TAI offset now (CLOCK_TAI - CLOCK_REALTIME, whole seconds), in ns.
int64_t kernel_tai_offset_ns() noexcept;

struct PacketTime {
	uint64_t utc_ns = 0;
	TimeSource source = TimeSource::receive;
};

struct PacketClock {
	int64_t tai_offset_ns = 0;               // CLOCK_TAI - UTC: software stamps minus this
	const HardwareClock *hardware = nullptr; // none: hardware stamps are not converted
	uint64_t (*receive_ns)() noexcept = realtime_ns; // a packet's receive time, UTC

	// The time of one packet from its rx_timestamp leaf (ts == nullptr: the layout has none):
	// the leaf in CLOCK_REALTIME by ClockView's rule when it gets there, else receive time.
	PacketTime time_of(const LayoutPlan *p, const uint8_t *struct_start) const noexcept
	{
		const Leaf *ts = p ? p->leaf(Role::rx_timestamp) : nullptr;
		if (ts && ts->integral) {
			LeafValue v = p->read(*ts, struct_start);
			if (v.present && v.value) {
				ShownTime t = ClockView{Clock::realtime, tai_offset_ns, hardware}.show(v.value, v.software,
													p->has_ts_sw);
				if (t.clock == Clock::realtime)
					return {t.ns, TimeSource::rx_timestamp};
			}
		}
		return {receive_ns(), TimeSource::receive};
	}

	// if_description: which clock the packet times come from.
	std::string describe() const;
};

} // namespace xdphints::render
