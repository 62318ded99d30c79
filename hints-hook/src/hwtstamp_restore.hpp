#pragma once
// Putting back a hardware timestamping setting from a state record (hwtstamp.cpp), for
// restore_left_behind() in hook.cpp.
#include <string>

namespace xdphints::detail {

// SIOCSHWTSTAMP {flags, tx, rx} on `ifname` (calling thread's namespace); 0 or an errno.
int set_hwtstamp(const std::string &ifname, int flags, int tx, int rx) noexcept;

} // namespace xdphints::detail
