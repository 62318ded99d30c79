#pragma once
// Packet times for pcapng, which wants UTC (ns since the UNIX epoch): from the rx_timestamp
// hint when it can be converted, else the time dump received the packet.
//
// Clock domains of an rx_timestamp:
//   software (status.rx_timestamp_sw): the hook's bpf_ktime_get_tai_ns(), CLOCK_TAI. UTC is
//     CLOCK_TAI minus the kernel's TAI offset (37 s where NTP/PTP set it, often 0 on hosts
//     where nothing did), read when dump starts.
//   hardware: the NIC's PTP hardware clock (PHC), which may be seconds away from any system
//     clock. Converted only through a HardwareClock (the PHC correlation implements one);
//     without one the packet gets its receive time and the comment keeps the raw value.
//   unspecified (a layout without status.rx_timestamp_sw): no domain known: receive time.
#include "render.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace xdphints::render {

// Hardware timestamp -> UTC: the seam for the PHC correlation (a PHC sampled against the
// system clock, offset and drift fitted off the packet path). Called per packet from the
// receive threads: const, thread-safe, no system call, no allocation.
class HardwareClock {
public:
	virtual ~HardwareClock() = default;
	// UTC ns for a NIC rx_timestamp; nullopt when it cannot be converted (not yet sampled,
	// the PHC stepped, ...): the packet then gets its receive time.
	virtual std::optional<uint64_t> to_utc_ns(uint64_t hw_ns) const noexcept = 0;
	// For the interface description: e.g. "PHC /dev/ptp0 converted to UTC (CLOCK_REALTIME)".
	virtual std::string describe() const = 0;
};

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

	// The time of one packet from its rx_timestamp leaf (ts == nullptr: the layout has none).
	PacketTime time_of(const LayoutPlan *p, const uint8_t *struct_start) const noexcept
	{
		const Leaf *ts = p ? p->leaf(Role::rx_timestamp) : nullptr;
		if (ts && ts->integral) {
			LeafValue v = p->read(*ts, struct_start);
			if (v.present && v.value) {
				if (v.software) {
					if (int64_t(v.value) > tai_offset_ns)
						return {v.value - uint64_t(tai_offset_ns), TimeSource::rx_timestamp};
				} else if (hardware && p->has_ts_sw) {
					if (auto u = hardware->to_utc_ns(v.value))
						return {*u, TimeSource::rx_timestamp};
				}
			}
		}
		return {receive_ns(), TimeSource::receive};
	}

	// if_description: which clock the packet times come from.
	std::string describe() const;
};

} // namespace xdphints::render
