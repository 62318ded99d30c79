#pragma once
// BTF the kernel holds, by object id, handed to lib/ as an xdphints::Btf that knows its
// id; and split BTF given as bytes, which libbpf 1.1 parses only from a file (a memfd).
// The public entry points are hints-hook's <xdphints/hook/kernel_btf.hpp>.
#include <xdphints/btf.hpp>
#include <xdphints/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace xdphints::edge {

// A module's BTF is split on vmlinux (found by name); program BTF and vmlinux stand alone.
Result<Btf> btf_from_kernel_id(uint32_t btf_obj_id);
// The BTF of loaded program `prog_id` (bpf_prog_info.btf_id); Errc::not_found without one.
Result<Btf> btf_from_prog_id(uint32_t prog_id);
// Kernel BTF named `name` ("vmlinux" or a module), by id; Errc::not_found when absent.
Result<Btf> btf_from_kernel_name(std::string_view name);
// Kernel object id of the BTF behind `btf_fd`.
Result<uint32_t> btf_obj_id_of_fd(int btf_fd);
// Split BTF bytes on `base`; the result keeps the base alive.
Result<Btf> btf_from_bytes_split(const void *data, size_t size, const Btf &base);

} // namespace xdphints::edge
