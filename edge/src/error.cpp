#include <xdphints/edge/error.hpp>

#include <cerrno>

namespace xdphints::edge {

namespace {

constexpr int kENOTSUPP = 524; // kernel-internal "not supported", leaks out of bpf(2)

std::string iface(const ErrContext &c)
{
	return c.ifname.empty() ? std::string("the interface") : c.ifname;
}

std::string no_iface(const ErrContext &c)
{
	return "no interface " + iface(c) + " in this network namespace (ip link)";
}

std::string no_kfuncs_fix(const ErrContext &c)
{
	std::string d = c.driver.empty() ? std::string("of ") + iface(c) : c.driver;
	return "driver " + d +
	       " does not implement XDP RX metadata kfuncs (needs Linux >= 6.3 and driver support);"
	       " use the generic hook (--hook generic)";
}

constexpr const char *kBpfPrivFix = "run as root or grant CAP_BPF+CAP_NET_ADMIN (and CAP_PERFMON for "
				    "kfuncs), and check kernel.unprivileged_bpf_disabled";
constexpr const char *kFdLimit = "check the fd limit (ulimit -n)";

bool unsupported(int err) { return err == EOPNOTSUPP || err == kENOTSUPP; }

// The operations on AF_XDP sockets and netlink (no bpf(2) privileges involved).
std::string socket_fix(int err, Op op, const ErrContext &c)
{
	if (err == EMFILE || err == ENFILE)
		return kFdLimit;
	switch (op) {
	case Op::xsk_socket:
		if (err == EAFNOSUPPORT)
			return "the kernel lacks AF_XDP: enable CONFIG_XDP_SOCKETS";
		return "run as root (CAP_NET_RAW)";
	case Op::umem_reg:
		if (err == ENOMEM || err == EPERM)
			return "raise RLIMIT_MEMLOCK (ulimit -l) or run as root";
		return "check frame size, count and headroom";
	case Op::xsk_bind:
		if (err == EBUSY)
			return "another AF_XDP socket is bound to this queue" +
			       (c.waited_ms ? " (still after " + std::to_string(c.waited_ms) + " ms)" : std::string()) +
			       ": stop it or pick another queue";
		if (err == EINVAL)
			return "the queue id must be below the device's rx queue count";
		if (unsupported(err))
			return "the driver has no AF_XDP zero-copy support on this queue: use copy mode (or automatic)";
		if (err == ENODEV || err == ENXIO)
			return no_iface(c);
		return "check the interface exists and is up";
	case Op::xsk_bind_shared:
		if (err == EINVAL)
			return "two sockets of one umem on the same device and queue must share one fill ring: use one "
			       "socket per queue";
		return "check the interface and queue exist and no other AF_XDP socket is bound to that queue";
	case Op::netlink:
		if (err == ENODEV)
			return "no interface " + iface(c) + " (ip link)";
		if (err == ENOENT)
			return "the netdev netlink family needs Linux >= 6.3";
		return "generic netlink is unavailable; XDP feature reporting needs Linux >= 6.3";
	case Op::memfd:
		if (err == ENOSYS)
			return "memfd_create needs Linux >= 3.17";
		return "check the fd and memory limits (ulimit -n, ulimit -v)";
	default:
		return "";
	}
}

std::string fix_for(int err, Op op, const ErrContext &c)
{
	switch (op) {
	case Op::xsk_socket:
	case Op::umem_reg:
	case Op::xsk_bind:
	case Op::xsk_bind_shared:
	case Op::netlink:
	case Op::memfd:
		return socket_fix(err, op, c);
	default:
		break;
	}
	if (is_permission(err)) {
		if (op == Op::ethtool || op == Op::ethtool_channels || op == Op::ethtool_ts || op == Op::hwtstamp)
			return "run as root (CAP_NET_ADMIN)";
		if (op == Op::load && err == EACCES)
			return "the verifier rejected the program (see the log above); if the hook "
			       "is yours, fix it, else rebuild xdp-hints against this kernel's vmlinux.h";
		return kBpfPrivFix;
	}
	if (err == EMFILE || err == ENFILE)
		return kFdLimit;
	switch (op) {
	case Op::resolve_ifname:
		return no_iface(c);
	case Op::ethtool:
		if (err == ENODEV)
			return no_iface(c);
		return "cannot ask " + iface(c) + " for its driver (ethtool -i " + iface(c) + "); name the hook with --hook";
	case Op::ethtool_channels:
		if (err == ENODEV)
			return no_iface(c);
		return "the driver does not report its channels: give the queues as a list";
	case Op::ethtool_ts:
		if (err == ENODEV)
			return no_iface(c);
		return "the driver does not report its timestamping capabilities (ethtool -T " + iface(c) + ")";
	case Op::hwtstamp: {
		std::string who = iface(c) + (c.driver.empty() ? "" : " (driver " + c.driver + ")");
		if (err == ENODEV)
			return no_iface(c);
		if (err == ERANGE)
			return who + " cannot timestamp all received packets in hardware; drop --hwtstamp (the hook "
				     "then writes software timestamps)";
		return who + " has no hardware timestamping; drop --hwtstamp (the hook then writes software timestamps)";
	}
	case Op::open_object:
		return "the object is not a BPF ELF file with BTF (compile with clang -target bpf -g)";
	case Op::load:
		if (err == EINVAL || unsupported(err) || err == ENOENT || err == ESRCH)
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
			return iface(c) + " already has an XDP program; detach it (ip link set dev " + iface(c) +
			       " xdp off) or pass --replace";
		if (unsupported(err))
			return "driver " + (c.driver.empty() ? iface(c) : c.driver) +
			       " has no native XDP; use the generic hook (--hook generic, SKB mode)";
		if (err == EINVAL)
			return "the kernel refused the attachment (device-bound program on another "
			       "device, or generic mode for a device-bound program); use --hook generic";
		if (err == ENODEV)
			return "no interface " + iface(c) + " (ip link)";
		return "the kernel refused to attach the hook to " + iface(c);
	case Op::attach_redirect:
		if (err == EBUSY || err == EEXIST)
			return "an XDP program is already attached there; detach it first (we do not replace it)";
		if (unsupported(err))
			return "the driver has no native XDP: use XdpAttach::generic";
		return "check the interface exists in this network namespace";
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
	default:
		return "";
	}
}

} // namespace

bool is_permission(int err) noexcept
{
	return err == EPERM || err == EACCES || err == -EPERM || err == -EACCES;
}

std::string advice(int err, Op op, const ErrContext &ctx)
{
	return fix_for(err < 0 ? -err : err, op, ctx);
}

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

} // namespace xdphints::edge
