#include <xdphints/af_xdp/features.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/sys.hpp>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <net/if.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace xdphints::afxdp {

namespace {

// From the kernel's include/uapi/linux/netdev.h (not in older system headers).
enum : uint16_t {
	NETDEV_CMD_DEV_GET = 1,
	NETDEV_A_DEV_IFINDEX = 1,
	NETDEV_A_DEV_XDP_FEATURES = 3,
	NETDEV_A_DEV_XDP_ZC_MAX_SEGS = 4,
	NETDEV_A_DEV_XDP_RX_METADATA_FEATURES = 5,
	NETDEV_A_DEV_XSK_FEATURES = 6,
};

struct Msg {
	std::vector<uint8_t> buf;
	explicit Msg(uint16_t type, uint8_t cmd)
	{
		buf.resize(NLMSG_HDRLEN + GENL_HDRLEN);
		auto *nh = reinterpret_cast<nlmsghdr *>(buf.data());
		nh->nlmsg_type = type;
		nh->nlmsg_flags = NLM_F_REQUEST;
		nh->nlmsg_seq = 1;
		auto *gh = reinterpret_cast<genlmsghdr *>(buf.data() + NLMSG_HDRLEN);
		gh->cmd = cmd;
		gh->version = 1;
	}
	void attr(uint16_t type, const void *data, size_t len)
	{
		size_t off = buf.size();
		buf.resize(off + NLA_ALIGN(NLA_HDRLEN + len));
		auto *a = reinterpret_cast<nlattr *>(buf.data() + off);
		a->nla_type = type;
		a->nla_len = uint16_t(NLA_HDRLEN + len);
		std::memcpy(buf.data() + off + NLA_HDRLEN, data, len);
	}
};

// One request, one reply; calls fn(type, payload, len) for each top-level attribute.
template <class Fn> Status transact(int fd, Msg &m, Fn &&fn, const std::string &what)
{
	auto *nh = reinterpret_cast<nlmsghdr *>(m.buf.data());
	nh->nlmsg_len = uint32_t(m.buf.size());
	if (::send(fd, m.buf.data(), m.buf.size(), 0) < 0)
		return Error::from_errno(errno, what, "generic netlink is unavailable");
	alignas(nlmsghdr) uint8_t rb[8192];
	ssize_t n = ::recv(fd, rb, sizeof(rb), 0);
	if (n < 0)
		return Error::from_errno(errno, what, "generic netlink is unavailable");
	for (auto *h = reinterpret_cast<nlmsghdr *>(rb); NLMSG_OK(h, size_t(n)); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			auto *e = static_cast<nlmsgerr *>(NLMSG_DATA(h));
			if (e->error)
				return Error::from_errno(-e->error, what, "needs Linux >= 6.3 (netdev netlink family)");
			continue;
		}
		auto *p = static_cast<uint8_t *>(NLMSG_DATA(h)) + GENL_HDRLEN;
		int left = int(h->nlmsg_len) - NLMSG_HDRLEN - GENL_HDRLEN;
		while (left >= int(NLA_HDRLEN)) {
			auto *a = reinterpret_cast<nlattr *>(p);
			if (a->nla_len < NLA_HDRLEN || a->nla_len > left)
				break;
			fn(uint16_t(a->nla_type & NLA_TYPE_MASK), p + NLA_HDRLEN, size_t(a->nla_len - NLA_HDRLEN));
			p += NLA_ALIGN(a->nla_len);
			left -= int(NLA_ALIGN(a->nla_len));
		}
	}
	return {};
}

uint64_t as_uint(const uint8_t *p, size_t len)
{
	if (len == 8) {
		uint64_t v;
		std::memcpy(&v, p, 8);
		return v;
	}
	if (len == 4) {
		uint32_t v;
		std::memcpy(&v, p, 4);
		return v;
	}
	return 0;
}

} // namespace

std::string DeviceFeatures::to_string() const
{
	auto yn = [](bool b) { return b ? "yes" : "no"; };
	std::string r = std::string("zero-copy ") + yn(zero_copy());
	if (!xsk_features_known)
		return r + ", tx metadata offloads unknown (kernel < 6.8)";
	return r + ", tx-timestamp " + yn(tx_timestamp()) + ", tx-checksum " + yn(tx_checksum()) + ", tx-launch-time " +
	       yn(tx_launch_time());
}

Result<DeviceFeatures> query_device_features(int ifindex)
{
	const Sys &s = sys();
	std::string what = "netdev features of ifindex " + std::to_string(ifindex);
	int fd = s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return Error::from_errno(errno, what, "generic netlink is unavailable");

	uint16_t family = 0;
	Msg get_family(GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	get_family.attr(CTRL_ATTR_FAMILY_NAME, "netdev", 7);
	auto st = transact(fd, get_family, [&](uint16_t t, const uint8_t *p, size_t len) {
		if (t == CTRL_ATTR_FAMILY_ID && len >= 2)
			std::memcpy(&family, p, 2);
	}, what + " (family lookup)");
	if (!st || family == 0) {
		s.close(fd);
		if (!st)
			return std::move(st).error();
		return Error::from_errno(ENOENT, what, "the netdev netlink family needs Linux >= 6.3");
	}

	DeviceFeatures f;
	Msg dev_get(family, NETDEV_CMD_DEV_GET);
	uint32_t idx = uint32_t(ifindex);
	dev_get.attr(NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	st = transact(fd, dev_get, [&](uint16_t t, const uint8_t *p, size_t len) {
		switch (t) {
		case NETDEV_A_DEV_XDP_FEATURES: f.xdp_features = as_uint(p, len); break;
		case NETDEV_A_DEV_XDP_ZC_MAX_SEGS: f.zc_max_segs = uint32_t(as_uint(p, len)); break;
		case NETDEV_A_DEV_XDP_RX_METADATA_FEATURES: f.rx_metadata = as_uint(p, len); break;
		case NETDEV_A_DEV_XSK_FEATURES:
			f.xsk_features = as_uint(p, len);
			f.xsk_features_known = true;
			break;
		}
	}, what);
	s.close(fd);
	if (!st)
		return std::move(st).error();
	return f;
}

Result<TxMetadataReport> tx_metadata_report(const XskSocket &s)
{
	TxMetadataReport r;
	char name[IF_NAMESIZE] = "?";
	if_indextoname(unsigned(s.ifindex()), name);
	std::string dev = std::string(name) + " queue " + std::to_string(s.queue()) + " (" + xsk_mode_name(s.mode()) + " mode)";
	uint32_t len = s.umem().config().tx_metadata_len;
	r.registered = len >= sizeof(uapi::xsk_tx_metadata);
	if (!r.registered) {
		r.message = "TX metadata is off on " + dev + ": the umem has tx_metadata_len " + std::to_string(len) +
			    "; set UmemConfig::tx_metadata_len = " + std::to_string(sizeof(uapi::xsk_tx_metadata)) +
			    " (Linux >= 6.8) to request TX timestamps and checksum offload";
		return r;
	}
	auto f = query_device_features(s.ifindex());
	if (!f)
		return f.error();
	r.timestamp = f->tx_timestamp();
	r.checksum = f->tx_checksum();
	r.launch_time = f->tx_launch_time();
	if (r.timestamp && r.checksum) {
		r.message = "TX metadata on " + dev + ": TX timestamps and checksum offload supported";
	} else {
		std::string none;
		if (!r.timestamp)
			none += "TX timestamps";
		if (!r.checksum)
			none += std::string(none.empty() ? "" : " and ") + "checksum offload";
		r.software_timestamp = !r.timestamp && s.mode() == XskMode::copy;
		r.message = "TX metadata on " + dev + ": the device does not support " + none + " for AF_XDP (" +
			    f->to_string() + "); frames are still sent" +
			    (r.timestamp ? ""
			     : r.software_timestamp
				     ? ", completions carry a software timestamp (CLOCK_TAI when the kernel freed the copy), not the device's"
				     : ", completions carry no TX timestamp") +
			    (r.checksum ? ""
			     : s.mode() == XskMode::copy ? ", checksum requests are done by the kernel's copy path or the receiver, not the device"
							 : ", checksums must be filled by the application");
	}
	return r;
}

} // namespace xdphints::afxdp
