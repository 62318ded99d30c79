// Several queues and several devices on one umem: a socket per queue with a receive thread
// each (multi-queue veth), and one umem shared by sockets on two veth devices; a queue the
// device cannot receive on refused.
#include "afxdp_testing.hpp"

#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/receiver.hpp>

#include <atomic>
#include <net/if.h>
#include <thread>
#include <unistd.h>

using namespace xdphints;
using namespace xdphints::test;

namespace {

// Sum of what the kernel dropped on the way into the socket.
uint64_t xsk_drops(const ax::XskSocket &s)
{
	auto ks = s.kernel_stats();
	REQUIRE(ks);
	return ks->rx_ring_full + ks->rx_dropped;
}

} // namespace

TEST_CASE("afxdp: multi-queue veth (2 rx queues) receives on both queues, one thread per queue", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axmq", {.queues = 2});
	auto queues = take(ax::parse_queues("all", b->bed.rx().ifindex), "queues");
	REQUIRE(queues == std::vector<uint32_t>{0, 1});
	b->umem = take(ax::Umem::create({.frame_count = 8192, .check_ownership = true}), "umem");
	ax::SocketConfig base;
	base.ifindex = b->bed.rx().ifindex;
	base.xsks_map_fd = b->prog->xsks_map_fd();
	auto group = take(ax::RxGroup::open(b->umem, base, queues), "rx group");
	REQUIRE(group.size() == 2);

	// veth hands a redirected frame to peer queue (sending CPU % queues): CPUs 0 and 1.
	auto go = b->gen_options();
	go.cpus = {0, 1};
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");

	std::atomic<uint64_t> per_queue[2] = {0, 0};
	std::atomic<bool> stop{false};
	std::thread rx([&] {
		auto st = group.run(stop, {0, 1}, [&](ax::XskSocket &s, const ax::Frame &) {
			per_queue[s.queue()].fetch_add(1, std::memory_order_relaxed);
		});
		CHECK(st);
	});
	const uint64_t n = 20000;
	uint64_t sent = take(gen.send(n), "send");
	CHECK(sent == n);
	auto accounted = [&] {
		return per_queue[0] + per_queue[1] + xsk_drops(*group.sockets()[0]) + xsk_drops(*group.sockets()[1]);
	};
	for (int i = 0; i < 300 && accounted() < sent; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	stop = true;
	rx.join();

	INFO("queue 0: " << per_queue[0] << ", queue 1: " << per_queue[1]);
	CHECK(per_queue[0] > 0);
	CHECK(per_queue[1] > 0);
	CHECK(accounted() == sent);
	for (auto &s : group.sockets())
		CHECK(s->counters().rx_frames == per_queue[s->queue()]);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);
}

TEST_CASE("afxdp: one umem shared by sockets on two veth devices", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axsh");
	// A second pair between the same namespaces, with its own redirect program.
	auto link2 = take(tb::VethPair::create(b->bed.rx_ns, b->bed.tx_ns, {.ipv4_a = "10.78.0.1", .ipv4_b = "10.78.0.2"}),
			  "second veth pair");
	auto prog2 = take(ax::RedirectProgram::attach(link2.a.ifindex), "second redirect program");

	b->umem = take(ax::Umem::create({.frame_count = 4096, .check_ownership = true}), "umem");
	auto s1 = take(ax::XskSocket::create(b->umem, {.ifindex = b->bed.rx().ifindex, .xsks_map_fd = b->prog->xsks_map_fd()}),
		       "socket on device 1");
	auto s2 = take(ax::XskSocket::create(b->umem, {.ifindex = link2.a.ifindex, .xsks_map_fd = prog2.xsks_map_fd()}),
		       "socket on device 2 (shared umem)");
	CHECK(s1->mode() == s2->mode());

	auto gen1 = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator 1");
	auto gen2 = take(tb::LiveGen::create(b->bed.tx_ns, link2.b.ifindex, tb::GenOptions::between(link2.b, link2.a)),
			 "generator 2");
	REQUIRE(take(gen1.send(700), "send 1") == 700);
	REQUIRE(take(gen2.send(900), "send 2") == 900);

	// Each device's frames carry that device's MAC as destination, and land in the one umem.
	auto mac_is = [](const ax::Frame &f, const std::string &mac) {
		char m[18];
		std::snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", f.data[0], f.data[1], f.data[2], f.data[3],
			      f.data[4], f.data[5]);
		return mac == m;
	};
	uint64_t wrong1 = 0, wrong2 = 0, outside = 0;
	auto in_umem = [&](const ax::Frame &f) {
		return f.data >= b->umem->area() && f.data + f.len <= b->umem->area() + b->umem->area_size();
	};
	uint64_t got1 = drain(*s1, 700, [&](const ax::Frame &f) {
		wrong1 += !mac_is(f, b->bed.rx().mac);
		outside += !in_umem(f);
	});
	uint64_t got2 = drain(*s2, 900, [&](const ax::Frame &f) {
		wrong2 += !mac_is(f, link2.a.mac);
		outside += !in_umem(f);
	});
	CHECK(got1 == 700);
	CHECK(got2 == 900);
	CHECK(wrong1 == 0);
	CHECK(wrong2 == 0);
	CHECK(outside == 0);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
	CHECK(s1->frames().total() + s2->frames().total() + b->umem->pool_frames() == 4096);
	s2.reset();
	s1.reset();
}

TEST_CASE("afxdp: destroying a umem's first socket frees its queue, for the same umem and for a new one", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axrebind");
	b->open({.frame_count = 4096, .check_ownership = true}, {.rx_size = 512, .fill_size = 512, .frames = 512});
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	auto receives = [&](ax::XskSocket &s) {
		REQUIRE(take(gen.send(300), "send") == 300);
		CHECK(drain(s, 300, [](const ax::Frame &) {}) == 300);
	};
	receives(*b->xsk);
	ax::SocketConfig cfg = b->xsk->config();
	b->xsk.reset();

	SECTION("the same umem")
	{
		auto s = ax::XskSocket::create(b->umem, cfg);
		INFO((s ? std::string("bound") : s.error().to_string()));
		REQUIRE(s);
		receives(**s);
		auto acc = b->umem->accounting();
		INFO(acc.to_string());
		CHECK(acc.balanced());
		CHECK(acc.ledger_violations == 0);
	}
	SECTION("a new umem")
	{
		auto u2 = take(ax::Umem::create({.frame_count = 1024}), "second umem");
		auto s = ax::XskSocket::create(u2, cfg);
		INFO((s ? std::string("bound") : s.error().to_string()));
		REQUIRE(s);
		receives(**s);
	}
}

TEST_CASE("afxdp: a queue id below the TX queue count but not below the RX count is refused, naming the RX count",
	  "[afxdp][privileged][receiver]")
{
	// The kernel binds an AF_XDP socket to any queue id below max(RX, TX queues), so on a
	// veth with 1 RX and 4 TX queues queue 2 binds and never receives a frame. RxGroup and
	// Receiver refuse it, and say how many RX queues there are.
	if (!privileged())
		return;
	auto ns = take(tb::Netns::create("axrxq"), "namespace");
	const std::string a = "xq" + std::to_string(getpid() % 1000000) + "a", b = a.substr(0, a.size() - 1) + "b";
	// The peer sends on one queue: XDP on a veth needs as many RX queues as its peer has TX
	// queues (ENOSPC otherwise), and the Receiver below attaches its hook.
	take(ns.exec({"ip", "link", "add", a, "numrxqueues", "1", "numtxqueues", "4", "type", "veth", "peer", "name", b,
		      "numrxqueues", "4", "numtxqueues", "1"}),
	     "ip link add");
	take(ns.exec({"ip", "link", "set", a, "up"}), "ip link set up");
	take(ns.exec({"ip", "link", "set", b, "up"}), "ip link set up");
	auto in = take(tb::NetnsScope::enter(ns), "enter namespace");
	const int ifindex = int(if_nametoindex(a.c_str()));
	REQUIRE(ifindex > 0);
	REQUIRE(take(ax::rx_queue_count(ifindex), "rx queues") == 1);

	auto umem = take(ax::Umem::create({.frame_count = 4096}), "umem");
	ax::SocketConfig base;
	base.ifindex = ifindex;
	for (uint32_t q : {1u, 2u, 3u}) {
		INFO("queue " << q);
		auto g = ax::RxGroup::open(umem, base, {0, q});
		REQUIRE_FALSE(g);
		CHECK(g.error().code == Errc::invalid_argument);
		CHECK(g.error().message == "queue " + std::to_string(q) + " of " + a + " cannot receive: " + a +
						   " has 1 RX queue (0); the kernel binds an AF_XDP socket to any queue "
						   "below the TX queue count too, but no frame arrives on one without RX "
						   "(give queues below 1, or all; ethtool -l " + a + ")");
	}
	{
		// Nothing of the refused group stays bound: queue 0 binds again, alone.
		auto ok = ax::RxGroup::open(umem, base, {0});
		INFO((ok ? std::string() : ok.error().to_string()));
		REQUIRE(ok);
		CHECK(ok->size() == 1);
	}
	auto all = take(ax::parse_queues("all", ifindex), "all");
	CHECK(all == std::vector<uint32_t>{0});

	SECTION("Receiver --queues 2: the same refusal, before the hook is attached")
	{
		Query q;
		q.add<uint64_t>("rx_timestamp", Presence::optional);
		auto r = Receiver::open({.ifname = a, .queues = "2"}, q);
		REQUIRE_FALSE(r);
		CHECK(r.error().message.find("queue 2 of " + a + " cannot receive: " + a + " has 1 RX queue (0); ") == 0);
		auto r0 = Receiver::open({.ifname = a, .queues = "0"}, q);
		INFO((r0 ? std::string() : r0.error().to_string()));
		CHECK(r0);
	}
}
