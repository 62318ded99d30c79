#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/hwtstamp.hpp>

#include "state_record.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/proc.hpp>

#include <linux/net_tstamp.h>

#include <cerrno>
#include <iterator>
#include <unistd.h>

namespace xdphints::hook {

namespace {

struct FilterWords {
	const char *name, *stamps;
};
// Indexed by HWTSTAMP_FILTER_* (the uapi's order, stable since Linux 2.6.30 / 4.? for NTP).
constexpr FilterWords kFilters[] = {
	{"none", "no packet"},
	{"all", "every packet"},
	{"some", "some packets, the driver's choice"},
	{"ptpv1-l4-event", "PTP v1 event packets (UDP)"},
	{"ptpv1-l4-sync", "PTP v1 Sync packets (UDP)"},
	{"ptpv1-l4-delay-req", "PTP v1 Delay_Req packets (UDP)"},
	{"ptpv2-l4-event", "PTP v2 event packets over UDP"},
	{"ptpv2-l4-sync", "PTP v2 Sync packets over UDP"},
	{"ptpv2-l4-delay-req", "PTP v2 Delay_Req packets over UDP"},
	{"ptpv2-l2-event", "PTP v2 event packets over Ethernet"},
	{"ptpv2-l2-sync", "PTP v2 Sync packets over Ethernet"},
	{"ptpv2-l2-delay-req", "PTP v2 Delay_Req packets over Ethernet"},
	{"ptpv2-event", "PTP v2 event packets (UDP and Ethernet)"},
	{"ptpv2-sync", "PTP v2 Sync packets (UDP and Ethernet)"},
	{"ptpv2-delay-req", "PTP v2 Delay_Req packets (UDP and Ethernet)"},
	{"ntp-all", "NTP packets"},
};

} // namespace

const char *rx_filter_name(int f) noexcept
{
	return f >= 0 && size_t(f) < std::size(kFilters) ? kFilters[f].name : "unknown";
}

const char *rx_filter_stamps(int f) noexcept
{
	return f >= 0 && size_t(f) < std::size(kFilters) ? kFilters[f].stamps : "packets of a filter this tool does not know";
}

std::string RxTimestamping::describe() const
{
	std::string f = std::string("rx_filter ") + rx_filter_name(rx_filter);
	switch (state) {
	case HwRxState::unsupported:
		return "no hardware RX timestamping on this device: the hook writes software timestamps (CLOCK_TAI)";
	case HwRxState::off:
		return f + ": hardware RX timestamping is off, no packet gets a hardware timestamp (a hook that reads "
			   "them turns it on for its run and restores it: HookOptions::hwtstamp_if_off, hw_timestamps)";
	case HwRxState::enabled:
		return f + " (was none): turned on for this run, " + rx_filter_stamps(rx_filter) +
		       " gets a hardware timestamp; restored at exit";
	case HwRxState::all:
		return f + ", set before this run and left as it is: every packet gets a hardware timestamp";
	case HwRxState::filtered:
		return f + ", set by another program (ptp4l?) and left as it is: only " + rx_filter_stamps(rx_filter) +
		       " get hardware timestamps, the others the hook's software ones (CLOCK_TAI)";
	case HwRxState::unknown:
		return "the driver does not say its timestamping setting (SIOCGHWTSTAMP): left as it is";
	}
	return f;
}

Result<RxTimestamping> rx_timestamping(std::string_view ifname)
{
	RxTimestamping r;
	auto eth = edge::Ethtool::open(ifname);
	if (!eth)
		return eth.error();
	auto ts = eth->ts_info();
	if (!ts || !ts->hw_rx())
		return r; // unsupported (a driver without GET_TS_INFO cannot timestamp either)
	r.phc_index = ts->phc_index;
	r.rx_filters = ts->rx_filters;
	auto cur = eth->hwtstamp();
	if (!cur) {
		if (int err = cur.error().sys_errno; err != EOPNOTSUPP && err != EINVAL)
			return cur.error();
		r.state = HwRxState::unknown;
		return r;
	}
	r.rx_filter = cur->rx_filter;
	r.state = cur->rx_filter == HWTSTAMP_FILTER_NONE ? HwRxState::off
		  : cur->rx_filter == HWTSTAMP_FILTER_ALL ? HwRxState::all
							  : HwRxState::filtered;
	return r;
}

Result<HwTimestampingRun> HwTimestamping::enable_if_off(std::string_view ifname)
{
	// A setting a killed run left on is not someone else's: put it back before looking.
	auto left = restore_left_behind(ifname);
	if (!left)
		return left.error();
	auto now = rx_timestamping(ifname);
	if (!now)
		return now.error();
	HwTimestampingRun run{*now, nullptr, {}};
	for (auto &m : *left)
		run.restored += (run.restored.empty() ? "" : "; ") + m;
	if (now->state != HwRxState::off)
		return run;
	auto h = enable(ifname);
	if (!h)
		return h.error();
	run.info.state = HwRxState::enabled;
	run.info.rx_filter = h->rx_filter();
	run.owned = std::make_unique<HwTimestamping>(std::move(*h));
	return run;
}

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

} // namespace xdphints::hook
