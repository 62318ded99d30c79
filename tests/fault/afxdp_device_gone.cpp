// The interface goes away under a receiving application: deleted, or taken with the
// namespace of its veth peer. The kernel unbinds the sockets (sk_err = ENETDOWN); a
// receive loop must notice and stop with an error naming the interface, not wait forever.
#include "afxdp_testing.hpp"

#include <xdphints/af_xdp/queues.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace xdphints;
using namespace xdphints::test;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0)
{
	return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Runs an RxGroup on every queue of the rx veth on a thread, lets traffic arrive, makes
// the device go with `remove`, and measures how long the group takes to return.
template <class Remove> void group_stops_when_device_goes(std::string_view tag, Remove &&remove)
{
	auto b = AfxdpBed::make(tag);
	const std::string ifname = b->bed.rx().ifname;
	const int ifindex = b->bed.rx().ifindex;
	b->umem = take(ax::Umem::create({.frame_count = 4096, .check_ownership = true}), "umem");
	ax::SocketConfig base;
	base.ifindex = ifindex;
	base.xsks_map_fd = b->prog->xsks_map_fd();
	auto group = take(ax::RxGroup::open(b->umem, base, take(ax::parse_queues("all", ifindex), "queues")), "rx group");
	uint64_t sent = 0;
	{
		auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
		sent = take(gen.send(1000), "send");
	}

	std::atomic<uint64_t> got{0};
	std::atomic<bool> stop{false}, returned{false};
	Status st;
	std::thread rx([&] {
		st = group.run(stop, {}, [&](ax::XskSocket &, const ax::Frame &) { got.fetch_add(1); });
		returned = true;
	});
	for (int i = 0; i < 200 && got.load() < sent; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(5));

	auto t0 = Clock::now();
	remove(*b);
	double removed_ms = ms_since(t0);
	// A loop that does not notice would run forever: give it 3 s, then stop it.
	while (!returned.load() && ms_since(t0) < 3000)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	double stopped_ms = ms_since(t0);
	stop = true;
	rx.join();

	INFO("sent " << sent << ", received " << got.load() << "; removal took " << removed_ms << " ms, the group returned after "
		     << stopped_ms << " ms: " << (st ? std::string("success") : st.error().to_string()));
	WARN("device gone: the group returned " << stopped_ms << " ms after the removal started (removal " << removed_ms << " ms)");
	CHECK(got.load() == sent);
	CHECK(stopped_ms < 1000);
	REQUIRE_FALSE(st);
	CHECK(st.error().code == Errc::device_gone);
	CHECK(st.error().message.find(ifname) != std::string::npos);
	CHECK(st.error().message.find("ifindex " + std::to_string(ifindex)) != std::string::npos);
	CHECK(st.error().message.find("gone") != std::string::npos);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);
}

} // namespace

TEST_CASE("afxdp fault: deleting the interface stops an RxGroup within a second, with an error naming it", "[afxdp][fault]")
{
	if (!privileged())
		return;
	group_stops_when_device_goes("axgone", [](AfxdpBed &b) {
		auto r = b.bed.rx_ns.exec({"ip", "link", "del", b.bed.rx().ifname});
		REQUIRE(r);
	});
}

TEST_CASE("afxdp fault: deleting the veth peer's namespace stops an RxGroup within a second", "[afxdp][fault]")
{
	if (!privileged())
		return;
	group_stops_when_device_goes("axpeer", [](AfxdpBed &b) {
		// The peer end goes with its namespace, and a veth never outlives its peer.
		tb::Netns peer = std::move(b.bed.tx_ns);
	});
}

TEST_CASE("afxdp fault: wait() on a socket whose interface is deleted says device_gone within a second, not timeout", "[afxdp][fault]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axwait");
	b->open({.frame_count = 1024}, {.rx_size = 512, .fill_size = 512});
	CHECK(b->xsk->wait(50) == ax::WaitResult::timeout);

	std::thread del([&] {
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		CHECK(b->bed.rx_ns.exec({"ip", "link", "del", b->bed.rx().ifname}));
	});
	auto t0 = Clock::now();
	ax::WaitResult r = b->xsk->wait(5000);
	double ms = ms_since(t0);
	del.join();
	INFO("wait returned " << ax::wait_result_name(r) << " after " << ms << " ms (the deletion started at 200 ms)");
	WARN("wait() returned " << ax::wait_result_name(r) << " " << ms << " ms into a 5 s wait; the link was deleted at 200 ms");
	CHECK(r == ax::WaitResult::device_gone);
	CHECK(ms < 1200);
	CHECK(b->xsk->device_gone());
	CHECK(b->xsk->wait(0) == ax::WaitResult::device_gone);
}
