#include <xdphints/hook/byo.hpp>
#include <xdphints/hook/hook.hpp>

#include <bpf/libbpf.h>

#include <cerrno>
#include <string>

// The bring-your-own hook contract (documented in hook.hpp and docs/HOOKS.md). The object
// is opened, never loaded nor changed; only a struct missing from its .BTF makes
// byo_layouts() run pahole on its DWARF.
namespace xdphints::hook {

Status check_contract(bpf_object *obj, const std::string &path, const std::string &layout,
		      const std::string &layout_btf)
{
	const std::string what = "hook object " + path + " breaks the hook contract: ";
	if (auto prog = byo_xdp_program(obj, path, false); !prog)
		return prog.error();
	int xskmaps = 0;
	bpf_map *m;
	bpf_object__for_each_map(m, obj)
		xskmaps += bpf_map__type(m) == BPF_MAP_TYPE_XSKMAP;
	if (xskmaps != 1)
		return Error::detected(Errc::invalid_argument, what + "rule 2, exactly one BPF_MAP_TYPE_XSKMAP; it has " + std::to_string(xskmaps),
					 "declare one XSKMAP (key: RX queue index) and redirect to it; the library "
					 "inserts its AF_XDP sockets there");
	if (!bpf_object__btf(obj))
		return Error::detected(Errc::invalid_argument, what + "rule 3, hint structs described by BTF; it has no BTF",
					 "compile with clang -g");
	auto btf = Btf::from_elf(path);
	if (!btf)
		return Error(btf.error().code, what + "rule 3, hint structs described by BTF: " + btf.error().message,
			     btf.error().sys_errno);
	DiscoverOptions d;
	if (!layout.empty()) {
		d.auto_discover = false;
		d.structs = {layout};
	}
	auto disc = byo_layouts(*btf, path, d, layout_btf);
	constexpr const char *rule4 = "rule 4, the id (btf_id u32 or btf_full_id u64) is the last member and ends "
				      "the struct: ";
	if (!disc) {
		const char *rule = disc.error().code == Errc::bad_layout ? rule4
									 : "rule 3, hint structs found by the discovery rule: ";
		return Error(disc.error().code, what + rule + disc.error().message, disc.error().sys_errno);
	}
	if (!disc->layouts.empty())
		return {};
	// Candidates that were passed over say why (helper structs such as xdp_hints_valid
	// are candidates too, but never alone).
	std::string why;
	for (const auto &sk : disc->skipped)
		if (sk.name != "xdp_hints_valid" && sk.name != "xdp_hints_status")
			why += (why.empty() ? "" : "; ") + sk.name + ": " + sk.reason;
	if (!why.empty())
		return Error::detected(Errc::bad_layout, what + rule4 + why,
					 "make the id the struct's last member, with no padding after it");
	return Error::detected(Errc::not_found,
				 what + "rule 3, hint structs found by the discovery rule; none found (a struct "
					"named xdp_hints* or tagged btf_decl_tag(\"xdp_hints\"), whose last member is "
					"btf_id or btf_full_id)",
				 "name the struct xdp_hints_*, or for a fixed layout without id pass --layout STRUCT");
}

} // namespace xdphints::hook
