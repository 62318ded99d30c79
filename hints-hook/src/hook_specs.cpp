#include "hook_specs.hpp"

#include "hook_bnxt.skel.h"
#include "hook_generic.skel.h"
#include "hook_gve.skel.h"
#include "hook_ice.skel.h"
#include "hook_idpf.skel.h"
#include "hook_igc.skel.h"
#include "hook_mlx4.skel.h"
#include "hook_mlx5.skel.h"
#include "hook_stmmac.skel.h"
#include "hook_veth.skel.h"
#include "hook_virtio_net.skel.h"

#include <array>

namespace xdphints::hook::detail {

namespace {

using namespace std::string_view_literals;

constexpr unsigned TS = HINT_TIMESTAMP, HASH = HINT_HASH, VLAN = HINT_VLAN;

// ethtool driver names (ethtool -i) of each hook's driver.
constexpr std::array kVeth{"veth"sv};
constexpr std::array kMlx5{"mlx5_core"sv};
constexpr std::array kMlx4{"mlx4_en"sv, "mlx4_core"sv};
constexpr std::array kIce{"ice"sv};
constexpr std::array kIgc{"igc"sv};
constexpr std::array kStmmac{"st_gmac"sv, "st_xgmac"sv, "st_mac100"sv, "stmmac"sv};
constexpr std::array kVirtio{"virtio_net"sv};
constexpr std::array kGve{"gve"sv};
constexpr std::array kIdpf{"idpf"sv};
constexpr std::array kBnxt{"bnxt_en"sv};

// Keep in step with the table in docs/HOOKS.md. min_kernel: the first release with all
// of the driver's kfuncs where we know it; the kfunc API itself is 6.3 (VLAN 6.8), and the
// loader checks the running kernel's BTF for the kfuncs whatever this says.
const HookSpec kSpecs[] = {
	{"veth", "xdp_hints_veth", kVeth, TS | HASH | VLAN, true, "6.8", hook_veth__elf_bytes},
	{"mlx5", "xdp_hints_mlx5", kMlx5, TS | HASH | VLAN, true, "6.8", hook_mlx5__elf_bytes},
	{"mlx4", "xdp_hints_mlx4", kMlx4, TS | HASH, true, "6.3", hook_mlx4__elf_bytes},
	{"ice", "xdp_hints_ice", kIce, TS | HASH | VLAN, true, "6.8", hook_ice__elf_bytes},
	{"igc", "xdp_hints_igc", kIgc, TS | HASH, true, "6.3+ (release unverified)", hook_igc__elf_bytes},
	{"stmmac", "xdp_hints_stmmac", kStmmac, TS, true, "6.3+ (release unverified)", hook_stmmac__elf_bytes},
	{"virtio_net", "xdp_hints_virtio_net", kVirtio, HASH, true, "6.3+ (release unverified)", hook_virtio_net__elf_bytes},
	{"gve", "xdp_hints_gve", kGve, TS, true, "6.3+ (release unverified)", hook_gve__elf_bytes},
	{"idpf", "xdp_hints_idpf", kIdpf, HASH, true, "6.3+ (release unverified)", hook_idpf__elf_bytes},
	{"bnxt", "xdp_hints_bnxt", kBnxt, HASH, true, "6.3+ (release unverified)", hook_bnxt__elf_bytes},
	// No kfuncs: any driver, generic (SKB) mode; the timestamp is software.
	{"generic", "xdp_hints_generic", {}, TS, false, "5.9", hook_generic__elf_bytes},
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

std::string layout_name(const HookSpec &spec, unsigned mask)
{
	std::string n(spec.struct_name);
	if (mask == spec.hints)
		return n;
	if (mask & HINT_TIMESTAMP)
		n += "_ts";
	if (mask & HINT_HASH)
		n += "_hash";
	if (mask & HINT_VLAN)
		n += "_vlan";
	return n;
}

const HookSpec *hook_spec_for_driver(std::string_view driver) noexcept
{
	for (const auto &s : kSpecs)
		for (auto d : s.drivers)
			if (d == driver)
				return &s;
	return nullptr;
}

} // namespace xdphints::hook::detail
