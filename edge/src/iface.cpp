#include <xdphints/edge/iface.hpp>

#include <net/if.h>

namespace xdphints::edge {

namespace {

Error no_such(const std::string &what)
{
	return Error::detected(Errc::no_device, "look up interface " + what,
			       "no interface " + what + " in this network namespace (ip link)");
}

} // namespace

Result<int> ifindex_of(std::string_view ifname)
{
	std::string name(ifname);
	unsigned idx = !name.empty() && name.size() < IF_NAMESIZE ? if_nametoindex(name.c_str()) : 0;
	if (idx == 0)
		return no_such(name);
	return int(idx);
}

Result<std::string> ifname_of(int ifindex)
{
	char buf[IF_NAMESIZE] = {};
	if (ifindex <= 0 || !if_indextoname(unsigned(ifindex), buf))
		return no_such("index " + std::to_string(ifindex));
	return std::string(buf);
}

} // namespace xdphints::edge
