// The benchmark variants. Each owns a pair of namespaces with a veth pair, the XDP program
// on the receiving end, its sockets and a live-frames generator on the sending end; all
// of it is created once and torn down by destructors (RAII), so rounds of different
// variants can be interleaved and an error or Ctrl-C anywhere leaves nothing behind.
#include "bench.hpp"

#include <xdphints/clock.hpp>
#include "bench_xdp.skel.h"

#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/af_xdp/redirect_program.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/resolve.hpp>
#include <xdphints/testbed/livegen.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

namespace xdphints::bench {

std::atomic<bool> g_stop{false};

namespace {

constexpr int kGenCpu = 0;     // generator + the receiving veth's NAPI
constexpr int kAppCpu = 1;     // the application's receive loop
constexpr uint32_t kFlows = 8; // source ports 10000..10007
constexpr uint32_t kBatch = 64; // frames per receive call, every variant
constexpr uint32_t kRing = 16384; // AF_XDP rx/fill ring entries and frames per socket
// A round ends this long after the generator finished and the last frame arrived.
constexpr uint64_t kIdleNs = 20'000'000;

uint64_t mono_ns() noexcept
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

// Keeps per-packet reads from being optimised away.
void consume(uint64_t v) noexcept { asm volatile("" : : "r"(v) : "memory"); }

// The pair of namespaces, created first and removed last. Heap-held: the generator keeps
// a pointer to the sender's namespace.
Result<std::unique_ptr<testbed::Testbed>> make_testbed(const std::string &tag, unsigned queues)
{
	testbed::VethOptions vo;
	vo.queues = queues;
	auto tb = testbed::Testbed::create(tag, vo);
	if (!tb)
		return tb.error();
	return std::make_unique<testbed::Testbed>(std::move(*tb));
}

Result<testbed::LiveGen> make_gen(const testbed::Testbed &tb, std::vector<int> cpus)
{
	auto o = testbed::GenOptions::between(tb.tx(), tb.rx());
	o.flows = kFlows;
	o.frame_len = 64;
	o.cpus = std::move(cpus);
	return testbed::LiveGen::create(tb.tx_ns, tb.tx().ifindex, o);
}

// bench_drop / bench_pass (bench/bpf/bench_xdp.bpf.c) attached through a bpf_link.
class XdpProg {
public:
	static Result<XdpProg> attach(const testbed::Netns &ns, int ifindex, bool drop)
	{
		XdpProg p;
		p.skel_ = bench_xdp__open_and_load();
		if (!p.skel_)
			return Error::from_errno(errno, "loading bench/bpf/bench_xdp.bpf.c", "run as root");
		auto in = testbed::NetnsScope::enter(ns);
		if (!in)
			return in.error();
		int prog = bpf_program__fd(drop ? p.skel_->progs.bench_drop : p.skel_->progs.bench_pass);
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
		p.link_ = bpf_link_create(prog, ifindex, BPF_XDP, &lo);
		if (p.link_ < 0)
			return Error::from_errno(errno, "attaching the benchmark's XDP program", "run as root");
		return p;
	}
	XdpProg(XdpProg &&o) noexcept : skel_(std::exchange(o.skel_, nullptr)), link_(std::exchange(o.link_, -1)) {}
	XdpProg(const XdpProg &) = delete;
	XdpProg &operator=(const XdpProg &) = delete;
	XdpProg &operator=(XdpProg &&) = delete;
	~XdpProg()
	{
		if (link_ >= 0)
			::close(link_);
		if (skel_)
			bench_xdp__destroy(skel_);
	}

private:
	XdpProg() = default;
	bench_xdp *skel_ = nullptr;
	int link_ = -1;
};

// Frames the receiving veth refused so far (the sender's xdp_xmit_errors).
Result<uint64_t> xmit_errors(const testbed::Testbed &tb)
{
	auto st = testbed::veth_xdp_stats(tb.tx_ns, tb.tx().ifname);
	if (!st)
		return st.error();
	return st->xdp_xmit_errors;
}

// A testbed with one of bench_xdp's programs on the receiving end and a generator on CPU 0.
struct PlainRig {
	std::unique_ptr<testbed::Testbed> tb;
	std::optional<XdpProg> prog;
	std::optional<testbed::LiveGen> gen;

	static Result<PlainRig> create(const std::string &tag, bool drop)
	{
		PlainRig r;
		auto tb = make_testbed(tag, 1);
		if (!tb)
			return tb.error();
		r.tb = std::move(*tb);
		auto p = XdpProg::attach(r.tb->rx_ns, r.tb->rx().ifindex, drop);
		if (!p)
			return p.error();
		r.prog.emplace(std::move(*p));
		auto g = make_gen(*r.tb, {kGenCpu});
		if (!g)
			return g.error();
		r.gen.emplace(std::move(*g));
		return r;
	}
};

// What every receive thread reports.
struct RxTally {
	uint64_t received = 0;
	uint64_t verified = 0;
	uint64_t t_last = 0; // CLOCK_MONOTONIC of the last batch with frames
};

// The receive loop shared by every variant and the latency rigs. After `wait_after`
// empty polls in a row it sleeps in wait() (poll(2)); kNeverWait: spin (the loop has a
// CPU of its own). Stops at `target` frames (0: no target), or kIdleNs after the
// generator is done and nothing more arrives.
constexpr unsigned kNeverWait = ~0u;
template <class PollOnce, class Wait>
RxTally rx_loop(int cpu, unsigned wait_after, const std::atomic<bool> &gen_done, uint64_t target,
		PollOnce &&poll_once, Wait &&wait)
{
	(void)afxdp::pin_thread(cpu);
	RxTally t;
	t.t_last = mono_ns();
	uint64_t done_seen = 0;
	unsigned empty = 0;
	for (;;) {
		uint32_t n = poll_once(t.verified);
		if (n) {
			t.received += n;
			t.t_last = mono_ns();
			empty = 0;
			if (target && t.received >= target)
				break;
			continue;
		}
		if (g_stop.load(std::memory_order_relaxed))
			break;
		if (gen_done.load(std::memory_order_relaxed)) {
			uint64_t now = mono_ns();
			if (!done_seen)
				done_seen = now;
			if (now - std::max(done_seen, t.t_last) > kIdleNs)
				break;
		}
		if (wait_after != kNeverWait && ++empty >= wait_after)
			wait();
	}
	return t;
}

// ---- xdp_drop ---------------------------------------------------------------------------

class DropVariant final : public Variant {
public:
	static Result<std::unique_ptr<Variant>> create()
	{
		auto rig = PlainRig::create("bdrop", true);
		if (!rig)
			return rig.error();
		return std::unique_ptr<Variant>(new DropVariant(std::move(*rig)));
	}

	Result<RoundResult> round(uint64_t count) override
	{
		const testbed::Testbed &tb = *rig_.tb;
		auto rx0 = testbed::veth_xdp_stats(tb.rx_ns, tb.rx().ifname);
		auto err0 = xmit_errors(tb);
		if (!rx0 || !err0)
			return !rx0 ? rx0.error() : err0.error();
		uint64_t t0 = mono_ns();
		auto sent = rig_.gen->send(count);
		uint64_t t1 = mono_ns();
		if (!sent)
			return sent.error();
		auto rx1 = testbed::veth_xdp_stats(tb.rx_ns, tb.rx().ifname);
		auto err1 = xmit_errors(tb);
		if (!rx1 || !err1)
			return !rx1 ? rx1.error() : err1.error();
		RoundResult r;
		r.sent = *sent;
		r.received = rx1->rx_xdp_drops - rx0->rx_xdp_drops;
		r.verified = r.received;
		r.seconds = double(t1 - t0) / 1e9;
		r.xmit_errors = *err1 - *err0;
		return r;
	}

private:
	explicit DropVariant(PlainRig rig)
		: Variant("xdp_drop", "generator -> veth -> XDP_DROP: the ceiling of this pipe"), rig_(std::move(rig))
	{
	}
	PlainRig rig_;
};

// ---- AF_XDP variants ------------------------------------------------------------------

// raw: no metadata; the packet's first byte.
struct RawReader {
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		uint64_t sink = 0;
		uint32_t n = s.poll([&](const afxdp::Frame &f) { sink += f.data[0]; }, kBatch);
		ok += n;
		consume(sink);
		return n;
	}
};

// One receive batch through the Decoder: per frame the first byte, then
// read(hints, sink) reads the variant's fields into sink and says whether the frame
// carried what the variant expects (counted in `ok`).
template <class Read> uint32_t poll_decoded(afxdp::XskSocket &s, const Decoder &dec, uint64_t &ok, Read &&read)
{
	uint64_t sink = 0, good = 0;
	uint32_t n = s.poll_hints(
		dec,
		[&](const afxdp::Frame &f, const Hints &h) {
			sink += f.data[0];
			good += read(h, sink);
		},
		kBatch);
	ok += good;
	consume(sink);
	return n;
}

// hints_1 / layouts_N: rx_timestamp (demux by layout id).
struct TsReader {
	Decoder dec;
	Field<uint64_t> ts;
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		return poll_decoded(s, dec, ok, [&](const Hints &h, uint64_t &sink) {
			auto t = h.get(ts);
			sink += t.value_or(0);
			return t.has_value();
		});
	}
};

// hints_all: every field of the veth hook.
struct AllReader {
	Decoder dec;
	Field<uint64_t> ts;
	Field<uint32_t> hash, hash_type;
	Field<uint16_t> tci, proto;
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		return poll_decoded(s, dec, ok, [&](const Hints &h, uint64_t &sink) {
			auto t = h.get(ts);
			sink += t.value_or(0) + h.get(hash).value_or(0) + h.get(hash_type).value_or(0) +
				h.get(tci).value_or(0) + h.get(proto).value_or(0);
			return t.has_value();
		});
	}
};

// hints_hash: the hook specialised to rx_hash, which veth does not give for XDP frames
// (NODATA): the whole mechanism (kfunc, metadata, id, Decoder, field reads) without a
// clock read. Verified: a known layout that carries the hash field (state NODATA).
struct HashReader {
	Decoder dec;
	Field<uint32_t> hash, hash_type;
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		return poll_decoded(s, dec, ok, [&](const Hints &h, uint64_t &sink) {
			sink += h.get(hash).value_or(0) + h.get(hash_type).value_or(0);
			return h.known() && h.state(hash) != HintState::missing;
		});
	}
};

// name_lookup: what the prototype does - per packet, find the layout by the id in front
// of the data, then resolve each field (and its valid bit) by name in the BTF, then read.
struct NameLookupReader {
	std::vector<Layout> layouts;
	static constexpr const char *kNames[5] = {"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci",
						  "rx_vlan_proto"};
	static constexpr const char *kValid[5] = {"valid.rx_timestamp", "valid.rx_hash", "valid.rx_hash_type",
						  "valid.rx_vlan_tci", "valid.rx_vlan_proto"};
	static constexpr uint8_t kSizes[5] = {8, 4, 4, 2, 2};

	static uint64_t read(const uint8_t *base, const ResolvedField &r) noexcept
	{
		uint64_t v = 0;
		std::memcpy(&v, base + r.byte_offset, std::min<uint32_t>(r.byte_size, 8));
		return (v << r.lshift) >> r.rshift;
	}

	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		uint64_t sink = 0, good = 0;
		uint32_t n = s.poll(
			[&](const afxdp::Frame &f) {
				sink += f.data[0];
				uint64_t id;
				std::memcpy(&id, f.data - 8, 8);
				const Layout *l = nullptr;
				for (const Layout &x : layouts)
					if (x.id() == id) {
						l = &x;
						break;
					}
				if (!l || f.headroom < l->size)
					return;
				const uint8_t *base = f.data - l->size;
				for (int i = 0; i < 5; i++) {
					auto r = resolve_field(l->btf, l->type_id, kNames[i], Want{kSizes[i], false});
					if (!r || !r->exists)
						continue;
					auto v = resolve_field(l->btf, l->type_id, kValid[i]);
					if (v && v->exists && read(base, *v) == 0)
						continue;
					sink += read(base, *r);
					good += i == 0;
				}
			},
			kBatch);
		ok += good;
		consume(sink);
		return n;
	}
};

enum class XdpSide { redirect, hook, object };

struct XskSetup {
	std::string tag{};
	XdpSide side = XdpSide::redirect;
	unsigned hints = 0;      // hook: hint groups (0 = all)
	std::string object{};    // object: path of a bring-your-own hook
	unsigned queues = 1;
};

template <class Reader> class XskVariant final : public Variant {
public:
	using MakeReader = Result<Reader> (*)(const Hook *hook);

	static Result<std::unique_ptr<Variant>> create(std::string name, std::string what, const XskSetup &su,
						      MakeReader make_reader)
	{
		std::unique_ptr<XskVariant> v(new XskVariant(std::move(name), std::move(what)));
		auto tb = make_testbed(su.tag, su.queues);
		if (!tb)
			return tb.error();
		v->tb_ = std::move(*tb);
		const auto &rx = v->tb_->rx();
		{
			// Programs and sockets are made in the receiver's namespace (ifindex, bind).
			auto in = testbed::NetnsScope::enter(v->tb_->rx_ns);
			if (!in)
				return in.error();
			int map_fd = -1;
			if (su.side == XdpSide::redirect) {
				auto p = afxdp::RedirectProgram::attach(rx.ifindex);
				if (!p)
					return p.error();
				v->redirect_.emplace(std::move(*p));
				map_fd = v->redirect_->xsks_map_fd();
			} else {
				HookOptions ho;
				ho.ifname = rx.ifname;
				ho.hints = su.hints;
				ho.object_path = su.object;
				auto h = Hook::attach(ho);
				if (!h)
					return h.error();
				v->hook_.emplace(std::move(*h));
				map_fd = v->hook_->xsks_map_fd();
			}
			// Deep rings: the receive loop shares its CPU with other sessions' work and must
			// ride out a few ms without the CPU (16384 frames = 6.5 ms at 2.5 Mpps).
			afxdp::UmemConfig uc;
			uc.frame_size = 2048;
			uc.frame_count = kRing * su.queues;
			auto u = afxdp::Umem::create(uc);
			if (!u)
				return u.error();
			v->umem_ = *u;
			for (unsigned q = 0; q < su.queues; q++) {
				afxdp::SocketConfig sc;
				sc.ifindex = rx.ifindex;
				sc.queue = q;
				sc.rx_size = kRing;
				sc.fill_size = kRing;
				sc.xsks_map_fd = map_fd;
				auto s = afxdp::XskSocket::create(v->umem_, sc);
				if (!s)
					return s.error();
				v->socks_.push_back(std::move(*s));
			}
		}
		for (unsigned q = 0; q < su.queues; q++) {
			auto r = make_reader(v->hook_ ? &*v->hook_ : nullptr);
			if (!r)
				return r.error();
			v->readers_.push_back(std::move(*r));
		}
		std::vector<int> gen_cpus;
		for (unsigned q = 0; q < su.queues; q++)
			gen_cpus.push_back(int(q)); // veth picks the peer's queue by the sending CPU
		auto g = make_gen(*v->tb_, gen_cpus);
		if (!g)
			return g.error();
		v->gen_.emplace(std::move(*g));
		return std::unique_ptr<Variant>(std::move(v));
	}

	Result<RoundResult> round(uint64_t count) override
	{
		const size_t nq = socks_.size();
		std::vector<afxdp::XdpStatistics> k0(nq);
		for (size_t i = 0; i < nq; i++) {
			auto k = socks_[i]->kernel_stats();
			if (!k)
				return k.error();
			k0[i] = *k;
		}
		auto err0 = xmit_errors(*tb_);
		if (!err0)
			return err0.error();

		std::atomic<bool> gen_done{false};
		std::vector<RxTally> tally(nq);
		std::vector<std::thread> threads;
		for (size_t i = 0; i < nq; i++) {
			// One queue: the loop has CPU 1 to itself. Two: queue i's loop shares CPU i
			// with queue i's generator and NAPI.
			int cpu = nq == 1 ? kAppCpu : int(i);
			threads.emplace_back([&, i, cpu] {
				afxdp::XskSocket &s = *socks_[i];
				Reader &rd = readers_[i];
				tally[i] = rx_loop(
					cpu, nq == 1 ? kNeverWait : 256, gen_done, nq == 1 ? count : 0, [&](uint64_t &ok) { return rd.poll(s, ok); },
					[&] { s.wait(1); });
			});
		}
		uint64_t t0 = mono_ns();
		auto sent = gen_->send(count);
		gen_done.store(true);
		for (auto &t : threads)
			t.join();
		if (!sent)
			return sent.error();

		RoundResult r;
		r.sent = *sent;
		uint64_t t_last = t0;
		for (size_t i = 0; i < nq; i++) {
			r.received += tally[i].received;
			r.verified += tally[i].verified;
			t_last = std::max(t_last, tally[i].t_last);
			auto k = socks_[i]->kernel_stats();
			if (!k)
				return k.error();
			r.socket_drops += (k->rx_dropped - k0[i].rx_dropped) + (k->rx_ring_full - k0[i].rx_ring_full);
		}
		r.seconds = double(t_last - t0) / 1e9;
		auto err1 = xmit_errors(*tb_);
		if (!err1)
			return err1.error();
		r.xmit_errors = *err1 - *err0;
		return r;
	}

private:
	XskVariant(std::string n, std::string w) : Variant(std::move(n), std::move(w)) {}
	// Destroyed bottom-up: generator, sockets (leave the XSKMAP), umem, program, namespaces.
	std::unique_ptr<testbed::Testbed> tb_;
	std::optional<afxdp::RedirectProgram> redirect_;
	std::optional<Hook> hook_;
	std::shared_ptr<afxdp::Umem> umem_;
	std::vector<std::unique_ptr<afxdp::XskSocket>> socks_;
	std::vector<Reader> readers_;
	std::optional<testbed::LiveGen> gen_;
};

Result<RawReader> make_raw(const Hook *) { return RawReader{}; }

// The query resolved against the layouts the kernel holds for the loaded hook.
Result<Decoder> decoder_for(const Hook &hook, const Query &q)
{
	auto layouts = hook.layouts();
	if (!layouts)
		return layouts.error();
	return Decoder::build(q, *layouts);
}

Result<TsReader> make_ts(const Hook *hook)
{
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = decoder_for(*hook, q);
	if (!dec)
		return dec.error();
	return TsReader{std::move(*dec), ts};
}

Result<AllReader> make_all(const Hook *hook)
{
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto htype = q.add<uint32_t>("rx_hash_type");
	auto tci = q.add<uint16_t>("rx_vlan_tci");
	auto proto = q.add<uint16_t>("rx_vlan_proto");
	auto dec = decoder_for(*hook, q);
	if (!dec)
		return dec.error();
	return AllReader{std::move(*dec), ts, hash, htype, tci, proto};
}

Result<HashReader> make_hash(const Hook *hook)
{
	Query q;
	auto hash = q.add<uint32_t>("rx_hash");
	auto htype = q.add<uint32_t>("rx_hash_type");
	auto dec = decoder_for(*hook, q);
	if (!dec)
		return dec.error();
	return HashReader{std::move(*dec), hash, htype};
}

Result<NameLookupReader> make_name_lookup(const Hook *hook)
{
	auto layouts = hook->layouts();
	if (!layouts)
		return layouts.error();
	return NameLookupReader{std::move(*layouts)};
}

// ---- af_packet -------------------------------------------------------------------------

// An AF_PACKET TPACKET_V3 ring with SO_TIMESTAMPING software RX timestamps on the
// receiving veth; the XDP program there passes every frame to the stack.
class AfPacketVariant final : public Variant {
public:
	static Result<std::unique_ptr<Variant>> create()
	{
		auto rig = PlainRig::create("bpkt", false);
		if (!rig)
			return rig.error();
		std::unique_ptr<AfPacketVariant> v(new AfPacketVariant(std::move(*rig)));
		if (auto st = v->open_ring(); !st)
			return st.error();
		return std::unique_ptr<Variant>(std::move(v));
	}

	~AfPacketVariant() override
	{
		if (ring_ && ring_ != MAP_FAILED)
			::munmap(ring_, ring_len_);
		if (fd_ >= 0)
			::close(fd_);
	}

	Result<RoundResult> round(uint64_t count) override
	{
		(void)drops(); // PACKET_STATISTICS resets on read
		auto err0 = xmit_errors(*rig_.tb);
		if (!err0)
			return err0.error();
		std::atomic<bool> gen_done{false};
		RxTally tally;
		std::thread th([&] {
			tally = rx_loop(
				kAppCpu, kNeverWait, gen_done, count, [&](uint64_t &ok) { return poll_block(ok); },
				[&] {
					pollfd p{fd_, POLLIN | POLLERR, 0};
					(void)::poll(&p, 1, 1);
				});
		});
		uint64_t t0 = mono_ns();
		auto sent = rig_.gen->send(count);
		gen_done.store(true);
		th.join();
		if (!sent)
			return sent.error();
		RoundResult r;
		r.sent = *sent;
		r.received = tally.received;
		r.verified = tally.verified;
		r.seconds = double(tally.t_last - t0) / 1e9;
		r.socket_drops = drops();
		auto err1 = xmit_errors(*rig_.tb);
		if (!err1)
			return err1.error();
		r.xmit_errors = *err1 - *err0;
		return r;
	}

private:
	explicit AfPacketVariant(PlainRig rig)
		: Variant("af_packet", "AF_PACKET TPACKET_V3 ring + SO_TIMESTAMPING RX (XDP_PASS to the stack)"),
		  rig_(std::move(rig))
	{
	}

	static constexpr uint32_t kBlockSize = 1u << 18;
	static constexpr uint32_t kBlocks = 256;
	static constexpr uint32_t kFrameSize = 2048;

	Status open_ring()
	{
		const testbed::Testbed &tb = *rig_.tb;
		auto in = testbed::NetnsScope::enter(tb.rx_ns);
		if (!in)
			return in.error();
		fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
		if (fd_ < 0)
			return Error::from_errno(errno, "socket(AF_PACKET)", "run as root (CAP_NET_RAW)");
		int v3 = TPACKET_V3;
		if (::setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)))
			return Error::from_errno(errno, "PACKET_VERSION TPACKET_V3", "needs Linux >= 3.2");
		// Software RX timestamps for every packet (raw hardware when the device had one:
		// veth has none); the ring's tp_sec/tp_nsec carry it, TP_STATUS_TS_* says which.
		int ts = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
		if (::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)))
			return Error::from_errno(errno, "SO_TIMESTAMPING", "needs Linux >= 2.6.30");
		int raw_hw = SOF_TIMESTAMPING_RAW_HARDWARE;
		if (::setsockopt(fd_, SOL_PACKET, PACKET_TIMESTAMP, &raw_hw, sizeof(raw_hw)))
			return Error::from_errno(errno, "PACKET_TIMESTAMP", "needs Linux >= 2.6.36");
		int one = 1;
		if (::setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)))
			return Error::from_errno(errno, "PACKET_IGNORE_OUTGOING", "needs Linux >= 4.20");
		tpacket_req3 req{};
		req.tp_block_size = kBlockSize;
		req.tp_block_nr = kBlocks;
		req.tp_frame_size = kFrameSize;
		req.tp_frame_nr = kBlockSize / kFrameSize * kBlocks;
		req.tp_retire_blk_tov = 1; // ms: a partly filled block reaches us within 1 ms
		if (::setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
			return Error::from_errno(errno, "PACKET_RX_RING", "lower the ring size");
		ring_len_ = size_t(kBlockSize) * kBlocks;
		ring_ = ::mmap(nullptr, ring_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, 0);
		if (ring_ == MAP_FAILED)
			return Error::from_errno(errno, "mmap of the packet ring", "lower the ring size");
		sockaddr_ll ll{};
		ll.sll_family = AF_PACKET;
		ll.sll_protocol = htons(ETH_P_ALL);
		ll.sll_ifindex = tb.rx().ifindex;
		if (::bind(fd_, reinterpret_cast<sockaddr *>(&ll), sizeof(ll)))
			return Error::from_errno(errno, "binding the packet socket to " + tb.rx().ifname, "check the interface");
		return {};
	}

	uint64_t drops()
	{
		tpacket_stats_v3 st{};
		socklen_t len = sizeof(st);
		if (::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len))
			return 0;
		return st.tp_drops;
	}

	// One block if the kernel has handed it over: every packet's timestamp and first byte.
	uint32_t poll_block(uint64_t &ok)
	{
		auto *bd = reinterpret_cast<tpacket_block_desc *>(static_cast<uint8_t *>(ring_) + size_t(block_) * kBlockSize);
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return 0;
		uint32_t n = bd->hdr.bh1.num_pkts;
		auto *h = reinterpret_cast<tpacket3_hdr *>(reinterpret_cast<uint8_t *>(bd) + bd->hdr.bh1.offset_to_first_pkt);
		uint64_t sink = 0, good = 0;
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *pkt = reinterpret_cast<const uint8_t *>(h) + h->tp_mac;
			sink += pkt[0];
			if (h->tp_status & (TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_RAW_HARDWARE)) {
				sink += uint64_t(h->tp_sec) * 1'000'000'000ull + h->tp_nsec;
				good++;
			}
			h = reinterpret_cast<tpacket3_hdr *>(reinterpret_cast<uint8_t *>(h) + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		block_ = (block_ + 1) % kBlocks;
		ok += good;
		consume(sink);
		return n;
	}

	PlainRig rig_; // the ring is unmapped and closed (destructor body) before it goes
	int fd_ = -1;
	void *ring_ = nullptr;
	size_t ring_len_ = 0;
	uint32_t block_ = 0;
};

// ---- latency -----------------------------------------------------------------------------

// Latency traffic comes from a UDP socket in the sender's namespace, one sendto() per
// frame paced by a spinning thread on CPU 0: the live-frames generator costs ~25 ms per
// call (it builds and tears down a page pool each time), so it cannot be paced. The
// frames go veth -> veth (skb) -> the hook (XDP in the peer's NAPI, on the sending CPU),
// whose timestamp is the CLOCK_TAI software one (veth: 0 for stack-sent frames).
class XskLatencyRig final : public LatencyRig {
public:
	static Result<std::unique_ptr<LatencyRig>> create(RxMode mode)
	{
		std::unique_ptr<XskLatencyRig> v(new XskLatencyRig(mode));
		auto tb = make_testbed(mode == RxMode::poll ? "blatp" : mode == RxMode::busy_poll ? "blatb" : "blats", 1);
		if (!tb)
			return tb.error();
		v->tb_ = std::move(*tb);
		{
			auto in = testbed::NetnsScope::enter(v->tb_->rx_ns);
			if (!in)
				return in.error();
			HookOptions ho;
			ho.ifname = v->tb_->rx().ifname;
			ho.hints = hint::timestamp;
			auto h = Hook::attach(ho);
			if (!h)
				return h.error();
			v->hook_.emplace(std::move(*h));
			auto u = afxdp::Umem::create({});
			if (!u)
				return u.error();
			v->umem_ = *u;
			afxdp::SocketConfig sc;
			sc.ifindex = v->tb_->rx().ifindex;
			sc.xsks_map_fd = v->hook_->xsks_map_fd();
			sc.busy_poll.enabled = mode == RxMode::busy_poll;
			auto s = afxdp::XskSocket::create(v->umem_, sc);
			if (!s)
				return s.error();
			v->sock_ = std::move(*s);
		}
		Query q;
		v->ts_ = q.add<uint64_t>("rx_timestamp");
		auto dec = decoder_for(*v->hook_, q);
		if (!dec)
			return dec.error();
		v->dec_.emplace(std::move(*dec));
		auto f = testbed::UdpFlow::open(v->tb_->tx_ns, v->tb_->tx().ipv4, 10000, v->tb_->rx().ipv4, 9000);
		if (!f)
			return f.error();
		v->flow_.emplace(std::move(*f));
		return std::unique_ptr<LatencyRig>(std::move(v));
	}

	Result<LatencyRound> round(uint64_t count, const LatencyOptions &opt) override
	{
		LatencyRound r;
		r.hook_to_app_ns.reserve(count + 1024);
		std::atomic<bool> gen_done{false};
		std::thread app([&] {
			// As a latency-sensitive receiver (a PTP daemon, say) would run: SCHED_FIFO, so
			// the figures are the path's and not the time slices of other sessions' work.
			// RT throttling (95%) still leaves the CPU to others now and then.
			if (opt.realtime) {
				sched_param sp{};
				sp.sched_priority = 10;
				r.realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
			}
			// poll: sleep in poll(2) as soon as the ring is empty. busy_poll: spin; every
			// empty receive() makes a recvfrom() that busy-polls the NAPI. spin: spin.
			RxTally t = rx_loop(
				kAppCpu, mode() == RxMode::poll ? 1 : kNeverWait, gen_done, count,
				[&](uint64_t &) {
					return sock_->poll_hints(
						*dec_,
						[&](const afxdp::Frame &, const Hints &h) {
							uint64_t now = software_clock_ns();
							auto t = h.get(ts_);
							if (!t)
								return;
							if (!h.software(ts_))
								r.not_software++;
							r.hook_to_app_ns.push_back(
								uint32_t(std::min<uint64_t>(now - std::min(now, *t), UINT32_MAX)));
						},
						kBatch);
				},
				[&] { sock_->wait(10); });
			r.received = t.received;
		});
		Status gen_st;
		std::thread gen([&] {
			if (auto st = afxdp::pin_thread(kGenCpu); !st) {
				gen_st = st;
				return;
			}
			uint8_t payload[18] = {};
			const uint64_t period = uint64_t(double(opt.burst) * 1e9 / opt.rate_pps);
			uint64_t start = mono_ns(), next = start;
			while (r.sent < count && !g_stop.load(std::memory_order_relaxed)) {
				for (uint32_t i = 0; i < opt.burst && r.sent < count; i++) {
					if (auto st = flow_->send(payload); !st) {
						gen_st = st;
						return;
					}
					r.sent++;
				}
				next += period;
				// Yield while waiting: softirq work deferred to ksoftirqd (on this CPU, and at a
				// lower weight than this thread) must not wait for our time slice to end.
				uint64_t now;
				while ((now = mono_ns()) < next)
					sched_yield();
				if (now > next + 100 * period) // fell far behind (preempted): do not burst to catch up
					next = now;
			}
			r.offered_pps = double(r.sent) / (double(mono_ns() - start) / 1e9);
		});
		gen.join();
		gen_done.store(true);
		app.join();
		if (!gen_st)
			return gen_st.error();
		return r;
	}

private:
	explicit XskLatencyRig(RxMode m) : LatencyRig(m) {}
	std::unique_ptr<testbed::Testbed> tb_;
	std::optional<Hook> hook_;
	std::shared_ptr<afxdp::Umem> umem_;
	std::unique_ptr<afxdp::XskSocket> sock_;
	std::optional<Decoder> dec_;
	Field<uint64_t> ts_;
	std::optional<testbed::UdpFlow> flow_;
};

} // namespace

const char *rx_mode_name(RxMode m) noexcept
{
	return m == RxMode::poll ? "poll" : m == RxMode::busy_poll ? "busy_poll" : "spin";
}

Result<std::unique_ptr<LatencyRig>> LatencyRig::create(RxMode mode) { return XskLatencyRig::create(mode); }

nlohmann::json setup_description()
{
	return {{"generator_cpu", kGenCpu},
		{"rx_napi_cpu", kGenCpu},
		{"app_cpu", kAppCpu},
		{"queues_2", "generator, NAPI and receive loop of queue i on CPU i"},
		{"afxdp_ring_entries", kRing},
		{"afxdp_frame_size", 2048},
		{"receive_batch", kBatch},
		{"af_packet_ring", {{"block_size", 1 << 18}, {"blocks", 256}, {"retire_ms", 1}}},
		{"flows", kFlows},
		{"frame_bytes", 64}};
}

const std::vector<VariantInfo> &variant_names()
{
	static const std::vector<VariantInfo> v = {
		{"xdp_drop", "throughput"},   {"raw", "throughput"},        {"hints_1", "throughput"},
		{"hints_all", "throughput"},  {"name_lookup", "throughput"}, {"af_packet", "throughput"},
		{"hints_hash", "throughput"},
		{"layouts_1", "growth"},      {"layouts_8", "growth"},      {"layouts_64", "growth"},
		{"queues_2", "growth"},
	};
	return v;
}

Result<std::unique_ptr<Variant>> make_variant(const std::string &name, const std::string &bpf_dir)
{
	if (name == "xdp_drop")
		return DropVariant::create();
	if (name == "af_packet")
		return AfPacketVariant::create();
	if (name == "raw")
		return XskVariant<RawReader>::create(name, "AF_XDP, minimal redirect program, no metadata, first byte",
						     {.tag = "braw", .side = XdpSide::redirect}, make_raw);
	if (name == "hints_1")
		return XskVariant<TsReader>::create(name, "veth hook specialised to rx_timestamp, Decoder read + first byte",
						    {.tag = "bh1", .side = XdpSide::hook, .hints = hint::timestamp}, make_ts);
	if (name == "hints_hash")
		return XskVariant<HashReader>::create(
			name, "veth hook specialised to rx_hash (NODATA on veth: no clock read), Decoder read + first byte",
			{.tag = "bhh", .side = XdpSide::hook, .hints = hint::hash}, make_hash);
	if (name == "hints_all")
		return XskVariant<AllReader>::create(name, "veth hook, all groups; all 5 fields read + first byte",
						     {.tag = "bhall", .side = XdpSide::hook}, make_all);
	if (name == "name_lookup")
		return XskVariant<NameLookupReader>::create(
			name, "veth hook, all groups; 5 fields resolved by name per packet (prototype) + first byte",
			{.tag = "bname", .side = XdpSide::hook}, make_name_lookup);
	for (const char *n : {"1", "8", "64"})
		if (name == std::string("layouts_") + n)
			return XskVariant<TsReader>::create(
				name, std::string(n) + " layout(s) in rotation (bench/bpf/layouts.bpf.c), rx_timestamp + first byte",
				{.tag = "bl" + std::string(n), .side = XdpSide::object, .object = bpf_dir + "/bench_layouts_" + n + ".bpf.o"}, make_ts);
	if (name == "queues_2")
		return XskVariant<TsReader>::create(
			name, "hints_1 on a 2-queue veth: a generator, its NAPI and a receive loop per CPU",
			{.tag = "bq2", .side = XdpSide::hook, .hints = hint::timestamp, .queues = 2}, make_ts);
	return Error(Errc::invalid_argument, "no benchmark variant '" + name + "'");
}

} // namespace xdphints::bench
