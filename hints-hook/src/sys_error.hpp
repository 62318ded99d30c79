#pragma once
// The one place hints-hook/ turns an errno into an Error: what failed, on which interface,
// and the fix that matches the errno for that kind of operation.
#include <xdphints/result.hpp>

#include <cstdint>
#include <string>

namespace xdphints::detail {

enum class Op {
	resolve_ifname, // if_nametoindex / if_indextoname
	ethtool,        // SIOCETHTOOL
	open_object,    // bpf_object__open_*
	load,           // bpf_object__load (verifier)
	attach,         // bpf_link_create(BPF_XDP)
	detach,         // bpf_xdp_detach (--replace)
	query,          // bpf_xdp_query, prog/map/btf info
	btf,            // loading BTF from the kernel
	map,            // map lookup/update
};

struct ErrContext {
	std::string ifname;
	std::string driver;
	std::string hook;
	bool dev_bound = false;
};

// err: a positive errno (a negative one is accepted and negated).
Error sys_error(int err, Op op, std::string what, const ErrContext &ctx = {});

// "IFNAME already has XDP program id N (name X)..." for a program we will not replace.
Error busy_error(const ErrContext &ctx, uint32_t prog_id, const std::string &prog_name, bool is_link);

} // namespace xdphints::detail
