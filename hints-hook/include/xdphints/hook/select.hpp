#pragma once
// Which built-in hook an interface gets, and why: the best one the running kernel can run.
// The driver's own hook when its kfuncs exist; without the VLAN kfunc (Linux 6.3-6.7) the
// same hook without the VLAN group; without any XDP RX metadata kfunc (before 6.3, e.g.
// Debian 12's 6.1) the generic hook (software timestamps, flagged as software; SKB mode).
// It never fails where such a fallback works, and always says in one line what it chose.
//
//   auto s = xdphints::hook::select_hook({.driver = "veth", .kernel_kfuncs = 0});
//   // s->hook == "generic", s->reason == "hook generic (...): this kernel has none of ..."
#include <xdphints/result.hpp>

#include <string>

namespace xdphints::hook {

struct HookOptions;

// What selection looks at. select_hook_for() gathers it from the kernel; tests build it.
struct SelectionInput {
	std::string hook;       // HookOptions::hook: "" chooses by driver
	unsigned hints = 0;     // HookOptions::hints: 0 = all the hook can give
	std::string driver;     // ethtool GDRVINFO name; "" when unknown
	std::string ifname;     // for messages
	// Hint groups (hint::*) whose kfunc the kernel's BTF has: none before Linux 6.3,
	// timestamp and hash from 6.3, VLAN from 6.8.
	unsigned kernel_kfuncs = 0;
	// The kernel reports RX metadata for this device (netdev netlink, Linux >= 6.8): lets an
	// explicitly named kfunc hook run on a driver we have no hook entry for.
	bool device_reports_kfuncs = false;
};

struct Selection {
	std::string hook;   // a built-in hook's name (hook_names())
	unsigned hints = 0; // the groups it is loaded to write (hint::*)
	std::string reason; // one line: which hook, with what, and why
};

// Pure. Errors: an unknown hook name; an explicitly named kfunc hook the driver or kernel
// cannot run at all; hint groups asked for (`hints`) that neither the hook nor a fallback
// can give on this kernel.
Result<Selection> select_hook(const SelectionInput &in);

// The hint groups whose XDP RX metadata kfunc the running kernel has (its vmlinux BTF).
Result<unsigned> kernel_kfunc_hints();

// select_hook() with the kernel's kfuncs and the device's netdev report gathered.
Result<Selection> select_hook_for(const HookOptions &opt, int ifindex, const std::string &ifname,
				  const std::string &driver);

} // namespace xdphints::hook
