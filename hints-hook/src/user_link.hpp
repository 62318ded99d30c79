#pragma once
// Running a user's XDP logic inside a hook: link the user's object (defining
// xdp_hints_user()) with the hook's object, and build the CO-RE target in which the
// stable `struct xdp_hints` is the layout the hook writes.
#include <xdphints/edge/fd.hpp>
#include <xdphints/result.hpp>

#include <cstddef>
#include <string>

struct btf;

namespace xdphints::hook::detail {

// memfds (read through /proc/self/fd/N); keep them until bpf_object__load.
// Raw BTF: vmlinux + `hook_btf` + struct xdp_hints = a copy of struct `layout`.
Result<edge::UniqueFd> core_target_btf(const struct btf *hook_btf, const std::string &layout);
// ELF: the hook object (bytes) statically linked with the user's object file.
Result<edge::UniqueFd> link_with_user(const void *hook_elf, size_t size, const std::string &user_object);

} // namespace xdphints::hook::detail
