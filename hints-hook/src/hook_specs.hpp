#pragma once
// The built-in hooks: one per driver that implements XDP RX metadata kfuncs, plus generic.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace xdphints::detail {

// Which kfunc groups a hook calls (and so which members its struct has).
enum HintBits : unsigned {
	HINT_TIMESTAMP = 1u << 0, // rx_timestamp
	HINT_HASH = 1u << 1,      // rx_hash, rx_hash_type
	HINT_VLAN = 1u << 2,      // rx_vlan_tci, rx_vlan_proto
};

struct HookSpec {
	std::string_view name;        // hook name, --hook NAME
	std::string_view struct_name; // the hint struct it writes
	std::span<const std::string_view> drivers; // ethtool GDRVINFO driver names
	unsigned hints;               // HintBits the driver implements
	bool kfuncs;                  // device-bound, calls kfuncs (false: generic)
	std::string_view min_kernel;  // for all of `hints`
	const void *(*elf)(size_t *); // the embedded object (bpftool skeleton)
};

std::span<const HookSpec> hook_specs() noexcept;
const HookSpec *find_hook_spec(std::string_view name) noexcept;
// The spec whose driver list names `driver`; nullptr when none does.
const HookSpec *hook_spec_for_driver(std::string_view driver) noexcept;

} // namespace xdphints::detail
