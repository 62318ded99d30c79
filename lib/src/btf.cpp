#include <xdphints/btf.hpp>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <gelf.h>
#include <libelf.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace xdphints {
namespace {

// libbpf 1.x returns NULL and sets errno on failure.
int last_libbpf_err()
{
	return errno ? errno : EINVAL;
}

// libbpf reports corrupt BTF as EINVAL/EPROTO; that is malformed input, not a bad argument.
Error btf_parse_error(int err, std::string what)
{
	Error e = Error::from_errno(err, std::move(what),
				    "is this BTF complete and produced by clang/pahole/bpftool?");
	if (e.code == Errc::invalid_argument || e.code == Errc::system)
		e.code = Errc::malformed_btf;
	return e;
}

struct ElfCloser {
	void operator()(Elf *e) const noexcept { elf_end(e); }
};

// libbpf 1.1 accepts a header whose hdr_len + type_off is not a multiple of 4 and then
// hands out misaligned struct btf_type pointers (its copy of the data is malloc-aligned,
// the type section inside it is not). Reading them is undefined behaviour, so such BTF is
// refused here. Types are 4-byte multiples: if the first is aligned, all are.
Status check_type_alignment(const struct btf *b, const std::string &what)
{
	const struct btf *base = btf__base_btf(b);
	uint32_t first = base ? btf__type_cnt(base) : 1;
	if (btf__type_cnt(b) <= first)
		return {};
	auto addr = reinterpret_cast<uintptr_t>(btf__type_by_id(b, first));
	if (addr % alignof(struct btf_type))
		return Error(Errc::malformed_btf,
			     fmt::format("{}: the type section is not 4-byte aligned (header length + type_off "
					 "must be a multiple of 4)",
					 what));
	return {};
}

} // namespace

Btf Btf::adopt(struct btf *b, uint32_t kernel_obj_id, const Btf *base)
{
	Btf r;
	r.btf_.reset(b, btf__free);
	if (base)
		r.base_ = base->btf_;
	r.obj_id_ = kernel_obj_id;
	r.origin_ = kernel_obj_id ? fmt::format("kernel BTF object {}", kernel_obj_id) : "BTF";
	return r;
}

Btf Btf::with_object_id(uint32_t id) const
{
	Btf r = *this;
	r.obj_id_ = id;
	return r;
}

Btf Btf::with_origin(std::string origin) const
{
	Btf r = *this;
	r.origin_ = std::move(origin);
	return r;
}

uint32_t Btf::type_count() const noexcept
{
	return btf_ ? btf__type_cnt(btf_.get()) : 0;
}

Result<Btf> Btf::from_bytes(const void *data, size_t size)
{
	if (size > UINT32_MAX)
		return Error(Errc::malformed_btf, fmt::format("BTF of {} bytes is larger than BTF can be", size));
	errno = 0;
	struct btf *b = btf__new(data, static_cast<uint32_t>(size));
	if (!b)
		return btf_parse_error(last_libbpf_err(), fmt::format("parsing {} bytes of BTF", size));
	Btf r = adopt(b, 0);
	r.origin_ = "BTF in memory";
	if (auto st = check_type_alignment(b, fmt::format("parsing {} bytes of BTF", size)); !st)
		return std::move(st).error();
	return r;
}

Result<Btf> Btf::from_raw_file(const std::string &path)
{
	errno = 0;
	struct btf *b = btf__parse_raw(path.c_str());
	if (!b)
		return btf_parse_error(last_libbpf_err(), "reading raw BTF file " + path);
	Btf r = adopt(b, 0);
	r.origin_ = "raw BTF file " + path;
	if (auto st = check_type_alignment(b, r.origin_); !st)
		return std::move(st).error();
	return r;
}

Result<Btf> Btf::from_raw_file_split(const std::string &path, const Btf &base)
{
	errno = 0;
	struct btf *b = btf__parse_raw_split(path.c_str(), base.btf_.get());
	if (!b)
		return btf_parse_error(last_libbpf_err(),
				       "reading raw split BTF file " + path + " on " + base.origin_);
	Btf r = adopt(b, 0, &base);
	r.origin_ = "raw BTF file " + path;
	if (auto st = check_type_alignment(b, r.origin_); !st)
		return std::move(st).error();
	return r;
}

Result<Btf> Btf::from_elf(const std::string &path)
{
	errno = 0;
	struct btf *b = btf__parse_elf(path.c_str(), nullptr);
	if (!b)
		return btf_parse_error(last_libbpf_err(),
				       "reading the .BTF section of " + path + " (compile with clang -g)");
	Btf r = adopt(b, 0);
	r.origin_ = "ELF file " + path;
	if (auto st = check_type_alignment(b, r.origin_); !st)
		return std::move(st).error();
	return r;
}

Result<Btf> Btf::from_elf_bytes(const void *data, size_t size)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return Error(Errc::system, "libelf: version mismatch");
	// elf_memory wants a mutable pointer but, opened for ELF_C_READ_MMAP-like reading,
	// does not write to it.
	std::unique_ptr<Elf, ElfCloser> elf(
		elf_memory(static_cast<char *>(const_cast<void *>(data)), size));
	if (!elf || elf_kind(elf.get()) != ELF_K_ELF)
		return Error(Errc::malformed_btf,
			     fmt::format("{} bytes are not an ELF image: {}", size, elf_errmsg(-1)));
	size_t shstrndx;
	if (elf_getshdrstrndx(elf.get(), &shstrndx))
		return Error(Errc::malformed_btf, fmt::format("ELF image: no section names: {}", elf_errmsg(-1)));
	for (Elf_Scn *scn = elf_nextscn(elf.get(), nullptr); scn; scn = elf_nextscn(elf.get(), scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(elf.get(), shstrndx, sh.sh_name);
		if (!name || std::strcmp(name, ".BTF") != 0)
			continue;
		Elf_Data *d = elf_getdata(scn, nullptr);
		if (!d || !d->d_buf)
			return Error(Errc::malformed_btf, "ELF image: .BTF section has no data");
		auto r = from_bytes(d->d_buf, d->d_size);
		if (r)
			r->origin_ = "ELF image in memory";
		return r;
	}
	return Error(Errc::not_found, "ELF image has no .BTF section (compile the BPF object with clang -g)");
}

} // namespace xdphints
