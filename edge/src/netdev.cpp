#include <xdphints/edge/error.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/netdev.hpp>
#include <xdphints/edge/sys.hpp>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace xdphints::edge {

namespace {

// From the kernel's include/uapi/linux/netdev.h (not in older system headers).
constexpr const char kFamily[] = "netdev";
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
	Msg(uint16_t type, uint8_t cmd)
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
// 0 or a positive errno (from the OS, or the kernel's NLMSG_ERROR).
template <class Fn> int transact(int fd, Msg &m, Fn &&fn)
{
	const Sys &s = sys();
	auto *nh = reinterpret_cast<nlmsghdr *>(m.buf.data());
	nh->nlmsg_len = uint32_t(m.buf.size());
	if (s.send(fd, m.buf.data(), m.buf.size(), 0) < 0)
		return errno;
	alignas(nlmsghdr) uint8_t rb[8192];
	ssize_t n = s.recv(fd, rb, sizeof(rb), 0);
	if (n < 0)
		return errno;
	for (auto *h = reinterpret_cast<nlmsghdr *>(rb); NLMSG_OK(h, size_t(n)); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			auto *e = static_cast<nlmsgerr *>(NLMSG_DATA(h));
			if (e->error)
				return -e->error;
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
	return 0;
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

Result<NetdevInfo> netdev_dev_get(int ifindex)
{
	const Sys &s = sys();
	ErrContext ctx{"ifindex " + std::to_string(ifindex)};
	UniqueFd fd(s.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
	if (!fd)
		return sys_error(errno, Op::netlink, "open a generic netlink socket");
	timeval tv{2, 0};
	(void)s.setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	uint16_t family = 0;
	Msg get_family(GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	get_family.attr(CTRL_ATTR_FAMILY_NAME, kFamily, sizeof(kFamily));
	int err = transact(fd.get(), get_family, [&](uint16_t t, const uint8_t *p, size_t len) {
		if (t == CTRL_ATTR_FAMILY_ID && len >= 2)
			std::memcpy(&family, p, 2);
	});
	if (err == ENOENT || (!err && !family))
		return Error::detected(Errc::unsupported, "this kernel has no generic netlink family 'netdev'",
				       advice(ENOENT, Op::netlink));
	if (err)
		return sys_error(err, Op::netlink, "look up the generic netlink family 'netdev'");

	NetdevInfo out;
	Msg dev_get(family, NETDEV_CMD_DEV_GET);
	uint32_t idx = uint32_t(ifindex);
	dev_get.attr(NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	err = transact(fd.get(), dev_get, [&](uint16_t t, const uint8_t *p, size_t len) {
		switch (t) {
		case NETDEV_A_DEV_XDP_FEATURES: out.xdp_features = as_uint(p, len); break;
		case NETDEV_A_DEV_XDP_ZC_MAX_SEGS: out.zc_max_segs = uint32_t(as_uint(p, len)); break;
		case NETDEV_A_DEV_XDP_RX_METADATA_FEATURES: out.rx_metadata = as_uint(p, len); break;
		case NETDEV_A_DEV_XSK_FEATURES: out.xsk_features = as_uint(p, len); break;
		}
	});
	if (err)
		return sys_error(err, Op::netlink, "ask netdev netlink about " + ctx.ifname, ctx);
	return out;
}

} // namespace xdphints::edge
