#pragma once
// One AF_XDP socket on one (device, queue), on a shared Umem, with its own fill and
// completion rings, and the header-inline batched receive loop.
//
//   auto umem = afxdp::Umem::create({});                       // 4096 frames of 4 KiB
//   auto xsk  = afxdp::XskSocket::create(*umem, {.ifindex = ifi, .queue = 0,
//                                                .xsks_map_fd = hook.xsks_map_fd()});
//   for (;;) {
//       (*xsk)->poll([&](const afxdp::Frame &f) {             // peek -> process -> release
//           auto h = f.hints(decoder);                         //   (+ refill, rx release)
//           if (auto ts = h.get(rx_timestamp)) use(*ts, f.bytes());
//       });
//   }
//
// Per packet there is no allocation, lock, virtual call, string or system call: a
// descriptor becomes a Frame {data, len, headroom} pointing into the umem (no copy). The
// only system calls on the data path are wakeups when the kernel asks for them
// (XDP_USE_NEED_WAKEUP) or busy polling was requested, at most one per batch.
//
// Releasing a frame clears its layout-id slot (the 8 bytes before data) and returns it to
// this socket's free list; the next refill (every receive/poll) puts it in the fill ring.
// So a frame that later arrives without metadata reads as "no hints", never as the hints
// of the packet that used the frame before.
//
// Threads: a socket belongs to one thread at a time. Sockets of one umem may run on
// different threads: each has its own frames, rings and counters.
#include <xdphints/af_xdp/ring.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/result.hpp>

#include <linux/if_xdp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace xdphints::afxdp {

// How to bind. automatic: zero-copy first, copy if the driver cannot (veth, generic XDP).
enum class BindMode { automatic, copy, zero_copy };
// What the bind gave us.
enum class XskMode { copy, zero_copy };
const char *xsk_mode_name(XskMode m) noexcept;

struct BusyPoll {
	bool enabled = false;   // SO_PREFER_BUSY_POLL + SO_BUSY_POLL + SO_BUSY_POLL_BUDGET (Linux >= 5.11)
	uint32_t usecs = 20;    // SO_BUSY_POLL
	uint32_t budget = 64;   // SO_BUSY_POLL_BUDGET
};

struct SocketConfig {
	int ifindex = 0;
	uint32_t queue = 0;
	uint32_t rx_size = 2048;   // descriptors, power of two
	uint32_t tx_size = 0;      // 0 = receive only
	uint32_t fill_size = 2048;
	uint32_t comp_size = 2048; // the kernel requires one even without TX
	// Frames this socket takes from the umem; 0 = fill_size + tx_size.
	uint32_t frames = 0;
	BindMode mode = BindMode::automatic;
	bool need_wakeup = true;   // XDP_USE_NEED_WAKEUP (Linux >= 5.4)
	BusyPoll busy_poll{};
	// When >= 0: the socket's fd is put into this XSKMAP at key = queue, and removed when
	// the socket goes. (The hints hook and RedirectProgram redirect by rx_queue_index.)
	int xsks_map_fd = -1;
};

// One received frame. Bytes stay in the umem; valid until released.
struct Frame {
	uint8_t *data = nullptr;
	uint32_t len = 0;
	uint32_t headroom = 0; // bytes of this frame's buffer in front of data (hints end at data)
	uint64_t addr = 0;     // umem offset of data, as in the descriptor

	std::span<const uint8_t> bytes() const noexcept { return {data, len}; }

	// Typed hints through a decoder built once (xdphints::Decoder): reads the layout id in
	// front of data and the resolved fields at fixed offsets. Bounded by `headroom`.
	template <class Decoder> auto hints(const Decoder &dec) const noexcept
	{
		return dec.decode(data, headroom);
	}
};

// XDP_STATISTICS (Linux >= 5.9 for the last three).
struct XdpStatistics {
	uint64_t rx_dropped = 0;
	uint64_t rx_invalid_descs = 0;
	uint64_t tx_invalid_descs = 0;
	uint64_t rx_ring_full = 0;
	uint64_t rx_fill_ring_empty_descs = 0;
	uint64_t tx_ring_empty_descs = 0;
};

// Our own per-socket counters (plain integers: one socket, one thread).
struct SocketCounters {
	uint64_t rx_frames = 0;
	uint64_t rx_bytes = 0;
	uint64_t rx_batches = 0;        // receive calls that returned frames
	uint64_t rx_with_hints = 0;     // decoded with a known layout (poll_hints)
	uint64_t rx_unknown_layout = 0; // carried a layout id no layout matches (poll_hints)
	uint64_t fill_submitted = 0;    // frames given to the fill ring
	uint64_t rx_wakeups = 0;        // recvfrom() kicks (need_wakeup or busy poll)
	uint64_t tx_frames = 0;
	uint64_t tx_bytes = 0;
	uint64_t tx_completed = 0;
	uint64_t tx_ring_full = 0;      // frames we could not queue: TX ring full
	uint64_t tx_wakeups = 0;        // sendto() kicks
	uint64_t release_overflow = 0;  // releases beyond the frames this socket can own (double release)
};

// Frames this socket owns right now, by owner.
struct SocketFrames {
	uint64_t free_list = 0;
	uint64_t fill_ring = 0;
	uint64_t kernel = 0;
	uint64_t application = 0;
	uint64_t total() const noexcept { return free_list + fill_ring + kernel + application; }
};

// What a poll callback may return: keep the frame (release it later with release()).
enum class Disposition { release, keep };

class XskSocket {
public:
	static constexpr uint32_t kMaxBatch = 256;

	static Result<std::unique_ptr<XskSocket>> create(const std::shared_ptr<Umem> &umem,
							 const SocketConfig &cfg);
	~XskSocket();
	XskSocket(const XskSocket &) = delete;
	XskSocket &operator=(const XskSocket &) = delete;

	int fd() const noexcept { return fd_; }
	int ifindex() const noexcept { return cfg_.ifindex; }
	uint32_t queue() const noexcept { return cfg_.queue; }
	XskMode mode() const noexcept { return mode_; }
	bool need_wakeup() const noexcept { return need_wakeup_; }
	const SocketConfig &config() const noexcept { return cfg_; }
	Umem &umem() const noexcept { return *umem_; }

	// ---- receive (inline, noexcept) -------------------------------------------------

	// Gives the fill ring every frame on the free list (as many as fit).
	void refill() noexcept
	{
		if (free_n_ == 0)
			return;
		uint32_t idx;
		uint32_t n = fill_.reserve(free_n_, idx);
		if (n == 0)
			return;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t a = free_[--free_n_];
			if (ledger_)
				ledger_->move(a, FrameOwner::free_list, FrameOwner::fill_ring);
			fill_.slot(idx + i) = a;
		}
		fill_.submit();
		fill_n_ += n;
		counters_.fill_submitted += n;
	}

	// Refills, then takes up to `max` received frames into out[]. The frames are the
	// application's until release(). Returns how many (0 when none are waiting).
	uint32_t receive(Frame *out, uint32_t max) noexcept
	{
		refill();
		uint32_t idx;
		uint32_t n = rx_.peek(max, idx);
		if (n == 0) {
			if (busy_poll_ || (need_wakeup_ && fill_.needs_wakeup()))
				wake_rx();
			return 0;
		}
		uint64_t bytes = 0;
		for (uint32_t i = 0; i < n; i++) {
			const xdp_desc &d = rx_.slot(idx + i);
			if (ledger_)
				ledger_->move(d.addr & chunk_mask_, FrameOwner::fill_ring, FrameOwner::application);
			out[i].data = area_ + d.addr;
			out[i].len = d.len;
			out[i].headroom = uint32_t(d.addr & ~chunk_mask_);
			out[i].addr = d.addr;
			bytes += d.len;
		}
		rx_.release();
		fill_n_ -= n;
		app_n_ += n;
		counters_.rx_frames += n;
		counters_.rx_bytes += bytes;
		counters_.rx_batches++;
		return n;
	}

	// Gives a frame back: clears its id slot, puts it on the free list, from where the
	// next refill (every receive/poll) moves it to the fill ring. Every frame from
	// receive() is released exactly once.
	void release(const Frame &f) noexcept { release_addr(f.addr); }
	// Releases n frames and refills right away (frames held for a while go back at once).
	void release(const Frame *f, uint32_t n) noexcept
	{
		for (uint32_t i = 0; i < n; i++)
			release_addr(f[i].addr);
		refill();
	}

	// peek -> fn(frame) -> release -> refill, for up to `max` frames. fn returns void (the
	// frame is released after it) or Disposition (keep = the application releases it later).
	template <class Fn> uint32_t poll(Fn &&fn, uint32_t max = 64)
	{
		Frame batch[kMaxBatch];
		uint32_t n = receive(batch, max < kMaxBatch ? max : kMaxBatch);
		for (uint32_t i = 0; i < n; i++)
			dispatch(fn, batch[i]);
		refill();
		return n;
	}

	// As poll(), with the frame's typed hints: fn(const Frame &, const Hints &). Counts
	// frames with a known layout and frames whose layout id matches none.
	template <class Decoder, class Fn> uint32_t poll_hints(const Decoder &dec, Fn &&fn, uint32_t max = 64)
	{
		Frame batch[kMaxBatch];
		uint32_t n = receive(batch, max < kMaxBatch ? max : kMaxBatch);
		for (uint32_t i = 0; i < n; i++) {
			const Frame &f = batch[i];
			auto h = dec.decode(f.data, f.headroom);
			if (h.known())
				counters_.rx_with_hints++;
			else if (h.id() != 0)
				counters_.rx_unknown_layout++;
			if constexpr (std::is_void_v<std::invoke_result_t<Fn &, const Frame &, const decltype(h) &>>) {
				fn(f, h);
				release_addr(f.addr);
			} else if (fn(f, h) == Disposition::release) {
				release_addr(f.addr);
			}
		}
		refill();
		return n;
	}

	// Blocks until frames are waiting or timeout_ms passes (poll(2)); true if readable.
	bool wait(int timeout_ms) noexcept;

	// ---- accounting and statistics ------------------------------------------------

	const SocketCounters &counters() const noexcept { return counters_; }
	SocketFrames frames() const noexcept { return {free_n_, fill_n_, tx_n_, app_n_}; }
	// XDP_STATISTICS from the kernel.
	Result<XdpStatistics> kernel_stats() const;

private:
	friend class Umem;
	XskSocket() = default;

	template <class Fn> void dispatch(Fn &fn, const Frame &f)
	{
		if constexpr (std::is_void_v<std::invoke_result_t<Fn &, const Frame &>>) {
			fn(f);
			release_addr(f.addr);
		} else if (fn(f) == Disposition::release) {
			release_addr(f.addr);
		}
	}

	void release_addr(uint64_t addr) noexcept
	{
		// The id slot: a u64 id ends at data (a u32 id is its last 4 bytes). Headroom is at
		// least XDP_PACKET_HEADROOM, so these bytes are inside this frame.
		std::memset(area_ + addr - 8, 0, 8);
		uint64_t chunk = addr & chunk_mask_;
		if (free_n_ == free_.size()) {
			counters_.release_overflow++;
			return;
		}
		if (ledger_ && !ledger_->move(chunk, FrameOwner::application, FrameOwner::free_list, false))
			return; // not the application's: a double release, refused
		free_[free_n_++] = chunk;
		app_n_--;
	}

	void wake_rx() noexcept; // recvfrom(MSG_DONTWAIT)

	Status setup(const SocketConfig &cfg);
	Status map_rings();
	Status bind_socket();

	std::shared_ptr<Umem> umem_;
	SocketConfig cfg_;
	int fd_ = -1;
	bool owns_fd_ = true;
	XskMode mode_ = XskMode::copy;
	bool need_wakeup_ = false;
	bool busy_poll_ = false;
	bool in_map_ = false;

	uint8_t *area_ = nullptr;
	uint64_t chunk_mask_ = 0; // ~(frame_size - 1)
	FrameLedger *ledger_ = nullptr;

	ConsRing<xdp_desc> rx_;
	ProdRing<xdp_desc> tx_;
	ProdRing<uint64_t> fill_;
	ConsRing<uint64_t> comp_;
	struct Mapping {
		void *addr = nullptr;
		size_t len = 0;
	};
	Mapping maps_[4];

	std::vector<uint64_t> free_; // capacity = umem frame count; never grows on the data path
	uint64_t free_n_ = 0;
	uint64_t fill_n_ = 0;
	uint64_t app_n_ = 0;
	uint64_t tx_n_ = 0;
	SocketCounters counters_;
};

} // namespace xdphints::afxdp
