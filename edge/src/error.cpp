#include <xdphints/edge/error.hpp>

#include <cerrno>
#include <initializer_list>

namespace xdphints::edge {

namespace {

constexpr int kENOTSUPP = 524; // kernel-internal "not supported", leaks out of bpf(2)

// One row of advice: for operation `op` and one of `errs` (none listed: any errno), `fix`,
// in which {if} is the interface, {who} the interface with its driver, {drv} the driver
// (or the interface) and {waited} how long a busy queue was waited for. The first
// matching row wins, so specific rows go before an operation's catch-all.
struct Row {
	Op op;
	std::initializer_list<int> errs;
	const char *fix;
};

constexpr int EPERMS[] = {EPERM, EACCES};
#define PERM EPERM, EACCES
#define UNSUPP EOPNOTSUPP, kENOTSUPP

const Row kRows[] = {
	{Op::resolve_ifname, {}, "no interface {if} in this network namespace (ip link)"},
	{Op::ethtool, {PERM}, "run as root (CAP_NET_ADMIN)"},
	{Op::ethtool, {}, "cannot ask {if} for its driver (ethtool -i {if}); name the hook with --hook"},
	{Op::ethtool_channels, {PERM}, "run as root (CAP_NET_ADMIN)"},
	{Op::ethtool_channels, {}, "the driver does not report its channels: give the queues as a list"},
	{Op::ethtool_ts, {PERM}, "run as root (CAP_NET_ADMIN)"},
	{Op::ethtool_ts, {}, "the driver does not report its timestamping capabilities (ethtool -T {if})"},
	{Op::ethtool_features, {PERM}, "run as root (CAP_NET_ADMIN)"},
	{Op::ethtool_features, {}, "the driver does not report its features (ethtool -k {if})"},
	{Op::hwtstamp, {PERM}, "run as root (CAP_NET_ADMIN)"},
	{Op::hwtstamp, {ERANGE}, "{who} cannot timestamp all received packets in hardware; drop --hwtstamp (the hook "
				 "then writes software timestamps)"},
	{Op::hwtstamp, {}, "{who} has no hardware timestamping; drop --hwtstamp (the hook then writes software "
			   "timestamps)"},
	{Op::netlink, {ENOENT}, "the netdev netlink family needs Linux >= 6.3"},
	{Op::netlink, {}, "generic netlink is unavailable; XDP feature reporting needs Linux >= 6.3"},
	{Op::open_object, {PERM}, nullptr},
	{Op::open_object, {}, "the object is not a BPF ELF file with BTF (compile with clang -target bpf -g)"},
	{Op::load, {EACCES}, "the verifier rejected the program (see the log above); if the hook is yours, fix it, "
			     "else rebuild xdp-hints against this kernel's vmlinux.h"},
	{Op::load, {EINVAL, UNSUPP, ENOENT, ESRCH}, "the kernel rejected the program; needs Linux >= 5.9 with BTF "
						    "(CONFIG_DEBUG_INFO_BTF)"},
	{Op::load, {ENODEV, ENXIO}, "no interface {if} to bind the program to (ip link)"},
	{Op::load, {ENOSPC, E2BIG}, "the verifier log or program is too large; report it"},
	{Op::load, {EPERM}, nullptr},
	{Op::load, {}, "the kernel refused to load the hook"},
	{Op::attach, {EBUSY, EEXIST}, "{if} already has an XDP program; detach it (ip link set dev {if} xdp off) or "
				      "pass --replace"},
	{Op::attach, {UNSUPP}, "driver {drv} has no native XDP; use the generic hook (--hook generic, SKB mode)"},
	{Op::attach, {EINVAL}, "the kernel refused to attach it to {if} without saying why (one such refusal in "
			       "driver mode: an MTU larger than the driver takes for XDP without fragments; ip link "
			       "show {if})"},
	{Op::attach, {PERM}, nullptr},
	{Op::attach, {}, "the kernel refused to attach the hook to {if}"},
	{Op::attach_redirect, {EBUSY, EEXIST}, "an XDP program is already attached there; detach it first (we do not "
					       "replace it)"},
	{Op::attach_redirect, {UNSUPP}, "the driver has no native XDP: use XdpAttach::generic"},
	{Op::attach_redirect, {PERM}, nullptr},
	{Op::attach_redirect, {}, "check the interface exists in this network namespace"},
	{Op::detach, {EBUSY}, "the program on {if} is attached through a bpf_link held by another process; stop that "
			      "process (bpftool link show) instead of --replace"},
	{Op::detach, {PERM}, nullptr},
	{Op::detach, {}, "detach the program yourself (ip link set dev {if} xdp off)"},
	{Op::query, {ENOENT}, "the object went away meanwhile (bpftool prog show); retry"},
	{Op::query, {PERM}, nullptr},
	{Op::query, {}, "needs Linux >= 5.9 (bpf_link, BPF_OBJ_GET_INFO_BY_FD)"},
	{Op::btf, {ENOENT}, "no such BTF object (bpftool btf list); the program may have been unloaded meanwhile"},
	{Op::btf, {PERM}, nullptr},
	{Op::btf, {}, "the kernel BTF could not be read; needs CONFIG_DEBUG_INFO_BTF"},
	{Op::map, {PERM}, nullptr},
	{Op::map, {}, "the hook's maps do not match this loader; rebuild"},
	{Op::xsk_socket, {EAFNOSUPPORT}, "the kernel lacks AF_XDP: enable CONFIG_XDP_SOCKETS"},
	{Op::xsk_socket, {}, "run as root (CAP_NET_RAW)"},
	{Op::umem_reg, {ENOMEM, EPERM}, "raise RLIMIT_MEMLOCK (ulimit -l) or run as root"},
	{Op::umem_reg, {}, "check frame size, count and headroom"},
	{Op::xsk_bind_zc, {EINVAL}, "no DMA-capable device: {who} cannot map the umem for DMA (e.g. virtio_net without "
				    "iommu_platform=on: give QEMU's virtio-net-pci iommu_platform=on,disable-legacy=on); use "
				    "copy mode (or automatic)"},
	{Op::xsk_bind_zc, {UNSUPP}, "{who} has no AF_XDP zero-copy support in its driver (in this kernel): use copy "
				    "mode (or automatic)"},
	{Op::xsk_bind, {EBUSY}, "another AF_XDP socket is bound to this queue{waited}: stop it or pick another queue"},
	{Op::xsk_bind, {EINVAL}, "the queue id must be below the device's rx queue count"},
	{Op::xsk_bind, {UNSUPP}, "the driver has no AF_XDP zero-copy support on this queue: use copy mode (or automatic)"},
	{Op::xsk_bind, {}, "check the interface exists and is up"},
	{Op::xsk_bind_shared, {EINVAL}, "two sockets of one umem on the same device and queue must share one fill ring: "
					"use one socket per queue"},
	{Op::xsk_bind_shared, {}, "check the interface and queue exist and no other AF_XDP socket is bound to that queue"},
	{Op::memfd, {ENOSYS}, "memfd_create needs Linux >= 3.17"},
	{Op::memfd, {}, "check the fd and memory limits (ulimit -n, ulimit -v)"},
	{Op::ptp, {PERM}, "run as root (the PTP clock devices /dev/ptpN are root's)"},
	{Op::ptp, {ENOENT, ENODEV}, "the PHC of {if} has no device node (ls /dev/ptp*; ethtool -T {if}); without it "
				    "hardware timestamps cannot be converted to system time"},
	{Op::ptp, {}, "the PHC of {who} cannot be read against system time (phc_ctl /dev/ptpN cmp)"},
	{Op::tc, {PERM}, "run as root (CAP_NET_ADMIN)"},
	{Op::tc, {ENOENT, UNSUPP}, "this kernel lacks the qdisc: load its module (modprobe sch_ingress; clsact is "
				   "CONFIG_NET_SCH_INGRESS too)"},
	{Op::tc, {}, "check the interface exists and has no conflicting qdisc (tc qdisc show dev {if})"},
	{Op::command, {ENOENT}, "install it (make deps installs iproute2)"},
	{Op::command, {PERM}, "run as root (CAP_NET_ADMIN, CAP_SYS_ADMIN)"},
	{Op::command, {UNSUPP}, "this kernel lacks a part the command needs: load its module (for a qdisc: modprobe "
				"sch_ingress)"},
	{Op::command, {}, ""},
	{Op::rx_hash, {ENODATA}, "receive hashing is off on {if}, so every rx_hash is no_data: turn it on with "
				 "ethtool -K {if} rxhash on"},
};
#undef PERM
#undef UNSUPP

// A row whose fix is nullptr: the bpf(2) privileges.
constexpr const char *kBpfPrivFix = "run as root or grant CAP_BPF+CAP_NET_ADMIN (and CAP_PERFMON for kfuncs), and "
				    "check kernel.unprivileged_bpf_disabled";

std::string iface(const ErrContext &c)
{
	return c.ifname.empty() ? std::string("the interface") : c.ifname;
}

std::string fill(std::string fix, const ErrContext &c)
{
	auto put = [&](std::string_view key, const std::string &v) {
		for (size_t p; (p = fix.find(key)) != std::string::npos;)
			fix.replace(p, key.size(), v);
	};
	put("{who}", iface(c) + (c.driver.empty() ? "" : " (driver " + c.driver + ")"));
	put("{drv}", c.driver.empty() ? iface(c) : c.driver);
	put("{waited}", c.waited_ms ? " (still after " + std::to_string(c.waited_ms) + " ms)" : std::string());
	put("{if}", iface(c));
	return fix;
}

bool matches(const Row &r, Op op, int err)
{
	if (r.op != op)
		return false;
	if (r.errs.size() == 0)
		return true;
	for (int e : r.errs)
		if (e == err)
			return true;
	return false;
}

} // namespace

bool is_permission(int err) noexcept
{
	for (int e : EPERMS)
		if (err == e || err == -e)
			return true;
	return false;
}

std::string advice(int err, Op op, const ErrContext &ctx)
{
	err = err < 0 ? -err : err;
	// No such device, no fds: the same for every operation but one bound to the device.
	if ((err == ENODEV || err == ENXIO) && op != Op::load && op != Op::xsk_bind_shared)
		return fill("no interface {if} in this network namespace (ip link)", ctx);
	if (err == EMFILE || err == ENFILE)
		return "check the fd limit (ulimit -n)";
	// A device-bound hook whose kfuncs the driver answers with -EOPNOTSUPP (hook selection
	// says so from the driver table or the kernel's netdev report). Other errnos of a load do
	// not mean that: the load's error reads the verifier's log (hints-hook/load_error.hpp).
	if (op == Op::load && ctx.dev_bound && (err == EOPNOTSUPP || err == kENOTSUPP))
		return "driver " + (ctx.driver.empty() ? "of " + iface(ctx) : ctx.driver) +
		       " does not implement XDP RX metadata kfuncs (needs Linux >= 6.3 and driver support); use the "
		       "generic hook (--hook generic)";
	for (const Row &r : kRows)
		if (matches(r, op, err))
			return r.fix ? fill(r.fix, ctx) : kBpfPrivFix;
	// A zero-copy bind fails like any other bind but for the rows of its own.
	if (op == Op::xsk_bind_zc)
		return advice(err, Op::xsk_bind, ctx);
	return "";
}

Error sys_error(int err, Op op, std::string what, const ErrContext &ctx)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EINVAL; // libbpf returned NULL without errno: still an error
	if (!ctx.ifname.empty() && what.find(ctx.ifname) == std::string::npos)
		what += " on " + ctx.ifname;
	return Error::from_errno(err, std::move(what), advice(err, op, ctx));
}

} // namespace xdphints::edge
