// Hook -> application latency: the veth hook stamps each frame with its CLOCK_TAI
// software timestamp, the receive loop takes CLOCK_TAI when it sees the frame. One rig
// per receive mode (poll, busy_poll, spin).
#include "rig.hpp"

#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/hook/clock.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <pthread.h>
#include <sched.h>

#include <thread>

namespace xdphints::bench {

namespace {

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
			sc.hints_prefix = v->hook_->hints_prefix();
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

} // namespace xdphints::bench
