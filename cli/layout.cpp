// xdp-hints layout (IFNAME | --object FILE.o [--layout-btf FILE] | --btf FILE) [--struct S] [--json]
#include "commands.hpp"
#include "layout_json.hpp"

#include <xdphints/hook/byo.hpp>
#include <xdphints/hook/kernel_btf.hpp>

#include <cstdio>

namespace xdphints::cli {

using namespace xdphints::hook;

int cmd_layout(const LayoutArgs &a)
{
	Result<Btf> btf = !a.object.empty() ? Btf::from_elf(a.object)
			  : !a.btf.empty()  ? Btf::from_raw_file(a.btf)
					    : btf_from_ifname(a.ifname);
	if (!btf) {
		std::fprintf(stderr, "xdp-hints layout: %s\n", btf.error().message.c_str());
		return 1;
	}
	DiscoverOptions opts;
	opts.structs = a.structs;
	// An object's structs missing from .BTF come from its DWARF, as for --hook-object.
	auto d = !a.object.empty() ? byo_layouts(*btf, a.object, opts, a.layout_btf) : discover(*btf, opts);
	if (!d) {
		std::fprintf(stderr, "xdp-hints layout: %s\n", d.error().message.c_str());
		return 1;
	}
	if (a.json)
		std::printf("%s\n", render::layouts_to_json_string(d->layouts).c_str()); // names need not be UTF-8
	else
		std::printf("%s", render::layouts_to_text(d->layouts).c_str());
	if (d->layouts.empty())
		std::fprintf(stderr, "xdp-hints layout: no hint struct in %s (a hint struct is named xdp_hints*, or tagged "
				     "btf_decl_tag(\"xdp_hints\"), with btf_id/btf_full_id as its last member; name others with --struct)\n",
			     btf->origin().c_str());
	return 0;
}

} // namespace xdphints::cli
