// probe: what an interface offers for hints, from ethtool, netdev netlink and bpf_xdp_query.
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/probe.hpp>

#include "hook_testing.hpp"

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

TEST_CASE("probe reports driver, hook, fields, XDP features and the timestamp clock", "[hook][probe]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkq");
	REQUIRE(bed);

	auto p = probe(bed->rx_if());
	REQUIRE(p);
	CHECK(p->ifindex == bed->rx_index());
	CHECK(p->driver == "veth");
	CHECK(p->hook == "veth");
	CHECK(p->hook_struct == "xdp_hints_veth");
	CHECK(p->hook_uses_kfuncs);
	CHECK(p->fields == std::vector<std::string>{"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci",
						    "rx_vlan_proto"});
	// Linux 6.18: the kernel itself lists veth's RX metadata kfuncs.
	REQUIRE(p->kernel_rx_metadata);
	CHECK(*p->kernel_rx_metadata == p->fields);
	REQUIRE(p->native_xdp);
	CHECK(*p->native_xdp);
	REQUIRE(p->zero_copy);
	CHECK_FALSE(*p->zero_copy); // veth has no AF_XDP zero-copy
	CHECK(p->phc_index == -1);  // no PTP hardware clock
	CHECK_FALSE(p->hw_rx_timestamping);
	CHECK(p->attached_prog_id == 0);

	HookOptions o;
	o.ifname = bed->rx_if();
	auto hook = Hook::attach(o);
	REQUIRE(hook);
	auto again = probe(bed->rx_if());
	REQUIRE(again);
	CHECK(again->attached_prog_id == hook->prog_id());
	CHECK(again->attached_prog_name == "xdp_hints_hook");

	auto lo = probe("lo");
	REQUIRE(lo);
	CHECK(lo->hook == "generic");
	CHECK(lo->fields == std::vector<std::string>{"rx_timestamp"});
	CHECK_FALSE(lo->hook_uses_kfuncs);

	auto none = probe("xhnosuch1");
	REQUIRE_FALSE(none);
	CHECK(none.error().code == Errc::no_device);
}
