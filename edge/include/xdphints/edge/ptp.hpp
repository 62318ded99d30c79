#pragma once
// An interface's PTP hardware clock (PHC): the clock its hardware RX timestamps are in.
// Found through ETHTOOL_GET_TS_INFO (phc_index -> /dev/ptpN) and measured against
// CLOCK_REALTIME with the best ioctl the driver offers, in linuxptp's order (sysoff.c):
//   PTP_SYS_OFFSET_PRECISE   a cross timestamp taken by the hardware (Linux >= 4.6; few
//                            drivers: ART-capable Intel NICs, ...): no read window at all;
//   PTP_SYS_OFFSET_EXTENDED  [system, PHC, system] around the PHC register read itself
//                            (Linux >= 5.0, driver gettimex64);
//   PTP_SYS_OFFSET           system, PHC, system, ... around the whole gettime call (>= 3.8).
// Of several readings the tightest window (the least system time between the two system
// reads) is kept: the PHC was read inside it, so half its width bounds the error. A reading
// whose second system read is before its first (CLOCK_REALTIME stepped back inside it)
// brackets nothing; when every reading is like that the measurement is an error.
// Every call goes through the seam (sys.hpp: open, ioctl, clock_gettime, close), so a
// fake PHC stands in for one in tests.
#include <xdphints/edge/fd.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace xdphints::edge {

enum class SysOffsetMethod { precise, extended, basic };
const char *sys_offset_name(SysOffsetMethod m) noexcept; // "PTP_SYS_OFFSET_PRECISE", ...

// One PHC reading against CLOCK_REALTIME.
struct PhcSample {
	int64_t phc_ns = 0;      // the PHC
	int64_t realtime_ns = 0; // CLOCK_REALTIME at that instant: the window's midpoint
	int64_t half_width_ns = 0; // the PHC was read within realtime_ns +- this (0: PRECISE)
};

class XDPHINTS_API Phc {
public:
	// /dev/ptp<index>, read-only (reading and measuring need no write access).
	static Result<Phc> open(int index, std::string_view ifname = {});
	// The PHC of `ifname` (ETHTOOL_GET_TS_INFO), in the calling thread's network
	// namespace; Errc::not_found when the interface has none (veth, virtio_net, ...).
	static Result<Phc> of_interface(std::string_view ifname);

	int index() const noexcept { return index_; }
	std::string path() const { return "/dev/ptp" + std::to_string(index_); }
	// The method sample() uses; settled by the first sample().
	SysOffsetMethod method() const noexcept { return method_; }

	// One measurement from `readings` (1..25) readings, the tightest kept. The first call
	// finds the best method the driver offers (EOPNOTSUPP, ENOTTY, EINVAL: the next one).
	// Errc::io when no reading is usable (the system clock stepped inside every one).
	Result<PhcSample> sample(int readings = 9);

private:
	Phc() = default;
	UniqueFd fd_;
	int index_ = -1;
	std::string ifname_;
	SysOffsetMethod method_ = SysOffsetMethod::precise;
	bool settled_ = false;
};

// CLOCK_TAI - CLOCK_REALTIME in whole seconds (37 since 2017 when the kernel was told,
// by ntpd/chrony/ptp4l; 0 on a system nobody told).
XDPHINTS_API int64_t tai_offset_s() noexcept;

} // namespace xdphints::edge
