#include "sys_error.hpp"

#include <cerrno>

namespace xdphints::detail {

namespace {

constexpr int kENOTSUPP = 524; // kernel-internal "not supported", leaks out of bpf(2)

std::string iface(const ErrContext &c)
{
	return c.ifname.empty() ? std::string("the interface") : c.ifname;
}

std::string no_kfuncs_fix(const ErrContext &c)
{
	std::string d = c.driver.empty() ? std::string("of ") + iface(c) : c.driver;
	return "driver " + d +
	       " does not implement XDP RX metadata kfuncs (needs Linux >= 6.3 and driver support);"
	       " use the generic hook (--hook generic)";
}

constexpr const char *kPrivFix = "run as root or grant CAP_BPF+CAP_NET_ADMIN (and CAP_PERFMON for "
				 "kfuncs), and check kernel.unprivileged_bpf_disabled";

std::string fix_for(int err, Op op, const ErrContext &c)
{
	if (err == EPERM || err == EACCES) {
		if (op == Op::load && err == EACCES)
			return "the verifier rejected the program (see the log above); if the hook "
			       "is yours, fix it, else rebuild xdp-hints against this kernel's vmlinux.h";
		return kPrivFix;
	}
	switch (op) {
	case Op::resolve_ifname:
		return "no interface " + iface(c) + " in this network namespace (ip link)";
	case Op::ethtool:
		return "cannot ask " + iface(c) + " for its driver (ethtool -i " + iface(c) +
		       "); name the hook with --hook";
	case Op::open_object:
		return "the object is not a BPF ELF file with BTF (compile with clang -target bpf -g)";
	case Op::load:
		if (err == EINVAL || err == EOPNOTSUPP || err == kENOTSUPP || err == ENOENT ||
		    err == ESRCH)
			return c.dev_bound ? no_kfuncs_fix(c)
					   : "the kernel rejected the program; needs Linux >= 5.9 with BTF "
					     "(CONFIG_DEBUG_INFO_BTF)";
		if (err == ENODEV || err == ENXIO)
			return "no interface " + iface(c) + " to bind the program to (ip link)";
		if (err == ENOSPC || err == E2BIG)
			return "the verifier log or program is too large; report it";
		return "the kernel refused to load the hook";
	case Op::attach:
		if (err == EBUSY || err == EEXIST)
			return iface(c) + " already has an XDP program; detach it (ip link set dev " +
			       iface(c) + " xdp off) or pass --replace";
		if (err == EOPNOTSUPP || err == kENOTSUPP)
			return "driver " + (c.driver.empty() ? iface(c) : c.driver) +
			       " has no native XDP; use the generic hook (--hook generic, SKB mode)";
		if (err == EINVAL)
			return "the kernel refused the attachment (device-bound program on another "
			       "device, or generic mode for a device-bound program); use --hook generic";
		if (err == ENODEV)
			return "no interface " + iface(c) + " (ip link)";
		return "the kernel refused to attach the hook to " + iface(c);
	case Op::detach:
		if (err == EBUSY)
			return "the program on " + iface(c) +
			       " is attached through a bpf_link held by another process; stop that "
			       "process (bpftool link show) instead of --replace";
		return "detach the program yourself (ip link set dev " + iface(c) + " xdp off)";
	case Op::query:
		if (err == ENODEV)
			return "no interface " + iface(c) + " (ip link)";
		if (err == ENOENT)
			return "the object went away meanwhile (bpftool prog show); retry";
		return "needs Linux >= 5.9 (bpf_link, BPF_OBJ_GET_INFO_BY_FD)";
	case Op::btf:
		if (err == ENOENT)
			return "no such BTF object (bpftool btf list); the program may have been "
			       "unloaded meanwhile";
		return "the kernel BTF could not be read; needs CONFIG_DEBUG_INFO_BTF";
	case Op::map:
		return "the hook's maps do not match this loader; rebuild";
	}
	return "";
}

} // namespace

Error sys_error(int err, Op op, std::string what, const ErrContext &ctx)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EINVAL; // libbpf returned NULL without errno: still an error
	if (!ctx.ifname.empty() && what.find(ctx.ifname) == std::string::npos)
		what += " on " + ctx.ifname;
	return Error::from_errno(err, std::move(what), fix_for(err, op, ctx));
}

Error busy_error(const ErrContext &c, uint32_t prog_id, const std::string &prog_name, bool is_link)
{
	std::string what = c.ifname + " already has XDP program id " + std::to_string(prog_id) +
			   (prog_name.empty() ? std::string() : " (name " + prog_name + ")");
	std::string fix = is_link ? "it is attached through a bpf_link, which neither `ip link set dev " +
					    c.ifname + " xdp off` nor --replace can detach; stop the process "
					    "that holds the link (bpftool link show)"
				  : "detach it (ip link set dev " + c.ifname + " xdp off) or pass --replace";
	return Error::from_errno(EBUSY, std::move(what), std::move(fix));
}

} // namespace xdphints::detail
