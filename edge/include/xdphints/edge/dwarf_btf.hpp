#pragma once
// BTF for the types an ELF file's DWARF describes, made by dwarves' pahole
// (`pahole --btf_encode_detached`), the tool the kernel's own build turns its DWARF into
// BTF with. For BPF objects whose .BTF lacks a struct: clang emits BTF only for types that
// a global, a function signature or a CO-RE relocation uses, so a struct written only
// through a local pointer (the selftest xdp_hw_metadata's xdp_meta) is in the DWARF (-g)
// alone. Running a tool is a system call, hence here and not in lib/.
#include <xdphints/btf.hpp>
#include <xdphints/result.hpp>

#include <string>

namespace xdphints::edge {

// All types of `elf_path`'s DWARF as one BTF (origin "DWARF of PATH"). Errors: pahole not
// installed (Errc::unsupported), no DWARF in the file (Errc::not_found: built without -g
// or stripped), pahole failed (Errc::invalid_argument, with its message).
Result<Btf> btf_from_dwarf(const std::string &elf_path);

} // namespace xdphints::edge
