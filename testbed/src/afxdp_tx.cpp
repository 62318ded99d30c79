#include "afxdp_tx.hpp"

#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/iface.hpp>

#include <sched.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <vector>

namespace xdphints::testbed::detail {

namespace {

// Frames queued ahead of the kernel per socket. Copy mode sends at most 32 per sendto(), so
// 64 keeps it busy, and a frame is stamped at most 64 frames before it is sent.
constexpr uint32_t kInFlight = 64;
constexpr uint32_t kRing = 256;          // TX and completion ring entries
constexpr uint32_t kUmemFrames = 512;    // 2 KiB each: the TX ring's frames + the fill ring's 8
// A sender that gets no completion for this long gives up (the device stopped taking frames).
constexpr auto kStall = std::chrono::seconds(2);

void put16(uint8_t *p, uint16_t v)
{
	p[0] = uint8_t(v >> 8);
	p[1] = uint8_t(v);
}

void put32(uint8_t *p, uint32_t v)
{
	put16(p, uint16_t(v >> 16));
	put16(p + 2, uint16_t(v));
}

uint64_t tai_now() noexcept
{
	timespec ts;
	clock_gettime(CLOCK_TAI, &ts);
	return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

} // namespace

// One queue's socket. A queue takes one AF_XDP socket, so generators of this process on the
// same device and queue share it, one sender at a time.
struct TxPort {
	std::mutex mu;
	std::shared_ptr<afxdp::Umem> umem;
	std::unique_ptr<afxdp::XskSocket> xsk; // declared after the umem: closed before it
};

namespace {

using PortKey = std::tuple<dev_t, ino_t, int, uint32_t>; // namespace, ifindex, queue
std::mutex g_ports_mu;
std::map<PortKey, std::weak_ptr<TxPort>> g_ports;

// This process's socket on (namespace, device, queue), or a new one bound there. Called in
// the device's namespace.
Result<std::shared_ptr<TxPort>> port_for(const PortKey &key, const std::string &ifname)
{
	std::lock_guard lk(g_ports_mu);
	std::erase_if(g_ports, [](const auto &kv) { return kv.second.expired(); });
	if (auto p = g_ports[key].lock())
		return p;
	auto port = std::make_shared<TxPort>();
	auto umem = afxdp::Umem::create({.frame_size = 2048, .frame_count = kUmemFrames});
	if (!umem)
		return umem.error();
	port->umem = std::move(*umem);
	afxdp::SocketConfig sc;
	sc.ifindex = std::get<2>(key);
	sc.queue = std::get<3>(key);
	sc.rx_size = 0;
	sc.tx_size = kRing;
	sc.fill_size = 8; // the kernel wants one on a umem's first socket; nothing is received
	sc.comp_size = kRing;
	sc.mode = afxdp::BindMode::copy;
	auto xsk = afxdp::XskSocket::create(port->umem, sc);
	if (!xsk) {
		Error e = std::move(xsk).error();
		e.message = "the generator's AF_XDP TX socket on " + ifname + " queue " + std::to_string(sc.queue) + ": " +
			    e.message;
		return e;
	}
	port->xsk = std::move(*xsk);
	g_ports[key] = port;
	return port;
}

} // namespace

void stamp_frame(uint8_t *f, const FrameShape &s, uint64_t n, unsigned cpu, uint64_t tai_ns) noexcept
{
	put16(f + s.udp_off, uint16_t(s.sport_base + n % s.flows));
	if (s.ptp) {
		uint8_t *ptp = f + s.udp_off + 8;
		uint64_t sec = tai_ns / 1'000'000'000ull;
		put16(ptp + 30, uint16_t(n));              // sequenceId
		put16(ptp + 34, uint16_t(sec >> 32));      // originTimestamp: 48-bit seconds,
		put32(ptp + 36, uint32_t(sec));
		put32(ptp + 40, uint32_t(tai_ns % 1'000'000'000ull)); // nanoseconds
	}
	GenStamp st{n << 8 | (cpu & 0xff), tai_ns};
	std::memcpy(f + s.stamp_off, &st, sizeof(st));
}

Result<std::unique_ptr<AfxdpTx>> AfxdpTx::open(const Netns &ns, int ifindex)
{
	std::unique_ptr<AfxdpTx> t(new AfxdpTx);
	t->ns_ = &ns;
	t->ifindex_ = ifindex;
	struct stat st{};
	if (fstat(ns.fd(), &st) != 0)
		return Error::from_errno(errno, "fstat of namespace " + ns.name(), "the namespace fd is gone");
	t->ns_dev_ = st.st_dev;
	t->ns_ino_ = st.st_ino;
	{
		auto in = NetnsScope::enter(ns);
		if (!in)
			return in.error();
		auto name = edge::ifname_of(ifindex);
		if (!name)
			return name.error();
		t->ifname_ = *name;
		auto eth = edge::Ethtool::open(t->ifname_);
		if (!eth)
			return eth.error();
		auto ch = eth->channels();
		if (!ch)
			return ch.error();
		t->queues_ = std::max<uint32_t>(1, ch->tx + ch->combined);
	}
	t->ports_.resize(t->queues_);
	// veth pushes back on a full peer ring (NETDEV_TX_BUSY, the frame is kept and sent
	// again) only when the sending queue has a qdisc; with noqueue, its default, it drops.
	auto q = ns.exec({"tc", "qdisc", "show", "dev", t->ifname_, "root"});
	if (!q)
		return q.error();
	if (q->find("noqueue") != std::string::npos) {
		auto r = ns.exec({"tc", "qdisc", "replace", "dev", t->ifname_, "root", "pfifo", "limit", "1000"});
		if (!r)
			return r.error();
	}
	long n = sysconf(_SC_NPROCESSORS_CONF);
	t->ncpu_ = n > 0 ? unsigned(n) : 1;
	t->seq_ = std::make_unique<std::atomic<uint64_t>[]>(t->ncpu_);
	return t;
}

AfxdpTx::~AfxdpTx() = default;

Result<uint64_t> AfxdpTx::send(std::span<const uint8_t> frame, const FrameShape &shape, const std::vector<int> &cpus,
			       uint64_t count)
{
	// What veth drops (counted in the sender's tx_dropped) is sent again: the frames the
	// peer took are the frames completed minus those.
	uint64_t taken = 0;
	while (taken < count) {
		auto d0 = link_tx_dropped(*ns_, ifname_);
		if (!d0)
			return d0.error();
		auto done = run(frame, shape, cpus, count - taken);
		if (!done)
			return done.error();
		auto d1 = link_tx_dropped(*ns_, ifname_);
		if (!d1)
			return d1.error();
		uint64_t lost = std::min<uint64_t>(uint32_t(*d1 - *d0), *done);
		if (lost == *done)
			return Error(Errc::system, ifname_ + " dropped all " + std::to_string(*done) +
							   " frames the generator gave it (its tx_dropped rose by as many); "
							   "fix: bring its peer up (ip link), give the peer an XDP program or a larger "
							   "backlog (net.core.netdev_max_backlog)");
		taken += *done - lost;
		refused_ += lost;
		generated_ += *done - lost;
	}
	return taken;
}

Result<uint64_t> AfxdpTx::run(std::span<const uint8_t> frame, const FrameShape &shape, const std::vector<int> &cpus,
			      uint64_t count)
{
	// Each thread sends on its CPU's queue (the calling thread's CPU's when unpinned); the
	// sockets are opened here, in the device's namespace.
	const unsigned home = unsigned(std::max(0, sched_getcpu()));
	auto queue_of = [&](int cpu) { return (cpu >= 0 ? unsigned(cpu) : home) % queues_; };
	{
		auto in = NetnsScope::enter(*ns_);
		if (!in)
			return in.error();
		for (int c : cpus.empty() ? std::vector<int>{-1} : cpus) {
			uint32_t q = queue_of(c);
			if (ports_[q])
				continue;
			auto p = port_for({ns_dev_, ns_ino_, ifindex_, q}, ifname_);
			if (!p)
				return p.error();
			ports_[q] = std::move(*p);
		}
	}
	return on_cpus(cpus, count, [&](int cpu, uint64_t n) {
		return sender(*ports_[queue_of(cpu)], cpu >= 0 ? unsigned(cpu) : home, n, frame, shape);
	});
}

// One thread's share: stamped as CPU `cpu`'s frames (the BPF program's per-CPU count), sent
// on `port` while holding it.
Result<uint64_t> AfxdpTx::sender(TxPort &port, unsigned cpu, uint64_t n, std::span<const uint8_t> frame,
				 const FrameShape &shape)
{
	std::lock_guard lk(port.mu);
	afxdp::XskSocket &x = *port.xsk;
	std::vector<uint8_t> f(frame.begin(), frame.end());
	std::atomic<uint64_t> &seq = seq_[cpu % ncpu_];
	uint64_t queued = 0, done = 0;
	auto last = std::chrono::steady_clock::now();
	while (done < n) {
		while (queued < n && queued - done < kInFlight) {
			stamp_frame(f.data(), shape, seq.fetch_add(1, std::memory_order_relaxed), cpu, tai_now());
			if (!x.send_copy(f))
				return Error::detected(Errc::system,
						       "the generator's TX socket on " + ifname_ + " had no free frame with " +
							       std::to_string(queued - done) + " in flight",
						       "report this: the umem holds more frames than are ever in flight");
			queued++;
		}
		uint32_t c = x.complete(); // kicks the kernel (copy mode sends inside sendto) and reaps
		done += c;
		auto now = std::chrono::steady_clock::now();
		if (c) {
			last = now;
			continue;
		}
		if (x.device_gone())
			return afxdp::device_gone_error(ifindex_, x.queue(), ifname_);
		if (now - last > kStall)
			return Error(Errc::system, ifname_ + " took none of the generator's " + std::to_string(queued - done) +
							   " queued frames for 2 s (" + std::to_string(done) + " of " +
							   std::to_string(n) + " sent); fix: check it is up (ip link)");
		// The kernel pushed back (the peer's ring is full and its NAPI runs elsewhere):
		// let it run.
		std::this_thread::yield();
	}
	return done;
}

} // namespace xdphints::testbed::detail
