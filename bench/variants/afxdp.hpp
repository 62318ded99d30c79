#pragma once
// The AF_XDP variants' rig: on the receiving veth either the minimal redirect program,
// the veth hints hook or a bring-your-own hook object, a umem and one socket per queue,
// one receive thread per queue running a Reader. A Reader is the per-frame work of one
// variant (raw.cpp, hints.cpp, name_lookup.cpp); it is instantiated in its own file, so
// the whole receive loop inlines into it as before.
#include "rig.hpp"

#include <xdphints/af_xdp/redirect_program.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>

#include <thread>

namespace xdphints::bench {

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
			uint32_t prefix = 0;
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
				prefix = v->hook_->hints_prefix();
			}
			// Deep rings: the receive loop shares its CPU with other sessions' work and must
			// ride out a few ms without the CPU (16384 frames = 6.5 ms at 2.5 Mpps).
			afxdp::UmemConfig uc;
			uc.frame_size = kUmemFrameSize;
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
				sc.hints_prefix = prefix;
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

} // namespace xdphints::bench
