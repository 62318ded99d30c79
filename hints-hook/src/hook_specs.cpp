#include "hook_specs.hpp"

#include "hook_veth.skel.h"

#include <array>

namespace xdphints::detail {

namespace {

using namespace std::string_view_literals;

constexpr std::array kVeth{"veth"sv};

const HookSpec kSpecs[] = {
	{"veth", "xdp_hints_veth", kVeth, HINT_TIMESTAMP | HINT_HASH | HINT_VLAN, true, "6.8",
	 hook_veth__elf_bytes},
};

} // namespace

std::span<const HookSpec> hook_specs() noexcept
{
	return kSpecs;
}

const HookSpec *find_hook_spec(std::string_view name) noexcept
{
	for (const auto &s : kSpecs)
		if (s.name == name)
			return &s;
	return nullptr;
}

const HookSpec *hook_spec_for_driver(std::string_view driver) noexcept
{
	for (const auto &s : kSpecs)
		for (auto d : s.drivers)
			if (d == driver)
				return &s;
	return nullptr;
}

} // namespace xdphints::detail
