#pragma once
// LiveGen's afxdp-tx backend (livegen.hpp): AF_XDP sockets in copy mode on the sending
// veth, one per queue, shared by every generator of this process on that device and queue.
#include "gen_internal.hpp"

#include <xdphints/result.hpp>
#include <xdphints/testbed/livegen.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <sys/types.h>
#include <vector>

namespace xdphints::testbed::detail {

// What varies per frame and where, as testbed/bpf/livegen.bpf.c writes it.
struct FrameShape {
	size_t udp_off = 0;   // UDP header
	size_t stamp_off = 0; // GenStamp
	bool ptp = false;     // PTP Sync header at udp_off + 8
	uint16_t sport_base = 0;
	uint32_t flows = 1;
};

// Writes what frame `n` of CPU `cpu` carries into `f`: the UDP source port
// (sport_base + n % flows), the stamp {n << 8 | cpu, tai_ns} and, for PTP, sequenceId (n)
// and originTimestamp (tai_ns). The same bytes the live-frames program writes.
void stamp_frame(uint8_t *f, const FrameShape &s, uint64_t n, unsigned cpu, uint64_t tai_ns) noexcept;

struct TxPort;

class AfxdpTx {
public:
	// Reads the device's TX queue count and gives it a pfifo root qdisc if it has none
	// (noqueue), so that veth pushes back on a full peer ring instead of dropping.
	static Result<std::unique_ptr<AfxdpTx>> open(const Netns &ns, int ifindex);
	~AfxdpTx();
	AfxdpTx(const AfxdpTx &) = delete;
	AfxdpTx &operator=(const AfxdpTx &) = delete;

	// `count` copies of `frame`, stamped per frame, from one thread per CPU of `cpus` (the
	// calling thread when empty); returns the frames the receiving veth took (= count).
	Result<uint64_t> send(std::span<const uint8_t> frame, const FrameShape &shape, const std::vector<int> &cpus,
			      uint64_t count);
	uint64_t generated() const noexcept { return generated_.load(std::memory_order_relaxed); }
	uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

private:
	AfxdpTx() = default;
	Result<uint64_t> run(std::span<const uint8_t> frame, const FrameShape &shape, const std::vector<int> &cpus,
			     uint64_t count);
	Result<uint64_t> sender(TxPort &port, unsigned cpu, uint64_t n, std::span<const uint8_t> frame,
				const FrameShape &shape);

	const Netns *ns_ = nullptr;
	int ifindex_ = 0;
	std::string ifname_;
	dev_t ns_dev_ = 0;
	ino_t ns_ino_ = 0;
	uint32_t queues_ = 1;
	std::vector<std::shared_ptr<TxPort>> ports_; // by queue, opened by the first send on it
	std::unique_ptr<std::atomic<uint64_t>[]> seq_; // frames stamped per CPU
	unsigned ncpu_ = 1;
	std::atomic<uint64_t> generated_{0}, refused_{0};
};

} // namespace xdphints::testbed::detail
