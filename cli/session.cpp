#include "session.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace xdphints::cli {

unsigned rx_queue_count(const std::string &ifname)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	ethtool_channels ch{};
	ch.cmd = ETHTOOL_GCHANNELS;
	ifreq ifr{};
	std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
	ifr.ifr_data = reinterpret_cast<char *>(&ch);
	unsigned n = 1;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == 0)
		n = std::max({unsigned(ch.rx_count), unsigned(ch.combined_count), 1u});
	close(fd);
	return n;
}

uint64_t tai_now_ns() noexcept
{
	timespec ts{};
	clock_gettime(CLOCK_TAI, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

Result<Session> Session::open(const SessionOptions &opt)
{
	HookOptions ho = opt.hook;
	ho.ifname = opt.ifname;
	auto hook = Hook::attach(ho);
	if (!hook)
		return hook.error();
	auto layouts = hook->layouts();
	if (!layouts)
		return layouts.error();
	if (layouts->empty())
		return Error{Errc::not_found, "the hook on " + opt.ifname + " describes no hint struct in its BTF; "
					      "fix: a hook must write a struct named xdp_hints* (or tagged xdp_hints) with btf_id/btf_full_id last"};

	Query q;
	StdFields f{q.add<uint64_t>("rx_timestamp"), q.add<uint32_t>("rx_hash"), q.add<uint32_t>("rx_hash_type"),
		    q.add<uint16_t>("rx_vlan_tci"), q.add<uint16_t>("rx_vlan_proto")};
	auto dec = Decoder::build(q, *layouts);
	if (!dec)
		return dec.error();

	std::vector<unsigned> queues = opt.queues;
	if (opt.all_queues) {
		queues.clear();
		for (unsigned i = 0, n = rx_queue_count(opt.ifname); i < n; i++)
			queues.push_back(i);
	}
	if (queues.empty())
		queues.push_back(0);

	afxdp::UmemConfig uc;
	uc.frame_count = uint32_t(4096 * queues.size());
	auto umem = afxdp::Umem::create(uc);
	if (!umem)
		return umem.error();

	std::vector<std::unique_ptr<afxdp::XskSocket>> sockets;
	for (unsigned q : queues) {
		afxdp::SocketConfig sc;
		sc.ifindex = hook->ifindex();
		sc.queue = q;
		sc.mode = opt.bind;
		sc.xsks_map_fd = hook->xsks_map_fd();
		auto s = afxdp::XskSocket::create(*umem, sc);
		if (!s)
			return s.error();
		sockets.push_back(std::move(*s));
	}
	return Session{std::move(*hook), std::move(*umem), std::move(sockets), std::move(*dec), f};
}

} // namespace xdphints::cli
