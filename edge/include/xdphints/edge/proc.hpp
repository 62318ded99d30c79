#pragma once
// What /proc says about processes and namespaces: who owns a record, who holds a bpf_link.
#include <xdphints/result.hpp>

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace xdphints::edge {

// The running kernel is at least major.minor (uname); true when that cannot be told, so
// the kernel itself decides.
bool kernel_at_least(int major, int minor) noexcept;
// Inode of the calling thread's network namespace (/proc/thread-self/ns/net): unique
// among the namespaces that exist, given to a new one as soon as its namespace is gone.
Result<uint64_t> netns_inode();
// Cookie of the calling thread's network namespace (SO_NETNS_COOKIE on a socket made in
// it, through the seam; Linux >= 5.14): never given to another namespace until reboot.
Result<uint64_t> netns_cookie();
// This boot's id (/proc/sys/kernel/random/boot_id): a cookie, an ifindex and a pid mean
// something only within one boot.
Result<std::string> boot_id();
// Start time of `pid` (clock ticks since boot, /proc/PID/stat field 22); 0 if it does not
// run or is a zombie.
uint64_t pid_start_time(pid_t pid) noexcept;
// The process name of `pid` ("" if unknown).
std::string pid_comm(pid_t pid);
// A process holding bpf_link `link_id` open (its fdinfo says "link_id:"), or 0. Reads every
// process's fdinfo: for error messages only.
pid_t link_holder(uint32_t link_id);

} // namespace xdphints::edge
