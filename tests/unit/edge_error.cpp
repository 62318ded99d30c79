// edge/error.hpp and Error::detected: an errno from the OS gets its text and the advice
// for the operation; an error we detect ourselves gets neither an errno nor its text.
#include <xdphints/edge/error.hpp>

#include <catch2/catch.hpp>

#include <cerrno>

using namespace xdphints;
using namespace xdphints::edge;

TEST_CASE("errors: detected ones carry no errno text, OS ones carry the errno and advice", "[edge][unit]")
{
	Error d = Error::detected(Errc::busy, "eth1 already has XDP program id 7", "detach it");
	CHECK(d.code == Errc::busy);
	CHECK(d.sys_errno == 0);
	CHECK(d.message == "eth1 already has XDP program id 7 (detach it)");
	CHECK(Error::detected(Errc::not_found, "no hook named 'x'", "").message == "no hook named 'x'");

	Error os = sys_error(-EBUSY, Op::attach, "attach hook veth", {.ifname = "eth1"});
	CHECK(os.code == Errc::busy);
	CHECK(os.sys_errno == EBUSY);
	CHECK(os.message == "attach hook veth on eth1: Device or resource busy (eth1 already has an XDP program; "
			    "detach it (ip link set dev eth1 xdp off) or pass --replace)");
	CHECK(Error::from_errno(EOPNOTSUPP, "x", "").code == Errc::unsupported);
	CHECK(Error::from_errno(524, "x", "").code == Errc::unsupported); // the kernel's ENOTSUPP
	CHECK(Error::from_errno(ENODEV, "x", "").code == Errc::no_device);
	CHECK(std::string(errc_name(Errc::device_gone)) == "device_gone");
}

TEST_CASE("errors: one table maps errno to advice for hooks and AF_XDP alike", "[edge][unit]")
{
	struct Row {
		int err;
		Op op;
		ErrContext ctx;
		const char *advice;
	} rows[] = {
		{EAFNOSUPPORT, Op::xsk_socket, {}, "the kernel lacks AF_XDP: enable CONFIG_XDP_SOCKETS"},
		{EPERM, Op::xsk_socket, {}, "run as root (CAP_NET_RAW)"},
		{EMFILE, Op::xsk_socket, {}, "check the fd limit (ulimit -n)"},
		{ENOMEM, Op::umem_reg, {}, "raise RLIMIT_MEMLOCK (ulimit -l) or run as root"},
		{EINVAL, Op::umem_reg, {}, "check frame size, count and headroom"},
		{EBUSY, Op::xsk_bind, {.waited_ms = 20}, "another AF_XDP socket is bound to this queue (still after 20 ms): stop it or pick another queue"},
		{EOPNOTSUPP, Op::xsk_bind, {}, "the driver has no AF_XDP zero-copy support on this queue: use copy mode (or automatic)"},
		{EINVAL, Op::xsk_bind_shared, {}, "two sockets of one umem on the same device and queue must share one fill ring: use one socket per queue"},
		{EEXIST, Op::attach_redirect, {}, "an XDP program is already attached there; detach it first (we do not replace it)"},
		{EOPNOTSUPP, Op::attach_redirect, {}, "the driver has no native XDP: use XdpAttach::generic"},
		{EPERM, Op::load, {}, "run as root or grant CAP_BPF+CAP_NET_ADMIN (and CAP_PERFMON for kfuncs), and check kernel.unprivileged_bpf_disabled"},
		{EPERM, Op::hwtstamp, {}, "run as root (CAP_NET_ADMIN)"},
		{ERANGE, Op::hwtstamp, {.ifname = "eth1", .driver = "igc"}, "eth1 (driver igc) cannot timestamp all received packets in hardware; drop --hwtstamp (the hook then writes software timestamps)"},
		{EOPNOTSUPP, Op::load, {.ifname = "eth1", .driver = "e1000", .dev_bound = true}, "driver e1000 does not implement XDP RX metadata kfuncs (needs Linux >= 6.3 and driver support); use the generic hook (--hook generic)"},
		// EINVAL is no such answer (the verifier refused something: the load's error says what).
		{EINVAL, Op::load, {.ifname = "eth1", .driver = "veth", .dev_bound = true}, "the kernel rejected the program; needs Linux >= 5.9 with BTF (CONFIG_DEBUG_INFO_BTF)"},
		{ENOENT, Op::netlink, {}, "the netdev netlink family needs Linux >= 6.3"},
		// Zero-copy: EINVAL is a device that cannot DMA, EOPNOTSUPP a driver without support;
		// anything else as any bind.
		{EINVAL, Op::xsk_bind_zc, {.ifname = "nic0", .driver = "virtio_net"}, "no DMA-capable device: nic0 (driver virtio_net) cannot map the umem for DMA (e.g. virtio_net without iommu_platform=on: give QEMU's virtio-net-pci iommu_platform=on,disable-legacy=on); use copy mode (or automatic)"},
		{EOPNOTSUPP, Op::xsk_bind_zc, {.ifname = "nic0", .driver = "virtio_net"}, "nic0 (driver virtio_net) has no AF_XDP zero-copy support in its driver (in this kernel): use copy mode (or automatic)"},
		{EOPNOTSUPP, Op::xsk_bind_zc, {}, "the interface has no AF_XDP zero-copy support in its driver (in this kernel): use copy mode (or automatic)"},
		{EBUSY, Op::xsk_bind_zc, {}, "another AF_XDP socket is bound to this queue: stop it or pick another queue"},
		// A missing qdisc or module is the kernel's, not a matter of privileges.
		{ENOENT, Op::tc, {}, "this kernel lacks the qdisc: load its module (modprobe sch_ingress; clsact is CONFIG_NET_SCH_INGRESS too)"},
		{EOPNOTSUPP, Op::tc, {}, "this kernel lacks the qdisc: load its module (modprobe sch_ingress; clsact is CONFIG_NET_SCH_INGRESS too)"},
		{EPERM, Op::tc, {}, "run as root (CAP_NET_ADMIN)"},
		{EINVAL, Op::command, {}, ""},
		{EPERM, Op::command, {}, "run as root (CAP_NET_ADMIN, CAP_SYS_ADMIN)"},
		{ENODATA, Op::rx_hash, {.ifname = "nic0"}, "receive hashing is off on nic0, so every rx_hash is no_data: turn it on with ethtool -K nic0 rxhash on"},
	};
	for (const auto &r : rows) {
		INFO("errno " << r.err << ", op " << int(r.op));
		CHECK(advice(r.err, r.op, r.ctx) == r.advice);
		CHECK(advice(-r.err, r.op, r.ctx) == r.advice); // libbpf's negative errnos alike
	}
}
