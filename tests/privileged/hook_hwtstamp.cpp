// --hwtstamp: SIOCSHWTSTAMP on request. veth has no hardware timestamping, so this checks
// the refusal (clear error, nothing attached, nothing changed); the enable-and-restore
// path needs a NIC with a PHC and is not exercised here.
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/hwtstamp.hpp>

#include "hook_testing.hpp"

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

TEST_CASE("--hwtstamp on a device without hardware timestamping is refused, nothing attached", "[hook][hwtstamp]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkh");
	REQUIRE(bed);

	auto hw = HwTimestamping::enable(bed->rx_if());
	REQUIRE_FALSE(hw);
	INFO(hw.error().message);
	CHECK(hw.error().sys_errno == EOPNOTSUPP);
	CHECK(hw.error().message.find(bed->rx_if() + " (driver veth) has no hardware timestamping; drop --hwtstamp") !=
	      std::string::npos);

	HookOptions o;
	o.ifname = bed->rx_if();
	o.hwtstamp = true;
	auto hook = Hook::attach(o);
	REQUIRE_FALSE(hook);
	CHECK(hook.error().message.find("SIOCSHWTSTAMP") != std::string::npos);
	CHECK(xdphints::test::xdp_query(bed->rx_index()).attach_mode == XDP_ATTACHED_NONE);

	// Without --hwtstamp the setting is not touched and the hook attaches.
	o.hwtstamp = false;
	auto plain = Hook::attach(o);
	REQUIRE(plain);
	CHECK(plain->hw_timestamping() == nullptr);

	auto nosuch = HwTimestamping::enable("xhnosuch2");
	REQUIRE_FALSE(nosuch);
	CHECK(nosuch.error().code == Errc::no_device);
}

TEST_CASE("hwtstamp_if_off on a device without hardware timestamping: attached, nothing set, the run says so", "[hook][hwtstamp]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hki");
	REQUIRE(bed);
	HookOptions o;
	o.ifname = bed->rx_if();
	o.hwtstamp_if_off = true; // the veth hook reads rx_timestamp through the kfunc
	auto hook = Hook::attach(o);
	REQUIRE(hook);
	REQUIRE(hook->rx_timestamping());
	CHECK(hook->rx_timestamping()->state == HwRxState::unsupported);
	CHECK(hook->hw_timestamping() == nullptr);
	CHECK(hook->rx_timestamping()->describe().find("software timestamps (CLOCK_TAI)") != std::string::npos);
}
