#pragma once
// What a process changed on an interface that outlives it, written down BEFORE the change
// so the next attach (or `xdp-hints reset IFNAME`, or dump's guardian) can put it back if
// the process is killed: the hardware timestamping setting it changed, the XDP program it
// replaced (netlink attachments survive the process; bpf_links do not).
//
// A record names its interface by what is never given to another one: the boot, the
// network namespace's cookie (SO_NETNS_COOKIE; unlike the namespace's inode, which the
// next namespace gets as soon as this one is gone) and the ifindex (allocated cyclically
// within a namespace, so not reused either). Names are not used: a rename must not lose
// the record, and equal names in two namespaces must not meet. One file per interface,
// $XDP_HINTS_RUN_DIR (default /run/xdp-hints) / netns-<cookie>-<ifindex>. Text, one
// "key value..." per line:
//
//   boot 0f1c...                    /proc/sys/kernel/random/boot_id when written
//   netns 4096 4026532285           the namespace's cookie and inode (the inode tells that
//                                   a record's namespace is gone: a live one has it now)
//   ifindex 2
//   ifname eth1                     for messages only
//   pid 4242                        owner; with its start time (clock ticks since boot,
//   start 1234567                   /proc/PID/stat field 22) so a reused pid is not alive
//   gen 4242.1234567.3              this version of the record (compare-and-swap)
//   hwtstamp 0 1 0                  flags tx_type rx_filter before SIOCSHWTSTAMP
//   hwtstamp_set 0 1 1              what the owner set: put back only while still so
//   hook 812                        our program, attached through netlink (--replace)
//   replaced 790 drv user_prog      the program it replaced: id, mode (drv|skb), name
//   pin /sys/fs/bpf/xdp-hints/...   where that program is pinned ("" when no bpffs)
//
// Records before this format were named <netns inode>-<ifindex> and had no boot, netns or
// ifindex lines: they cannot be told from a record of a dead namespace whose inode was
// reused, so they are never applied (restore_left_behind drops them and says so).
//
// Every read-modify-write holds an flock on the run directory, and a write or removal
// happens only if the record on disk is still the version the writer read (`gen`), so two
// processes never undo or delete each other's records. The directory itself is never
// removed (another process may be about to write into it).
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace xdphints::hook::detail {

struct StateKey {
	std::string boot;          // /proc/sys/kernel/random/boot_id
	uint64_t netns_cookie = 0; // SO_NETNS_COOKIE of the interface's namespace
	uint64_t netns_inode = 0;  // its nsfs inode (reused once it is gone)
	int ifindex = 0;
};

struct StateRecord {
	StateKey key; // as written in the record
	pid_t pid = 0;
	uint64_t start = 0;
	std::string gen; // "" for a record not yet written
	std::string ifname;
	bool hwtstamp = false;
	int hw_flags = 0, hw_tx = 0, hw_rx = 0;             // before the change
	bool hw_set = false;                                  // hwtstamp_set present
	int hw_set_flags = 0, hw_set_tx = 0, hw_set_rx = 0;  // what the owner set
	uint32_t hook_prog = 0;
	uint32_t replaced_prog = 0;
	uint32_t replaced_mode = 0; // XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE
	std::string replaced_name;
	std::string pin;

	bool empty() const noexcept { return !hwtstamp && !hook_prog && !replaced_prog; }
};

// The key of `ifindex` in the calling thread's network namespace, this boot.
Result<StateKey> state_key(int ifindex);
// $XDP_HINTS_RUN_DIR or /run/xdp-hints.
std::string state_dir();
std::string state_path(const StateKey &k);

// The run directory, locked (flock) while this lives: what is read through it stays so
// until it goes. Every record is read, written and removed through one.
class StateDir {
public:
	// Locks the directory, creating it if `create`; an unlocked empty view (no records)
	// when it does not exist and `create` is false.
	static Result<StateDir> open(bool create);

	// The record of `k`: only one written for that boot, namespace and ifindex.
	std::optional<StateRecord> read(const StateKey &k) const;
	// Writes `r` for `k` stamped with this process's pid, start time and a new gen (set in
	// `r`), or removes the file when `r` is empty; refused (Errc::busy) when the record on
	// disk is not the version `r` was read from (r.gen; "" = none was there).
	Status write(const StateKey &k, StateRecord &r);
	// Removes the record of `k` if it is still version `gen`.
	bool remove(const StateKey &k, const std::string &gen);

	// Every file in the directory that holds a record, as the sweep of restore_left_behind
	// sees it: this format (`record`), or the format before it (`old`, its name's inode and
	// ifindex in old_inode/old_ifindex, what it held in `record`).
	struct Entry {
		std::string path;
		StateRecord record;
		bool old = false;
		uint64_t old_inode = 0;
		int old_ifindex = 0;
	};
	std::vector<Entry> entries() const;
	// Removes the file of an entry read through this lock.
	void drop(const Entry &e);

	bool exists() const noexcept { return lock_.valid(); }

private:
	explicit StateDir(edge::UniqueFd lock) : lock_(std::move(lock)) {}
	edge::UniqueFd lock_; // the directory, flock'ed; empty when there is none
};

// One-call forms for the hook's lifecycle (each locks the directory for its call).
std::optional<StateRecord> read_state(const StateKey &k);
Status write_state(const StateKey &k, StateRecord &r);

// The record's owner still runs (same pid, same start time, not a zombie).
bool owner_alive(const StateRecord &r) noexcept;

// Putting a timestamping setting back (hwtstamp.cpp; the owner at exit, restore_left_behind
// for one that was killed): `was` goes back only while the interface still has `set`, what
// the owner set. restored: done; already: it reads `was` again (nothing to do); left: it
// has `now`, which someone else (ptp4l) set since: left as it is. A driver that cannot
// say its setting (SIOCGHWTSTAMP, before Linux 3.14) is put back, as before.
struct HwPutBack {
	enum What { restored, already, left } what = restored;
	edge::HwtstampConfig now;
};
Result<HwPutBack> put_back_hwtstamp(const edge::Ethtool &eth, const edge::HwtstampConfig &was,
				    const std::optional<edge::HwtstampConfig> &set);
// "tx_type on, rx_filter ptpv2-event"
std::string hwtstamp_words(const edge::HwtstampConfig &c);
// The line for `left`: "left hardware timestamping on eth1 as it is: ...". `who` set it:
// "this run", "pid 4242".
std::string hwtstamp_left(const std::string &ifname, const HwPutBack &p, const edge::HwtstampConfig &was,
			  const edge::HwtstampConfig &set, const std::string &who);

} // namespace xdphints::hook::detail
