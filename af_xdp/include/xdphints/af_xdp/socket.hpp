#pragma once
// One AF_XDP socket on one (device, queue), on a shared Umem, with its own fill and
// completion rings, and the header-inline batched receive loop.
//
//   XDPHINTS_TRY(umem, afxdp::Umem::create({}));               // 4096 frames of 4 KiB
//   XDPHINTS_TRY(xsk, afxdp::XskSocket::create(umem, {.ifindex = ifi, .queue = 0,
//                                                    .xsks_map_fd = hook.xsks_map_fd()}));
//   for (;;) {
//       xsk->poll([&](const afxdp::Frame &f) {                 // peek -> process -> release
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
// Every path that gives a frame back to a free list (release, complete, complete_to) first
// checks ownership (with the ledger on), then clears the layout-id slot the frame's next
// RX packet will be read with: the 8 bytes before the chunk's RX data offset (our headroom
// + XDP_PACKET_HEADROOM), whatever address the frame carried last (a forwarded or
// send_copy frame, a driver program that moved the packet start). So a frame that later
// arrives without metadata reads as "no hints", never as the hints of the packet that used
// the frame before. This is defence in depth: the kernel also recycles frames user space
// never sees (copy mode: RX ring full), so hooks write an id on every frame they redirect.
//
// Threads: a socket belongs to one thread at a time. Sockets of one umem may run on
// different threads: each has its own frames, rings and counters.
#include <xdphints/af_xdp/ring.hpp>
#include <xdphints/af_xdp/uapi.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <linux/if_xdp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace xdphints::afxdp {

// How to bind. automatic: zero-copy first, copy if the driver cannot (veth, generic XDP).
enum class BindMode { automatic, copy, zero_copy };
// What the bind gave us.
enum class XskMode { copy, zero_copy };
XDPHINTS_API const char *xsk_mode_name(XskMode m) noexcept;

struct BusyPoll {
	bool enabled = false;   // SO_PREFER_BUSY_POLL + SO_BUSY_POLL + SO_BUSY_POLL_BUDGET (Linux >= 5.11)
	uint32_t usecs = 20;    // SO_BUSY_POLL
	uint32_t budget = 64;   // SO_BUSY_POLL_BUDGET
};

struct SocketConfig {
	int ifindex = 0;
	uint32_t queue = 0;
	uint32_t rx_size = 2048;   // descriptors, power of two; 0 = transmit only
	uint32_t tx_size = 0;      // 0 = receive only
	uint32_t fill_size = 2048;
	uint32_t comp_size = 2048; // the kernel requires one even without TX
	// Frames this socket takes from the umem; 0 = fill_size + tx_size.
	uint32_t frames = 0;
	BindMode mode = BindMode::automatic;
	// How long bind retries EBUSY: a queue whose socket was just closed (by this process
	// or one that exited) is released by the kernel a little later, from a workqueue.
	uint32_t bind_busy_wait_ms = 500;
	bool need_wakeup = true;   // XDP_USE_NEED_WAKEUP (Linux >= 5.4)
	BusyPoll busy_poll{};
	// When >= 0: the socket's fd is put into this XSKMAP at key = queue, and removed when
	// the socket goes. (The hints hook and RedirectProgram redirect by rx_queue_index.)
	int xsks_map_fd = -1;
	// Bytes the XDP program writes in front of every packet it redirects here: the hints of
	// the prefix transport (hook::Hook::hints_prefix(); 0 with the metadata area). Stripped
	// from each received frame: Frame::data starts at the packet, the prefix (the hints,
	// ending at data) is the frame's headroom, and nothing in front of it is read.
	uint32_t hints_prefix = 0;
};

// One received frame. Bytes stay in the umem; valid until released. Trivial (no member
// initialisers) so a batch array on the stack costs nothing; `Frame f{}` zeroes it.
struct Frame {
	uint8_t *data;
	uint32_t len;
	// Bytes in front of data the hints may be read from (they end at data): the buffer's
	// headroom with the metadata area, the hints prefix with the prefix transport (0 for a
	// frame too short to carry it).
	uint32_t headroom;
	uint64_t addr;     // umem offset of data (the descriptor's, after the hints prefix)

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
	uint64_t tx_metadata = 0;       // frames sent with a TX metadata request
	// Frames given back (release, completion) while this socket's free list already held
	// every frame of the umem: refused and counted, also as an ownership violation (only a
	// double release gets there; the ledger, when on, refuses those first).
	uint64_t release_overflow = 0;
};

// Frames this socket owns right now, by owner. Signed: a frame received on one socket
// and forwarded (or released) through another moves between their counts, so one count
// can dip below zero; the umem's sum over its sockets stays exact.
struct SocketFrames {
	int64_t free_list = 0;
	int64_t fill_ring = 0; // given to the kernel for RX, in the fill ring or taken from it
	int64_t kernel = 0;
	int64_t application = 0;
	int64_t fill_queued = 0; // of fill_ring: still in the fill ring (read from its indices)
	int64_t total() const noexcept { return free_list + fill_ring + kernel + application; }
};

// Everything a tool prints about a socket (e.g. `xdp-hints dump` every second).
struct XDPHINTS_API SocketStats {
	int ifindex = 0;
	uint32_t queue = 0;
	XskMode mode = XskMode::copy;
	XdpStatistics kernel;
	SocketCounters own;
	SocketFrames frames;
	// One line: "queue 0 (copy): rx 1000 frames, 1000 with hints, 0 unknown layout; ..."
	std::string to_string() const;
};

// Per-frame TX offload request, written as struct xsk_tx_metadata in front of the frame's
// data (Linux >= 6.8; needs UmemConfig::tx_metadata_len >= 24). Honoured only where the
// device supports it (see tx_metadata_report()); otherwise the frame is sent without.
struct TxRequest {
	bool timestamp = false; // completion carries the TX timestamp
	bool checksum = false;  // the device fills the L4 checksum:
	uint16_t csum_start = 0;  //   from data + csum_start,
	uint16_t csum_offset = 0; //   stored at csum_start + csum_offset
};

// One completed TX frame.
struct TxCompletion {
	uint64_t addr;         // descriptor address as sent
	uint64_t tx_timestamp; // 0 when none was delivered
	bool timestamp_requested;
	bool software;         // copy mode: the kernel's CLOCK_TAI at completion, not the device's
};

// What a poll callback may return: keep the frame (release it later with release()).
enum class Disposition { release, keep };

// What XskSocket::wait() saw.
enum class WaitResult {
	readable,    // frames are waiting (a socket without an RX ring: the TX ring has room)
	timeout,     // nothing within the timeout (or a signal interrupted the wait)
	device_gone, // the interface was unregistered: the socket is unbound for good
};
XDPHINTS_API const char *wait_result_name(WaitResult r) noexcept;

// The error to report when a socket's device went away (WaitResult::device_gone):
// Errc::device_gone, naming the interface (name when known, index, queue)
// and what happened. `ifname` may be empty (the name is gone with the device; keep it
// from before).
XDPHINTS_API Error device_gone_error(int ifindex, uint32_t queue, std::string_view ifname);

class XDPHINTS_API XskSocket {
public:
	static constexpr uint32_t kMaxBatch = 256;

	static Result<std::unique_ptr<XskSocket>> create(const std::shared_ptr<Umem> &umem,
							 const SocketConfig &cfg);
	~XskSocket();
	XskSocket(const XskSocket &) = delete;
	XskSocket &operator=(const XskSocket &) = delete;

	int fd() const noexcept { return fd_.get(); }
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
		if (!rx_.valid())
			return 0;
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
			// The prefix transport: the hints lead the descriptor; the packet follows.
			// A frame shorter than the prefix carries no hints and is given as it is.
			uint32_t pre = prefix_ <= d.len ? prefix_ : 0;
			out[i].addr = d.addr + pre;
			out[i].data = area_ + out[i].addr;
			out[i].len = d.len - pre;
			out[i].headroom = prefix_ ? pre : uint32_t(d.addr & ~chunk_mask_);
			bytes += out[i].len;
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

	// Blocks until frames are waiting or timeout_ms passes (poll(2); < 0 = no limit).
	// Frames received before the device went are still returned (readable) first; then
	// device_gone, within 100 ms of the kernel unregistering the interface (deleted, its
	// namespace or its veth peer's namespace removed), however long the timeout. The
	// kernel raises no poll event for that (it sets sk_err = ENETDOWN and unbinds), so an
	// idle wait looks every 100 ms, one getsockopt(SO_ERROR); nothing is added per packet.
	WaitResult wait(int timeout_ms) noexcept;

	// True once the socket saw its device unregistered (by wait(), or a wakeup refused
	// with ENXIO). Nothing arrives any more; close the socket.
	bool device_gone() const noexcept { return gone_; }

	// ---- transmit (inline, noexcept) ------------------------------------------------
	//
	// send_copy() and forward() queue frames; flush_tx() publishes them and kicks the
	// kernel (copy mode sends inside sendto(), a few dozen frames per kick); complete()
	// flushes, then returns completed frames to the free list. A forwarded frame changes
	// hands without a copy: return Disposition::keep from the poll callback after forward().

	// Copies `pkt` into a free frame and queues it. False (counted) when there is no free
	// frame or TX slot, or no TX ring; nothing is queued then.
	bool send_copy(std::span<const uint8_t> pkt, const TxRequest *req = nullptr) noexcept
	{
		uint32_t idx;
		if (free_n_ == 0 || pkt.size() == 0 || pkt.size() > tx_room_ || !tx_.valid() || tx_.reserve(1, idx) == 0) {
			counters_.tx_ring_full++;
			return false;
		}
		uint64_t chunk = free_[--free_n_];
		if (ledger_)
			ledger_->move(chunk, FrameOwner::free_list, FrameOwner::kernel);
		uint64_t addr = chunk + data_off_;
		std::memcpy(area_ + addr, pkt.data(), pkt.size());
		queue_tx(idx, addr, uint32_t(pkt.size()), req);
		return true;
	}

	// Queues a received (application-owned) frame for transmission as it is in the umem,
	// `len` bytes from f.data (default f.len). False when the TX ring is full: the frame
	// stays the application's.
	bool forward(const Frame &f, const TxRequest *req = nullptr, uint32_t len = 0) noexcept
	{
		uint32_t idx;
		if (!tx_.valid() || tx_.reserve(1, idx) == 0) {
			counters_.tx_ring_full++;
			return false;
		}
		if (ledger_)
			ledger_->move(f.addr & chunk_mask_, FrameOwner::application, FrameOwner::kernel);
		app_n_--;
		queue_tx(idx, f.addr, len ? len : f.len, req);
		return true;
	}

	// Publishes queued frames; kicks the kernel while the TX ring holds frames it has not
	// taken (always in copy mode; in zero-copy mode when it asks, XDP_USE_NEED_WAKEUP).
	void flush_tx() noexcept
	{
		if (!tx_.valid())
			return;
		if (tx_unpublished_) {
			tx_.submit();
			tx_unpublished_ = 0;
		}
		if (tx_.outstanding() && (!need_wakeup_ || mode_ == XskMode::copy || tx_.needs_wakeup()))
			kick_tx();
	}

	// Flushes, then takes up to `max` completions: each frame goes back to the free list
	// and fn(const TxCompletion &) sees it first (with its TX timestamp when requested
	// and delivered). Returns how many completed.
	template <class Fn> uint32_t complete(Fn &&fn, uint32_t max = kMaxBatch) noexcept
	{
		flush_tx();
		uint32_t idx;
		uint32_t n = comp_.peek(max, idx);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t addr = comp_.slot(idx + i);
			TxCompletion c{addr, 0, false, mode_ == XskMode::copy};
			if (tx_meta_len_ >= sizeof(uapi::xsk_tx_metadata)) {
				const auto *m = reinterpret_cast<const uapi::xsk_tx_metadata *>(area_ + addr - tx_meta_len_);
				if (m->flags & uapi::XDP_TXMD_FLAGS_TIMESTAMP) {
					c.timestamp_requested = true;
					c.tx_timestamp = m->completion.tx_timestamp;
				}
			}
			fn(static_cast<const TxCompletion &>(c));
			tx_n_ -= give_back(*this, addr & chunk_mask_, FrameOwner::kernel);
		}
		if (n) {
			comp_.release();
			counters_.tx_completed += n;
		}
		return n;
	}
	uint32_t complete(uint32_t max = kMaxBatch) noexcept
	{
		return complete([](const TxCompletion &) {}, max);
	}

	// As complete(), but the frames go to `home`'s free list: forwarding from home's RX
	// to this socket's TX (two devices, one umem) sends frames back where they refill the
	// fill ring. Both sockets must be used by the calling thread.
	uint32_t complete_to(XskSocket &home, uint32_t max = kMaxBatch) noexcept
	{
		flush_tx();
		uint32_t idx;
		uint32_t n = comp_.peek(max, idx);
		for (uint32_t i = 0; i < n; i++)
			tx_n_ -= home.give_back(*this, comp_.slot(idx + i) & chunk_mask_, FrameOwner::kernel);
		if (n) {
			comp_.release();
			counters_.tx_completed += n;
		}
		return n;
	}

	// ---- accounting and statistics ------------------------------------------------

	const SocketCounters &counters() const noexcept { return counters_; }
	SocketFrames frames() const noexcept
	{
		return {int64_t(free_n_), fill_n_, tx_n_, app_n_, fill_.valid() ? int64_t(fill_.queued()) : 0};
	}
	// Kernel statistics + own counters + frame counts.
	Result<SocketStats> stats() const;
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
		app_n_ -= give_back(*this, addr & chunk_mask_, FrameOwner::application);
	}

	// Puts a frame that `from` (application: released; kernel: completed on socket `by`)
	// gives back on this socket's free list. Ownership first: a frame released twice may
	// be in the fill ring again, the kernel's to write, so nothing is written before the
	// ledger agrees. Returns 1 when taken, 0 when refused (a double release or a
	// completion for a frame the kernel did not have: counted as a ledger violation; a
	// full free list: counted in release_overflow); a refused frame stays where it was.
	uint32_t give_back(XskSocket &by, uint64_t chunk, FrameOwner from) noexcept
	{
		if (ledger_ && !ledger_->move(chunk, from, FrameOwner::free_list, false))
			return 0;
		if (free_n_ == free_cap_) [[unlikely]] {
			free_list_overflow(by, chunk, from);
			return 0;
		}
		// The next packet's id slot: a u64 id ends at data (a u32 id is its last 4 bytes).
		// data_off_ is at least XDP_PACKET_HEADROOM, so these bytes are this frame's.
		std::memset(area_ + chunk + data_off_ - 8, 0, 8);
		free_[free_n_++] = chunk;
		return 1;
	}
	// Cold: counts the refused frame in `by` and in the ledger's violations.
	void free_list_overflow(XskSocket &by, uint64_t chunk, FrameOwner from) noexcept;

	void queue_tx(uint32_t idx, uint64_t addr, uint32_t len, const TxRequest *req) noexcept
	{
		xdp_desc &d = tx_.slot(idx);
		d.addr = addr;
		d.len = len;
		d.options = 0;
		if (req && tx_meta_len_ >= sizeof(uapi::xsk_tx_metadata)) {
			auto *m = reinterpret_cast<uapi::xsk_tx_metadata *>(area_ + addr - tx_meta_len_);
			std::memset(m, 0, sizeof(*m));
			if (req->timestamp)
				m->flags |= uapi::XDP_TXMD_FLAGS_TIMESTAMP;
			if (req->checksum) {
				m->flags |= uapi::XDP_TXMD_FLAGS_CHECKSUM;
				m->request.csum_start = req->csum_start;
				m->request.csum_offset = req->csum_offset;
			}
			d.options = uapi::XDP_TX_METADATA;
			counters_.tx_metadata++;
		}
		tx_unpublished_++;
		tx_n_++;
		counters_.tx_frames++;
		counters_.tx_bytes += len;
	}

	void kick_tx() noexcept; // sendto(MSG_DONTWAIT)
	void wake_rx() noexcept; // recvfrom(MSG_DONTWAIT)
	bool check_gone() noexcept; // SO_ERROR == ENETDOWN: the device was unregistered

	Status setup(const SocketConfig &cfg);
	Status map_rings();
	Status bind_socket();

	std::shared_ptr<Umem> umem_;
	SocketConfig cfg_;
	// After umem_: the socket closes before the umem can go (a first socket's fd is the
	// umem's registration).
	edge::UniqueFd fd_;
	bool first_ = false; // bound on the umem's registration socket (not XDP_SHARED_UMEM)
	XskMode mode_ = XskMode::copy;
	bool need_wakeup_ = false;
	bool busy_poll_ = false;
	bool in_map_ = false;
	bool gone_ = false; // the device was unregistered (latched: SO_ERROR reads only once)

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

	std::unique_ptr<uint64_t[]> free_; // umem frame count entries; never grows
	uint64_t free_cap_ = 0;
	uint64_t free_n_ = 0;
	int64_t fill_n_ = 0;
	int64_t app_n_ = 0;
	int64_t tx_n_ = 0;
	uint32_t tx_unpublished_ = 0;
	uint32_t tx_meta_len_ = 0;  // umem's tx_metadata_len
	uint32_t prefix_ = 0;       // SocketConfig::hints_prefix
	uint32_t data_off_ = 0;     // where the kernel puts RX data in a chunk (headroom + 256); send_copy() too
	uint32_t tx_room_ = 0;      // bytes from there to the chunk end
	SocketCounters counters_;
};

} // namespace xdphints::afxdp
