#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/probe.hpp>
#include <xdphints/hook/select.hpp>

#include "hook_specs.hpp"

#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/netdev.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include <chrono>
#include <thread>

namespace xdphints::hook {

Result<ProbeInfo> probe(std::string_view ifname)
{
	ProbeInfo p;
	p.ifname = std::string(ifname);
	auto idx = edge::ifindex_of(p.ifname);
	if (!idx)
		return idx.error();
	p.ifindex = *idx;
	auto eth = edge::Ethtool::open(p.ifname);
	if (eth)
		if (auto d = eth->driver())
			p.driver = *d;
	// What attach would choose on this kernel (select.cpp), else the driver's hook.
	p.hook = std::string(hook_for_driver(p.driver));
	unsigned hints = 0;
	if (auto sel = select_hook_for({}, p.ifindex, p.ifname, p.driver)) {
		p.hook = sel->hook;
		p.hook_reason = sel->reason;
		hints = sel->hints;
	} else {
		p.hook_reason = sel.error().message;
	}
	if (const detail::HookSpec *s = detail::find_hook_spec(p.hook)) {
		p.hook_struct = detail::layout_name(*s, hints ? hints : s->hints);
		p.hook_uses_kfuncs = s->kfuncs;
		p.hook_min_kernel = std::string(s->min_kernel);
		p.fields = fields_of_hints(hints ? hints : s->hints);
	}
	if (auto tr = choose_transport_for(Transport::automatic)) {
		p.transport = transport_name(tr->transport);
		p.transport_reason = tr->reason;
	} else {
		p.transport_reason = tr.error().message;
	}
	if (auto nd = edge::netdev_dev_get(p.ifindex)) {
		p.native_xdp = nd->native_xdp();
		p.zero_copy = nd->zero_copy();
		if (nd->rx_metadata)
			// NETDEV_XDP_RX_METADATA_{TIMESTAMP,HASH,VLAN_TAG} are our hint bits.
			p.kernel_rx_metadata = fields_of_hints(unsigned(*nd->rx_metadata) & hint::all);
	}
	if (eth)
		if (auto ts = eth->ts_info()) {
			p.phc_index = ts->phc_index;
			p.hw_rx_timestamping = ts->hw_rx();
			p.hw_rx_filters = ts->rx_filters;
		}
	if (auto rx = rx_timestamping(p.ifname))
		p.rx_timestamping = *rx;
	if (p.phc_index >= 0) {
		// A few measurements, so the drift is a measured one, not the unknown of one.
		auto clk = hook::PhcClock::open_index(p.phc_index);
		for (int i = 0; clk && i < 5; i++) {
			std::this_thread::sleep_for(std::chrono::milliseconds(100));
			if (auto st = clk->update(); !st) {
				p.phc_error = st.error().message;
				break;
			}
		}
		if (clk)
			p.phc = clk->status();
		else
			p.phc_error = clk.error().message;
	}
	if (auto cur = edge::attached_xdp(p.ifindex, p.ifname)) {
		p.attached_prog_id = cur->prog_id;
		p.attached_prog_name = cur->name;
	}
	return p;
}

} // namespace xdphints::hook
