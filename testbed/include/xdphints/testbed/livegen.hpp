#pragma once
// Live-frames traffic generator: a BPF_PROG_TEST_RUN program run with
// BPF_F_TEST_XDP_LIVE_FRAMES in the sender's namespace, redirecting every frame into the
// sending veth (bpf_redirect), so its peer receives it like a frame from a wire: 2-3 Mpps
// per core on veth, where xdp-trafficgen does not run. Needs Linux >= 5.18 and root.
//
//   auto tb  = Testbed::create("gen");
//   auto gen = LiveGen::create(tb->tx_ns, tb->tx().ifindex,
//                              GenOptions::between(tb->tx(), tb->rx()));
//   auto sent = gen->send(1'000'000);              // Result<uint64_t>: frames generated
//
// The receiving veth only accepts redirected frames while an XDP program is attached to
// it (veth drops them otherwise, counted in its xdp_xmit_errors).
//
// Frames: Ethernet [+ 802.1Q] + IPv4 + UDP; `flows` source ports (src_port + n % flows);
// the payload starts with a stamp {seq, tai_ns} (GenStamp), after a PTP v2 Sync header
// (UDP port 319) when `ptp` is set.
#include <xdphints/result.hpp>
#include <xdphints/testbed/netns.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct livegen;

namespace xdphints::testbed {

struct GenOptions {
	std::string src_mac = "02:00:00:00:00:02"; // "aa:bb:cc:dd:ee:ff"
	std::string dst_mac = "02:00:00:00:00:01";
	std::string src_ip = "10.77.0.2";
	std::string dst_ip = "10.77.0.1";
	uint16_t src_port = 10000;
	uint16_t dst_port = 9000;           // 319 when ptp
	uint32_t flows = 4;                 // source ports src_port .. src_port + flows - 1
	std::optional<uint16_t> vlan_tci;   // 802.1Q tag in the frame bytes
	bool ptp = false;                   // PTP v2 Sync over UDP (port 319)
	uint32_t frame_len = 64;            // bytes on the wire without FCS (>= 60 and large enough)
	uint32_t batch_size = 64;           // BPF_PROG_TEST_RUN batch_size (frames per NAPI-like batch)
	// CPUs to generate on, one thread each (count split evenly); empty = calling thread.
	// veth delivers a redirected frame to the peer's rx queue (sending CPU % queues), so
	// CPUs {0, 1} fill two queues.
	std::vector<int> cpus;

	// Addresses from a veth pair: frames go from `from` to `to`.
	static GenOptions between(const VethEnd &from, const VethEnd &to);
};

// What the generator writes at the start of the UDP payload (after the PTP header).
struct GenStamp {
	uint64_t seq;    // per-CPU sequence << 8 | cpu
	uint64_t tai_ns; // CLOCK_TAI when generated
} __attribute__((packed));

class LiveGen {
public:
	static Result<LiveGen> create(const Netns &tx_ns, int tx_ifindex, const GenOptions &opt);
	LiveGen(LiveGen &&o) noexcept;
	LiveGen(const LiveGen &) = delete;
	LiveGen &operator=(const LiveGen &) = delete;
	LiveGen &operator=(LiveGen &&) = delete;
	~LiveGen();

	// Generates `count` frames (split over opt.cpus); returns how many the program ran for.
	Result<uint64_t> send(uint64_t count);
	// Frames generated so far by this generator.
	uint64_t generated() const noexcept;

	const std::vector<uint8_t> &frame() const noexcept { return frame_; }
	size_t payload_offset() const noexcept { return payload_off_; } // UDP payload in frame()
	size_t stamp_offset() const noexcept { return stamp_off_; }     // GenStamp in frame()

private:
	LiveGen() = default;
	const Netns *ns_ = nullptr;
	::livegen *skel_ = nullptr;
	GenOptions opt_;
	std::vector<uint8_t> frame_;
	size_t payload_off_ = 0;
	size_t stamp_off_ = 0;
};

// Per-interface XDP counters of a veth from `ethtool -S` (summed over queues): what the
// receiving side redirected/dropped and what the sending side failed to hand over.
struct VethXdpStats {
	uint64_t rx_xdp_redirect = 0;
	uint64_t rx_xdp_drops = 0;
	uint64_t rx_xdp_packets = 0;
	uint64_t rx_drops = 0;        // rx_queue_N_drops
	uint64_t xdp_xmit = 0;        // frames redirected into this veth and taken by its peer
	uint64_t xdp_xmit_errors = 0; // ... and refused by its peer (no XDP program there, ring full)
};
Result<VethXdpStats> veth_xdp_stats(const Netns &ns, const std::string &ifname);

} // namespace xdphints::testbed
