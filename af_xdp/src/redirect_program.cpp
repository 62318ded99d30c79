#include <xdphints/af_xdp/redirect_program.hpp>
#include <xdphints/edge/error.hpp>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace xdphints::afxdp {

Result<RedirectProgram> RedirectProgram::attach(int ifindex, uint32_t max_queues, XdpAttach mode)
{
	RedirectProgram p;
	p.ifindex_ = ifindex;
	std::string dev = "ifindex " + std::to_string(ifindex);

	p.map_fd_.reset(bpf_map_create(BPF_MAP_TYPE_XSKMAP, "xh_xsks", sizeof(uint32_t), sizeof(uint32_t), max_queues, nullptr));
	if (!p.map_fd_)
		return Error::from_errno(errno, "creating an XSKMAP of " + std::to_string(max_queues) + " entries",
					 "run as root (CAP_BPF + CAP_NET_ADMIN)");

	// r2 = ctx->rx_queue_index; r1 = &xsks; r3 = XDP_PASS; return bpf_redirect_map(r1, r2, r3)
	const bpf_insn insns[] = {
		{BPF_LDX | BPF_MEM | BPF_W, 2, 1, int16_t(offsetof(xdp_md, rx_queue_index)), 0},
		{BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, p.map_fd_.get()},
		{0, 0, 0, 0, 0},
		{BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS},
		{BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP);
	p.prog_fd_.reset(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_xsk_redir", "Dual BSD/GPL", insns, sizeof(insns) / sizeof(insns[0]), &opts));
	if (!p.prog_fd_)
		return Error::from_errno(errno, "loading the XSKMAP redirect program", "run as root (CAP_BPF + CAP_NET_ADMIN)");

	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	lopts.flags = mode == XdpAttach::driver ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	p.link_fd_.reset(bpf_link_create(p.prog_fd_.get(), ifindex, BPF_XDP, &lopts));
	if (!p.link_fd_)
		return edge::sys_error(errno, edge::Op::attach_redirect, "attaching the XSKMAP redirect program to " + dev);
	return p;
}

} // namespace xdphints::afxdp
