#pragma once
// pcapng writer for `xdp-hints dump -w FILE` (libpcap writes only pcap, which has no
// per-packet options and no nanosecond interface clocks).
//
// What a file holds (pcapng draft, draft-ietf-opsawg-pcapng), in host byte order as the
// Section Header's byte-order magic tells readers:
// - one Section Header Block: version 1.0, section length -1 (unknown: we stream), and
//   shb_userappl "xdp-hints <version>";
// - one Interface Description Block per interface: LINKTYPE_ETHERNET, the snaplen, if_name,
//   if_description (free text: dump puts the clock domain of the timestamps there, e.g.
//   "PHC /dev/ptp0 converted to CLOCK_REALTIME" or "software CLOCK_TAI"), and if_tsresol = 9,
//   so timestamps are nanoseconds since the UNIX epoch, UTC;
// - one Enhanced Packet Block per packet, with the standard options where one exists:
//   epb_flags (direction inbound), epb_hash (Toeplitz + the 32-bit RSS hash, in the section's
//   byte order as DPDK's pcapng writer does), epb_queue (the RX queue), and opt_comment;
// - at the end, one Interface Statistics Block per interface (isb_ifrecv, isb_ifdrop,
//   isb_osdrop, isb_usrdeliv, each only where the caller knows it).
// Why the comment carries every hint: Wireshark 4.0 (Debian 12) accepts epb_hash but shows it
// nowhere (no field, nothing in `tshark -V`), and the hints with no standard option (hash type, timestamp source, layout name
// and id, per-field states) have nowhere else to go. So the caller's comment repeats rx_hash
// and the queue too: a reader sees every hint in one place, whatever its version.
//
// A VLAN tag the NIC stripped is put back into the written bytes (802.1Q header after the
// two MAC addresses, as libpcap does for tags the kernel stripped), so readers show it.
//
// Per packet nothing allocates and nothing formats: the encoders are free functions that
// write a block into the caller's span (dump: render::Capture, one whole block per record
// of its output queue); the comment is a string_view the caller prepared (from its render
// plan).
#include <xdphints/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace xdphints::cli::pcapng {

// tcpdump's largest snaplen; the IDB always states one so a reader knows the bound.
inline constexpr uint32_t max_snaplen = 262144;
// shb_userappl: the tool and its version.
inline constexpr std::string_view userappl = "xdp-hints " XDP_HINTS_VERSION;

// epb_flags bits 0-1: direction.
inline constexpr uint32_t flags_inbound = 1;

struct Interface {
	std::string name;        // if_name, e.g. "eth0"
	std::string description; // if_description: the clock domain of the timestamps
	uint32_t snaplen = max_snaplen; // captured bytes per packet at most (1..max_snaplen)
};

// A tag the NIC stripped (the rx_vlan_tci / rx_vlan_proto hints), both in host order.
struct Vlan {
	uint16_t tpid = 0x8100; // 0x8100 (802.1Q) or 0x88a8 (802.1ad)
	uint16_t tci = 0;       // PCP, DEI and VLAN id
};

struct Packet {
	uint32_t interface = 0;          // index returned by add_interface / order of IDBs
	uint64_t timestamp_ns = 0;       // ns since the UNIX epoch, UTC
	std::span<const uint8_t> frame;  // the bytes as received (a stripped tag is not in them)
	uint32_t original_len = 0;       // length on the wire without the stripped tag; 0: frame.size()
	std::optional<Vlan> vlan;        // re-inserted: lengths grow by 4
	std::optional<uint32_t> rss_hash; // epb_hash, type Toeplitz
	std::optional<uint32_t> queue;   // epb_queue
	uint32_t flags = flags_inbound;  // epb_flags
	// opt_comment, UTF-8, prepared by the caller; empty: none. Longer than 65535 bytes (the
	// option length's limit) it is cut at the last whole UTF-8 character that fits.
	std::string_view comment;
};

// Counters for an Interface Statistics Block; each written only when known.
struct InterfaceStats {
	std::optional<uint64_t> ifrecv;   // packets received by the interface
	std::optional<uint64_t> ifdrop;   // dropped by the interface for lack of resources
	std::optional<uint64_t> osdrop;   // dropped by the capture path (e.g. AF_XDP rings full)
	std::optional<uint64_t> usrdeliv; // delivered to us (and written)
};

// --- Encoders: each `*_size` is the exact block size; `encode_*` writes the block at the
// start of `out` (which must hold *_size bytes) and returns the bytes written.
std::size_t shb_size(std::string_view userappl);
std::size_t encode_shb(std::span<std::byte> out, std::string_view userappl);

std::size_t idb_size(const Interface &i);
std::size_t encode_idb(std::span<std::byte> out, const Interface &i);

// `snaplen` is the packet's interface's (captured length = min(frame with tag, snaplen)).
std::size_t epb_size(const Packet &p, uint32_t snaplen) noexcept;
std::size_t encode_epb(std::span<std::byte> out, const Packet &p, uint32_t snaplen) noexcept;
// The largest EPB any packet on an interface with this snaplen can need.
std::size_t epb_max_size(uint32_t snaplen) noexcept;

std::size_t isb_size(const InterfaceStats &s) noexcept;
std::size_t encode_isb(std::span<std::byte> out, uint32_t interface, uint64_t timestamp_ns,
		       const InterfaceStats &s) noexcept;

// --- VLAN re-insertion, allocation-free. The frame's length once `tag` is inserted: +4,
// unless the frame is too short to hold two MAC addresses (then it is left as is, as
// libpcap does).
inline constexpr std::size_t with_vlan_size(std::size_t frame_len) noexcept
{
	return frame_len >= 12 ? frame_len + 4 : frame_len;
}
// Copies the first min(out.size(), with_vlan_size(frame.size())) bytes of the frame with an
// 802.1Q/802.1ad header (TPID, TCI; big-endian on the wire) inserted after the two MAC
// addresses; returns the bytes written.
std::size_t copy_with_vlan(std::span<std::byte> out, std::span<const uint8_t> frame, Vlan tag) noexcept;

} // namespace xdphints::cli::pcapng
