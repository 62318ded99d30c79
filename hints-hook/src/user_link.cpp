#include "user_link.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/memfd.hpp>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <memory>

namespace xdphints::hook::detail {

using edge::Op;
using edge::sys_error;
using edge::UniqueFd;

namespace {

constexpr const char *kStableStruct = "xdp_hints";

struct LinkerFree {
	void operator()(bpf_linker *l) const noexcept { bpf_linker__free(l); }
};

} // namespace

Result<UniqueFd> core_target_btf(const struct btf *hb, const std::string &layout)
{
	int lid = btf__find_by_name_kind(hb, layout.c_str(), BTF_KIND_STRUCT);
	if (lid <= 0)
		return Error::detected(Errc::not_found, "the hook's BTF has no struct " + layout,
				       "report this: hook and loader disagree");
	edge::BtfPtr vml(btf__load_vmlinux_btf());
	if (!vml)
		return sys_error(errno, Op::btf, "load the kernel's BTF (/sys/kernel/btf/vmlinux)");
	edge::BtfPtr t(btf__new_empty());
	if (!t)
		return sys_error(errno, Op::btf, "create the relocation target BTF");
	// vmlinux for everything else the user's code touches (xdp_md, ethhdr, ...).
	if (int r = btf__add_btf(t.get(), vml.get()); r < 0)
		return sys_error(r, Op::btf, "copy vmlinux BTF into the relocation target");
	int off = btf__add_btf(t.get(), hb);
	if (off < 0)
		return sys_error(off, Op::btf, "copy the hook's BTF into the relocation target");
	const struct btf_type *st = btf__type_by_id(hb, uint32_t(lid));
	if (int r = btf__add_struct(t.get(), kStableStruct, st->size); r < 0)
		return sys_error(r, Op::btf, "add struct xdp_hints to the relocation target");
	const struct btf_member *m = btf_members(st);
	for (unsigned i = 0; i < btf_vlen(st); i++, m++) {
		// Hook type k is now off + k - 1 (void, type 0, is not copied).
		int r = btf__add_field(t.get(), btf__name_by_offset(hb, m->name_off), off + int(m->type) - 1,
				       btf_member_bit_offset(st, i), btf_member_bitfield_size(st, i));
		if (r < 0)
			return sys_error(r, Op::btf, "add a member to struct xdp_hints in the relocation target");
	}
	uint32_t size = 0;
	const void *raw = btf__raw_data(t.get(), &size);
	if (!raw)
		return sys_error(errno, Op::btf, "serialise the relocation target BTF");
	return edge::memfd_with("xdphints-core-target", raw, size);
}

Result<UniqueFd> link_with_user(const void *hook_elf, size_t size, const std::string &user_object)
{
	auto in = edge::memfd_with("xdphints-hook", hook_elf, size);
	if (!in)
		return in.error();
	auto out = edge::memfd("xdphints-linked");
	if (!out)
		return out.error();
	std::unique_ptr<bpf_linker, LinkerFree> l(bpf_linker__new(edge::fd_path(out->get()).c_str(), nullptr));
	if (!l)
		return sys_error(errno, Op::open_object, "start linking the hook with user object " + user_object);
	if (int err = bpf_linker__add_file(l.get(), edge::fd_path(in->get()).c_str(), nullptr))
		return sys_error(err, Op::open_object, "read the hook for linking with user object " + user_object);
	if (int err = bpf_linker__add_file(l.get(), user_object.c_str(), nullptr))
		return Error::from_errno(err, "link user object " + user_object + " into the hook",
					 "the object must be BPF ELF with BTF (clang -target bpf -g), define "
					 "`int xdp_hints_user(struct xdp_md *ctx)` and no SEC(\"xdp\") program");
	if (int err = bpf_linker__finalize(l.get()))
		return sys_error(err, Op::open_object, "link the hook with user object " + user_object);
	return std::move(*out);
}

} // namespace xdphints::hook::detail
