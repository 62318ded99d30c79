#include "session.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/hook/meta_limit.hpp>
#include <xdphints/receiver.hpp>

#include <cerrno>

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
	XDPHINTS_TRY(rx, Receiver::open(opt, q, before_commit));
	auto p = std::move(rx).release();
	// Receive hashing the user can turn on but has not (virtio_net's default): the hash
	// kfunc answers -ENODATA for every packet. A device that cannot hash says "[fixed]".
	std::vector<std::string> warnings;
	if (p.hook.hints() & hint::hash)
		if (auto eth = edge::Ethtool::open(p.hook.ifname()))
			if (auto feat = eth->feature_state("rx-hashing"); feat && !feat->active && feat->changeable)
				warnings.push_back(edge::advice(ENODATA, edge::Op::rx_hash, {p.hook.ifname()}));
	return Session{std::move(p.hook), std::move(p.umem), std::move(p.group), std::move(p.decoder), f,
		       std::move(warnings)};
}

std::string hook_trouble(const HookStats &before, const HookStats &now, const Session &s)
{
	const uint64_t rx = now.rx - before.rx, failed = now.meta_failed - before.meta_failed,
		       redirected = now.redirected - before.redirected;
	const std::string hook = "hook '" + s.hook.hook_name() + "'";
	if (failed && s.hook.transport() == Transport::prefix)
		return hook + " could not write its hints prefix for " + std::to_string(failed) + " of " + std::to_string(rx) +
		       " frames (meta_failed: bpf_xdp_adjust_head refused " + std::to_string(s.hook.hints_prefix()) +
		       " bytes, too little headroom in the driver's buffers): they went to the network stack without "
		       "hints, not to the AF_XDP sockets; report the driver, or try --transport meta";
	if (failed) {
		std::string largest;
		uint32_t size = 0;
		for (const auto &l : s.decoder.layouts())
			if (l.size >= size) {
				size = l.size;
				largest = l.name;
			}
		auto lim = metadata_limit();
		return hook + " could not write its metadata for " + std::to_string(failed) + " of " + std::to_string(rx) +
		       " frames (meta_failed): they went to the network stack without hints, not to the AF_XDP "
		       "sockets; this kernel accepts at most " + std::to_string(lim.bytes) + " bytes of XDP metadata (" +
		       lim.source + ")" +
		       (largest.empty() ? std::string()
					: " and the largest layout, struct " + largest + ", is " + std::to_string(size) +
						  " bytes") +
		       "; fix the hook's bpf_xdp_adjust_meta call, or, when every layout fits and the driver refuses "
		       "the metadata area at run time, use --transport prefix";
	}
	if (rx && !redirected && now.user_verdict == before.user_verdict)
		return hook + " saw " + std::to_string(rx) +
		       " frames and redirected none to the AF_XDP sockets (no socket on their queue, or the hook "
		       "passed them): check --queue covers the queues traffic arrives on (ethtool -l " +
		       s.hook.ifname() + ")";
	return "";
}

} // namespace xdphints::cli
