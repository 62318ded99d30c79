// Hint groups by name: the hint-struct fields they fill and the built-in hooks' names.
#include <xdphints/hook/hook.hpp>

#include "hook_specs.hpp"

namespace xdphints::hook {

Result<unsigned> hints_from_fields(std::span<const std::string> fields)
{
	unsigned h = 0;
	for (const auto &f : fields) {
		if (f == "rx_timestamp")
			h |= hint::timestamp;
		else if (f == "rx_hash" || f == "rx_hash_type")
			h |= hint::hash;
		else if (f == "rx_vlan_tci" || f == "rx_vlan_proto")
			h |= hint::vlan;
		else
			return Error::detected(Errc::invalid_argument, "no hint field '" + f + "'",
						 "fields are rx_timestamp, rx_hash, rx_hash_type, rx_vlan_tci, rx_vlan_proto");
	}
	return h;
}

std::vector<std::string> fields_of_hints(unsigned hints)
{
	std::vector<std::string> v;
	if (hints & hint::timestamp)
		v.push_back("rx_timestamp");
	if (hints & hint::hash) {
		v.push_back("rx_hash");
		v.push_back("rx_hash_type");
	}
	if (hints & hint::vlan) {
		v.push_back("rx_vlan_tci");
		v.push_back("rx_vlan_proto");
	}
	return v;
}

std::vector<std::string_view> hook_names()
{
	std::vector<std::string_view> v;
	for (const auto &s : detail::hook_specs())
		v.push_back(s.name);
	return v;
}

} // namespace xdphints::hook
