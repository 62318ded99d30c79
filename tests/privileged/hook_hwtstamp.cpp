// --hwtstamp: SIOCSHWTSTAMP on request. veth has no hardware timestamping, so this checks
// the refusal (clear error, nothing attached, nothing changed). The enable-and-restore path
// of hwtstamp_if_off runs here on a real veth and a real hook with the timestamping ioctls
// answered through the edge seam; on a real NIC it runs in the kernel tier (phc_real.cpp).
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/hwtstamp.hpp>

#include "hook_testing.hpp"

#include <xdphints/edge/sys.hpp>

#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

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

namespace {

// The rx veth as a NIC that can timestamp (a PHC, RX filters none and all) whose RX filter
// is none, through the edge seam: ETHTOOL_GET_TS_INFO and SIOC[GS]HWTSTAMP on that one
// interface are answered here; every other ioctl (the driver query, ...) goes to the kernel.
struct TsNic {
	char ifname[IFNAMSIZ] = {};
	hwtstamp_config cfg{0, HWTSTAMP_TX_OFF, HWTSTAMP_FILTER_NONE};
	int sets = 0;
};
TsNic *g_ts = nullptr;

int ts_ioctl(int fd, unsigned long req, void *arg)
{
	auto *ifr = static_cast<ifreq *>(arg);
	if (g_ts && (req == SIOCETHTOOL || req == SIOCGHWTSTAMP || req == SIOCSHWTSTAMP) &&
	    std::strcmp(ifr->ifr_name, g_ts->ifname) == 0) {
		if (req == SIOCGHWTSTAMP) {
			std::memcpy(ifr->ifr_data, &g_ts->cfg, sizeof(g_ts->cfg));
			return 0;
		}
		if (req == SIOCSHWTSTAMP) {
			std::memcpy(&g_ts->cfg, ifr->ifr_data, sizeof(g_ts->cfg));
			g_ts->sets++;
			return 0;
		}
		auto *ts = reinterpret_cast<ethtool_ts_info *>(ifr->ifr_data);
		if (ts->cmd == ETHTOOL_GET_TS_INFO) {
			ts->so_timestamping = SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
			ts->phc_index = 5;
			ts->rx_filters = (1 << HWTSTAMP_FILTER_NONE) | (1 << HWTSTAMP_FILTER_ALL);
			return 0;
		}
	}
	return ::ioctl(fd, req, arg);
}

} // namespace

TEST_CASE("hwtstamp_if_off: a hook that reads timestamps turns RX timestamping on while attached, and back off after",
	  "[hook][hwtstamp]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkt");
	REQUIRE(bed);
	char run_dir[] = "/tmp/xh-hkt-XXXXXX";
	REQUIRE(mkdtemp(run_dir));
	setenv("XDP_HINTS_RUN_DIR", run_dir, 1);
	TsNic nic;
	std::strncpy(nic.ifname, bed->rx_if().c_str(), IFNAMSIZ - 1);
	g_ts = &nic;
	const edge::Sys sys = edge::with_real({.ioctl = ts_ioctl});
	{
		edge::SysOverride seam(sys);
		HookOptions o;
		o.ifname = bed->rx_if();
		o.hwtstamp_if_off = true;
		{
			auto hook = Hook::attach(o); // veth's hook reads rx_timestamp through the kfunc
			REQUIRE(hook);
			REQUIRE(hook->rx_timestamping());
			INFO(hook->rx_timestamping()->describe());
			CHECK(hook->rx_timestamping()->state == HwRxState::enabled);
			CHECK(hook->hw_timestamping() != nullptr);
			CHECK(nic.cfg.rx_filter == HWTSTAMP_FILTER_ALL);
			CHECK(nic.cfg.tx_type == HWTSTAMP_TX_OFF); // TX left as it was
		}
		CHECK(nic.cfg.rx_filter == HWTSTAMP_FILTER_NONE); // restored with the hook
		CHECK(nic.sets == 2);

		// A hook that reads no timestamp, or the generic one (software timestamps only):
		// nothing to turn on, the setting is not touched.
		o.hints = hint::hash;
		{
			auto hash_only = Hook::attach(o);
			REQUIRE(hash_only);
			CHECK(!hash_only->rx_timestamping());
		}
		o.hints = 0;
		o.hook = "generic";
		auto generic = Hook::attach(o);
		REQUIRE(generic);
		CHECK(!generic->rx_timestamping());
		CHECK(nic.sets == 2);
		CHECK(nic.cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	}
	g_ts = nullptr;
	unsetenv("XDP_HINTS_RUN_DIR");
	std::filesystem::remove_all(run_dir);
}
