#pragma once
// The one place an errno from the OS becomes an Error with advice: what failed, on which
// interface, and the fix that matches the errno for that kind of operation. Callers pass
// the errno captured right after the failing call. Errors xdp-hints detects itself are not
// made here: they are Error::detected(Errc::..., what, fix), without an errno's text.
#include <xdphints/result.hpp>

#include <string>

namespace xdphints::edge {

enum class Op {
	resolve_ifname,  // if_nametoindex / if_indextoname
	ethtool,         // SIOCETHTOOL ETHTOOL_GDRVINFO (the driver, to choose a hook)
	ethtool_channels, // SIOCETHTOOL ETHTOOL_GCHANNELS
	ethtool_ts,      // SIOCETHTOOL ETHTOOL_GET_TS_INFO
	ethtool_features, // SIOCETHTOOL ETHTOOL_GSSET_INFO / GSTRINGS / GFEATURES
	hwtstamp,        // SIOCGHWTSTAMP / SIOCSHWTSTAMP
	netlink,         // the netdev generic-netlink family
	open_object,     // bpf_object__open_*, memfds for libbpf
	load,            // bpf_object__load (verifier)
	attach,          // bpf_link_create(BPF_XDP) of a hook
	attach_redirect, // bpf_link_create(BPF_XDP) of af_xdp's redirect program
	detach,          // bpf_xdp_detach (--replace)
	query,           // bpf_xdp_query, prog/map/link info
	btf,             // loading BTF from the kernel
	map,             // map create / lookup / update
	xsk_socket,      // socket(AF_XDP)
	umem_reg,        // XDP_UMEM_REG
	xsk_bind,        // bind(AF_XDP), first socket of a umem
	xsk_bind_zc,     // the same with XDP_ZEROCOPY (else as xsk_bind)
	xsk_bind_shared, // bind(AF_XDP) with XDP_SHARED_UMEM
	memfd,           // memfd_create / write
	ptp,             // open /dev/ptpN, PTP_SYS_OFFSET_* (the interface's PHC)
	tc,              // a tc qdisc or filter (clsact, sch_ingress), by netlink or the tc command
	command,         // a command run for us (ip, tc, ethtool, xdp-loader): ENOENT not installed,
	                 // EPERM/EACCES refused for privileges, EOPNOTSUPP a kernel part missing
	rx_hash,         // the RX hash kfunc's answer: ENODATA when the device computes none
};

struct ErrContext {
	std::string ifname;
	std::string driver;
	std::string hook;
	bool dev_bound = false;
	int waited_ms = 0; // xsk_bind: how long EBUSY was retried
};

// The fix for errno `err` (positive or negative) in operation `op`.
std::string advice(int err, Op op, const ErrContext &ctx = {});

// Error::from_errno with advice(); names the interface when `what` does not.
Error sys_error(int err, Op op, std::string what, const ErrContext &ctx = {});

// True for the errnos that mean "not allowed" (EPERM, EACCES).
bool is_permission(int err) noexcept;

} // namespace xdphints::edge
