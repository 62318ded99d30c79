#include <xdphints/testbed/traffic.hpp>

#include "vlan_push.skel.h"

#include <xdphints/edge/error.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace xdphints::testbed {

namespace {

bpf_tc_hook egress_hook(int ifindex)
{
	bpf_tc_hook h{};
	h.sz = sizeof(h);
	h.ifindex = ifindex;
	h.attach_point = BPF_TC_EGRESS;
	return h;
}

} // namespace

Result<VlanTagger> VlanTagger::attach(const Netns &ns, int ifindex, uint16_t tci, uint16_t udp_dport)
{
	VlanTagger t;
	t.ifindex_ = ifindex;
	t.ns_fd_.reset(fcntl(ns.fd(), F_DUPFD_CLOEXEC, 0));
	if (!t.ns_fd_)
		return Error::from_errno(errno, "dup netns fd", "check the fd limit (ulimit -n)");
	t.skel_.reset(vlan_push__open());
	if (!t.skel_)
		return Error::from_errno(errno, "open the tc vlan_push program", "rebuild (make)");
	t.skel_->rodata->vlan_tci = tci;
	t.skel_->rodata->udp_dport = udp_dport;
	if (int err = vlan_push__load(t.skel_.get()))
		return Error::from_errno(-err, "load the tc vlan_push program",
					 "run as root (CAP_BPF, CAP_NET_ADMIN); see the libbpf log above");
	auto in = NetnsScope::enter(t.ns_fd_.get(), ns.name());
	if (!in)
		return in.error();
	auto hook = egress_hook(ifindex);
	int err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return edge::sys_error(err, edge::Op::tc,
				       "create clsact on ifindex " + std::to_string(ifindex) + " in " + ns.name());
	bpf_tc_opts opts{};
	opts.sz = sizeof(opts);
	opts.prog_fd = bpf_program__fd(t.skel_->progs.vlan_push);
	if ((err = bpf_tc_attach(&hook, &opts)))
		return edge::sys_error(err, edge::Op::tc, "attach tc egress vlan_push in " + ns.name());
	return t;
}

void VlanTagger::SkelDestroy::operator()(::vlan_push *s) const noexcept
{
	vlan_push__destroy(s);
}

VlanTagger::~VlanTagger()
{
	if (!ns_fd_)
		return;
	// The namespace may be gone already (and the clsact with it): then nothing to do.
	if (auto in = NetnsScope::enter(ns_fd_.get(), "the tagger's namespace")) {
		auto hook = egress_hook(ifindex_);
		(void)bpf_tc_hook_destroy(&hook);
	}
}

uint64_t VlanTagger::tagged() const noexcept
{
	return skel_ ? __atomic_load_n(&skel_->bss->tagged, __ATOMIC_RELAXED) : 0;
}

Result<UdpFlow> UdpFlow::open(const Netns &ns, const std::string &src_ip, uint16_t sport,
			      const std::string &dst_ip, uint16_t dport)
{
	auto scope = NetnsScope::enter(ns);
	if (!scope)
		return scope.error();
	edge::UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!sock)
		return Error::from_errno(errno, "UDP socket in " + ns.name(), "check the fd limit (ulimit -n)");
	int fd = sock.get();
	UdpFlow flow(std::move(sock), sport, dport);
	sockaddr_in src{}, dst{};
	src.sin_family = dst.sin_family = AF_INET;
	src.sin_port = htons(sport);
	dst.sin_port = htons(dport);
	if (inet_pton(AF_INET, src_ip.c_str(), &src.sin_addr) != 1 || inet_pton(AF_INET, dst_ip.c_str(), &dst.sin_addr) != 1)
		return Error{Errc::invalid_argument, "bad IPv4 address '" + src_ip + "' or '" + dst_ip + "'; fix: use dotted quads"};
	if (bind(fd, reinterpret_cast<sockaddr *>(&src), sizeof(src)) != 0)
		return Error::from_errno(errno, "bind " + src_ip + ":" + std::to_string(sport), "pick a free port");
	if (connect(fd, reinterpret_cast<sockaddr *>(&dst), sizeof(dst)) != 0)
		return Error::from_errno(errno, "connect to " + dst_ip + ":" + std::to_string(dport), "check the test's addresses");
	return flow;
}

Status UdpFlow::send(std::span<const uint8_t> payload) const
{
	if (::send(fd_.get(), payload.data(), payload.size(), 0) < 0)
		return Error::from_errno(errno, "send UDP to port " + std::to_string(dport_), "check the link is up");
	return {};
}

Result<unsigned> UdpFlow::send_burst(std::span<const uint8_t> payload, unsigned count) const
{
	constexpr unsigned kMax = 64;
	iovec iov{const_cast<uint8_t *>(payload.data()), payload.size()};
	mmsghdr msgs[kMax]{};
	for (auto &m : msgs) {
		m.msg_hdr.msg_iov = &iov;
		m.msg_hdr.msg_iovlen = 1;
	}
	unsigned sent = 0;
	while (sent < count) {
		int n = sendmmsg(fd_.get(), msgs, std::min(count - sent, kMax), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return Error::from_errno(errno, "sendmmsg UDP to port " + std::to_string(dport_), "check the link is up");
		if (n == 0)
			break;
		sent += unsigned(n);
	}
	return sent;
}

} // namespace xdphints::testbed
