#pragma once
// The umem: one mmap'ed area of equal frames, registered with the kernel, shared by every
// socket bound to it (across queues and devices).
//
// Frame layout (aligned chunks; the kernel fills in everything left of `data`):
//
//   chunk start                                                         chunk + frame_size
//   | headroom (ours) | XDP_PACKET_HEADROOM (256, kernel) | packet ... |
//                                           [hints struct][data ...
//                                                 id ends at data
//
// A received frame's descriptor points at `data`; everything between the chunk start and
// `data` belongs to that frame, so `data - chunk` is the headroom a hints decoder may read.
//
// Ownership: every frame is at every moment owned by exactly one of
//   free list   - in a socket's (or the umem's) free list, ours to hand out
//   fill ring   - given to the kernel for RX and not received yet: still in the fill ring,
//                 or taken from it by the kernel - being received into, or kept on the
//                 kernel's own free list after a recycle (the pool's free list, used before
//                 the fill ring: a frame whose packet could not be delivered after all;
//                 zero-copy drivers recycle on XDP_PASS/DROP). User space cannot see which
//                 frames; FrameAccounting tells how many are in the fill ring
//   kernel      - given to the kernel for TX (TX ring, or sent, not yet completed)
//   application - received (or reserved for TX) and not released yet
// Sockets keep counts of each; with UmemConfig::check_ownership the umem also keeps a
// per-frame ledger that checks every transition and counts violations (double release,
// a descriptor for a frame that was not in the fill ring, ...); a release the ledger
// refuses is dropped, so a double release never puts one frame in the fill ring twice.
#include <xdphints/edge/fd.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace xdphints::afxdp {

class XskSocket;

enum class FrameOwner : uint8_t { free_list = 0, fill_ring = 1, kernel = 2, application = 3 };
XDPHINTS_API const char *frame_owner_name(FrameOwner o) noexcept;

struct UmemConfig {
	uint32_t frame_size = 4096;  // 2048 or 4096 (aligned chunk mode)
	uint32_t frame_count = 4096; // frames in the area
	uint32_t headroom = 0;       // bytes we reserve at each chunk start, before the kernel's 256
	bool huge_pages = false;     // MAP_HUGETLB; fails clearly when none are reserved
	// Bytes of TX metadata (struct xsk_tx_metadata) in front of each TX frame's data;
	// 0 = none. Linux >= 6.8 (raw XDP_UMEM_REG; libxdp 1.3 cannot pass it).
	uint32_t tx_metadata_len = 0;
	bool check_ownership = false; // per-frame ledger (debug/test mode)
};

// Per-frame ownership ledger; off unless UmemConfig::check_ownership. A transition from the
// wrong state is counted and the first one is kept.
class XDPHINTS_API FrameLedger {
public:
	struct Violation {
		uint64_t addr = 0;
		FrameOwner expected{}, actual{}, to{};
		bool out_of_range = false;
		bool overflow = false; // given back to a free list that already held every frame
	};

	bool enabled() const noexcept { return !states_.empty(); }

	// False (and counted) when the frame was not owned by `from`; the frame then moves
	// anyway when `force` (the kernel already gave it to us), else stays where it is.
	bool move(uint64_t addr, FrameOwner from, FrameOwner to, bool force = true) noexcept
	{
		if (states_.empty())
			return true;
		uint64_t i = addr >> shift_;
		if (i >= states_.size()) {
			note(addr, from, from, to, true);
			return false;
		}
		auto cur = FrameOwner(states_[i].load(std::memory_order_relaxed));
		if (cur != from) {
			note(addr, from, cur, to, false);
			if (force)
				states_[i].store(uint8_t(to), std::memory_order_relaxed);
			return false;
		}
		states_[i].store(uint8_t(to), std::memory_order_relaxed);
		return true;
	}

	// A frame given back (from `from`) to a socket whose free list was full: refused.
	// Counted even with the ledger off, where it is the one double release we can see.
	void note_overflow(uint64_t addr, FrameOwner from) noexcept
	{
		note(addr, from, from, FrameOwner::free_list, false, true);
	}

	uint64_t violations() const noexcept { return violations_.load(std::memory_order_relaxed); }
	Violation first_violation() const;
	// Frames per owner, by scanning the ledger (control path).
	std::array<uint64_t, 4> count() const;

private:
	friend class Umem;
	void init(uint32_t frames, uint32_t shift);
	void note(uint64_t addr, FrameOwner expected, FrameOwner actual, FrameOwner to, bool oor, bool overflow = false) noexcept;

	std::vector<std::atomic<uint8_t>> states_;
	uint32_t shift_ = 12;
	std::atomic<uint64_t> violations_{0};
	mutable std::mutex first_mu_;
	Violation first_;
};

// Frame counts across the umem's pool and all its sockets.
struct XDPHINTS_API FrameAccounting {
	uint64_t total = 0;
	uint64_t free_list = 0; // umem pool + sockets' free lists
	uint64_t fill_ring = 0;         // given to the kernel for RX (see FrameOwner::fill_ring) ...
	uint64_t fill_ring_queued = 0;  // ... of which still in the fill rings
	uint64_t kernel = 0;
	uint64_t application = 0;
	uint64_t retired = 0;           // left in rings of sockets that were closed; never reused
	uint64_t ledger_violations = 0; // ownership violations (with the ledger off: free-list overflows only)
	bool balanced() const noexcept { return free_list + fill_ring + kernel + application + retired == total; }
	// Given for RX and taken from the fill ring by the kernel: being received into, or on
	// its own free list after a recycle. Depends on timing; 0 to a few when idle.
	uint64_t kernel_rx_held() const noexcept { return fill_ring > fill_ring_queued ? fill_ring - fill_ring_queued : 0; }
	std::string to_string() const;
};

class XDPHINTS_API Umem {
public:
	// mmap + XDP_UMEM_REG. Rings are per socket (see XskSocket).
	static Result<std::shared_ptr<Umem>> create(const UmemConfig &cfg);
	~Umem();
	Umem(const Umem &) = delete;
	Umem &operator=(const Umem &) = delete;

	const UmemConfig &config() const noexcept { return cfg_; }
	uint32_t frame_size() const noexcept { return cfg_.frame_size; }
	uint32_t frame_count() const noexcept { return cfg_.frame_count; }
	uint8_t *area() const noexcept { return area_; }
	size_t area_size() const noexcept { return size_; }
	bool huge_pages() const noexcept { return huge_; }

	uint8_t *at(uint64_t addr) const noexcept { return area_ + addr; }
	uint64_t chunk_of(uint64_t addr) const noexcept { return addr & ~uint64_t(cfg_.frame_size - 1); }
	uint32_t offset_in_chunk(uint64_t addr) const noexcept { return uint32_t(addr & (cfg_.frame_size - 1)); }

	FrameLedger &ledger() noexcept { return ledger_; }

	// Frames not handed to any socket.
	size_t pool_frames() const;
	// Sums the pool and every socket's counts. Exact when no thread is receiving.
	FrameAccounting accounting() const;
	// The ownership invariant as a verdict, for tests and debug builds: an error naming
	// unbalanced counts, frames still held by the application (a leak when the
	// application thinks it is done) and the first ledger violation (double release, a
	// frame received that was never in the fill ring).
	Status verify(bool expect_none_held = true) const;

private:
	friend class XskSocket;
	Umem() = default;

	// Control path: hand frames to / take them back from a socket.
	size_t take(uint64_t *out, size_t n);
	void give(const uint64_t *addrs, size_t n);
	void attach(XskSocket *s);
	void detach(XskSocket *s);
	Status reregister(); // fd_ := a fresh socket with the area registered

	UmemConfig cfg_;
	uint8_t *area_ = nullptr;
	size_t size_ = 0;
	bool huge_ = false;
	// The registration (XDP_UMEM_REG) socket, not yet bound; empty once a first socket took
	// it. The first socket binds on it and owns it, so destroying that socket unbinds its
	// queue. Later sockets share the umem through a bound one (XDP_SHARED_UMEM); after the
	// last is gone the area is registered afresh for the next.
	edge::UniqueFd fd_;
	bool need_wakeup_ = false; // as the first socket bound; shared sockets inherit it
	uint64_t retired_ = 0;

	std::mutex setup_mu_; // one socket set up or torn down at a time (first vs shared)
	mutable std::mutex mu_;
	std::vector<uint64_t> pool_;
	std::vector<XskSocket *> sockets_; // bound sockets, in bind order
	FrameLedger ledger_;
};

} // namespace xdphints::afxdp
