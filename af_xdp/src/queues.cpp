#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/iface.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <pthread.h>
#include <sched.h>

namespace xdphints::afxdp {

Result<uint32_t> rx_queue_count(int ifindex)
{
	auto name = edge::ifname_of(ifindex);
	if (!name)
		return name.error();
	auto eth = edge::Ethtool::open(*name);
	if (!eth)
		return eth.error();
	auto ch = eth->channels();
	if (!ch)
		return ch.error();
	uint32_t n = ch->rx_queues();
	return n ? n : 1;
}

Status check_rx_queues(int ifindex, const std::vector<uint32_t> &queues)
{
	// A count that cannot be read (a driver that reports no channels, an interface that
	// is not there) refuses nothing: the bind that follows checks what the kernel can
	// (an id below the larger of the RX and TX counts) and says what it finds.
	auto n = rx_queue_count(ifindex);
	if (!n)
		return {};
	for (uint32_t q : queues) {
		if (q < *n)
			continue;
		auto known = edge::ifname_of(ifindex);
		std::string name = known ? *known : "ifindex " + std::to_string(ifindex);
		std::string rx = std::to_string(*n) + (*n == 1 ? " RX queue (0)" : " RX queues (0-" + std::to_string(*n - 1) + ")");
		return Error::detected(Errc::invalid_argument,
				       "queue " + std::to_string(q) + " of " + name + " cannot receive: " + name + " has " + rx +
					       "; the kernel binds an AF_XDP socket to any queue below the TX queue count "
					       "too, but no frame arrives on one without RX",
				       "give queues below " + std::to_string(*n) + ", or all; ethtool -l " + name);
	}
	return {};
}

Result<std::vector<uint32_t>> parse_queues(std::string_view spec, int ifindex)
{
	std::vector<uint32_t> q;
	if (spec == "all") {
		auto n = rx_queue_count(ifindex);
		if (!n)
			return n.error();
		for (uint32_t i = 0; i < *n; i++)
			q.push_back(i);
		return q;
	}
	while (!spec.empty()) {
		auto comma = spec.find(',');
		auto item = spec.substr(0, comma);
		uint32_t v = 0;
		auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
		if (ec != std::errc() || p != item.data() + item.size() || item.empty())
			return Error(Errc::invalid_argument, "queue '" + std::string(item) + "' is not a number; use N, a,b,c or all");
		q.push_back(v);
		spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
	}
	if (q.empty())
		return Error(Errc::invalid_argument, "no queue given; use N, a,b,c or all");
	return q;
}

Status pin_thread(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (int e = pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		return Error::from_errno(e, "pinning a receive thread to CPU " + std::to_string(cpu), "pick an online CPU");
	return {};
}

Result<RxGroup> RxGroup::open(const std::shared_ptr<Umem> &umem, const SocketConfig &base,
			      const std::vector<uint32_t> &queues)
{
	RxGroup g;
	if (queues.empty())
		return Error(Errc::invalid_argument, "no queues given");
	// Before any socket binds: a queue that cannot receive would bind and stay silent.
	if (auto st = check_rx_queues(base.ifindex, queues); !st)
		return st.error();
	g.ifindex_ = base.ifindex;
	// Kept for messages: once the device is gone its name cannot be looked up.
	if (auto name = edge::ifname_of(base.ifindex))
		g.ifname_ = *name;
	uint32_t per = base.frames;
	if (per == 0) {
		per = uint32_t(std::min<size_t>(base.fill_size + base.tx_size, umem->pool_frames() / queues.size()));
		if (per < 64)
			return Error(Errc::invalid_argument, "the umem has " + std::to_string(umem->pool_frames()) + " free frames for " +
								     std::to_string(queues.size()) + " queues; create it with at least " +
								     std::to_string(64 * queues.size()) + " (UmemConfig::frame_count)");
	}
	for (uint32_t q : queues) {
		SocketConfig c = base;
		c.queue = q;
		c.frames = per;
		auto s = XskSocket::create(umem, c);
		if (!s)
			return s.error();
		g.sockets_.push_back(std::move(*s));
	}
	return g;
}

} // namespace xdphints::afxdp
