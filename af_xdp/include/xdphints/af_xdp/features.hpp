#pragma once
// What a device offers AF_XDP, from the kernel's netdev generic-netlink family
// (NETDEV_CMD_DEV_GET; Linux >= 6.3, xsk-features >= 6.8), and what that means for TX
// metadata on a given socket.
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <string>

namespace xdphints::afxdp {

class XskSocket;

struct XDPHINTS_API DeviceFeatures {
	uint64_t xdp_features = 0;     // NETDEV_XDP_ACT_* bits
	uint64_t xsk_features = 0;     // NETDEV_XSK_FLAGS_* bits
	uint64_t rx_metadata = 0;      // NETDEV_XDP_RX_METADATA_* bits (timestamp, hash, vlan)
	uint32_t zc_max_segs = 0;
	bool xsk_features_known = false; // the kernel reported xsk-features (>= 6.8)

	bool zero_copy() const noexcept { return xdp_features & 8; }         // XSK_ZEROCOPY
	bool tx_timestamp() const noexcept { return xsk_features & 1; }      // TX_TIMESTAMP
	bool tx_checksum() const noexcept { return xsk_features & 2; }       // TX_CHECKSUM
	bool tx_launch_time() const noexcept { return xsk_features & 4; }    // TX_LAUNCH_TIME_FIFO
	std::string to_string() const; // "zero-copy no, tx-timestamp no, ..."
};

// In the calling thread's network namespace.
XDPHINTS_API Result<DeviceFeatures> query_device_features(int ifindex);

// Whether TX metadata requests on this socket will do anything, and a sentence saying so.
struct TxMetadataReport {
	bool registered = false; // the umem reserves room for struct xsk_tx_metadata
	bool timestamp = false;  // completions will carry the device's TX timestamps
	bool software_timestamp = false; // copy mode: the kernel stamps completions (CLOCK_TAI at skb free)
	bool checksum = false;   // the device fills checksums on request
	bool launch_time = false;
	std::string message;
};
XDPHINTS_API Result<TxMetadataReport> tx_metadata_report(const XskSocket &s);

} // namespace xdphints::afxdp
