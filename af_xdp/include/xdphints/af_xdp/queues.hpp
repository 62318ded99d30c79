#pragma once
// Sockets on several queues: one XskSocket per queue, all on one umem (each with its own
// frames, fill and completion rings), and a receive thread per queue, pinned on request.
//
//   auto queues = afxdp::parse_queues("all", ifindex);      // "3", "0,2", "all"
//   auto group  = afxdp::RxGroup::open(umem, base_cfg, *queues);
//   std::atomic<bool> stop{false};
//   group->run(stop, {0, 1}, [&](afxdp::XskSocket &s, const afxdp::Frame &f) { ... });
//
// The callback runs on the queue's own thread: per-queue state needs no lock.
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace xdphints::afxdp {

// RX queues the device has (ETHTOOL_GCHANNELS: rx + combined), in the calling thread's
// network namespace.
XDPHINTS_API Result<uint32_t> rx_queue_count(int ifindex);

// "N", "a,b,c" or "all" (every RX queue of the device).
XDPHINTS_API Result<std::vector<uint32_t>> parse_queues(std::string_view spec, int ifindex);

// Every queue id is an RX queue of the device (below rx_queue_count). The kernel binds an
// AF_XDP socket to any id below the larger of the RX and TX queue counts, so with more TX
// than RX queues (veth numtxqueues 4 numrxqueues 1) a socket on queue 2 binds and never
// receives: refused here, naming the RX queue count (Errc::invalid_argument). When the
// count cannot be read (a driver without ETHTOOL_GCHANNELS), nothing is refused: the
// bind then checks what the kernel can.
XDPHINTS_API Status check_rx_queues(int ifindex, const std::vector<uint32_t> &queues);

// Pins the calling thread to one CPU.
XDPHINTS_API Status pin_thread(int cpu);

class XDPHINTS_API RxGroup {
public:
	// One socket per queue; base.queue is ignored. base.frames is per socket; 0 = the
	// umem's free frames split evenly (at most fill_size + tx_size each). A queue the
	// device cannot receive on is refused before any socket binds (check_rx_queues).
	static Result<RxGroup> open(const std::shared_ptr<Umem> &umem, const SocketConfig &base,
				    const std::vector<uint32_t> &queues);

	std::vector<std::unique_ptr<XskSocket>> &sockets() noexcept { return sockets_; }
	size_t size() const noexcept { return sockets_.size(); }
	int ifindex() const noexcept { return ifindex_; }
	// The interface's name when the group was opened (empty if it could not be read).
	const std::string &ifname() const noexcept { return ifname_; }

	// Runs fn(XskSocket &, const Frame &) on one thread per socket until `stop`; thread i
	// is pinned to cpus[i % cpus.size()] when cpus is not empty. Returns when all threads
	// have stopped. A pinning failure stops nothing; it is returned after the run.
	// When the device goes away (deleted, its namespace or its veth peer's namespace
	// removed) every thread stops within ~20 ms, after the frames already received, and
	// the run returns device_gone_error() (Errc::device_gone) naming the
	// interface (name and index) and the queue that saw it first.
	template <class Fn> Status run(const std::atomic<bool> &stop, const std::vector<int> &cpus, Fn &&fn)
	{
		return run_loop(stop, cpus, [&](XskSocket &s) { return s.poll([&](const Frame &f) { return fn(s, f); }); });
	}

	// As run(), with typed hints: fn(XskSocket &, const Frame &, const Hints &). The decoder
	// is shared read-only by the threads.
	template <class Decoder, class Fn>
	Status run_hints(const std::atomic<bool> &stop, const std::vector<int> &cpus, const Decoder &dec, Fn &&fn)
	{
		return run_loop(stop, cpus, [&](XskSocket &s) {
			return s.poll_hints(dec, [&](const Frame &f, const auto &h) { return fn(s, f, h); });
		});
	}

private:
	template <class PollOnce> Status run_loop(const std::atomic<bool> &stop, const std::vector<int> &cpus, PollOnce &&once)
	{
		std::vector<std::thread> threads;
		std::vector<Status> pinned(sockets_.size());
		// The first socket that saw its device go. All are on one device, so each thread
		// normally sees it itself; once one did, the others stop when their ring is empty.
		std::atomic<int> gone{-1};
		for (size_t i = 0; i < sockets_.size(); i++) {
			threads.emplace_back([&, i] {
				if (!cpus.empty())
					pinned[i] = pin_thread(cpus[i % cpus.size()]);
				XskSocket &s = *sockets_[i];
				while (!stop.load(std::memory_order_relaxed)) {
					if (once(s) != 0)
						continue;
					WaitResult w = s.wait(10);
					if (w == WaitResult::device_gone) {
						int none = -1;
						gone.compare_exchange_strong(none, int(i));
						break;
					}
					if (w == WaitResult::timeout && gone.load(std::memory_order_relaxed) >= 0)
						break;
				}
			});
		}
		for (auto &t : threads)
			t.join();
		if (int g = gone.load(); g >= 0)
			return device_gone_error(sockets_[size_t(g)]->ifindex(), sockets_[size_t(g)]->queue(), ifname_);
		for (auto &p : pinned)
			if (!p)
				return p;
		return {};
	}

	std::vector<std::unique_ptr<XskSocket>> sockets_;
	int ifindex_ = 0;
	std::string ifname_;
};

} // namespace xdphints::afxdp
