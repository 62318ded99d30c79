#include "netdev_nl.hpp"

#include "fd.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/socket.h>

namespace xdphints::detail {

namespace {

// include/uapi/linux/netdev.h (Linux >= 6.3)
constexpr const char *kFamily = "netdev";
constexpr uint8_t NETDEV_CMD_DEV_GET = 1;
constexpr uint16_t NETDEV_A_DEV_IFINDEX = 1;
constexpr uint16_t NETDEV_A_DEV_XDP_FEATURES = 3;
constexpr uint16_t NETDEV_A_DEV_XDP_RX_METADATA_FEATURES = 5;

struct Msg {
	nlmsghdr nh;
	genlmsghdr gh;
	char attrs[64];
};

void put_attr(Msg &m, uint16_t type, const void *data, uint16_t len)
{
	auto *a = reinterpret_cast<nlattr *>(reinterpret_cast<char *>(&m) + NLMSG_ALIGN(m.nh.nlmsg_len));
	a->nla_type = type;
	a->nla_len = uint16_t(NLA_HDRLEN + len);
	std::memcpy(reinterpret_cast<char *>(a) + NLA_HDRLEN, data, len);
	m.nh.nlmsg_len = NLMSG_ALIGN(m.nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

// Sends one request and calls `on_attr` for each top-level attribute of the reply.
template <class F> int request(int fd, Msg &m, F on_attr)
{
	if (send(fd, &m, m.nh.nlmsg_len, 0) < 0)
		return -errno;
	alignas(nlmsghdr) char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (auto *nh = reinterpret_cast<nlmsghdr *>(buf); NLMSG_OK(nh, uint32_t(n)); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			auto *e = static_cast<nlmsgerr *>(NLMSG_DATA(nh));
			if (e->error)
				return e->error;
			continue;
		}
		auto *gh = static_cast<genlmsghdr *>(NLMSG_DATA(nh));
		int len = int(nh->nlmsg_len) - int(NLMSG_LENGTH(GENL_HDRLEN));
		auto *a = reinterpret_cast<nlattr *>(reinterpret_cast<char *>(gh) + GENL_HDRLEN);
		while (len >= int(NLA_HDRLEN) && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
			on_attr(a->nla_type & NLA_TYPE_MASK, reinterpret_cast<const char *>(a) + NLA_HDRLEN,
				a->nla_len - NLA_HDRLEN);
			len -= NLA_ALIGN(a->nla_len);
			a = reinterpret_cast<nlattr *>(reinterpret_cast<char *>(a) + NLA_ALIGN(a->nla_len));
		}
	}
	return 0;
}

Msg message(uint16_t type, uint8_t cmd)
{
	Msg m{};
	m.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m.nh.nlmsg_type = type;
	m.nh.nlmsg_flags = NLM_F_REQUEST;
	m.gh.cmd = cmd;
	m.gh.version = 1;
	return m;
}

} // namespace

Result<NetdevXdp> netdev_xdp(int ifindex)
{
	Fd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
	if (fd.fd < 0)
		return Error::from_errno(errno, "open a generic netlink socket", "check the fd limit (ulimit -n)");
	timeval tv{2, 0};
	setsockopt(fd.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	Msg m = message(GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	put_attr(m, CTRL_ATTR_FAMILY_NAME, kFamily, uint16_t(std::strlen(kFamily) + 1));
	uint16_t family = 0;
	int err = request(fd.fd, m, [&](uint16_t t, const char *d, uint16_t l) {
		if (t == CTRL_ATTR_FAMILY_ID && l >= 2)
			std::memcpy(&family, d, 2);
	});
	if (err || !family)
		return Error::from_errno(err ? err : ENOENT, "find the generic netlink family 'netdev'",
					 "needs Linux >= 6.3 for XDP feature reporting");

	m = message(family, NETDEV_CMD_DEV_GET);
	uint32_t idx = uint32_t(ifindex);
	put_attr(m, NETDEV_A_DEV_IFINDEX, &idx, 4);
	NetdevXdp out;
	err = request(fd.fd, m, [&](uint16_t t, const char *d, uint16_t l) {
		if (t == NETDEV_A_DEV_XDP_FEATURES && l >= 8)
			std::memcpy(&out.xdp_features, d, 8);
		if (t == NETDEV_A_DEV_XDP_RX_METADATA_FEATURES && l >= 8) {
			uint64_t v;
			std::memcpy(&v, d, 8);
			out.rx_metadata = v;
		}
	});
	if (err)
		return Error::from_errno(err, "ask netdev netlink about ifindex " + std::to_string(ifindex),
					 err == -ENODEV ? "no such interface (ip link)" : "needs Linux >= 6.3");
	return out;
}

} // namespace xdphints::detail
