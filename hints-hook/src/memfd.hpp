#pragma once
// Bytes as a file, for libbpf calls that only take a path (btf__parse_raw_split,
// bpf_linker): an anonymous memory file, read through /proc/self/fd/N.
#include "sys_error.hpp"

#include <cstddef>
#include <string>

namespace xdphints::detail {

// A memfd named `name` holding `data`; the caller closes it. Errors are reported as `op`.
Result<int> memfd_with(const char *name, const void *data, size_t size, Op op);

// The path by which a process opens its own fd.
std::string fd_path(int fd);

} // namespace xdphints::detail
