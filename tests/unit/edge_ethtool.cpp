// edge/ethtool.hpp: one socket, every ethtool and timestamping request through the seam's
// ioctl, answered here by a fake driver on loopback.
#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/hook/hook.hpp>

#include "fake_seam.hpp"

#include <catch2/catch.hpp>

#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace xdphints;
using namespace xdphints::hook;
using namespace xdphints::edge;

namespace {

struct FakeDriver {
	int channels_errno = 0;
	uint32_t combined = 4, rx = 0;
	std::vector<uint32_t> cmds; // ETHTOOL_* of every SIOCETHTOOL seen
	std::vector<std::string> features;
	std::set<std::string> active;
};
FakeDriver *D = nullptr;

int fake_ioctl(int, unsigned long req, void *arg)
{
	auto *ifr = static_cast<ifreq *>(arg);
	if (std::strcmp(ifr->ifr_name, "lo") != 0)
		return errno = ENODEV, -1;
	if (req != SIOCETHTOOL)
		return errno = EOPNOTSUPP, -1;
	uint32_t cmd;
	std::memcpy(&cmd, ifr->ifr_data, 4);
	D->cmds.push_back(cmd);
	switch (cmd) {
	case ETHTOOL_GDRVINFO: {
		auto *info = reinterpret_cast<ethtool_drvinfo *>(ifr->ifr_data);
		std::strcpy(info->driver, "fakenic");
		return 0;
	}
	case ETHTOOL_GCHANNELS: {
		if (D->channels_errno)
			return errno = D->channels_errno, -1;
		auto *ch = reinterpret_cast<ethtool_channels *>(ifr->ifr_data);
		ch->combined_count = D->combined;
		ch->rx_count = D->rx;
		return 0;
	}
	case ETHTOOL_GSSET_INFO: {
		auto *ss = reinterpret_cast<ethtool_sset_info *>(ifr->ifr_data);
		REQUIRE(ss->sset_mask == 1ull << ETH_SS_FEATURES);
		ss->data[0] = uint32_t(D->features.size());
		return 0;
	}
	case ETHTOOL_GSTRINGS: {
		auto *gs = reinterpret_cast<ethtool_gstrings *>(ifr->ifr_data);
		REQUIRE(gs->string_set == ETH_SS_FEATURES);
		REQUIRE(gs->len == D->features.size());
		for (size_t i = 0; i < D->features.size(); i++)
			std::strncpy(reinterpret_cast<char *>(gs->data) + i * ETH_GSTRING_LEN, D->features[i].c_str(),
				     ETH_GSTRING_LEN);
		return 0;
	}
	case ETHTOOL_GFEATURES: {
		auto *gf = reinterpret_cast<ethtool_gfeatures *>(ifr->ifr_data);
		REQUIRE(gf->size == (D->features.size() + 31) / 32);
		for (size_t i = 0; i < D->features.size(); i++)
			if (D->active.count(D->features[i]))
				gf->features[i / 32].active |= 1u << (i % 32);
		return 0;
	}
	case ETHTOOL_GET_TS_INFO: {
		auto *ts = reinterpret_cast<ethtool_ts_info *>(ifr->ifr_data);
		ts->so_timestamping = SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
		ts->phc_index = 3;
		ts->rx_filters = 1u << HWTSTAMP_FILTER_ALL;
		return 0;
	}
	}
	return errno = EOPNOTSUPP, -1;
}

const Sys kFake = with_real({.ioctl = fake_ioctl});

struct WithFake : unit::FakeSeam<FakeDriver> {
	WithFake() : FakeSeam(kFake, D) {}
};

} // namespace

TEST_CASE("ethtool: driver, channels and timestamping info through one socket", "[edge][unit]")
{
	WithFake f;
	auto eth = Ethtool::open("lo");
	REQUIRE(eth);
	CHECK(eth->valid());
	auto drv = eth->driver();
	REQUIRE(drv);
	CHECK(*drv == "fakenic");
	auto ch = eth->channels();
	REQUIRE(ch);
	CHECK(ch->rx_queues() == 4);
	auto ts = eth->ts_info();
	REQUIRE(ts);
	CHECK(ts->phc_index == 3);
	CHECK(ts->hw_rx());
	CHECK(ts->rx_filters == 1u << HWTSTAMP_FILTER_ALL);
	CHECK(f.state.cmds == std::vector<uint32_t>{ETHTOOL_GDRVINFO, ETHTOOL_GCHANNELS, ETHTOOL_GET_TS_INFO});
	// The hook's and af_xdp's questions are the same requests.
	auto hd = xdphints::hook::driver_of("lo");
	REQUIRE(hd);
	CHECK(*hd == "fakenic");
	f.state.rx = 2;
	auto n = afxdp::rx_queue_count(int(if_nametoindex("lo")));
	REQUIRE(n);
	CHECK(*n == 6);
}

TEST_CASE("ethtool: a driver without channels, and a name no interface can have", "[edge][unit]")
{
	WithFake f;
	f.state.channels_errno = EOPNOTSUPP;
	auto n = afxdp::rx_queue_count(int(if_nametoindex("lo")));
	REQUIRE_FALSE(n);
	CHECK(n.error().code == Errc::unsupported);
	CHECK(n.error().sys_errno == EOPNOTSUPP);
	CHECK_THAT(n.error().message, Catch::StartsWith("ETHTOOL_GCHANNELS on lo: "));
	CHECK_THAT(n.error().message, Catch::EndsWith("(the driver does not report its channels: give the queues as a list)"));
	auto queues = afxdp::parse_queues("all", int(if_nametoindex("lo")));
	REQUIRE_FALSE(queues);
	CHECK(queues.error().message == n.error().message);

	auto bad = Ethtool::open("a-name-far-too-long-for-linux");
	REQUIRE_FALSE(bad);
	CHECK(bad.error().code == Errc::no_device);
	CHECK(bad.error().sys_errno == 0);
	CHECK(bad.error().message.find("Invalid") == std::string::npos); // no borrowed strerror
	auto gone = afxdp::rx_queue_count(999999);
	REQUIRE_FALSE(gone);
	CHECK(gone.error().code == Errc::no_device);
	CHECK(gone.error().message == "look up interface index 999999 (no interface index 999999 in this network "
				      "namespace (ip link))");
}

TEST_CASE("ethtool: a feature is found by its name among the driver's, on or off", "[edge][unit]")
{
	WithFake f;
	// 40 features: the bits of the second block count too.
	for (int i = 0; i < 38; i++)
		f.state.features.push_back("feature-" + std::to_string(i));
	f.state.features.push_back("rx-hashing");
	f.state.features.push_back("rx-vlan-hw-parse");
	f.state.active = {"feature-3", "rx-vlan-hw-parse"};
	auto eth = Ethtool::open("lo");
	REQUIRE(eth);
	auto rxhash = eth->feature("rx-hashing");
	REQUIRE(rxhash);
	CHECK_FALSE(*rxhash);
	auto vlan = eth->feature("rx-vlan-hw-parse");
	REQUIRE(vlan);
	CHECK(*vlan);
	auto three = eth->feature("feature-3");
	REQUIRE(three);
	CHECK(*three);
	f.state.active.insert("rx-hashing");
	CHECK(eth->feature("rx-hashing").value());
	auto none = eth->feature("rx-magic");
	REQUIRE_FALSE(none);
	CHECK(none.error().code == Errc::not_found);
	CHECK(none.error().message ==
	      "lo has no feature 'rx-magic' (name it by the kernel's feature string, e.g. rx-hashing or rx-checksum)");
}
