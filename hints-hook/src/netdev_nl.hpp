#pragma once
// What the kernel says a device can do with XDP: the generic-netlink "netdev" family
// (NETDEV_CMD_DEV_GET, Linux >= 6.3; RX metadata features >= 6.8). Not in this system's
// uapi headers, so the few constants are defined in the .cpp.
#include <xdphints/result.hpp>

#include <cstdint>
#include <optional>

namespace xdphints::detail {

struct NetdevXdp {
	uint64_t xdp_features = 0;                // NETDEV_XDP_ACT_*
	std::optional<uint64_t> rx_metadata;      // NETDEV_XDP_RX_METADATA_* (>= 6.8)
	bool zero_copy() const noexcept { return xdp_features & 8; }   // NETDEV_XDP_ACT_XSK_ZEROCOPY
	bool native_xdp() const noexcept { return xdp_features & 1; }  // NETDEV_XDP_ACT_BASIC
};

// Errors: the family is missing (kernel < 6.3) -> ENOENT; no such device -> ENODEV.
Result<NetdevXdp> netdev_xdp(int ifindex);

} // namespace xdphints::detail
