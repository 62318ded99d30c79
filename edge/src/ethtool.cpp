#include <xdphints/edge/error.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/sys.hpp>

#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>

#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <vector>

namespace xdphints::edge {

bool TsInfo::hw_rx() const noexcept { return so_timestamping & SOF_TIMESTAMPING_RX_HARDWARE; }

Result<Ethtool> Ethtool::open(std::string_view ifname)
{
	Ethtool e;
	e.ifname_ = std::string(ifname);
	if (e.ifname_.empty() || e.ifname_.size() >= IF_NAMESIZE)
		return Error::detected(Errc::no_device, "no interface can be named '" + e.ifname_ + "'",
				       "interface names have 1 to 15 characters (ip link)");
	e.sock_ = UniqueFd(sys().socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!e.sock_)
		return sys_error(errno, Op::ethtool, "open a socket for ethtool requests", {e.ifname_});
	return e;
}

int Ethtool::request(unsigned long req, void *data) const noexcept
{
	ifreq ifr{};
	std::memcpy(ifr.ifr_name, ifname_.c_str(), ifname_.size());
	ifr.ifr_data = static_cast<char *>(data);
	return sys().ioctl(sock_.get(), req, &ifr) == 0 ? 0 : errno;
}

Status Ethtool::follow(int ifindex)
{
	ifreq ifr{};
	ifr.ifr_ifindex = ifindex;
	if (sys().ioctl(sock_.get(), SIOCGIFNAME, &ifr) != 0) {
		int err = errno;
		if (err == ENODEV)
			return Error::detected(Errc::device_gone,
					       ifname_ + " (ifindex " + std::to_string(ifindex) +
						       ") is gone from its network namespace",
					       "nothing is left on it to change");
		return sys_error(err, Op::resolve_ifname, "find ifindex " + std::to_string(ifindex) + " again (SIOCGIFNAME)",
				 {ifname_});
	}
	ifname_.assign(ifr.ifr_name, strnlen(ifr.ifr_name, sizeof(ifr.ifr_name)));
	return {};
}

namespace {

// SIOCETHTOOL `cmd` into a zeroed T (an ethtool_* struct whose first member is the command).
template <class T> Result<T> ethtool_get(const Ethtool &e, uint32_t cmd, Op op, const char *name)
{
	T v{};
	v.cmd = cmd;
	if (int err = e.request(SIOCETHTOOL, &v))
		return sys_error(err, op, std::string(name) + " on " + e.ifname(), {e.ifname()});
	return v;
}

} // namespace

Result<std::string> Ethtool::driver() const
{
	auto info = ethtool_get<ethtool_drvinfo>(*this, ETHTOOL_GDRVINFO, Op::ethtool, "ETHTOOL_GDRVINFO");
	if (!info)
		return info.error();
	return std::string(info->driver, strnlen(info->driver, sizeof(info->driver)));
}

Result<Channels> Ethtool::channels() const
{
	auto ch = ethtool_get<ethtool_channels>(*this, ETHTOOL_GCHANNELS, Op::ethtool_channels, "ETHTOOL_GCHANNELS");
	if (!ch)
		return ch.error();
	return Channels{ch->rx_count, ch->tx_count, ch->other_count, ch->combined_count};
}

Result<TsInfo> Ethtool::ts_info() const
{
	auto ts = ethtool_get<ethtool_ts_info>(*this, ETHTOOL_GET_TS_INFO, Op::ethtool_ts, "ETHTOOL_GET_TS_INFO");
	if (!ts)
		return ts.error();
	return TsInfo{ts->so_timestamping, ts->phc_index, ts->tx_types, ts->rx_filters};
}

Result<bool> Ethtool::feature(std::string_view name) const
{
	auto st = feature_state(name);
	if (!st)
		return st.error();
	return st->active;
}

Result<FeatureState> Ethtool::feature_state(std::string_view name) const
{
	// The feature names, then the active bits: both by index in the ETH_SS_FEATURES set.
	std::vector<uint64_t> buf((sizeof(ethtool_sset_info) + sizeof(uint32_t)) / 8 + 1);
	auto *ss = reinterpret_cast<ethtool_sset_info *>(buf.data());
	ss->cmd = ETHTOOL_GSSET_INFO;
	ss->sset_mask = 1ull << ETH_SS_FEATURES;
	if (int err = request(SIOCETHTOOL, ss))
		return sys_error(err, Op::ethtool_features, "ETHTOOL_GSSET_INFO on " + ifname_, {ifname_});
	uint32_t n = ss->sset_mask ? ss->data[0] : 0;

	buf.assign((sizeof(ethtool_gstrings) + size_t(n) * ETH_GSTRING_LEN) / 8 + 1, 0);
	auto *gs = reinterpret_cast<ethtool_gstrings *>(buf.data());
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_FEATURES;
	gs->len = n;
	if (int err = request(SIOCETHTOOL, gs))
		return sys_error(err, Op::ethtool_features, "ETHTOOL_GSTRINGS on " + ifname_, {ifname_});
	uint32_t i = 0;
	for (; i < n; i++) {
		const char *s = reinterpret_cast<const char *>(gs->data) + size_t(i) * ETH_GSTRING_LEN;
		if (name == std::string_view(s, strnlen(s, ETH_GSTRING_LEN)))
			break;
	}
	if (i == n)
		return Error::detected(Errc::not_found, ifname_ + " has no feature '" + std::string(name) + "'",
				       "name it by the kernel's feature string, e.g. rx-hashing or rx-checksum");

	uint32_t blocks = (n + 31) / 32;
	buf.assign((sizeof(ethtool_gfeatures) + blocks * sizeof(ethtool_get_features_block)) / 8 + 1, 0);
	auto *gf = reinterpret_cast<ethtool_gfeatures *>(buf.data());
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = blocks;
	if (int err = request(SIOCETHTOOL, gf))
		return sys_error(err, Op::ethtool_features, "ETHTOOL_GFEATURES on " + ifname_, {ifname_});
	const auto &b = gf->features[i / 32];
	return FeatureState{(b.active >> (i % 32) & 1) != 0, (b.available >> (i % 32) & 1) != 0};
}

Result<HwtstampConfig> Ethtool::hwtstamp() const
{
	hwtstamp_config c{};
	if (int err = request(SIOCGHWTSTAMP, &c))
		return sys_error(err, Op::hwtstamp, "read the timestamping setting of " + ifname_ + " (SIOCGHWTSTAMP)",
				 {ifname_});
	return HwtstampConfig{c.flags, c.tx_type, c.rx_filter};
}

Result<HwtstampConfig> Ethtool::set_hwtstamp(HwtstampConfig want, const std::string &driver) const
{
	hwtstamp_config c{want.flags, want.tx_type, want.rx_filter};
	if (int err = request(SIOCSHWTSTAMP, &c))
		return sys_error(err, Op::hwtstamp, "set hardware timestamping on " + ifname_ + " (SIOCSHWTSTAMP)",
				 {ifname_, driver});
	return HwtstampConfig{c.flags, c.tx_type, c.rx_filter};
}

Result<std::string> driver_of(std::string_view ifname)
{
	auto e = Ethtool::open(ifname);
	if (!e)
		return e.error();
	return e->driver();
}

} // namespace xdphints::edge
