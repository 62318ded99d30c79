#include <xdphints/af_xdp/redirect_program.hpp>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <unistd.h>
#include <utility>

namespace xdphints::afxdp {

Result<RedirectProgram> RedirectProgram::attach(int ifindex, uint32_t max_queues, XdpAttach mode)
{
	RedirectProgram p;
	p.ifindex_ = ifindex;
	std::string dev = "ifindex " + std::to_string(ifindex);

	int fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "xh_xsks", sizeof(uint32_t), sizeof(uint32_t), max_queues, nullptr);
	if (fd < 0)
		return Error::from_errno(fd, "creating an XSKMAP of " + std::to_string(max_queues) + " entries",
					 "run as root (CAP_BPF + CAP_NET_ADMIN)");
	p.map_fd_ = fd;

	// r2 = ctx->rx_queue_index; r1 = &xsks; r3 = XDP_PASS; return bpf_redirect_map(r1, r2, r3)
	const bpf_insn insns[] = {
		{BPF_LDX | BPF_MEM | BPF_W, 2, 1, int16_t(offsetof(xdp_md, rx_queue_index)), 0},
		{BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, p.map_fd_},
		{0, 0, 0, 0, 0},
		{BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS},
		{BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_xsk_redir", "Dual BSD/GPL", insns, sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd < 0)
		return Error::from_errno(fd, "loading the XSKMAP redirect program", "run as root (CAP_BPF + CAP_NET_ADMIN)");
	p.prog_fd_ = fd;

	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	lopts.flags = mode == XdpAttach::driver ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(p.prog_fd_, ifindex, BPF_XDP, &lopts);
	if (fd < 0)
		return Error::from_errno(fd, "attaching the XSKMAP redirect program to " + dev,
					 fd == -EBUSY || fd == -EEXIST ? "an XDP program is already attached there; detach it first (we do not replace it)"
					 : fd == -EOPNOTSUPP ? "the driver has no native XDP: use XdpAttach::generic"
							     : "check the interface exists in this network namespace");
	p.link_fd_ = fd;
	return p;
}

RedirectProgram::RedirectProgram(RedirectProgram &&o) noexcept
	: map_fd_(std::exchange(o.map_fd_, -1)), prog_fd_(std::exchange(o.prog_fd_, -1)),
	  link_fd_(std::exchange(o.link_fd_, -1)), ifindex_(o.ifindex_)
{
}

RedirectProgram &RedirectProgram::operator=(RedirectProgram &&o) noexcept
{
	if (this != &o) {
		reset();
		map_fd_ = std::exchange(o.map_fd_, -1);
		prog_fd_ = std::exchange(o.prog_fd_, -1);
		link_fd_ = std::exchange(o.link_fd_, -1);
		ifindex_ = o.ifindex_;
	}
	return *this;
}

RedirectProgram::~RedirectProgram() { reset(); }

void RedirectProgram::reset() noexcept
{
	// The link first: the program leaves the interface when its last link fd closes.
	for (int *fd : {&link_fd_, &prog_fd_, &map_fd_})
		if (*fd >= 0) {
			::close(*fd);
			*fd = -1;
		}
}

} // namespace xdphints::afxdp
