#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/edge/error.hpp>
#include <xdphints/edge/proc.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/af_xdp/uapi.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sys/mman.h>

namespace xdphints::afxdp {

using edge::Sys;
using edge::sys;

const char *frame_owner_name(FrameOwner o) noexcept
{
	switch (o) {
	case FrameOwner::free_list: return "free list";
	case FrameOwner::fill_ring: return "fill ring (kernel rx)";
	case FrameOwner::kernel: return "kernel (tx)";
	case FrameOwner::application: return "application";
	}
	return "?";
}

// ---- ledger ---------------------------------------------------------------------------

void FrameLedger::init(uint32_t frames, uint32_t shift)
{
	states_ = std::vector<std::atomic<uint8_t>>(frames);
	for (auto &s : states_)
		s.store(uint8_t(FrameOwner::free_list), std::memory_order_relaxed);
	shift_ = shift;
}

void FrameLedger::note(uint64_t addr, FrameOwner expected, FrameOwner actual, FrameOwner to, bool oor, bool overflow) noexcept
{
	if (violations_.fetch_add(1, std::memory_order_relaxed) == 0) {
		std::lock_guard lk(first_mu_);
		first_ = Violation{addr, expected, actual, to, oor, overflow};
	}
}

FrameLedger::Violation FrameLedger::first_violation() const
{
	std::lock_guard lk(first_mu_);
	return first_;
}

std::array<uint64_t, 4> FrameLedger::count() const
{
	std::array<uint64_t, 4> c{};
	for (auto &s : states_)
		c[s.load(std::memory_order_relaxed) & 3]++;
	return c;
}

std::string FrameAccounting::to_string() const
{
	return "frames total " + std::to_string(total) + " = free list " + std::to_string(free_list) +
	       " + kernel rx " + std::to_string(fill_ring) + " (" + std::to_string(fill_ring_queued) + " in fill rings, " +
	       std::to_string(kernel_rx_held()) + " taken by the kernel)" + " + kernel (tx) " + std::to_string(kernel) +
	       " + application " + std::to_string(application) + " + retired " + std::to_string(retired) +
	       (balanced() ? " (balanced)" : " (UNBALANCED)") +
	       ", ledger violations " + std::to_string(ledger_violations);
}

// ---- umem -----------------------------------------------------------------------------


Result<std::shared_ptr<Umem>> Umem::create(const UmemConfig &cfg)
{
	if (cfg.frame_size != 2048 && cfg.frame_size != 4096)
		return Error(Errc::invalid_argument,
			     "umem frame size " + std::to_string(cfg.frame_size) + " is not supported; use 2048 or 4096");
	if (cfg.frame_count == 0)
		return Error(Errc::invalid_argument, "umem frame count is 0; give at least the fill ring size");
	// The kernel keeps XDP_PACKET_HEADROOM (256) after ours; leave room for a full-size frame.
	if (cfg.headroom > cfg.frame_size - 256 - 1518)
		return Error(Errc::invalid_argument,
			     "umem headroom " + std::to_string(cfg.headroom) + " leaves no room for a 1518-byte packet in a " +
				     std::to_string(cfg.frame_size) + "-byte frame; lower the headroom or use 4096-byte frames");
	if (cfg.tx_metadata_len % 8 != 0 || cfg.tx_metadata_len > 256)
		return Error(Errc::invalid_argument, "tx_metadata_len " + std::to_string(cfg.tx_metadata_len) +
							     " must be a multiple of 8 and at most 256 (sizeof(struct xsk_tx_metadata) = " +
							     std::to_string(sizeof(uapi::xsk_tx_metadata)) + ")");

	if (cfg.tx_metadata_len && !edge::kernel_at_least(6, 8))
		// Older kernels take the v3 XDP_UMEM_REG without complaint and ignore the length;
		// their TX path then rejects every descriptor asking for metadata.
		return Error(Errc::invalid_argument, "TX metadata (tx_metadata_len " + std::to_string(cfg.tx_metadata_len) +
							     ") needs Linux >= 6.8; set tx_metadata_len = 0");

	std::shared_ptr<Umem> u(new Umem());
	u->cfg_ = cfg;
	const Sys &s = sys();

	size_t size = size_t(cfg.frame_size) * cfg.frame_count;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	if (cfg.huge_pages) {
		constexpr size_t huge = 2u << 20;
		size = (size + huge - 1) / huge * huge;
		flags |= MAP_HUGETLB;
	}
	void *area = s.mmap(nullptr, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (area == MAP_FAILED)
		return Error::from_errno(errno, "mmap of a " + std::to_string(size >> 10) + " KiB umem" + (cfg.huge_pages ? " on huge pages" : ""),
					 cfg.huge_pages ? "reserve 2 MiB huge pages (sysctl vm.nr_hugepages=N) or turn huge pages off"
							: "lower the frame count or raise the memory limit");
	u->area_ = static_cast<uint8_t *>(area);
	u->size_ = size;
	u->huge_ = cfg.huge_pages;

	if (auto st = u->reregister(); !st)
		return std::move(st).error();

	u->pool_.resize(cfg.frame_count);
	for (uint32_t i = 0; i < cfg.frame_count; i++)
		u->pool_[i] = uint64_t(cfg.frame_count - 1 - i) * cfg.frame_size; // pops in address order
	if (cfg.check_ownership)
		u->ledger_.init(cfg.frame_count, cfg.frame_size == 4096 ? 12 : 11);
	return u;
}

// A socket with the area registered (XDP_UMEM_REG), in fd_: at creation, and when a
// socket is made after every earlier one was closed (with them went the registration).
Status Umem::reregister()
{
	const Sys &s = sys();
	fd_.reset();
	edge::UniqueFd fd(s.socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0));
	if (!fd)
		return edge::sys_error(errno, edge::Op::xsk_socket, "socket(AF_XDP)");

	uapi::xdp_umem_reg reg{};
	reg.addr = uint64_t(uintptr_t(area_));
	reg.len = size_t(cfg_.frame_size) * cfg_.frame_count;
	reg.chunk_size = cfg_.frame_size;
	reg.headroom = cfg_.headroom;
	reg.flags = 0;
	socklen_t len = uapi::kUmemRegV1Size;
	if (cfg_.tx_metadata_len) {
		reg.tx_metadata_len = cfg_.tx_metadata_len;
		// Linux >= 6.11 wants XDP_UMEM_TX_METADATA_LEN to honour the length; 6.8-6.10 do not
		// know the flag and take the length alone.
		reg.flags |= uapi::XDP_UMEM_TX_METADATA_LEN;
		len = sizeof(reg);
	}
	int rc = s.setsockopt(fd.get(), SOL_XDP, XDP_UMEM_REG, &reg, len);
	int e = errno;
	if (rc != 0 && e == EINVAL && cfg_.tx_metadata_len) {
		reg.flags &= ~uapi::XDP_UMEM_TX_METADATA_LEN;
		rc = s.setsockopt(fd.get(), SOL_XDP, XDP_UMEM_REG, &reg, len);
		e = errno;
		if (rc != 0 && e == EINVAL)
			return Error::detected(Errc::unsupported,
					       "XDP_UMEM_REG with tx_metadata_len " + std::to_string(cfg_.tx_metadata_len) +
						       " is refused with and without XDP_UMEM_TX_METADATA_LEN",
					       "TX metadata needs Linux >= 6.8; set tx_metadata_len = 0");
	}
	if (rc != 0)
		return edge::sys_error(e, edge::Op::umem_reg, "XDP_UMEM_REG (" + std::to_string(cfg_.frame_count) + " frames of " +
								      std::to_string(cfg_.frame_size) + " bytes)");
	fd_ = std::move(fd);
	return {};
}

Umem::~Umem()
{
	fd_.reset(); // the registration before the area it registers
	if (area_)
		sys().munmap(area_, size_);
}

size_t Umem::take(uint64_t *out, size_t n)
{
	std::lock_guard lk(mu_);
	n = std::min(n, pool_.size());
	for (size_t i = 0; i < n; i++) {
		out[i] = pool_.back();
		pool_.pop_back();
	}
	return n;
}

void Umem::give(const uint64_t *addrs, size_t n)
{
	std::lock_guard lk(mu_);
	pool_.insert(pool_.end(), addrs, addrs + n);
}

void Umem::attach(XskSocket *s)
{
	std::lock_guard lk(mu_);
	sockets_.push_back(s);
}

void Umem::detach(XskSocket *s)
{
	std::lock_guard lk(mu_);
	sockets_.erase(std::remove(sockets_.begin(), sockets_.end(), s), sockets_.end());
}

size_t Umem::pool_frames() const
{
	std::lock_guard lk(mu_);
	return pool_.size();
}

FrameAccounting Umem::accounting() const
{
	std::lock_guard lk(mu_);
	FrameAccounting a;
	a.total = cfg_.frame_count;
	a.free_list = pool_.size();
	for (auto *s : sockets_) {
		SocketFrames f = s->frames();
		a.free_list += uint64_t(f.free_list); // per-socket counts may be negative (frames
		a.fill_ring += uint64_t(f.fill_ring); // moved between sockets); the sums are not
		a.fill_ring_queued += uint64_t(f.fill_queued);
		a.kernel += uint64_t(f.kernel);
		a.application += uint64_t(f.application);
	}
	a.retired = retired_;
	a.ledger_violations = ledger_.violations();
	return a;
}

Status Umem::verify(bool expect_none_held) const
{
	FrameAccounting a = accounting();
	std::string problems;
	if (!a.balanced())
		problems += "frame counts do not add up; ";
	if (expect_none_held && a.application)
		problems += std::to_string(a.application) + " frames still held by the application (not released: a leak); ";
	if (a.ledger_violations) {
		FrameLedger::Violation v = ledger_.first_violation();
		char addr[32];
		std::snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)v.addr);
		problems += std::to_string(a.ledger_violations) + " ownership violations, the first: frame " + addr +
			    (v.out_of_range ? " is outside the umem"
			     : v.overflow   ? std::string(" given back by the ") + frame_owner_name(v.expected) +
						    " to a free list that already held every frame of the umem (refused; released more often than "
						    "received: turn on UmemConfig::check_ownership to catch the first double release)"
					    : std::string(" moved to ") + frame_owner_name(v.to) + " expecting " +
						      frame_owner_name(v.expected) + " but was in " + frame_owner_name(v.actual)) +
			    " (a double release, or a frame released by the wrong socket); ";
	}
	if (problems.empty())
		return {};
	// The application broke the ownership rules (released twice, kept frames): its mistake.
	return Error(Errc::invalid_argument, "umem frame accounting: " + problems + a.to_string());
}

} // namespace xdphints::afxdp
