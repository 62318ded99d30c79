#pragma once
// The testbed's traffic generator: frames from the sending veth into its peer, as if
// received from a wire, with two backends behind one API.
//
//   auto tb  = Testbed::create("gen");
//   auto gen = LiveGen::create(tb->tx_ns, tb->tx().ifindex,
//                              GenOptions::between(tb->tx(), tb->rx()));
//   auto sent = gen->send(1'000'000);   // Result<uint64_t>: frames the receiving veth took
//   gen->backend();                     // which backend ran (GenBackend)
//
// live-frames: a BPF_PROG_TEST_RUN program run with BPF_F_TEST_XDP_LIVE_FRAMES in the
//   sender's namespace redirects every frame into the sending veth (bpf_redirect); veth
//   hands it to the peer as an xdp_frame (ndo_xdp_xmit). 2-3 Mpps per core. Linux >= 5.18;
//   some kernels refuse it (EPERM). The receiving veth takes such frames only while an
//   XDP program is attached to it (it counts the others in its xdp_xmit_errors).
// afxdp-tx: an AF_XDP socket in copy mode on the sending veth, one per queue (XDP_COPY:
//   the kernel builds an skb per frame and calls veth's xmit directly, no qdisc). The
//   peer gets an skb: its XDP program runs on it (veth converts it), and without one it
//   goes up the stack. Measured on this project's 6.18 VM (2 vCPUs, shared), 64-byte
//   frames into a veth whose peer drops them in XDP, at the bench's priority (autogroup
//   nice -10): 0.80-0.97 Mpps from 1 CPU, 1.35-1.47 Mpps from 2 (0.4-0.6 at normal
//   priority on the busy machine); 0.8-1.0 M frames per CPU-second, the receiving NAPI
//   (run in the sender's softirq) included. AF_PACKET with PACKET_QDISC_BYPASS, same
//   conditions: sendmmsg 0.61-0.66 / 0.86-1.15 Mpps, a TPACKET_V2 TX ring 0.49-0.58 /
//   0.93-1.02 Mpps (0.5-0.7 M frames per CPU-second); so AF_XDP.
//
// Which one runs: GenOptions::backend, default `automatic` = live-frames where the kernel
// runs it (probed once per process by a real attempt, live_frames_support()), else
// afxdp-tx. XDPHINTS_GENERATOR=live-frames|afxdp-tx in the environment overrides
// `automatic` (to measure one against the other on a kernel that has both).
//
// Queues: GenOptions::cpus runs one thread per CPU. live-frames: veth delivers a redirected
// frame to the peer's rx queue (sending CPU % queues). afxdp-tx: the thread on CPU c sends
// on tx queue c % queues, which veth delivers to the peer's rx queue of the same number. So
// with both, CPUs {0, 1} fill two queues, and the peer's NAPI runs on the sending CPU.
//
// Exact counts (afxdp-tx): a queue's socket is shared by every generator of this process
// on that device and queue (a queue takes one socket), one sender at a time. The sending
// veth gets a pfifo root qdisc (when it has none) so that a full peer ring (256 frames)
// makes veth push back (NETDEV_TX_BUSY: the kernel keeps the frame and it is sent again)
// instead of dropping it. That is veth's qdisc backpressure (2025; this host's 6.18 has
// it: with the qdisc, two senders into one queue lost nothing, without it they did). On
// kernels without it, and when the peer's stack backlog is full (no XDP program there),
// veth drops and counts the frame in the sender's tx_dropped. send() reads that counter
// around each run, sends again what was refused, and returns the frames the peer took;
// refused() says how many were sent again.
//
// Frames: Ethernet [+ 802.1Q] + IPv4 + UDP; `flows` source ports (src_port + n % flows);
// the payload starts with a stamp {seq, tai_ns} (GenStamp), after a PTP v2 Sync header
// (UDP port 319) when `ptp` is set. Both backends write the same bytes.
#include <xdphints/result.hpp>
#include <xdphints/testbed/netns.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct livegen;

namespace xdphints::testbed {

enum class GenBackend {
	automatic,   // live_frames where the kernel runs it, else afxdp_tx
	live_frames, // BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES
	afxdp_tx,    // AF_XDP TX in copy mode on the sending veth
};
// "automatic", "live-frames", "afxdp-tx"
const char *gen_backend_name(GenBackend b) noexcept;

// Whether this kernel runs BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: probed once
// per process by running a two-instruction XDP_DROP program so, for one frame (nothing is
// sent). The error says what the kernel answered (EPERM here; EOPNOTSUPP or EINVAL before
// Linux 5.18). Never decided from the kernel version.
const Status &live_frames_support();

// The backend `want` resolves to, and why, in one line ("afxdp-tx: live frames refused:
// ...: Operation not permitted"). Errc::invalid_argument for a bad XDPHINTS_GENERATOR.
struct GenChoice {
	GenBackend backend = GenBackend::automatic;
	std::string why;
};
Result<GenChoice> choose_backend(GenBackend want = GenBackend::automatic);

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
	uint32_t batch_size = 64;           // live-frames: BPF_PROG_TEST_RUN batch_size (frames per NAPI-like batch)
	// CPUs to generate on, one thread each (count split evenly); empty = calling thread.
	// The peer's rx queue is (sending CPU % queues) with either backend: CPUs {0, 1} fill
	// two queues.
	std::vector<int> cpus;
	GenBackend backend = GenBackend::automatic;

	// Addresses from a veth pair: frames go from `from` to `to`.
	static GenOptions between(const VethEnd &from, const VethEnd &to);
};

// What the generator writes at the start of the UDP payload (after the PTP header).
struct GenStamp {
	uint64_t seq;    // per-CPU sequence << 8 | cpu
	uint64_t tai_ns; // CLOCK_TAI when generated
} __attribute__((packed));

namespace detail {
class AfxdpTx;
}

class LiveGen {
public:
	// Builds the frame and sets up the backend GenOptions::backend resolves to (the
	// afxdp-tx sockets are opened by the first send()).
	static Result<LiveGen> create(const Netns &tx_ns, int tx_ifindex, const GenOptions &opt);
	LiveGen(LiveGen &&o) noexcept;
	LiveGen(const LiveGen &) = delete;
	LiveGen &operator=(const LiveGen &) = delete;
	LiveGen &operator=(LiveGen &&) = delete;
	~LiveGen();

	// Generates `count` frames (split over opt.cpus); returns how many the receiving veth
	// took: all of them, or an error.
	Result<uint64_t> send(uint64_t count);
	// Frames generated so far by this generator (afxdp-tx: taken by the receiving veth).
	uint64_t generated() const noexcept;
	// afxdp-tx: frames the receiving veth refused (counted in the sender's tx_dropped) and
	// that send() sent again in their place; 0 for live-frames.
	uint64_t refused() const noexcept;
	GenBackend backend() const noexcept { return backend_; }

	const std::vector<uint8_t> &frame() const noexcept { return frame_; }
	size_t payload_offset() const noexcept { return payload_off_; } // UDP payload in frame()
	size_t stamp_offset() const noexcept { return stamp_off_; }     // GenStamp in frame()

private:
	LiveGen();
	Result<uint64_t> send_live(uint64_t count);
	struct SkelDestroy {
		void operator()(::livegen *s) const noexcept;
	};
	const Netns *ns_ = nullptr;
	GenBackend backend_ = GenBackend::automatic;
	std::unique_ptr<::livegen, SkelDestroy> skel_; // live-frames
	std::unique_ptr<detail::AfxdpTx> xsk_;         // afxdp-tx
	GenOptions opt_;
	std::vector<uint8_t> frame_;
	size_t payload_off_ = 0;
	size_t stamp_off_ = 0;
};

// Per-interface counters of a veth from `ethtool -S` (summed over queues) and its link
// statistics: what the receiving side redirected/dropped and what the sending side failed
// to hand over.
struct VethXdpStats {
	uint64_t rx_xdp_redirect = 0;
	uint64_t rx_xdp_drops = 0;
	uint64_t rx_xdp_packets = 0;
	uint64_t rx_drops = 0;        // rx_queue_N_drops
	uint64_t xdp_xmit = 0;        // frames redirected into this veth and taken by its peer
	uint64_t xdp_xmit_errors = 0; // ... and refused by its peer (no XDP program there, ring full)
	// Frames sent through this veth's xmit (the stack, afxdp-tx) that it dropped: the
	// peer's ring full without a qdisc here, the peer's backlog full, the peer down.
	// Link statistics (tx_dropped), 32 bits.
	uint64_t tx_dropped = 0;
	std::vector<uint64_t> rx_queue_xdp_packets; // rx_queue_N_xdp_packets, by N
};
Result<VethXdpStats> veth_xdp_stats(const Netns &ns, const std::string &ifname);

} // namespace xdphints::testbed
