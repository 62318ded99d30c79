#include "session.hpp"

#include <xdphints/receiver.hpp>

namespace xdphints::cli {

using namespace xdphints::hook;

Result<Session> Session::open(const SessionOptions &opt, const std::function<void(const Hook &)> &before_commit)
{
	// Whatever the hook gives: a driver without VLAN offload has no rx_vlan_* anywhere.
	Query q;
	constexpr Presence optional = Presence::optional;
	StdFields f{q.add<uint64_t>("rx_timestamp", optional), q.add<uint32_t>("rx_hash", optional),
		    q.add<uint32_t>("rx_hash_type", optional), q.add<uint16_t>("rx_vlan_tci", optional),
		    q.add<uint16_t>("rx_vlan_proto", optional)};
	ReceiverOptions ro;
	ro.ifname = opt.ifname;
	ro.queues = opt.queues;
	ro.hook = opt.hook;
	ro.bind = opt.bind;
	ro.busy_poll = opt.busy_poll;
	ro.ring_size = opt.ring_size;
	XDPHINTS_TRY(rx, Receiver::open(ro, q, before_commit));
	auto p = std::move(rx).release();
	return Session{std::move(p.hook), std::move(p.umem), std::move(p.group), std::move(p.decoder), f};
}

} // namespace xdphints::cli
