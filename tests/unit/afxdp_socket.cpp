// Umem and socket setup and the receive/transmit loops against a fake kernel: the
// system-call seam (xdphints/edge/sys.hpp) stands in for socket/setsockopt/bind/mmap, so
// error paths (zero-copy refused, EBUSY, ENOPROTOOPT, old kernels) and the data path run
// without root, and every fd and mapping is checked to be released.
#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/edge/sys.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace xdphints;
using namespace xdphints::afxdp;
using xdphints::edge::Sys;
using xdphints::edge::SysOverride;

namespace {

constexpr uint64_t kOffProd = 0, kOffCons = 64, kOffFlags = 128, kOffDesc = 192;

// The kernel side, as far as setup and the rings go.
struct FakeKernel {
	int next_fd = 5000; // far above anything the test process has open
	std::set<int> open_fds;
	std::map<void *, size_t> ring_maps;      // mmap'ed rings, by address
	std::map<off_t, uint8_t *> rings;        // of the last socket, by page offset
	std::vector<uint16_t> bind_flags;        // every bind attempt
	std::vector<int> bind_fds;               // the socket of each bind attempt
	std::vector<uint32_t> bind_shared_fds;   // sxdp_shared_umem_fd of each bind attempt
	int zc_bind_errno = EOPNOTSUPP;          // answer to XDP_ZEROCOPY binds (0 = accept)
	int copy_bind_errno = 0;
	int busy_binds = 0;                      // the next this many binds say EBUSY (a queue being released)
	int busy_poll_errno = 0;                 // answer to SO_PREFER_BUSY_POLL
	std::atomic<int> so_error{0};            // pending sk_err (SO_ERROR reads and clears it)
	bool reject_tx_metadata_flag = false;    // a 6.8-6.10 kernel: XDP_UMEM_TX_METADATA_LEN unknown
	uint32_t options_flags = 0;              // XDP_OPTIONS answer
	int map_updates = 0, map_deletes = 0;

	uint32_t *u32(off_t ring, uint64_t off) { return reinterpret_cast<uint32_t *>(rings.at(ring) + off); }
	template <class T> T *desc(off_t ring) { return reinterpret_cast<T *>(rings.at(ring) + kOffDesc); }
};

FakeKernel *K = nullptr;

// Fake fds start at 5000; a real fd (a pipe, a file the test opens) is closed for real.
const Sys kFake = xdphints::edge::with_real({
	.socket = [](int, int, int) -> int {
		int fd = K->next_fd++;
		K->open_fds.insert(fd);
		return fd;
	},
	.close = [](int fd) -> int {
		if (fd < 5000)
			return ::close(fd);
		return K->open_fds.erase(fd) ? 0 : (errno = EBADF, -1);
	},
	.setsockopt = [](int, int level, int name, const void *val, socklen_t len) -> int {
		if (level == SOL_SOCKET && name == 69 /* SO_PREFER_BUSY_POLL */ && K->busy_poll_errno)
			return errno = K->busy_poll_errno, -1;
		if (level == SOL_XDP && name == XDP_UMEM_REG && K->reject_tx_metadata_flag && len > 28) {
			uint32_t flags;
			std::memcpy(&flags, static_cast<const uint8_t *>(val) + 24, 4);
			if (flags & (1u << 2))
				return errno = EINVAL, -1;
		}
		return 0;
	},
	.getsockopt = [](int, int level, int name, void *val, socklen_t *len) -> int {
		if (level == SOL_SOCKET && name == SO_ERROR) {
			int e = K->so_error.exchange(0);
			std::memcpy(val, &e, sizeof(e));
			*len = sizeof(e);
			return 0;
		}
		if (level != SOL_XDP)
			return errno = ENOPROTOOPT, -1;
		if (name == XDP_MMAP_OFFSETS) {
			xdp_mmap_offsets o{};
			for (xdp_ring_offset *r : {&o.rx, &o.tx, &o.fr, &o.cr})
				*r = {kOffProd, kOffCons, kOffDesc, kOffFlags};
			std::memcpy(val, &o, sizeof(o));
			*len = sizeof(o);
			return 0;
		}
		if (name == XDP_OPTIONS) {
			xdp_options o{K->options_flags};
			std::memcpy(val, &o, sizeof(o));
			return 0;
		}
		if (name == XDP_STATISTICS) {
			std::memset(val, 0, *len);
			return 0;
		}
		return errno = ENOPROTOOPT, -1;
	},
	.bind = [](int fd, const sockaddr *sa, socklen_t) -> int {
		auto *x = reinterpret_cast<const sockaddr_xdp *>(sa);
		K->bind_flags.push_back(x->sxdp_flags);
		K->bind_fds.push_back(fd);
		K->bind_shared_fds.push_back(x->sxdp_shared_umem_fd);
		if (K->busy_binds > 0)
			return K->busy_binds--, errno = EBUSY, -1;
		int e = (x->sxdp_flags & XDP_ZEROCOPY) ? K->zc_bind_errno : K->copy_bind_errno;
		return e ? (errno = e, -1) : 0;
	},
	.mmap = [](void *addr, size_t len, int prot, int flags, int fd, off_t off) -> void * {
		if (fd < 0)
			return ::mmap(addr, len, prot, flags & ~MAP_HUGETLB, fd, off);
		void *p = std::calloc(1, len);
		K->ring_maps[p] = len;
		K->rings[off] = static_cast<uint8_t *>(p);
		return p;
	},
	.munmap = [](void *addr, size_t len) -> int {
		auto it = K->ring_maps.find(addr);
		if (it == K->ring_maps.end())
			return ::munmap(addr, len);
		std::free(addr);
		K->ring_maps.erase(it);
		return 0;
	},
	.ioctl = [](int, unsigned long, void *) -> int { return errno = ENOTTY, -1; },
	.xskmap_set = [](int, uint32_t, int) -> int { return K->map_updates++, 0; },
	.xskmap_clear = [](int, uint32_t) -> int { return K->map_deletes++, 0; },
});

struct WithFakeKernel {
	FakeKernel k;
	SysOverride seam{kFake};
	WithFakeKernel() { K = &k; }
	~WithFakeKernel() { K = nullptr; }
};

const off_t kRx = XDP_PGOFF_RX_RING, kTx = XDP_PGOFF_TX_RING, kFill = off_t(XDP_UMEM_PGOFF_FILL_RING),
	    kComp = off_t(XDP_UMEM_PGOFF_COMPLETION_RING);

SocketConfig small(uint32_t tx = 0)
{
	SocketConfig c;
	c.ifindex = 7;
	c.rx_size = 16;
	c.tx_size = tx;
	c.fill_size = 16;
	c.comp_size = 16;
	c.frames = 32;
	c.xsks_map_fd = 42;
	return c;
}

} // namespace

TEST_CASE("afxdp setup: zero-copy refused -> automatic fallback to copy mode, need_wakeup kept", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64});
	REQUIRE(umem);
	{
		auto s = XskSocket::create(*umem, small());
		REQUIRE(s);
		CHECK((*s)->mode() == XskMode::copy);
		REQUIRE(f.k.bind_flags.size() == 2);
		CHECK(f.k.bind_flags[0] == (XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP));
		CHECK(f.k.bind_flags[1] == (XDP_COPY | XDP_USE_NEED_WAKEUP));
		CHECK(f.k.map_updates == 1);
	}
	CHECK(f.k.map_deletes == 1); // out of the XSKMAP when the socket goes
	CHECK(f.k.ring_maps.empty());
	umem->reset();
	CHECK(f.k.open_fds.empty());
}

TEST_CASE("afxdp setup: a zero-copy driver is reported as zero-copy", "[afxdp][unit]")
{
	WithFakeKernel f;
	f.k.zc_bind_errno = 0;
	f.k.options_flags = XDP_OPTIONS_ZEROCOPY;
	auto umem = Umem::create({.frame_count = 64});
	REQUIRE(umem);
	auto s = XskSocket::create(*umem, small());
	REQUIRE(s);
	CHECK((*s)->mode() == XskMode::zero_copy);
	CHECK(f.k.bind_flags.size() == 1);
}

TEST_CASE("afxdp setup: failures name cause and fix, and leave no fd or mapping behind", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64});
	REQUIRE(umem);
	std::string msg;

	SECTION("forced zero-copy on a driver without it")
	{
		auto c = small();
		c.mode = BindMode::zero_copy;
		auto s = XskSocket::create(*umem, c);
		REQUIRE_FALSE(s);
		msg = s.error().message;
		CHECK(msg.find("zero-copy") != std::string::npos);
		CHECK(s.error().sys_errno == EOPNOTSUPP);
	}
	SECTION("the queue is taken (EBUSY), still after the wait for a queue being released")
	{
		f.k.copy_bind_errno = EBUSY;
		auto c = small();
		c.bind_busy_wait_ms = 20;
		auto s = XskSocket::create(*umem, c);
		REQUIRE_FALSE(s);
		msg = s.error().message;
		CHECK(f.k.bind_flags.size() > 2); // retried
		CHECK(msg.find("another AF_XDP socket is bound to this queue (still after 20 ms)") != std::string::npos);
		CHECK(msg.find("zero-copy was refused first") != std::string::npos);
	}
	SECTION("busy polling on a kernel without SO_PREFER_BUSY_POLL (ENOPROTOOPT)")
	{
		f.k.busy_poll_errno = ENOPROTOOPT;
		auto c = small();
		c.busy_poll.enabled = true;
		auto s = XskSocket::create(*umem, c);
		REQUIRE_FALSE(s);
		msg = s.error().message;
		CHECK(msg.find("Linux >= 5.11") != std::string::npos);
	}
	SECTION("a ring size that is not a power of two")
	{
		auto c = small();
		c.fill_size = 1000;
		auto s = XskSocket::create(*umem, c);
		REQUIRE_FALSE(s);
		CHECK(s.error().code == Errc::invalid_argument);
		msg = s.error().message;
	}
	INFO(msg);
	CHECK(f.k.ring_maps.empty());
	CHECK((*umem)->pool_frames() == 64); // frames taken by the failed socket came back
	umem->reset();
	CHECK(f.k.open_fds.empty());
}

TEST_CASE("afxdp setup: after a failed first socket the umem is registered afresh and the next socket binds", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64});
	REQUIRE(umem);
	auto c = small();
	c.mode = BindMode::zero_copy;
	REQUIRE_FALSE(XskSocket::create(*umem, c));
	CHECK(f.k.open_fds.empty()); // the failed socket closed the registration it took
	c.mode = BindMode::automatic;
	auto s = XskSocket::create(*umem, c);
	REQUIRE(s);
	CHECK(f.k.open_fds.size() == 1); // registered afresh on the new socket's fd
	CHECK(f.k.bind_fds.back() == (*s)->fd());
	CHECK((*s)->mode() == XskMode::copy);
	CHECK((*umem)->verify());
}

TEST_CASE("afxdp umem: invalid configurations and old kernels are refused clearly", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto bad = Umem::create({.frame_size = 3000});
	REQUIRE_FALSE(bad);
	CHECK(bad.error().message.find("2048 or 4096") != std::string::npos);

	auto odd = Umem::create({.tx_metadata_len = 20});
	REQUIRE_FALSE(odd);
	CHECK(odd.error().message.find("multiple of 8") != std::string::npos);

	// 6.8-6.10 do not know XDP_UMEM_TX_METADATA_LEN: registered without the flag.
	f.k.reject_tx_metadata_flag = true;
	auto md = Umem::create({.frame_count = 64, .tx_metadata_len = 24});
	REQUIRE(md);
	CHECK((*md)->config().tx_metadata_len == 24);
	md->reset();
	CHECK(f.k.open_fds.empty());
}

TEST_CASE("afxdp receive loop against a fake kernel: frames, headroom, id slot cleared, refill, ledger", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64, .check_ownership = true});
	REQUIRE(umem);
	auto sr = XskSocket::create(*umem, small());
	REQUIRE(sr);
	XskSocket &s = **sr;
	uint8_t *area = (*umem)->area();

	// The socket filled the fill ring at creation.
	CHECK(*f.k.u32(kFill, kOffProd) == 16);
	auto acc = (*umem)->accounting();
	CHECK(acc.fill_ring == 16);
	CHECK(acc.free_list == 64 - 16);

	// Kernel: take 4 frames from the fill ring, "receive" into them with a hints id in
	// front of the data (the kernel's XDP_PACKET_HEADROOM is 256), publish 4 descriptors.
	uint64_t *fill = f.k.desc<uint64_t>(kFill);
	xdp_desc *rx = f.k.desc<xdp_desc>(kRx);
	std::vector<uint64_t> used;
	for (uint32_t i = 0; i < 4; i++) {
		uint64_t chunk = fill[i];
		used.push_back(chunk);
		rx[i] = xdp_desc{chunk + 256, uint32_t(60 + i), 0};
		uint64_t id = 0x0000000500000010ull + i;
		std::memcpy(area + chunk + 256 - 8, &id, 8);
	}
	*f.k.u32(kFill, kOffCons) = 4;
	*f.k.u32(kRx, kOffProd) = 4;

	std::vector<Frame> seen;
	std::vector<uint64_t> ids;
	CHECK(s.poll([&](const Frame &fr) {
		seen.push_back(fr);
		uint64_t id;
		std::memcpy(&id, fr.data - 8, 8);
		ids.push_back(id);
	}) == 4);
	REQUIRE(seen.size() == 4);
	for (uint32_t i = 0; i < 4; i++) {
		CHECK(seen[i].data == area + used[i] + 256);
		CHECK(seen[i].len == 60 + i);
		CHECK(seen[i].headroom == 256);
		CHECK(ids[i] == 0x0000000500000010ull + i);
		uint64_t after;
		std::memcpy(&after, area + used[i] + 256 - 8, 8);
		CHECK(after == 0); // cleared on release, before it could be filled again
	}
	CHECK(*f.k.u32(kRx, kOffCons) == 4);   // rx slots handed back
	CHECK(*f.k.u32(kFill, kOffProd) == 20); // and the 4 frames refilled
	acc = (*umem)->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.fill_ring == 16);
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);
	CHECK(s.counters().rx_frames == 4);
	CHECK(s.counters().rx_bytes == 60 + 61 + 62 + 63);

	// Releasing a frame twice is refused and counted, not turned into a duplicate.
	s.release(seen[0]);
	CHECK((*umem)->ledger().violations() == 1);
	CHECK((*umem)->accounting().balanced());

	// A descriptor for a frame that was never given to the fill ring (a bug on the other
	// side): the socket took frames 0..31, frame 40 is still in the umem's pool.
	rx[4] = xdp_desc{40 * 4096 + 256, 60, 0};
	*f.k.u32(kRx, kOffProd) = 5;
	Frame one{};
	CHECK(s.receive(&one, 1) == 1);
	CHECK((*umem)->ledger().violations() == 2);
	auto v = (*umem)->ledger().first_violation();
	CHECK(v.addr == used[0]);
	CHECK(v.expected == FrameOwner::application);
	CHECK(v.actual == FrameOwner::free_list); // refilled frames came from the free list first
}

TEST_CASE("afxdp receive with the prefix transport: the hints prefix is stripped, and bounds the hints", "[afxdp][unit][transport]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64, .check_ownership = true});
	REQUIRE(umem);
	SocketConfig c = small();
	c.hints_prefix = 32;
	auto sr = XskSocket::create(*umem, c);
	REQUIRE(sr);
	XskSocket &s = **sr;
	uint8_t *area = (*umem)->area();

	// Kernel: descriptors that start at the prefix (32 bytes: the hook's struct, its id
	// last), then the packet; one frame shorter than the prefix (no hints can be there).
	uint64_t *fill = f.k.desc<uint64_t>(kFill);
	xdp_desc *rx = f.k.desc<xdp_desc>(kRx);
	std::vector<uint64_t> used;
	for (uint32_t i = 0; i < 3; i++) {
		uint64_t chunk = fill[i];
		used.push_back(chunk);
		uint32_t len = i < 2 ? 32 + 60 + i : 20;
		rx[i] = xdp_desc{chunk + 256, len, 0};
		std::memset(area + chunk + 256, 0xee, len);
		uint64_t id = 0x0000000500000010ull + i, stale = 0x0000000500000099ull;
		std::memcpy(area + chunk + 256 - 8, &stale, 8); // headroom in front of the prefix: never read
		if (i < 2)
			std::memcpy(area + chunk + 256 + 32 - 8, &id, 8);
	}
	*f.k.u32(kFill, kOffCons) = 3;
	*f.k.u32(kRx, kOffProd) = 3;

	std::vector<Frame> seen;
	CHECK(s.poll([&](const Frame &fr) { seen.push_back(fr); }) == 3);
	REQUIRE(seen.size() == 3);
	for (uint32_t i = 0; i < 2; i++) {
		CHECK(seen[i].data == area + used[i] + 256 + 32);
		CHECK(seen[i].addr == used[i] + 256 + 32);
		CHECK(seen[i].len == 60 + i);
		CHECK(seen[i].headroom == 32); // the hints may be read from the prefix only
		uint64_t id;
		std::memcpy(&id, seen[i].data - 8, 8);
		CHECK(id == 0x0000000500000010ull + i);
	}
	// Too short to carry the prefix: given as it came, with nothing to read hints from.
	CHECK(seen[2].data == area + used[2] + 256);
	CHECK(seen[2].len == 20);
	CHECK(seen[2].headroom == 0);
	CHECK(s.counters().rx_bytes == 60 + 61 + 20); // packet bytes, not the prefixes
	auto acc = (*umem)->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);

	// A prefix the hooks never write is refused at creation, naming the fix.
	SocketConfig bad = small();
	bad.hints_prefix = 12;
	bad.queue = 1;
	auto b = XskSocket::create(*umem, bad);
	REQUIRE_FALSE(b);
	CHECK(b.error().code == Errc::invalid_argument);
	CHECK_THAT(b.error().message, Catch::Contains("hints_prefix()"));
}

TEST_CASE("afxdp transmit against a fake kernel: copy into a frame, publish, completion returns it", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64, .tx_metadata_len = 24, .check_ownership = true});
	REQUIRE(umem);
	auto sr = XskSocket::create(*umem, small(16));
	REQUIRE(sr);
	XskSocket &s = **sr;
	uint8_t *area = (*umem)->area();

	uint8_t pkt[64];
	for (int i = 0; i < 64; i++)
		pkt[i] = uint8_t(i);
	TxRequest req;
	req.timestamp = true;
	CHECK(s.send_copy(pkt, &req));
	CHECK(s.send_copy(std::span<const uint8_t>(pkt, 60)));
	CHECK(*f.k.u32(kTx, kOffProd) == 0); // queued, not yet published
	s.flush_tx();
	REQUIRE(*f.k.u32(kTx, kOffProd) == 2);
	xdp_desc *tx = f.k.desc<xdp_desc>(kTx);
	CHECK(tx[0].len == 64);
	CHECK(tx[0].addr % 4096 == 256); // data where RX data sits
	CHECK(std::memcmp(area + tx[0].addr, pkt, 64) == 0);
	CHECK(tx[0].options == uapi::XDP_TX_METADATA);
	CHECK(tx[1].options == 0);
	auto *md = reinterpret_cast<uapi::xsk_tx_metadata *>(area + tx[0].addr - 24);
	CHECK(md->flags == uapi::XDP_TXMD_FLAGS_TIMESTAMP);
	CHECK((*umem)->accounting().kernel == 2);

	// Kernel: both sent; the first with a completion timestamp.
	md->completion.tx_timestamp = 123456789;
	uint64_t *comp = f.k.desc<uint64_t>(kComp);
	comp[0] = tx[0].addr;
	comp[1] = tx[1].addr;
	*f.k.u32(kTx, kOffCons) = 2;
	*f.k.u32(kComp, kOffProd) = 2;
	std::vector<TxCompletion> done;
	CHECK(s.complete([&](const TxCompletion &c) { done.push_back(c); }) == 2);
	REQUIRE(done.size() == 2);
	CHECK(done[0].timestamp_requested);
	CHECK(done[0].tx_timestamp == 123456789);
	CHECK_FALSE(done[1].timestamp_requested);
	CHECK(*f.k.u32(kComp, kOffCons) == 2);
	auto acc = (*umem)->accounting();
	INFO(acc.to_string());
	CHECK(acc.kernel == 0);
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
	CHECK(s.counters().tx_frames == 2);
	CHECK(s.counters().tx_completed == 2);
	CHECK(s.counters().tx_metadata == 1);
}

namespace {

// One socket's rings as the fake kernel sees them (K->rings belongs to the last socket
// made), and the kernel's side of receive and completion on them. Rings of 16 (small()).
struct KernelSide {
	std::map<off_t, uint8_t *> rings = K->rings;
	uint8_t *area = nullptr;

	uint32_t &idx(off_t ring, uint64_t off) { return *reinterpret_cast<uint32_t *>(rings.at(ring) + off); }
	template <class T> T *desc(off_t ring) { return reinterpret_cast<T *>(rings.at(ring) + kOffDesc); }

	// Takes the next frame of the fill ring, writes `id` in front of where the packet goes
	// (data at chunk + 256 + shift: a driver's XDP program may have moved the start) and
	// publishes the descriptor. Returns the chunk.
	uint64_t receive(uint64_t id, int shift = 0)
	{
		uint32_t &fc = idx(kFill, kOffCons);
		REQUIRE(fc != idx(kFill, kOffProd));
		uint64_t chunk = desc<uint64_t>(kFill)[fc & 15];
		fc++;
		uint64_t addr = chunk + 256 + shift;
		std::memcpy(area + addr - 8, &id, 8);
		uint32_t &rp = idx(kRx, kOffProd);
		desc<xdp_desc>(kRx)[rp & 15] = xdp_desc{addr, 60, 0};
		rp++;
		return chunk;
	}
	// Takes everything from the TX ring and completes `addr`.
	void complete(uint64_t addr)
	{
		idx(kTx, kOffCons) = idx(kTx, kOffProd);
		uint32_t &cp = idx(kComp, kOffProd);
		desc<uint64_t>(kComp)[cp & 15] = addr;
		cp++;
	}
};

uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;
	std::memcpy(&v, p, 8);
	return v;
}

constexpr uint64_t kStaleId = 0x0000002a00000007ull;

// The kernel receives one frame (KernelSide::receive); the application keeps it.
Frame take_one(XskSocket &s, KernelSide &k, uint64_t id, int shift = 0)
{
	k.receive(id, shift);
	Frame fr{};
	REQUIRE(s.poll([&](const Frame &x) {
		fr = x;
		return Disposition::keep;
	}) == 1);
	return fr;
}

uint64_t chunk_of(const Frame &fr) { return fr.addr & ~uint64_t(4095); }

// A fake kernel, a umem and one socket on it, and the kernel's side of its rings.
struct OneSocket {
	WithFakeKernel f;
	std::shared_ptr<Umem> umem;
	std::unique_ptr<XskSocket> sock;
	KernelSide k;
	uint8_t *area = nullptr;

	explicit OneSocket(const UmemConfig &uc, const SocketConfig &sc = small())
	{
		umem = take(Umem::create(uc));
		sock = take(XskSocket::create(umem, sc));
		area = umem->area();
		k = KernelSide{.area = area};
	}
	template <class T> static T take(Result<T> r)
	{
		REQUIRE(r);
		return std::move(*r);
	}
};

} // namespace

TEST_CASE("afxdp frames: every path that returns a frame clears the id slot where the next packet's id goes", "[afxdp][unit]")
{
	OneSocket o({.frame_count = 64, .tx_metadata_len = 32, .check_ownership = true}, small(16));
	XskSocket &s = *o.sock;
	KernelSide &k = o.k;
	uint8_t *area = o.area;
	// The next packet's id slot: the 8 bytes before where the kernel puts RX data.
	auto next_slot = [&](uint64_t chunk) { return u64_at(area + chunk + 256 - 8); };

	SECTION("release of a frame whose start the driver's program moved (bpf_xdp_adjust_head)")
	{
		// The packet starts 14 bytes early; its bytes cover the default id slot.
		Frame fr = take_one(s, k, kStaleId, -14);
		std::memset(fr.data, 0xab, fr.len);
		s.release(fr);
		CHECK(next_slot(chunk_of(fr)) == 0);
	}
	SECTION("complete() after forward()")
	{
		Frame fr = take_one(s, k, kStaleId);
		REQUIRE(s.forward(fr));
		s.flush_tx();
		k.complete(fr.addr);
		CHECK(s.complete() == 1);
		CHECK(next_slot(chunk_of(fr)) == 0);
	}
	SECTION("complete() after send_copy() with TX metadata in front of the data")
	{
		uint8_t pkt[60] = {1, 2, 3};
		TxRequest req{.timestamp = true};
		REQUIRE(s.send_copy(pkt, &req));
		s.flush_tx();
		uint64_t addr = k.desc<xdp_desc>(kTx)[0].addr;
		uint64_t chunk = addr & ~uint64_t(4095);
		// tx_metadata_len 32: the last 8 bytes in front of the data are the application's
		// (beyond struct xsk_tx_metadata) and carry anything.
		std::memcpy(area + addr - 8, &kStaleId, 8);
		k.complete(addr);
		CHECK(s.complete() == 1);
		CHECK(next_slot(chunk) == 0);
	}
	auto acc = o.umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
}

TEST_CASE("afxdp frames: complete_to() clears the id slot of a frame forwarded through another socket", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64, .check_ownership = true});
	REQUIRE(umem);
	uint8_t *area = (*umem)->area();
	auto home_r = XskSocket::create(*umem, small());
	REQUIRE(home_r);
	KernelSide home_k{.area = area};
	auto oc = small(16);
	oc.ifindex = 8; // a second device on the same umem
	auto out_r = XskSocket::create(*umem, oc);
	REQUIRE(out_r);
	KernelSide out_k{.area = area};
	XskSocket &home = **home_r, &out = **out_r;

	Frame fr = take_one(home, home_k, kStaleId);
	uint64_t chunk = chunk_of(fr);
	REQUIRE(out.forward(fr));
	out.flush_tx();
	out_k.complete(fr.addr);
	CHECK(out.complete_to(home) == 1);
	CHECK(u64_at(area + chunk + 256 - 8) == 0);
	auto acc = (*umem)->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.kernel == 0);
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);
}

TEST_CASE("afxdp frames: a double release never writes into the frame, which the kernel may own again", "[afxdp][unit]")
{
	OneSocket o({.frame_count = 64, .check_ownership = true});
	XskSocket &s = *o.sock;
	KernelSide &k = o.k;
	uint8_t *area = o.area;
	Frame fr = take_one(s, k, kStaleId);
	uint64_t chunk = chunk_of(fr);
	// poll's refill gave the kernel a frame for the one it took; it takes that one too, so
	// the released frame finds a free slot in the fill ring.
	REQUIRE(k.idx(kFill, kOffProd) == 17);
	k.idx(kFill, kOffCons)++;
	s.release(fr);
	s.refill(); // the frame goes back to the fill ring: the kernel's now
	REQUIRE(k.idx(kFill, kOffProd) == 18);
	CHECK(k.desc<uint64_t>(kFill)[17 & 15] == chunk);
	// The kernel receives into it again and writes that packet's id; not yet published.
	uint64_t fresh = 0x0000000500000011ull;
	std::memcpy(area + chunk + 256 - 8, &fresh, 8);

	s.release(fr); // the application's bug: the old Frame released again
	CHECK(u64_at(area + chunk + 256 - 8) == fresh);
	CHECK(o.umem->ledger().violations() == 1);
	auto v = o.umem->ledger().first_violation();
	CHECK(v.addr == chunk);
	CHECK(v.actual == FrameOwner::fill_ring);
	auto acc = o.umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.application == 0);
}

TEST_CASE("afxdp frames: without the ledger, releases beyond what the free list can hold are refused and reported", "[afxdp][unit]")
{
	OneSocket o({.frame_count = 64});
	XskSocket &s = *o.sock;
	uint8_t *area = o.area;
	Frame fr = take_one(s, o.k, kStaleId);
	uint64_t chunk = chunk_of(fr);
	// 15 on the free list, 16 with the kernel, 1 held: the free list (room for all 64
	// frames of the umem) is full after 49 releases of one frame; the 50th overflows.
	REQUIRE(s.frames().free_list == 15);
	for (int i = 0; i < 49; i++)
		s.release(fr);
	CHECK(s.counters().release_overflow == 0);
	CHECK(s.frames().free_list == 64);
	std::memcpy(area + chunk + 256 - 8, &kStaleId, 8);
	s.release(fr);
	CHECK(s.counters().release_overflow == 1);
	CHECK(u64_at(area + chunk + 256 - 8) == kStaleId); // refused: not written
	CHECK(o.umem->ledger().violations() == 1);           // and counted where verify() looks
	auto st = o.umem->verify(false);
	REQUIRE_FALSE(st);
	INFO(st.error().message);
	CHECK(st.error().message.find("free list") != std::string::npos);
}

TEST_CASE("afxdp setup: destroying a umem's first socket closes its registration, so the queue is free again", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 128});
	REQUIRE(umem);
	SECTION("alone: the next socket registers the umem afresh and binds as a first socket")
	{
		auto first = XskSocket::create(*umem, small());
		REQUIRE(first);
		first->reset();
		CHECK(f.k.open_fds.empty()); // the registration socket, bound to the queue, is closed
		auto again = XskSocket::create(*umem, small());
		REQUIRE(again);
		CHECK(f.k.bind_flags.back() == (XDP_COPY | XDP_USE_NEED_WAKEUP)); // not XDP_SHARED_UMEM
		CHECK(f.k.bind_fds.back() == (*again)->fd());
	}
	SECTION("with a second socket alive: the next socket shares the umem through it")
	{
		auto first = XskSocket::create(*umem, small());
		REQUIRE(first);
		auto c2 = small();
		c2.queue = 1;
		auto second = XskSocket::create(*umem, c2);
		REQUIRE(second);
		CHECK(f.k.bind_shared_fds.back() == uint32_t((*first)->fd()));
		int first_fd = (*first)->fd();
		first->reset();
		CHECK(f.k.open_fds.count(first_fd) == 0);
		auto again = XskSocket::create(*umem, small());
		REQUIRE(again);
		CHECK(f.k.bind_flags.back() == XDP_SHARED_UMEM);
		CHECK(f.k.bind_shared_fds.back() == uint32_t((*second)->fd()));
	}
	CHECK((*umem)->verify());
}

TEST_CASE("afxdp wait: the device's unregistration (sk_err ENETDOWN) is reported as device_gone, and stays so", "[afxdp][unit]")
{
	OneSocket o({.frame_count = 64});
	XskSocket &s = *o.sock;
	KernelSide &k = o.k;
	FakeKernel &kernel = o.f.k;

	CHECK(s.wait(0) == WaitResult::timeout);
	CHECK_FALSE(s.device_gone());
	// A frame received before the device went is still handed out first.
	k.receive(0);
	kernel.so_error = ENETDOWN;
	CHECK(s.wait(0) == WaitResult::readable);
	CHECK(s.poll([](const Frame &) {}) == 1);
	CHECK(s.wait(0) == WaitResult::device_gone);
	CHECK(kernel.so_error == 0); // read (and cleared, as the kernel does) ...
	CHECK(s.wait(0) == WaitResult::device_gone); // ... and latched
	CHECK(s.device_gone());
	CHECK(std::string(wait_result_name(WaitResult::device_gone)) == "device gone");
}

TEST_CASE("afxdp RxGroup: a device that goes stops every thread and the run returns an error naming it", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 256});
	REQUIRE(umem);
	auto group = RxGroup::open(*umem, small(), {0, 1});
	REQUIRE(group);
	std::atomic<bool> stop{false};
	f.k.so_error = ENETDOWN; // one socket reads it; the other thread stops with it
	auto st = group->run(stop, {}, [](XskSocket &, const Frame &) {});
	REQUIRE_FALSE(st);
	INFO(st.error().message);
	CHECK(st.error().code == Errc::device_gone);
	CHECK(st.error().sys_errno == 0); // seen by us (SO_ERROR ENETDOWN), said as device_gone
	CHECK(st.error().message.find("ifindex 7") != std::string::npos);
	CHECK(st.error().message.find("is gone") != std::string::npos);
	CHECK(st.error().message.find("Start again once the interface exists") != std::string::npos);
}

TEST_CASE("afxdp setup: a queue still being released (EBUSY for a while) is waited for", "[afxdp][unit]")
{
	WithFakeKernel f;
	auto umem = Umem::create({.frame_count = 64});
	REQUIRE(umem);
	f.k.busy_binds = 3; // the kernel's deferred release of the last socket has not run yet
	auto s = XskSocket::create(*umem, small());
	REQUIRE(s);
	CHECK(f.k.bind_flags.size() == 5); // zero-copy: EBUSY x3, then refused; copy: bound
	CHECK((*s)->mode() == XskMode::copy);
}

TEST_CASE("afxdp accounting: a frame the kernel took from the fill ring and kept is the kernel's, outside the ring", "[afxdp][unit]")
{
	OneSocket o({.frame_count = 64, .check_ownership = true});
	XskSocket &s = *o.sock;
	KernelSide &k = o.k;

	// The kernel takes a frame from the fill ring but delivers nothing: it keeps it (being
	// received into, or recycled onto its own free list).
	uint64_t kept = k.desc<uint64_t>(kFill)[0];
	k.idx(kFill, kOffCons)++;
	s.refill(); // the ring is topped up: more frames are given for RX than it holds
	auto acc = o.umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.fill_ring == 17);
	CHECK(acc.fill_ring_queued == 16);
	CHECK(acc.kernel_rx_held() == 1);
	CHECK(acc.fill_ring + acc.free_list == 64);
	CHECK(acc.balanced());
	CHECK(o.umem->ledger().count()[size_t(FrameOwner::fill_ring)] == 17);
	CHECK(acc.to_string().find("16 in fill rings, 1 taken by the kernel") != std::string::npos);

	// Later the kept frame carries a packet (before the next from the ring): no violation.
	uint32_t &rp = k.idx(kRx, kOffProd);
	k.desc<xdp_desc>(kRx)[rp & 15] = xdp_desc{kept + 256, 60, 0};
	rp++;
	CHECK(s.poll([](const Frame &) {}) == 1);
	acc = o.umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.ledger_violations == 0);
	CHECK(acc.balanced());
	CHECK(acc.fill_ring == acc.fill_ring_queued); // topped up again, nothing held
}
