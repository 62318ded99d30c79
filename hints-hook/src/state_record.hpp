#pragma once
// What a process changed on an interface that outlives it, written down BEFORE the change
// so the next attach (or `xdp-hints reset IFNAME`, or dump's guardian) can put it back if
// the process is killed: the hardware timestamping setting it changed, the XDP program it
// replaced (netlink attachments survive the process; bpf_links do not).
//
// One file per interface: $XDP_HINTS_RUN_DIR (default /run/xdp-hints) / <netns>-<ifindex>,
// where <netns> is the inode of the network namespace, so the same name or index in two
// namespaces never collide. Text, one "key value..." per line:
//
//   pid 4242                        owner; with its start time (clock ticks since boot,
//   start 1234567                   /proc/PID/stat field 22) so a reused pid is not alive
//   ifname eth1
//   hwtstamp 0 1 0                  flags tx_type rx_filter before SIOCSHWTSTAMP
//   hook 812                        our program, attached through netlink (--replace)
//   replaced 790 drv user_prog      the program it replaced: id, mode (drv|skb), name
//   pin /sys/fs/bpf/xdp-hints/...   where that program is pinned ("" when no bpffs)
//
// Written to a temporary file and renamed: a reader sees the old or the new record.
#include <xdphints/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>

namespace xdphints::hook::detail {

struct StateKey {
	uint64_t netns = 0; // inode of the calling thread's network namespace
	int ifindex = 0;
};

struct StateRecord {
	pid_t pid = 0;
	uint64_t start = 0;
	std::string ifname;
	bool hwtstamp = false;
	int hw_flags = 0, hw_tx = 0, hw_rx = 0;
	uint32_t hook_prog = 0;
	uint32_t replaced_prog = 0;
	uint32_t replaced_mode = 0; // XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE
	std::string replaced_name;
	std::string pin;

	bool empty() const noexcept { return !hwtstamp && !hook_prog && !replaced_prog; }
};

// The key of `ifindex` in the calling thread's network namespace.
Result<StateKey> state_key(int ifindex);
// $XDP_HINTS_RUN_DIR or /run/xdp-hints.
std::string state_dir();
std::string state_path(const StateKey &k);

// The record, or nullopt when there is none (or it cannot be parsed: then it is ignored).
std::optional<StateRecord> read_state(const StateKey &k);
// Writes the record (stamped with this process's pid and start time); removes the file
// when the record is empty.
Status write_state(const StateKey &k, StateRecord r);
void remove_state(const StateKey &k) noexcept;

// The record's owner still runs (same pid, same start time, not a zombie).
bool owner_alive(const StateRecord &r) noexcept;

} // namespace xdphints::hook::detail
