#pragma once
// What an interface offers for hints, without attaching anything (the PHC is read, no
// setting is changed): the data behind `xdp-hints probe IFNAME [--json]`.
#include <xdphints/export.hpp>
#include <xdphints/hook/hwtstamp.hpp>
#include <xdphints/hook/phc_clock.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xdphints::hook {

struct ProbeInfo {
	std::string ifname;
	int ifindex = 0;
	std::string driver;              // ethtool GDRVINFO; "" when the device has none
	std::string hook;                // the hook `attach` would choose here ("veth", "generic", ...)
	std::string hook_reason;         // why, in one line (select_hook())
	std::string hook_struct;         // the struct it writes on this kernel ("xdp_hints_veth")
	bool hook_uses_kfuncs = false;   // device-bound, driver mode; else generic (SKB) mode
	std::string hook_min_kernel;     // for all of the hook's fields
	std::vector<std::string> fields; // hint members the hook writes on this kernel (rx_timestamp, rx_hash, ...)
	// How hints would reach AF_XDP here ("meta", "prefix") and why, in one line
	// (choose_transport_for(): XDP_HINTS_TRANSPORT or the kernel's answer); on an error,
	// transport is "" and the reason says it.
	std::string transport;
	std::string transport_reason;
	// What the kernel reports for the device (netdev netlink; nullopt: kernel too old).
	std::optional<std::vector<std::string>> kernel_rx_metadata; // same names, Linux >= 6.8
	std::optional<bool> native_xdp;   // NETDEV_XDP_ACT_BASIC
	std::optional<bool> zero_copy;    // NETDEV_XDP_ACT_XSK_ZEROCOPY: AF_XDP zero-copy
	// Timestamp clock (ETHTOOL_GET_TS_INFO): PHC index (/dev/ptpN), -1 when none.
	int phc_index = -1;
	bool hw_rx_timestamping = false; // SOF_TIMESTAMPING_RX_HARDWARE supported
	uint32_t hw_rx_filters = 0;      // HWTSTAMP_FILTER_* bits the device supports
	// The RX filter now and what a run would get (nullopt: the device could not be asked).
	std::optional<RxTimestamping> rx_timestamping;
	// The PHC measured against the system clocks over ~0.5 s (offset, drift, which clock
	// it follows); nullopt without a PHC, or with phc_error saying why it could not be read.
	std::optional<hook::PhcStatus> phc;
	std::string phc_error;
	// An XDP program already on the interface (attach refuses unless --replace).
	uint32_t attached_prog_id = 0;
	std::string attached_prog_name;
};

// In the calling thread's network namespace. Errors: unknown interface. Parts the kernel
// or driver cannot tell are left empty / nullopt, not errors.
XDPHINTS_API Result<ProbeInfo> probe(std::string_view ifname);

} // namespace xdphints::hook
