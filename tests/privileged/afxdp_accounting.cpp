// Frame accounting under load: millions of generated frames leave no frame lost or
// duplicated, and when the consumer is too slow (or holds its frames) every frame the
// kernel drops is counted.
#include "afxdp_testing.hpp"

#include <thread>

using namespace xdphints;
using namespace xdphints::test;

TEST_CASE("afxdp: frame accounting holds after 5 million generated frames, no frame leaked", "[afxdp][privileged][long]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axacc");
	b->open({.frame_count = 4096, .check_ownership = true}, {.rx_size = 2048, .fill_size = 2048, .frames = 4096});
	auto go = b->gen_options();
	go.flows = 8;
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");

	// Each frame's id slot is written as a hook would; the release must clear it before the
	// frame can take another packet (the redirect program writes none), so every one of
	// the 5 million packets, landing in frames used ~1200 times each, sees 0.
	uint64_t sent = 0, stale = 0;
	uint64_t got = receive_while_generating(gen, *b->xsk, 5'000'000, sent, [&](const ax::Frame &f) {
		stale += id_slot(f) != 0;
		set_id_slot(f, kHookId);
	});
	auto ks = take(b->xsk->kernel_stats(), "XDP_STATISTICS");
	auto vs = take(tb::veth_xdp_stats(b->bed.rx_ns, b->bed.rx().ifname), "veth stats");
	INFO("sent " << sent << ", received " << got << ", rx_ring_full " << ks.rx_ring_full << ", rx_dropped "
		     << ks.rx_dropped << ", veth rx drops " << vs.rx_drops);
	CHECK(sent == 5'000'000);
	CHECK(got > 0);
	CHECK(stale == 0);
	// Every generated frame was received or dropped on the way into the socket, and the
	// veth saw the same drops.
	CHECK(got + ks.rx_ring_full + ks.rx_dropped == sent);
	CHECK(vs.rx_drops == ks.rx_ring_full + ks.rx_dropped);
	CHECK(ks.rx_invalid_descs == 0);

	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.application == 0);
	CHECK(acc.kernel == 0);
	CHECK(acc.ledger_violations == 0);
	auto by_ledger = b->umem->ledger().count();
	CHECK(by_ledger[size_t(ax::FrameOwner::fill_ring)] == acc.fill_ring);
	CHECK(by_ledger[size_t(ax::FrameOwner::free_list)] == acc.free_list);
	CHECK(by_ledger[size_t(ax::FrameOwner::application)] == 0);
	// No leak: every frame is given to the kernel for RX or on the free list, and the fill
	// ring is full again. How many of the kernel's are outside the ring (taken from it and
	// kept, e.g. a recycled frame on the kernel's own free list) depends on timing and on
	// the kernel: reported (kernel_rx_held), not asserted.
	CHECK(acc.fill_ring + acc.free_list == 4096);
	CHECK(acc.fill_ring_queued == 2048);
	CHECK(acc.fill_ring >= acc.fill_ring_queued);
	WARN("5M frames: sent " << sent << ", received " << got << ", rx_ring_full " << ks.rx_ring_full << ", rx_dropped "
				<< ks.rx_dropped << "; " << acc.to_string());

	// And the frames still work: a burst the ring can hold arrives in full.
	REQUIRE(take(gen.send(1500), "send") == 1500);
	CHECK(drain(*b->xsk, 1500, [](const ax::Frame &) {}) == 1500);
}

TEST_CASE("afxdp: a slow consumer makes the kernel drop, and every drop is counted", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axslow");
	b->open({.frame_count = 1024, .check_ownership = true}, {.rx_size = 256, .fill_size = 512, .frames = 1024});
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");

	uint64_t sent = 0;
	uint64_t got = receive_while_generating(gen, *b->xsk, 200'000, sent, [&](const ax::Frame &) {
		std::this_thread::sleep_for(std::chrono::microseconds(20));
	});
	auto ks = take(b->xsk->kernel_stats(), "XDP_STATISTICS");
	auto vs = take(tb::veth_xdp_stats(b->bed.rx_ns, b->bed.rx().ifname), "veth stats");
	INFO("sent " << sent << ", received " << got << ", rx_ring_full " << ks.rx_ring_full << ", rx_dropped "
		     << ks.rx_dropped << ", veth rx drops " << vs.rx_drops);
	CHECK(sent == 200'000);
	CHECK(ks.rx_ring_full > 0); // the rx ring overflowed
	CHECK(got + ks.rx_ring_full + ks.rx_dropped == sent);
	CHECK(vs.rx_drops == ks.rx_ring_full + ks.rx_dropped);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
	// After all those drops every frame is still accounted for, and the fill ring is full.
	CHECK(acc.fill_ring + acc.free_list == 1024);
	CHECK(acc.fill_ring_queued == 512);
	CHECK(acc.fill_ring >= acc.fill_ring_queued);
}

TEST_CASE("afxdp: a consumer holding every frame starves the fill ring; the kernel counts those drops", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axstarve");
	b->open({.frame_count = 256, .check_ownership = true},
		{.rx_size = 512, .fill_size = 256, .comp_size = 256, .frames = 128});
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	REQUIRE(take(gen.send(1000), "send") == 1000);

	std::vector<ax::Frame> held;
	uint64_t got = drain(*b->xsk, 1000, [&](const ax::Frame &f) {
		held.push_back(f);
		return ax::Disposition::keep;
	}, 200);
	auto ks = take(b->xsk->kernel_stats(), "XDP_STATISTICS");
	INFO("received " << got << ", rx_dropped " << ks.rx_dropped << ", fill_ring_empty " << ks.rx_fill_ring_empty_descs);
	CHECK(got == 128); // the socket's frames, all held
	CHECK(ks.rx_ring_full == 0);
	CHECK(got + ks.rx_dropped == 1000);
	CHECK(ks.rx_fill_ring_empty_descs > 0);
	CHECK(b->umem->accounting().application == 128);
	b->xsk->release(held.data(), uint32_t(held.size()));
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.application == 0);
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
}
