#include "user_link.hpp"

#include "memfd.hpp"
#include "sys_error.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <sys/mman.h>
#include <unistd.h>

namespace xdphints::detail {

namespace {

constexpr const char *kStableStruct = "xdp_hints";

struct BtfPtr {
	struct btf *p = nullptr;
	explicit BtfPtr(struct btf *b) : p(b) {}
	BtfPtr(const BtfPtr &) = delete;
	BtfPtr &operator=(const BtfPtr &) = delete;
	~BtfPtr() { btf__free(p); }
};

} // namespace

Result<int> core_target_btf(const struct btf *hb, const std::string &layout)
{
	int lid = btf__find_by_name_kind(hb, layout.c_str(), BTF_KIND_STRUCT);
	if (lid <= 0)
		return Error::from_errno(ENOENT, "the hook's BTF has no struct " + layout,
					 "report this: hook and loader disagree");
	BtfPtr vml(btf__load_vmlinux_btf());
	if (!vml.p)
		return sys_error(errno, Op::btf, "load the kernel's BTF (/sys/kernel/btf/vmlinux)");
	BtfPtr t(btf__new_empty());
	if (!t.p)
		return sys_error(errno, Op::btf, "create the relocation target BTF");
	// vmlinux for everything else the user's code touches (xdp_md, ethhdr, ...).
	if (int r = btf__add_btf(t.p, vml.p); r < 0)
		return sys_error(r, Op::btf, "copy vmlinux BTF into the relocation target");
	int off = btf__add_btf(t.p, hb);
	if (off < 0)
		return sys_error(off, Op::btf, "copy the hook's BTF into the relocation target");
	const struct btf_type *st = btf__type_by_id(hb, uint32_t(lid));
	if (int r = btf__add_struct(t.p, kStableStruct, st->size); r < 0)
		return sys_error(r, Op::btf, "add struct xdp_hints to the relocation target");
	const struct btf_member *m = btf_members(st);
	for (unsigned i = 0; i < btf_vlen(st); i++, m++) {
		// Hook type k is now off + k - 1 (void, type 0, is not copied).
		int r = btf__add_field(t.p, btf__name_by_offset(hb, m->name_off), off + int(m->type) - 1,
				       btf_member_bit_offset(st, i), btf_member_bitfield_size(st, i));
		if (r < 0)
			return sys_error(r, Op::btf, "add a member to struct xdp_hints in the relocation target");
	}
	uint32_t size = 0;
	const void *raw = btf__raw_data(t.p, &size);
	if (!raw)
		return sys_error(errno, Op::btf, "serialise the relocation target BTF");
	return memfd_with("xdphints-core-target", raw, size, Op::open_object);
}

Result<int> link_with_user(const void *hook_elf, size_t size, const std::string &user_object)
{
	auto in = memfd_with("xdphints-hook", hook_elf, size, Op::open_object);
	if (!in)
		return in.error();
	int out = memfd_create("xdphints-linked", MFD_CLOEXEC);
	if (out < 0) {
		int e = errno;
		close(*in);
		return sys_error(e, Op::open_object, "create memfd for the linked hook");
	}
	bpf_linker *l = bpf_linker__new(fd_path(out).c_str(), nullptr);
	int err = l ? 0 : -errno;
	if (!err)
		err = bpf_linker__add_file(l, fd_path(*in).c_str(), nullptr);
	if (!err && (err = bpf_linker__add_file(l, user_object.c_str(), nullptr)) != 0) {
		close(*in);
		bpf_linker__free(l);
		close(out);
		return Error::from_errno(err, "link user object " + user_object + " into the hook",
					 "the object must be BPF ELF with BTF (clang -target bpf -g), define "
					 "`int xdp_hints_user(struct xdp_md *ctx)` and no SEC(\"xdp\") program");
	}
	if (!err)
		err = bpf_linker__finalize(l);
	close(*in);
	if (l)
		bpf_linker__free(l);
	if (err) {
		close(out);
		return sys_error(err, Op::open_object, "link the hook with user object " + user_object);
	}
	return out;
}

} // namespace xdphints::detail
