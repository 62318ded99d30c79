#pragma once
// Kernel ABI of AF_XDP that is newer than the system's <linux/if_xdp.h> (and libxdp 1.3):
// copied field for field from the kernel's include/uapi/linux/if_xdp.h. Feature minimums
// are next to each item.
#include <linux/if_xdp.h>

#include <cstddef>
#include <cstdint>

namespace xdphints::afxdp::uapi {

// XDP_UMEM_REG, v3 layout (Linux >= 6.8 adds tx_metadata_len).
struct xdp_umem_reg {
	uint64_t addr;
	uint64_t len;
	uint32_t chunk_size;
	uint32_t headroom;
	uint32_t flags;
	uint32_t tx_metadata_len;
};
// Size the oldest kernels accept (no flags-era tail): addr..flags.
inline constexpr unsigned kUmemRegV1Size = offsetof(xdp_umem_reg, flags) + sizeof(uint32_t);

inline constexpr uint32_t XDP_UMEM_TX_SW_CSUM = 1u << 1;      // Linux >= 6.8: checksum in software
inline constexpr uint32_t XDP_UMEM_TX_METADATA_LEN = 1u << 2; // Linux >= 6.11: honour tx_metadata_len

// xdp_desc.options
inline constexpr uint32_t XDP_PKT_CONTD = 1u << 0;   // Linux >= 6.6: multi-buffer continuation
inline constexpr uint32_t XDP_TX_METADATA = 1u << 1; // Linux >= 6.8: TX metadata precedes data

// xsk_tx_metadata.flags
inline constexpr uint64_t XDP_TXMD_FLAGS_TIMESTAMP = 1u << 0;   // Linux >= 6.8
inline constexpr uint64_t XDP_TXMD_FLAGS_CHECKSUM = 1u << 1;    // Linux >= 6.8
inline constexpr uint64_t XDP_TXMD_FLAGS_LAUNCH_TIME = 1u << 2; // Linux >= 6.14

// Lives in the tx_metadata_len bytes in front of a TX frame's data (Linux >= 6.8).
struct xsk_tx_metadata {
	uint64_t flags;
	union {
		struct {
			uint16_t csum_start;  // from the start of data
			uint16_t csum_offset; // from csum_start
			uint32_t pad_;
			uint64_t launch_time;
		} request;
		struct {
			uint64_t tx_timestamp;
		} completion;
	};
};
static_assert(sizeof(xsk_tx_metadata) == 24);

} // namespace xdphints::afxdp::uapi
