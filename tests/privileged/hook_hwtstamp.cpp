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

// A testbed whose rx veth is that NIC (g_ts), the state records in a directory of the
// test's own, the seam in place and the rx namespace entered, for the test's lifetime.
// opts(): hwtstamp_if_off on the rx veth.
struct TsBed {
	std::optional<RxBed> bed;
	TsNic nic;
	std::string run_dir;
	edge::Sys sys = edge::with_real({.ioctl = ts_ioctl});
	std::optional<edge::SysOverride> seam;

	explicit TsBed(std::string_view tag) : bed(RxBed::make(tag))
	{
		REQUIRE(bed);
		char tmpl[] = "/tmp/xh-hkts-XXXXXX";
		REQUIRE(mkdtemp(tmpl));
		run_dir = tmpl;
		setenv("XDP_HINTS_RUN_DIR", run_dir.c_str(), 1);
		rename_nic(bed->rx_if());
		g_ts = &nic;
		seam.emplace(sys);
	}
	~TsBed()
	{
		seam.reset();
		g_ts = nullptr;
		unsetenv("XDP_HINTS_RUN_DIR");
		std::filesystem::remove_all(run_dir);
	}
	TsBed(const TsBed &) = delete;
	TsBed &operator=(const TsBed &) = delete;

	HookOptions opts() const
	{
		HookOptions o;
		o.ifname = bed->rx_if();
		o.hwtstamp_if_off = true;
		return o;
	}
	// The rx veth renamed to `name` (ip link); the NIC keeps its setting under its new name.
	void rename(const std::string &name)
	{
		REQUIRE_OK(bed->bed.rx_ns.exec({"ip", "link", "set", "dev", bed->rx_if(), "name", name}));
		rename_nic(name);
	}
	void rename_nic(const std::string &name) { std::strncpy(nic.ifname, name.c_str(), IFNAMSIZ - 1); }
};

} // namespace

TEST_CASE("hwtstamp_if_off: a hook that reads timestamps turns RX timestamping on while attached, and back off after",
	  "[hook][hwtstamp]")
{
	if (!xdphints::test::privileged())
		return;
	TsBed ts("hkt");
	TsNic &nic = ts.nic;
	HookOptions o = ts.opts();
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

TEST_CASE("hwtstamp_if_off: a setting ptp4l made while the hook was attached is left when it goes, and said",
	  "[hook][hwtstamp]")
{
	if (!xdphints::test::privileged())
		return;
	TsBed ts("hkp");
	TsNic &nic = ts.nic;
	const HookOptions o = ts.opts();
	const std::string ptp4l_set = "tx_type on, rx_filter ptpv2-event now, which another program (ptp4l?) set after "
				      "this run set tx_type off, rx_filter all; before this run it was tx_type off, "
				      "rx_filter none";
	// ptp4l starts on the interface while the hook is attached (TX timestamps and its PTP
	// filter), after a rename of the interface or not; detach() says what it found.
	auto detach_after_ptp4l = [&](const std::string &renamed) {
		auto hook = Hook::attach(o);
		REQUIRE(hook);
		REQUIRE(hook->rx_timestamping());
		CHECK(hook->rx_timestamping()->state == HwRxState::enabled);
		CHECK(nic.cfg.rx_filter == HWTSTAMP_FILTER_ALL);
		if (!renamed.empty())
			ts.rename(renamed);
		nic.cfg = {0, HWTSTAMP_TX_ON, HWTSTAMP_FILTER_PTP_V2_EVENT};
		auto said = hook->detach();
		REQUIRE(said);
		CHECK(*said == "left hardware timestamping on " + (renamed.empty() ? ts.bed->rx_if() : renamed) +
				       " as it is: it is " + ptp4l_set);
	};
	SECTION("detach() leaves it and says what it found")
	{
		detach_after_ptp4l("");
	}
	SECTION("renamed while attached: still found by its index, and left")
	{
		detach_after_ptp4l(ts.bed->rx_if() + "r");
	}
	SECTION("the hook's destructor leaves it too")
	{
		auto hook = Hook::attach(o);
		REQUIRE(hook);
		nic.cfg = {0, HWTSTAMP_TX_ON, HWTSTAMP_FILTER_PTP_V2_EVENT};
	}
	CHECK(nic.cfg.tx_type == HWTSTAMP_TX_ON);
	CHECK(nic.cfg.rx_filter == HWTSTAMP_FILTER_PTP_V2_EVENT);
	CHECK(nic.sets == 1); // only the hook's own, when it attached
	CHECK(std::filesystem::is_empty(ts.run_dir));
}

TEST_CASE("hwtstamp_if_off: the interface renamed while the hook was attached gets its setting back, found by index",
	  "[hook][hwtstamp]")
{
	if (!xdphints::test::privileged())
		return;
	TsBed ts("hkr");
	{
		auto hook = Hook::attach(ts.opts());
		REQUIRE(hook);
		CHECK(ts.nic.cfg.rx_filter == HWTSTAMP_FILTER_ALL);
		ts.rename(ts.bed->rx_if() + "r");
	}
	CHECK(ts.nic.cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	CHECK(ts.nic.sets == 2);
	CHECK(std::filesystem::is_empty(ts.run_dir));
}
