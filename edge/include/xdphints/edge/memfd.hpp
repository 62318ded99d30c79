#pragma once
// Bytes as a file, for libbpf calls that only take a path (btf__parse_raw_split,
// bpf_linker, btf_custom_path): an anonymous memory file, read through /proc/self/fd/N.
#include <xdphints/edge/fd.hpp>
#include <xdphints/result.hpp>

#include <cstddef>
#include <string>

namespace xdphints::edge {

// An empty memfd named `name` (close-on-exec).
Result<UniqueFd> memfd(const char *name);
// A memfd named `name` holding `data` (writes retried on EINTR and short writes).
Result<UniqueFd> memfd_with(const char *name, const void *data, size_t size);

// The path by which this process opens its own fd.
std::string fd_path(int fd);

} // namespace xdphints::edge
