#pragma once
// Btf: one parsed BTF (libbpf's parser), owned. Nothing here makes a system call beyond
// reading a named file; BTF that lives in the kernel is loaded at the edge (hints-hook/)
// and handed in with Btf::adopt(), which records the kernel's BTF object id so layouts know
// their global ids. Split BTF from bytes is built there too (btf_from_bytes_split: libbpf
// 1.1 can parse split BTF only from a file).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

struct btf; // libbpf

namespace xdphints {

class XDPHINTS_API Btf {
public:
	// Empty: holds no BTF (get() == nullptr); every lib/ function refuses it with an error.
	Btf() = default;
	// Raw BTF bytes (the .BTF section content, or /sys/kernel/btf/<x>). Copied.
	static Result<Btf> from_bytes(const void *data, size_t size);
	// A raw BTF file (as /sys/kernel/btf/vmlinux or `bpftool btf dump ... format raw`).
	static Result<Btf> from_raw_file(const std::string &path);
	// Split BTF (e.g. /sys/kernel/btf/<module>) on top of `base` (e.g. vmlinux). The base
	// is kept alive by the returned Btf.
	static Result<Btf> from_raw_file_split(const std::string &path, const Btf &base);
	// The .BTF section of an ELF file (a compiled BPF object).
	static Result<Btf> from_elf(const std::string &path);
	// The .BTF section of an ELF image in memory (e.g. an embedded skeleton's object).
	static Result<Btf> from_elf_bytes(const void *data, size_t size);
	// Take ownership of a libbpf btf (e.g. from btf__load_from_kernel_by_id) whose kernel
	// BTF object id is `kernel_obj_id` (0: not from the kernel). `base` keeps the base of
	// a split BTF alive; pass it when `b` was created split on top of base.get().
	static Btf adopt(struct btf *b, uint32_t kernel_obj_id, const Btf *base = nullptr);

	const struct btf *get() const noexcept { return btf_.get(); }
	// Kernel BTF object id, 0 when the BTF did not come from the kernel.
	uint32_t kernel_object_id() const noexcept { return obj_id_; }
	// The same BTF, but known to have kernel object id `id` (e.g. a hook's object file
	// whose loaded copy has that id). Shares the parsed data.
	Btf with_object_id(uint32_t id) const;
	// The same BTF, described in messages as `origin`.
	Btf with_origin(std::string origin) const;
	// Highest valid type id + 1 (ids 1..type_count()-1 are types; 0 is void).
	uint32_t type_count() const noexcept;
	// Where this BTF came from, for messages ("file hook.bpf.o", "kernel BTF id 42").
	const std::string &origin() const noexcept { return origin_; }

private:
	std::shared_ptr<struct btf> btf_;
	std::shared_ptr<struct btf> base_; // keeps a split BTF's base alive
	uint32_t obj_id_ = 0;
	std::string origin_;
};

} // namespace xdphints
