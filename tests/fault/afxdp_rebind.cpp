// Sockets come and go on a queue while traffic flows: destroying a umem's first socket
// frees its queue (the registration socket is closed), for the same umem (sharing through
// a surviving socket, or registered afresh when none is left) and for a new umem.
#include "afxdp_testing.hpp"

using namespace xdphints;
using namespace xdphints::test;

TEST_CASE("afxdp fault: the queue of a destroyed first socket is bound again and again, with the same and new umems", "[afxdp][fault]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axrebind2", {.queues = 2});
	const int ifindex = b->bed.rx().ifindex;
	// veth hands a frame to the peer's queue (sending CPU % queues).
	auto on_queue = [&](int q) {
		auto go = b->gen_options();
		go.cpus = {q};
		return take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	};
	auto gen0 = on_queue(0), gen1 = on_queue(1);
	auto receives = [&](ax::XskSocket &s, tb::LiveGen &gen) {
		REQUIRE(take(gen.send(400), "send") == 400);
		return drain(s, 400, [](const ax::Frame &) {});
	};
	auto socket = [&](const std::shared_ptr<ax::Umem> &u, uint32_t q) {
		ax::SocketConfig c{.ifindex = ifindex, .queue = q, .rx_size = 512, .fill_size = 512, .frames = 512,
				   .xsks_map_fd = b->prog->xsks_map_fd()};
		return take(ax::XskSocket::create(u, c), "socket");
	};

	auto umem = take(ax::Umem::create({.frame_count = 16384, .check_ownership = true}), "umem");
	auto first = socket(umem, 0);
	auto second = socket(umem, 1); // shares the umem through the first
	CHECK(receives(*first, gen0) == 400);
	CHECK(receives(*second, gen1) == 400);

	// The first goes; the second keeps receiving, and queue 0 takes a new socket of the
	// same umem, which shares it through the second.
	first.reset();
	CHECK(receives(*second, gen1) == 400);
	auto again = socket(umem, 0);
	CHECK(receives(*again, gen0) == 400);

	// All gone; the umem is registered afresh for the next, and queue 0 alternates
	// between it and new umems, socket after socket.
	second.reset();
	again.reset();
	for (int round = 0; round < 6; round++) {
		INFO("round " << round);
		std::shared_ptr<ax::Umem> u = round % 2 ? take(ax::Umem::create({.frame_count = 1024}), "new umem") : umem;
		auto s = socket(u, 0);
		CHECK(receives(*s, gen0) == 400);
	}
	auto acc = umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);
	CHECK(acc.retired == 6 * 512); // the frames each closed socket left with the kernel
}
