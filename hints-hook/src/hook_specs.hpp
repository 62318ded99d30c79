#pragma once
// The built-in hooks: one per driver that implements XDP RX metadata kfuncs, plus generic.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <xdphints/hook/hook.hpp>

namespace xdphints::hook::detail {

// The hint groups (HOOK_HINT_* in hook_common.bpf.h).
inline constexpr unsigned HINT_TIMESTAMP = hint::timestamp;
inline constexpr unsigned HINT_HASH = hint::hash;
inline constexpr unsigned HINT_VLAN = hint::vlan;

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
// Name of the struct a hook writes for the hint groups `mask` (a subset of spec.hints):
// the struct itself for all of them, else struct_name + "_ts" / "_hash" / "_vlan" parts.
std::string layout_name(const HookSpec &spec, unsigned mask);
// The spec whose driver list names `driver`; nullptr when none does.
const HookSpec *hook_spec_for_driver(std::string_view driver) noexcept;

} // namespace xdphints::hook::detail
