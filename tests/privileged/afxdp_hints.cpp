// AF_XDP frames through the real veth hints hook (hints-hook/): every frame comes with a
// typed hints view resolved once, and the socket counts frames with known and unknown
// layout ids.
#include "afxdp_testing.hpp"

#include <xdphints/hook/clock.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>

#include <xdphints/af_xdp/queues.hpp>

#include <atomic>
#include <ctime>
#include <thread>

using namespace xdphints;
using namespace xdphints::hook;
using namespace xdphints::test;

TEST_CASE("afxdp: generated frames through the veth hints hook carry a software rx_timestamp between send and receive",
	  "[afxdp][hook][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axhk", {}, false);
	HookOptions ho;
	ho.ifindex = b->bed.rx().ifindex;
	auto hook = take(Hook::attach(ho), "hook");
	auto layouts = take(hook.layouts(), "layouts");
	REQUIRE(!layouts.empty());

	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto dec = take(Decoder::build(q, layouts), "decoder");

	b->open({.frame_count = 4096, .check_ownership = true}, {}, hook);
	auto go = b->gen_options();
	go.flows = 3;
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	REQUIRE(take(gen.send(1000), "send") == 1000);

	uint64_t got = 0, known = 0, with_ts = 0, sw = 0, in_window = 0, hash_present = 0;
	const uint64_t deadline = 2000;
	for (uint64_t idle = 0; got < 1000 && idle < deadline; idle++) {
		uint32_t n = b->xsk->poll_hints(dec, [&](const ax::Frame &f, const Hints &h) {
			known += h.known();
			auto t = h.get(ts);
			with_ts += t.has_value();
			sw += h.software(ts);
			tb::GenStamp st;
			std::memcpy(&st, f.data + gen.stamp_offset(), sizeof(st));
			// Generated (tai_ns) before the hook ran, which was before now.
			if (t && st.tai_ns <= *t && *t <= software_clock_ns())
				in_window++;
			hash_present += h.present(hash);
		});
		got += n;
		if (!n)
			b->xsk->wait(1);
	}
	CHECK(got == 1000);
	CHECK(known == 1000);
	CHECK(with_ts == 1000);
	CHECK(sw == 1000);         // veth has no timestamp for generated frames: the hook's fallback
	CHECK(in_window == 1000);
	// veth: no hash for xdp_frames (live frames: no skb); the skb's flow hash for frames
	// that came through its xmit (AF_XDP TX).
	CHECK(hash_present == (gen.backend() == tb::GenBackend::live_frames ? 0 : 1000));
	CHECK(b->xsk->counters().rx_with_hints == 1000);
	CHECK(b->xsk->counters().rx_unknown_layout == 0);

	// A decoder that knows other ids: the same frames are "unknown layout", never guessed.
	auto other = layouts;
	for (auto &l : other)
		l.object_id += 1000;
	auto dec2 = take(Decoder::build(q, other), "decoder with other ids");
	REQUIRE(take(gen.send(100), "send") == 100);
	uint64_t unknown_seen = 0, got2 = 0;
	for (uint64_t idle = 0; got2 < 100 && idle < deadline; idle++) {
		uint32_t n = b->xsk->poll_hints(dec2, [&](const ax::Frame &, const Hints &h) {
			unknown_seen += h.status() == DecodeStatus::unknown_id;
			CHECK(!h.get(ts));
		});
		got2 += n;
		if (!n)
			b->xsk->wait(1);
	}
	CHECK(got2 == 100);
	CHECK(unknown_seen == 100);
	CHECK(b->xsk->counters().rx_unknown_layout == 100);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
}

TEST_CASE("afxdp: hints on every queue of a 2-queue veth, a receive thread per queue", "[afxdp][hook][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axhkmq", {.queues = 2}, false);
	HookOptions ho;
	ho.ifindex = b->bed.rx().ifindex;
	auto hook = take(Hook::attach(ho), "hook");
	auto layouts = take(hook.layouts(), "layouts");
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = take(Decoder::build(q, layouts), "decoder");

	b->umem = take(ax::Umem::create({.frame_count = 4096, .check_ownership = true}), "umem");
	ax::SocketConfig base;
	base.ifindex = b->bed.rx().ifindex;
	base.xsks_map_fd = hook.xsks_map_fd();
	base.hints_prefix = hook.hints_prefix();
	auto group = take(ax::RxGroup::open(b->umem, base, take(ax::parse_queues("all", base.ifindex), "queues")), "group");
	REQUIRE(group.size() == 2);

	auto go = b->gen_options();
	go.cpus = {0, 1};
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	std::atomic<uint64_t> with_ts[2] = {0, 0}, frames[2] = {0, 0};
	std::atomic<bool> stop{false};
	std::thread rx([&] {
		CHECK(group.run_hints(stop, {}, dec, [&](ax::XskSocket &s, const ax::Frame &, const Hints &h) {
			frames[s.queue()]++;
			with_ts[s.queue()] += h.get(ts).has_value();
		}));
	});
	const uint64_t sent = take(gen.send(4000), "send");
	auto drops = [&] {
		uint64_t d = 0;
		for (auto &s : group.sockets())
			if (auto k = s->kernel_stats())
				d += k->rx_ring_full + k->rx_dropped;
		return d;
	};
	for (int i = 0; i < 300 && frames[0] + frames[1] + drops() < sent; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	stop = true;
	rx.join();
	INFO("queue 0: " << frames[0] << ", queue 1: " << frames[1] << ", dropped " << drops());
	CHECK(frames[0] > 0);
	CHECK(frames[1] > 0);
	CHECK(with_ts[0] == frames[0]);
	CHECK(with_ts[1] == frames[1]);
	CHECK(frames[0] + frames[1] + drops() == sent);
	for (auto &s : group.sockets())
		CHECK(s->counters().rx_with_hints == frames[s->queue()]);
	auto v = b->umem->verify();
	INFO((v ? std::string("ok") : v.error().message));
	CHECK(v);
}
