#pragma once
// Interface names and indexes in the calling thread's network namespace.
#include <xdphints/result.hpp>

#include <string>
#include <string_view>

namespace xdphints::edge {

// Errc::no_device "no interface X in this network namespace (ip link)" when there is none
// (or the name is one no interface can have).
Result<int> ifindex_of(std::string_view ifname);
Result<std::string> ifname_of(int ifindex);

} // namespace xdphints::edge
