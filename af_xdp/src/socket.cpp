#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/edge/error.hpp>
#include <xdphints/edge/sys.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <tuple>
#include <utility>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

namespace xdphints::afxdp {

using edge::Sys;
using edge::sys;

const char *xsk_mode_name(XskMode m) noexcept
{
	return m == XskMode::zero_copy ? "zero-copy" : "copy";
}

namespace {

bool pow2(uint32_t v) { return v && !(v & (v - 1)); }

std::string where(const SocketConfig &c)
{
	return "ifindex " + std::to_string(c.ifindex) + " queue " + std::to_string(c.queue);
}

} // namespace

Result<std::unique_ptr<XskSocket>> XskSocket::create(const std::shared_ptr<Umem> &umem, const SocketConfig &cfg)
{
	if (!umem)
		return Error(Errc::invalid_argument, "XskSocket::create without a umem");
	if (cfg.rx_size == 0 && cfg.tx_size == 0)
		return Error(Errc::invalid_argument, "a socket needs an rx or a tx ring (both sizes are 0)");
	for (auto [name, v, optional] : {std::tuple{"rx", cfg.rx_size, true}, std::tuple{"tx", cfg.tx_size, true},
					 std::tuple{"fill", cfg.fill_size, false}, std::tuple{"completion", cfg.comp_size, false}})
		if (!(optional && v == 0) && !pow2(v))
			return Error(Errc::invalid_argument, std::string(name) + " ring size " + std::to_string(v) +
								     " is not a power of two; use e.g. 2048");
	if (cfg.ifindex <= 0)
		return Error(Errc::invalid_argument, "XskSocket needs an interface index (got " + std::to_string(cfg.ifindex) + ")");
	if (cfg.hints_prefix % 8 != 0 || cfg.hints_prefix > 256)
		return Error::detected(Errc::invalid_argument,
				       "hints prefix of " + std::to_string(cfg.hints_prefix) + " bytes",
				       "give the hook's own: hook::Hook::hints_prefix() (a multiple of 8, at most 256; 0 "
				       "with the metadata area)");

	std::unique_ptr<XskSocket> s(new XskSocket());
	s->umem_ = umem;
	s->cfg_ = cfg;
	s->area_ = umem->area_;
	s->chunk_mask_ = ~uint64_t(umem->frame_size() - 1);
	s->ledger_ = umem->ledger_.enabled() ? &umem->ledger_ : nullptr;
	s->tx_meta_len_ = umem->config().tx_metadata_len;
	s->data_off_ = umem->config().headroom + 256; // XDP_PACKET_HEADROOM, as the kernel places RX data
	s->tx_room_ = umem->frame_size() - s->data_off_;
	s->prefix_ = cfg.hints_prefix;
	if (auto st = s->setup(cfg); !st)
		return std::move(st).error();
	return s;
}

Status XskSocket::setup(const SocketConfig &cfg)
{
	const Sys &s = sys();
	// Held until this socket is bound and attached (or failed): whether it is the first
	// socket cannot change under it, nor can the socket it shares the umem through go.
	std::lock_guard setup_lk(umem_->setup_mu_);
	{
		std::lock_guard lk(umem_->mu_);
		first_ = umem_->sockets_.empty();
	}
	if (first_) {
		// The first socket binds on the registration socket and owns it from here:
		// destroying it closes it, which unbinds the queue.
		if (!umem_->fd_)
			if (auto st = umem_->reregister(); !st)
				return st;
		fd_ = std::move(umem_->fd_);
	} else {
		fd_.reset(s.socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0));
		if (!fd_)
			return edge::sys_error(errno, edge::Op::xsk_socket, "socket(AF_XDP) for " + where(cfg));
	}

	auto ring = [&](int opt, uint32_t n, const char *name) -> Status {
		if (n == 0)
			return {};
		if (s.setsockopt(fd_.get(), SOL_XDP, opt, &n, sizeof(n)) != 0)
			return Error::from_errno(errno, std::string("setting up the ") + name + " ring (" + std::to_string(n) + ") for " + where(cfg),
						 "ring sizes must be powers of two; a umem shared on one device+queue cannot have its own fill ring");
		return {};
	};
	if (auto st = ring(XDP_RX_RING, cfg.rx_size, "rx"); !st)
		return st;
	if (auto st = ring(XDP_TX_RING, cfg.tx_size, "tx"); !st)
		return st;
	if (auto st = ring(XDP_UMEM_FILL_RING, cfg.fill_size, "fill"); !st)
		return st;
	if (auto st = ring(XDP_UMEM_COMPLETION_RING, cfg.comp_size, "completion"); !st)
		return st;
	if (auto st = map_rings(); !st)
		return st;

	uint32_t want = cfg.frames ? cfg.frames : cfg.fill_size + cfg.tx_size;
	free_cap_ = umem_->frame_count();
	free_ = std::make_unique<uint64_t[]>(free_cap_);
	free_n_ = umem_->take(free_.get(), want);
	if (free_n_ == 0)
		return Error(Errc::invalid_argument, "the umem has no free frames left for " + where(cfg) +
							     "; create it with more frames (UmemConfig::frame_count)");

	if (cfg.busy_poll.enabled) {
		int one = 1, usecs = int(cfg.busy_poll.usecs), budget = int(cfg.busy_poll.budget);
		if (s.setsockopt(fd_.get(), SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) != 0)
			return Error::from_errno(errno, "SO_PREFER_BUSY_POLL on " + where(cfg), "busy polling needs Linux >= 5.11; turn it off");
		if (s.setsockopt(fd_.get(), SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) != 0)
			return Error::from_errno(errno, "SO_BUSY_POLL on " + where(cfg), "run as root (CAP_NET_ADMIN) or turn busy polling off");
		if (s.setsockopt(fd_.get(), SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)) != 0)
			return Error::from_errno(errno, "SO_BUSY_POLL_BUDGET on " + where(cfg), "run as root (CAP_NET_ADMIN) or turn busy polling off");
		busy_poll_ = true;
	}

	if (auto st = bind_socket(); !st)
		return st;

	if (cfg.xsks_map_fd >= 0) {
		if (s.xskmap_set(cfg.xsks_map_fd, cfg.queue, fd_.get()) != 0)
			return Error::from_errno(errno, "inserting the socket of " + where(cfg) + " into XSKMAP fd " + std::to_string(cfg.xsks_map_fd),
						 "the map must be an XSKMAP with more than " + std::to_string(cfg.queue) + " entries");
		in_map_ = true;
	}
	umem_->attach(this);
	refill();
	return {};
}

Status XskSocket::map_rings()
{
	const Sys &s = sys();
	xdp_mmap_offsets off{};
	socklen_t len = sizeof(off);
	if (s.getsockopt(fd_.get(), SOL_XDP, XDP_MMAP_OFFSETS, &off, &len) != 0)
		return Error::from_errno(errno, "XDP_MMAP_OFFSETS for " + where(cfg_), "needs Linux >= 5.4");

	struct Want {
		uint32_t n;
		const xdp_ring_offset *o;
		off_t pgoff;
		size_t elem;
		const char *name;
	} wants[4] = {
		{cfg_.rx_size, &off.rx, XDP_PGOFF_RX_RING, sizeof(xdp_desc), "rx"},
		{cfg_.tx_size, &off.tx, XDP_PGOFF_TX_RING, sizeof(xdp_desc), "tx"},
		{cfg_.fill_size, &off.fr, off_t(XDP_UMEM_PGOFF_FILL_RING), sizeof(uint64_t), "fill"},
		{cfg_.comp_size, &off.cr, off_t(XDP_UMEM_PGOFF_COMPLETION_RING), sizeof(uint64_t), "completion"},
	};
	RingMap rm[4];
	for (int i = 0; i < 4; i++) {
		const Want &w = wants[i];
		if (w.n == 0)
			continue;
		size_t l = w.o->desc + w.n * w.elem;
		void *p = s.mmap(nullptr, l, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_.get(), w.pgoff);
		if (p == MAP_FAILED)
			return Error::from_errno(errno, std::string("mmap of the ") + w.name + " ring for " + where(cfg_),
						 "raise RLIMIT_MEMLOCK or use smaller rings");
		maps_[i] = {p, l};
		auto *b = static_cast<uint8_t *>(p);
		rm[i] = RingMap{reinterpret_cast<uint32_t *>(b + w.o->producer), reinterpret_cast<uint32_t *>(b + w.o->consumer),
				reinterpret_cast<uint32_t *>(b + w.o->flags), b + w.o->desc, w.n};
	}
	if (cfg_.rx_size)
		rx_ = ConsRing<xdp_desc>(rm[0]);
	if (cfg_.tx_size)
		tx_ = ProdRing<xdp_desc>(rm[1]);
	fill_ = ProdRing<uint64_t>(rm[2]);
	comp_ = ConsRing<uint64_t>(rm[3]);
	return {};
}

Status XskSocket::bind_socket()
{
	const Sys &s = sys();
	sockaddr_xdp sa{};
	sa.sxdp_family = AF_XDP;
	sa.sxdp_ifindex = uint32_t(cfg_.ifindex);
	sa.sxdp_queue_id = cfg_.queue;

	// A queue stays taken after its socket is closed until the kernel releases the
	// socket's buffer pool from a workqueue (~30 ms here): EBUSY is retried until
	// bind_busy_wait_ms have passed, only then does it mean another socket holds the queue.
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.bind_busy_wait_ms);
	auto bind = [&](uint16_t flags) {
		sa.sxdp_flags = flags;
		for (;;) {
			if (s.bind(fd_.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0)
				return true;
			if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline)
				return false;
			std::this_thread::sleep_for(std::chrono::milliseconds(2));
		}
	};

	if (!first_) {
		// Shared umem: mode and need_wakeup follow the socket shared with (the kernel
		// takes them from it; passing flags here is EINVAL), which inherited them from
		// the first. Any bound socket of the umem will do; setup_mu_ keeps it open.
		{
			std::lock_guard lk(umem_->mu_);
			sa.sxdp_shared_umem_fd = uint32_t(umem_->sockets_.front()->fd_.get());
		}
		if (!bind(XDP_SHARED_UMEM))
			return edge::sys_error(errno, edge::Op::xsk_bind_shared, "bind (shared umem) to " + where(cfg_));
	} else {
		uint16_t wake = cfg_.need_wakeup ? XDP_USE_NEED_WAKEUP : 0;
		int zc_err = 0;
		if (cfg_.mode != BindMode::copy) {
			if (bind(XDP_ZEROCOPY | wake))
				goto bound;
			zc_err = errno;
			if (cfg_.mode == BindMode::zero_copy)
				return edge::sys_error(zc_err, edge::Op::xsk_bind_zc, "zero-copy bind to " + where(cfg_),
						       {.waited_ms = zc_err == EBUSY ? int(cfg_.bind_busy_wait_ms) : 0});
		}
		if (!bind(XDP_COPY | wake)) {
			int e = errno;
			std::string what = "copy-mode bind to " + where(cfg_);
			if (zc_err)
				what += " (zero-copy was refused first: " + std::string(strerror(zc_err)) + ")";
			return edge::sys_error(e, edge::Op::xsk_bind, what, {.waited_ms = e == EBUSY ? int(cfg_.bind_busy_wait_ms) : 0});
		}
	bound:
		std::lock_guard lk(umem_->mu_);
		umem_->need_wakeup_ = cfg_.need_wakeup;
	}
	need_wakeup_ = umem_->need_wakeup_;

	xdp_options opts{};
	socklen_t len = sizeof(opts);
	if (s.getsockopt(fd_.get(), SOL_XDP, XDP_OPTIONS, &opts, &len) != 0)
		return Error::from_errno(errno, "XDP_OPTIONS on " + where(cfg_), "needs Linux >= 5.3");
	mode_ = (opts.flags & XDP_OPTIONS_ZEROCOPY) ? XskMode::zero_copy : XskMode::copy;
	if (cfg_.mode == BindMode::zero_copy && mode_ != XskMode::zero_copy)
		return Error(Errc::invalid_argument, "zero-copy was asked for on " + where(cfg_) +
						   " but the umem's first socket is in copy mode, and a shared umem has one mode; use copy mode");
	if (cfg_.mode == BindMode::copy && mode_ != XskMode::copy)
		return Error(Errc::invalid_argument, "copy mode was asked for on " + where(cfg_) +
						   " but the umem's first socket is in zero-copy mode, and a shared umem has one mode");
	return {};
}

XskSocket::~XskSocket()
{
	const Sys &s = sys();
	// A socket being set up may be about to share the umem through this one.
	std::unique_lock<std::mutex> setup_lk;
	if (umem_)
		setup_lk = std::unique_lock(umem_->setup_mu_);
	if (in_map_)
		(void)s.xskmap_clear(cfg_.xsks_map_fd, cfg_.queue);
	if (umem_) {
		umem_->detach(this);
		if (free_n_)
			umem_->give(free_.get(), free_n_);
		// Frames in the fill ring, in flight or still held cannot be told apart from here;
		// they are retired with the socket rather than risk handing one out twice.
		std::lock_guard lk(umem_->mu_);
		umem_->retired_ += uint64_t(fill_n_ + tx_n_ + app_n_);
	}
	for (auto &m : maps_)
		if (m.addr)
			s.munmap(m.addr, m.len);
	// fd_ closes after this, before umem_: the first socket's fd is the umem's registration,
	// and closing it unbinds the queue too (other sockets keep the kernel's umem alive; with
	// none left the next socket registers the area again).
}

void XskSocket::free_list_overflow(XskSocket &by, uint64_t chunk, FrameOwner from) noexcept
{
	by.counters_.release_overflow++;
	if (ledger_)
		ledger_->move(chunk, FrameOwner::free_list, from); // undone: the frame stays where it was
	umem_->ledger_.note_overflow(chunk, from);
}

void XskSocket::wake_rx() noexcept
{
	counters_.rx_wakeups++;
	// ENXIO: unbound, i.e. the device was unregistered.
	if (recvfrom(fd_.get(), nullptr, 0, MSG_DONTWAIT, nullptr, nullptr) < 0 && errno == ENXIO)
		gone_ = true;
}

void XskSocket::kick_tx() noexcept
{
	counters_.tx_wakeups++;
	// EAGAIN/EBUSY/ENOBUFS: the kernel is busy or the completion ring is full; the next
	// flush kicks again. ENETDOWN: the device is down; frames stay queued. ENXIO: the
	// device was unregistered.
	if (sendto(fd_.get(), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno == ENXIO)
		gone_ = true;
}

// On NETDEV_UNREGISTER the kernel unbinds every socket of the device and sets sk_err =
// ENETDOWN; poll(2) gets no event (xsk_poll reports nothing for an unbound socket), so
// the error is read here. Reading SO_ERROR clears it, hence the latch.
bool XskSocket::check_gone() noexcept
{
	if (gone_)
		return true;
	int err = 0;
	socklen_t len = sizeof(err);
	if (sys().getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ENETDOWN)
		gone_ = true;
	return gone_;
}

WaitResult XskSocket::wait(int timeout_ms) noexcept
{
	// Looks for a vanished device at least this often while nothing arrives.
	constexpr int kGoneCheckMs = 100;
	if (rx_.valid() && rx_.pending())
		return WaitResult::readable;
	if (gone_)
		return WaitResult::device_gone;
	refill();
	int left = timeout_ms;
	for (;;) {
		int slice = left < 0 || left > kGoneCheckMs ? kGoneCheckMs : left;
		pollfd p{fd_.get(), short(rx_.valid() ? POLLIN : POLLOUT), 0};
		int r = ::poll(&p, 1, slice);
		if (r > 0 && (p.revents & (POLLIN | POLLOUT)))
			return WaitResult::readable;
		if (r < 0 && errno == EINTR)
			return WaitResult::timeout;
		if (check_gone())
			return WaitResult::device_gone;
		// POLLERR/POLLNVAL (or a poll error) would come back at once: do not spin on it.
		if (r != 0)
			return WaitResult::timeout;
		if (left >= 0 && (left -= slice) <= 0)
			return WaitResult::timeout;
	}
}

const char *wait_result_name(WaitResult r) noexcept
{
	switch (r) {
	case WaitResult::readable: return "readable";
	case WaitResult::timeout: return "timeout";
	case WaitResult::device_gone: return "device gone";
	}
	return "?";
}

Error device_gone_error(int ifindex, uint32_t queue, std::string_view ifname)
{
	std::string dev = ifname.empty() ? "interface with ifindex " + std::to_string(ifindex)
					 : "interface " + std::string(ifname) + " (ifindex " + std::to_string(ifindex) + ")";
	return Error(Errc::device_gone,
		     dev + " is gone: the kernel unregistered it while an AF_XDP socket was receiving on queue " +
			     std::to_string(queue) +
			     " (the interface was deleted, or its network namespace or its veth peer's namespace was removed) "
			     "and unbound the socket; nothing more can arrive. Start again once the interface exists");
}

Result<XdpStatistics> XskSocket::kernel_stats() const
{
	xdp_statistics st{};
	socklen_t len = sizeof(st);
	if (sys().getsockopt(fd_.get(), SOL_XDP, XDP_STATISTICS, &st, &len) != 0)
		return Error::from_errno(errno, "XDP_STATISTICS on " + where(cfg_), "needs Linux >= 4.18");
	XdpStatistics r;
	r.rx_dropped = st.rx_dropped;
	r.rx_invalid_descs = st.rx_invalid_descs;
	r.tx_invalid_descs = st.tx_invalid_descs;
	if (len >= sizeof(st)) {
		r.rx_ring_full = st.rx_ring_full;
		r.rx_fill_ring_empty_descs = st.rx_fill_ring_empty_descs;
		r.tx_ring_empty_descs = st.tx_ring_empty_descs;
	}
	return r;
}

Result<SocketStats> XskSocket::stats() const
{
	auto k = kernel_stats();
	if (!k)
		return k.error();
	return SocketStats{cfg_.ifindex, cfg_.queue, mode_, *k, counters_, frames()};
}

std::string SocketStats::to_string() const
{
	auto n = [](uint64_t v) { return std::to_string(v); };
	return "ifindex " + std::to_string(ifindex) + " queue " + n(queue) + " (" + xsk_mode_name(mode) + "): rx " +
	       n(own.rx_frames) + " frames, " + n(own.rx_with_hints) + " with hints, " + n(own.rx_unknown_layout) +
	       " unknown layout; tx " + n(own.tx_frames) + " sent, " + n(own.tx_completed) + " completed; kernel: rx_dropped " +
	       n(kernel.rx_dropped) + ", rx_ring_full " + n(kernel.rx_ring_full) + ", fill_ring_empty " +
	       n(kernel.rx_fill_ring_empty_descs) + ", rx_invalid " + n(kernel.rx_invalid_descs) + ", tx_invalid " +
	       n(kernel.tx_invalid_descs) + ", tx_ring_empty " + n(kernel.tx_ring_empty_descs);
}

} // namespace xdphints::afxdp
