#pragma once
// What the kernel says a device can do with XDP and AF_XDP: the generic-netlink "netdev"
// family (NETDEV_CMD_DEV_GET; Linux >= 6.3, RX metadata and xsk features >= 6.8). Not in
// this system's uapi headers, so the few constants are defined in the .cpp.
#include <xdphints/result.hpp>

#include <cstdint>
#include <optional>

namespace xdphints::edge {

struct NetdevInfo {
	uint64_t xdp_features = 0;            // NETDEV_XDP_ACT_*
	std::optional<uint64_t> rx_metadata;  // NETDEV_XDP_RX_METADATA_* (>= 6.8)
	std::optional<uint64_t> xsk_features; // NETDEV_XSK_FLAGS_* (>= 6.8)
	uint32_t zc_max_segs = 0;

	bool native_xdp() const noexcept { return xdp_features & 1; } // NETDEV_XDP_ACT_BASIC
	bool zero_copy() const noexcept { return xdp_features & 8; }  // NETDEV_XDP_ACT_XSK_ZEROCOPY
};

// `ifindex` in the calling thread's network namespace. Errors: the family is missing
// (kernel < 6.3) -> Errc::unsupported; no such device -> Errc::no_device.
Result<NetdevInfo> netdev_dev_get(int ifindex);

} // namespace xdphints::edge
