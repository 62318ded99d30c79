// Interface and driver lookup: which interface an option names, what XDP program is
// attached to it, who holds it, and its driver.
#include "hook_internal.hpp"

#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/proc.hpp>

#include <net/if.h>

namespace xdphints::hook {

namespace detail {

Result<Iface> resolve_iface(const HookOptions &opt)
{
	if (!opt.ifname.empty()) {
		if (opt.ifname.size() >= IF_NAMESIZE)
			return Error::detected(Errc::invalid_argument, "interface name '" + opt.ifname + "' is too long",
					       "interface names have at most 15 characters (ip link)");
		auto idx = edge::ifindex_of(opt.ifname);
		if (!idx)
			return idx.error();
		return Iface{opt.ifname, *idx};
	}
	auto name = edge::ifname_of(opt.ifindex);
	if (!name)
		return name.error();
	return Iface{*name, opt.ifindex};
}

Result<edge::AttachedXdp> attached_program(const Iface &ifc)
{
	return edge::attached_xdp(ifc.index, ifc.name);
}

// The interface is taken: by a process that runs (named, with its pid), else as before.
Error busy(const Iface &ifc, const edge::AttachedXdp &cur, const detail::StateKey &key)
{
	edge::Holder h;
	if (auto r = detail::read_state(key); r && r->hook_prog == cur.prog_id && detail::owner_alive(*r))
		h = {r->pid, true};
	else if (cur.is_link())
		h.pid = edge::link_holder(cur.link_id);
	return edge::busy_error(ifc.name, ifc.index, cur, h);
}

} // namespace detail

Result<std::string> driver_of(std::string_view ifname)
{
	return edge::driver_of(ifname);
}

} // namespace xdphints::hook
