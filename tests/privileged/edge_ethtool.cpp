// edge::Ethtool against real drivers in a test namespace: what ethtool -K sets is what
// feature() reads, and the timestamping info of a device without a hardware clock.
#include <xdphints/edge/ethtool.hpp>

#include "hook_testing.hpp"

using namespace xdphints;
using xdphints::test::RxBed;

TEST_CASE("ethtool: features as ethtool -K sets them, on veth and loopback", "[edge][ethtool]")
{
	if (!xdphints::test::privileged())
		return;
	auto lo = edge::Ethtool::open("lo"); // the test process's own namespace: only read
	REQUIRE(lo);
	auto loopback = lo->feature("loopback");
	REQUIRE(loopback);
	CHECK(*loopback);

	auto bed = RxBed::make("ete");
	REQUIRE(bed);
	auto eth = edge::Ethtool::open(bed->rx_if());
	REQUIRE(eth);
	for (const char *state : {"off", "on"}) {
		auto set = bed->bed.rx_ns.exec({"ethtool", "-K", bed->rx_if(), "rx", state});
		INFO((set ? *set : set.error().message));
		REQUIRE(set);
		auto rx = eth->feature("rx-checksum");
		REQUIRE(rx);
		CHECK(*rx == (std::string(state) == "on"));
	}
	auto rxhash = eth->feature("rx-hashing");
	REQUIRE(rxhash);
	CHECK_FALSE(*rxhash); // veth: receive-hashing off [fixed]
	auto drv = eth->driver();
	REQUIRE(drv);
	CHECK(*drv == "veth");
	auto ts = eth->ts_info();
	REQUIRE(ts);
	CHECK(ts->phc_index == -1); // no hardware clock
	CHECK_FALSE(ts->hw_rx());
}
