#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/hwtstamp.hpp>

#include "state_record.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/proc.hpp>

#include <linux/net_tstamp.h>

#include <cerrno>
#include <iterator>
#include <optional>
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

constexpr const char *kTxTypes[] = {"off", "on", "onestep-sync", "onestep-p2p"};

bool same(const edge::HwtstampConfig &a, const edge::HwtstampConfig &b) noexcept
{
	return a.flags == b.flags && a.tx_type == b.tx_type && a.rx_filter == b.rx_filter;
}

} // namespace

namespace detail {

Result<HwPutBack> put_back_hwtstamp(const edge::Ethtool &eth, const edge::HwtstampConfig &was,
				    const std::optional<edge::HwtstampConfig> &set)
{
	HwPutBack p;
	if (set) {
		if (auto now = eth.hwtstamp()) {
			p.now = *now;
			if (!same(*now, *set)) {
				p.what = same(*now, was) ? HwPutBack::already : HwPutBack::left;
				return p;
			}
		} else if (int err = now.error().sys_errno; err != EOPNOTSUPP && err != EINVAL) {
			return now.error();
		}
	}
	auto r = eth.set_hwtstamp(was);
	if (!r)
		return r.error();
	p.what = HwPutBack::restored;
	p.now = *r;
	return p;
}

std::string hwtstamp_words(const edge::HwtstampConfig &c)
{
	return std::string("tx_type ") + tx_type_name(c.tx_type) + ", rx_filter " + rx_filter_name(c.rx_filter);
}

std::string hwtstamp_left(const std::string &ifname, const HwPutBack &p, const edge::HwtstampConfig &was,
			  const edge::HwtstampConfig &set, const std::string &who)
{
	return "left hardware timestamping on " + ifname + " as it is: it is " + hwtstamp_words(p.now) +
	       " now, which another program (ptp4l?) set after " + who + " set " + hwtstamp_words(set) +
	       "; before " + who + " it was " + hwtstamp_words(was);
}

} // namespace detail

const char *tx_type_name(int t) noexcept
{
	return t >= 0 && size_t(t) < std::size(kTxTypes) ? kTxTypes[t] : "unknown";
}

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
	h.boot_ = key->boot;
	h.netns_cookie_ = key->netns_cookie;
	h.netns_inode_ = key->netns_inode;
	// A setting a killed process left changed is the one to remember, not what it set.
	auto left = restore_left_behind_at(h.ifindex_);
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
	edge::HwtstampConfig want = cur;
	want.rx_filter = HWTSTAMP_FILTER_ALL;
	// Written down before the change, with what is about to be set: a SIGKILL after it
	// leaves what is needed to undo it, and to tell whether someone changed it since.
	detail::StateRecord r = rec ? *rec : detail::StateRecord{};
	r.ifname = h.ifname_;
	r.hwtstamp = true;
	r.hw_flags = cur.flags, r.hw_tx = cur.tx_type, r.hw_rx = cur.rx_filter;
	r.hw_set = true;
	r.hw_set_flags = want.flags, r.hw_set_tx = want.tx_type, r.hw_set_rx = want.rx_filter;
	if (auto st = detail::write_state(*key, r); !st)
		return st.error();
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
	if (!same(*set, want)) { // the driver widened the filter: that is what it has now
		r.hw_set_flags = set->flags, r.hw_set_tx = set->tx_type, r.hw_set_rx = set->rx_filter;
		(void)detail::write_state(*key, r);
	}
	h.prev_flags_ = cur.flags;
	h.prev_tx_ = cur.tx_type;
	h.prev_rx_ = cur.rx_filter;
	h.set_flags_ = set->flags;
	h.set_tx_ = set->tx_type;
	h.rx_filter_ = set->rx_filter; // the driver writes back what it really set
	h.configured_ = true;
	return h;
}

Result<std::string> HwTimestamping::restore()
{
	if (!eth_ || !eth_->valid() || !configured_)
		return std::string();
	configured_ = false;
	// Restored, left or impossible: nothing for a later restore to do. The record may hold
	// a replaced program too.
	auto forget = [&] {
		detail::StateKey key{boot_, netns_cookie_, netns_inode_, ifindex_};
		if (auto r = detail::read_state(key); r && r->pid == getpid()) {
			r->hwtstamp = false;
			(void)detail::write_state(key, *r);
		}
	};
	// By its index, in the namespace the socket was made in: a rename changes nothing.
	if (auto st = eth_->follow(ifindex_); !st) {
		forget();
		if (st.error().code == Errc::device_gone)
			return std::string(); // nothing left to put it back on
		return st.error();
	}
	edge::HwtstampConfig was{prev_flags_, prev_tx_, prev_rx_}, set{set_flags_, set_tx_, rx_filter_};
	auto done = detail::put_back_hwtstamp(*eth_, was, set);
	forget();
	if (!done)
		return done.error();
	if (done->what == detail::HwPutBack::left)
		return detail::hwtstamp_left(eth_->ifname(), *done, was, set, "this run");
	return std::string();
}

HwTimestamping::~HwTimestamping()
{
	(void)restore();
}

} // namespace xdphints::hook
