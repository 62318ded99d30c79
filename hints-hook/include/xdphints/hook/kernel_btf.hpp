#pragma once
// BTF from the running kernel, handed to lib/ as an xdphints::Btf that knows its kernel
// object id. This is the only place hints are described from: a hook's layouts come from
// the BTF the kernel holds for the loaded program, never from a file beside the binary.
//
// Needs CAP_SYS_ADMIN (or CAP_BPF on >= 5.8) for BPF_BTF_GET_FD_BY_ID / BPF_PROG_GET_FD_BY_ID.
#include <xdphints/btf.hpp>
#include <xdphints/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace xdphints::hook {

// The BTF object `btf_obj_id` (bpftool btf list). A program's BTF is self-contained; a
// module's BTF is split and needs vmlinux as its base, which this detects by name.
Result<Btf> btf_from_kernel_id(uint32_t btf_obj_id);

// The BTF of loaded program `prog_id` (bpf_prog_info.btf_id). Error if it has none.
Result<Btf> btf_from_prog_id(uint32_t prog_id);

// The BTF of the XDP program attached to `ifname` in the calling thread's network
// namespace, whatever the mode (driver, generic, offload; bpf_xdp_query).
Result<Btf> btf_from_ifname(std::string_view ifname);

// The split BTF of kernel module `module` (e.g. "veth") on top of vmlinux, as the kernel
// holds it (by object id, not /sys/kernel/btf/<module>). Linux >= 5.11.
Result<Btf> btf_from_module(std::string_view module);

// Kernel object id of the BTF behind `btf_fd` (BPF_OBJ_GET_INFO_BY_FD).
Result<uint32_t> btf_obj_id_of_fd(int btf_fd);

// Split BTF (e.g. a module's) given as bytes, on top of `base` (e.g. vmlinux); the
// result keeps the base alive. libbpf 1.1 declares btf__new_split() but does not export
// it (it is in the 1.2 symbol map), so the bytes go through a memfd and
// btf__parse_raw_split(): system calls, hence here and not in lib/. No privileges needed.
Result<Btf> btf_from_bytes_split(const void *data, size_t size, const Btf &base);

} // namespace xdphints::hook
