#pragma once
// What both backends of LiveGen (livegen.hpp) use: the threads per CPU and the sending veth's
// drop counter.
#include <xdphints/result.hpp>
#include <xdphints/testbed/netns.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xdphints::testbed::detail {

// Runs fn(cpu, n) on one thread per CPU of `cpus`, pinned there, `count` split evenly;
// fn(-1, count) on the calling thread when `cpus` is empty. The sum of what they return, or
// the first error.
Result<uint64_t> on_cpus(const std::vector<int> &cpus, uint64_t count,
			 const std::function<Result<uint64_t>(int cpu, uint64_t n)> &fn);

// tx_dropped of `ifname` in `ns` from its link statistics (32 bits).
Result<uint64_t> link_tx_dropped(const Netns &ns, const std::string &ifname);

} // namespace xdphints::testbed::detail
