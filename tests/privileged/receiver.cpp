// xdphints::Receiver, the common case in one object: hook + umem + a socket per queue +
// decoder, on a veth in its own namespaces, with real traffic.
#include "privileges.hpp"

#include <xdphints/receiver.hpp>
#include <xdphints/testbed/livegen.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <time.h>
#include <vector>

using namespace xdphints;

namespace {

uint64_t tai_now()
{
	timespec t;
	clock_gettime(CLOCK_TAI, &t);
	return uint64_t(t.tv_sec) * 1'000'000'000u + uint64_t(t.tv_nsec);
}

// Waits until `done` or `ms` passed.
template <class Pred> void wait_for(Pred &&done, int ms)
{
	for (int i = 0; i < ms / 10 && !done(); i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

} // namespace

TEST_CASE("Receiver: UDP through the stack arrives with typed software timestamp and hash", "[privileged][receiver]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("rcv");
	REQUIRE_OK(tb);

	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	std::optional<Receiver> rx;
	{
		auto in = testbed::NetnsScope::enter(tb->rx_ns);
		REQUIRE(in);
		auto r = Receiver::open({.ifname = tb->rx().ifname}, q);
		REQUIRE_OK(r);
		rx.emplace(std::move(*r));
	}
	REQUIRE(rx->queues().size() == 1); // "all" of a one-queue veth
	CHECK(rx->hook().attached());

	struct Got {
		bool known;
		std::optional<uint64_t> ts;
		bool sw;
		std::optional<uint32_t> hash;
		uint16_t dport;
	};
	std::mutex mu;
	std::vector<Got> got;
	std::atomic<bool> stop{false};
	Status run_status;
	std::thread t([&] {
		run_status = rx->run(stop, [&](const afxdp::Frame &f, const Hints &h) {
			auto p = f.bytes();
			uint16_t dport = p.size() >= 38 && p[12] == 0x08 && p[23] == 17 ? uint16_t(p[36] << 8 | p[37]) : 0;
			std::lock_guard lk(mu);
			got.push_back({h.known(), h.get(ts), h.software(ts), h.get(hash), dport});
		});
	});

	const uint64_t t0 = tai_now();
	auto flow = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, 40000, tb->rx().ipv4, 9999);
	REQUIRE_OK(flow);
	const int n = 50;
	uint8_t payload[32] = {1, 2, 3};
	for (int i = 0; i < n; i++)
		REQUIRE_OK(flow->send(payload));
	auto count = [&] {
		std::lock_guard lk(mu);
		size_t c = 0;
		for (auto &g : got)
			c += g.dport == 9999;
		return c;
	};
	wait_for([&] { return count() >= size_t(n); }, 3000);
	const uint64_t t1 = tai_now();
	stop = true;
	t.join();
	REQUIRE_OK(run_status);

	std::lock_guard lk(mu);
	std::optional<uint32_t> first_hash;
	for (auto &g : got)
		if (g.dport == 9999 && !first_hash)
			first_hash = g.hash;
	REQUIRE(first_hash);
	size_t ours = 0;
	for (auto &g : got) {
		if (g.dport != 9999)
			continue; // e.g. IPv6 router solicitations of the fresh link
		ours++;
		CHECK(g.known);
		// veth reports 0 for stack-sent frames: the hook's software timestamp (CLOCK_TAI),
		// taken between our send and our read.
		REQUIRE(g.ts);
		CHECK(g.sw);
		CHECK(*g.ts >= t0);
		CHECK(*g.ts <= t1);
		REQUIRE(g.hash);
		CHECK(*g.hash == *first_hash); // one flow (one 5-tuple): one RSS hash
	}
	CHECK(ours == size_t(n));
	auto st = rx->hook().stats();
	REQUIRE_OK(st);
	CHECK(st->redirected >= uint64_t(n));
}

TEST_CASE("Receiver: a socket per queue on a two-queue veth, frames on both", "[privileged][receiver]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("rcq", {.queues = 2});
	REQUIRE_OK(tb);

	Query q;
	auto hash = q.add<uint32_t>("rx_hash", Presence::optional);
	std::optional<Receiver> rx;
	{
		auto in = testbed::NetnsScope::enter(tb->rx_ns);
		REQUIRE(in);
		auto r = Receiver::open({.ifname = tb->rx().ifname, .queues = "all"}, q);
		REQUIRE_OK(r);
		rx.emplace(std::move(*r));
	}
	REQUIRE(rx->queues().size() == 2);

	std::atomic<uint64_t> per_queue[2] = {0, 0};
	std::atomic<uint64_t> known{0}, total{0};
	std::atomic<bool> stop{false};
	Status run_status;
	std::thread t([&] {
		run_status = rx->run(stop, [&](afxdp::XskSocket &s, const afxdp::Frame &, const Hints &h) {
			per_queue[s.queue()]++;
			total++;
			known += h.known();
			(void)h.get(hash);
		});
	});
	// veth hands a redirected frame to the peer's queue (sending CPU % queues).
	auto go = testbed::GenOptions::between(tb->tx(), tb->rx());
	go.cpus = {0, 1};
	auto gen = testbed::LiveGen::create(tb->tx_ns, tb->tx().ifindex, go);
	REQUIRE_OK(gen);
	const uint64_t n = 2000;
	auto sent = gen->send(n);
	REQUIRE_OK(sent);
	CHECK(*sent == n);
	wait_for([&] { return total.load() >= n; }, 3000);
	stop = true;
	t.join();
	REQUIRE_OK(run_status);

	INFO("queue 0: " << per_queue[0] << ", queue 1: " << per_queue[1]);
	CHECK(per_queue[0] > 0);
	CHECK(per_queue[1] > 0);
	CHECK(total == n);          // nothing dropped at this rate (2000 frames, 2 x 2048 ring)
	CHECK(known == total.load()); // every frame carries an id the decoder knows
}
