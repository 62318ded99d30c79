#pragma once
// The clock of software timestamps. When a driver gives no RX timestamp, the hook writes
// bpf_ktime_get_tai_ns() (status.rx_timestamp_sw = 1); AF_XDP TX completions without a
// device timestamp are CLOCK_TAI too. Compare such timestamps with this, never with
// CLOCK_REALTIME or CLOCK_MONOTONIC.
#include <cstdint>
#include <ctime>

namespace xdphints::hook {

// CLOCK_TAI now, in ns (vDSO: no system call).
inline uint64_t software_clock_ns() noexcept
{
	timespec ts{};
	clock_gettime(CLOCK_TAI, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

} // namespace xdphints::hook
