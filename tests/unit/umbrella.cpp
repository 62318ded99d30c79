// The umbrella header alone is enough for an application: this file includes nothing else
// of ours and names one type of each layer, so a header the umbrella forgets, or one that
// does not compile on its own, fails the build of the unit tier.
#include <xdphints/xdphints.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

TEST_CASE("<xdphints/xdphints.hpp> gives the core, the hook layer, the AF_XDP layer and the Receiver", "[umbrella]")
{
	xdphints::Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	CHECK(q.fields().size() == 1);
	(void)ts;
	xdphints::hook::HookOptions ho;
	CHECK(ho.ifname.empty());
	CHECK(xdphints::hook::hint::all == (xdphints::hook::hint::timestamp | xdphints::hook::hint::hash |
					     xdphints::hook::hint::vlan));
	xdphints::afxdp::SocketConfig sc;
	CHECK(sc.ifindex == 0);
	STATIC_REQUIRE(!std::is_copy_constructible_v<xdphints::afxdp::XskSocket>);
	STATIC_REQUIRE(!std::is_copy_constructible_v<xdphints::hook::Hook>);
	// The common case, held by value like Hook (ownership rule: docs/DESIGN.md).
	xdphints::ReceiverOptions ro;
	CHECK(ro.queues == "all");
	STATIC_REQUIRE(std::is_nothrow_move_constructible_v<xdphints::Receiver>);
	STATIC_REQUIRE(!std::is_copy_constructible_v<xdphints::Receiver>);
	CHECK(std::string(xdphints::hook::follows_name(xdphints::hook::PhcFollows::tai)) == "CLOCK_TAI");
}
