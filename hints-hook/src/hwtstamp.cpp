#include <xdphints/hook.hpp>
#include <xdphints/hwtstamp.hpp>

#include "state_record.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/proc.hpp>

#include <linux/net_tstamp.h>

#include <cerrno>
#include <unistd.h>

namespace xdphints {

Result<HwTimestamping> HwTimestamping::enable(std::string_view ifname)
{
	auto idx = edge::ifindex_of(ifname);
	auto key = idx ? detail::state_key(*idx) : Result<detail::StateKey>(idx.error());
	if (!key)
		return key.error();
	HwTimestamping h;
	h.ifname_ = std::string(ifname);
	h.ifindex_ = *idx;
	h.netns_ = key->netns;
	// A setting a killed process left changed is the one to remember, not what it set.
	auto left = restore_left_behind(h.ifname_);
	if (!left)
		return left.error();
	for (auto &m : *left)
		h.restored_ += (h.restored_.empty() ? "" : "; ") + m;
	auto rec = detail::read_state(*key);
	if (rec && rec->pid != getpid())
		return Error::detected(Errc::busy,
				       h.ifname_ + " is in use by " + edge::pid_comm(rec->pid) + " (pid " +
					       std::to_string(rec->pid) + ")",
				       "stop that process first; it restores the interface when it ends");
	auto eth = edge::Ethtool::open(h.ifname_);
	if (!eth)
		return eth.error();
	h.eth_ = std::move(*eth);

	edge::HwtstampConfig cur{0, HWTSTAMP_TX_OFF, HWTSTAMP_FILTER_NONE};
	if (auto got = h.eth_->hwtstamp()) {
		cur = *got;
	} else if (int err = got.error().sys_errno; err != EOPNOTSUPP && err != EINVAL) {
		// Drivers from before SIOCGHWTSTAMP (Linux 3.14) only set: then it was off.
		return got.error();
	}
	// Written down before the change: a SIGKILL after it leaves what is needed to undo it.
	detail::StateRecord r = rec ? *rec : detail::StateRecord{};
	r.ifname = h.ifname_;
	r.hwtstamp = true;
	r.hw_flags = cur.flags, r.hw_tx = cur.tx_type, r.hw_rx = cur.rx_filter;
	if (auto st = detail::write_state(*key, r); !st)
		return st.error();
	edge::HwtstampConfig want = cur;
	want.rx_filter = HWTSTAMP_FILTER_ALL;
	std::string driver;
	auto set = h.eth_->set_hwtstamp(want);
	if (!set) {
		r.hwtstamp = false;
		(void)detail::write_state(*key, r);
		// Said again with the driver named (the advice depends on it).
		if (auto d = h.eth_->driver())
			driver = *d;
		return edge::sys_error(set.error().sys_errno, edge::Op::hwtstamp,
				       "enable hardware RX timestamping on " + h.ifname_ + " (SIOCSHWTSTAMP)",
				       {h.ifname_, driver});
	}
	h.prev_flags_ = cur.flags;
	h.prev_tx_ = cur.tx_type;
	h.prev_rx_ = cur.rx_filter;
	h.rx_filter_ = set->rx_filter; // the driver writes back what it really set
	h.configured_ = true;
	return h;
}

HwTimestamping::~HwTimestamping()
{
	if (!eth_ || !eth_->valid() || !configured_)
		return;
	(void)eth_->set_hwtstamp({prev_flags_, prev_tx_, prev_rx_});
	// Restored: nothing left to undo. The record may hold a replaced program too.
	detail::StateKey key{netns_, ifindex_};
	if (auto r = detail::read_state(key); r && r->pid == getpid()) {
		r->hwtstamp = false;
		(void)detail::write_state(key, *r);
	}
}

} // namespace xdphints
