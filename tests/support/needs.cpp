#include "needs.hpp"

#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/fd.hpp>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace xdphints::test {

namespace {

bpf_insn insn(uint8_t code, uint8_t dst, int32_t imm)
{
	bpf_insn i{};
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.imm = imm;
	return i;
}
constexpr uint8_t kMovImm = BPF_ALU64 | BPF_MOV | BPF_K;
constexpr uint8_t kCall = BPF_JMP | BPF_CALL;
constexpr uint8_t kExit = BPF_JMP | BPF_EXIT;

Result<bool> probe_metadata_area()
{
	// r1 is the context; bpf_xdp_adjust_meta(ctx, -8); return XDP_PASS. The verifier
	// decides: a kernel that refuses the helper to XDP programs refuses the load.
	const bpf_insn prog[] = {insn(kMovImm, BPF_REG_2, -8), insn(kCall, 0, BPF_FUNC_xdp_adjust_meta),
				 insn(kMovImm, BPF_REG_0, XDP_PASS), insn(kExit, 0, 0)};
	edge::UniqueFd fd(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_meta_probe", "GPL", prog, std::size(prog), nullptr));
	if (fd)
		return true;
	int err = errno;
	if (err == EINVAL || err == EACCES) // the verifier's refusal
		return false;
	return Error::from_errno(err, "loading an XDP program that calls bpf_xdp_adjust_meta",
				 "run as root (CAP_BPF + CAP_NET_ADMIN)");
}

Need probe_live_frames()
{
	Need n{"live-frames", false, {}};
	const bpf_insn prog[] = {insn(kMovImm, BPF_REG_0, XDP_DROP), insn(kExit, 0, 0)};
	edge::UniqueFd fd(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_live_probe", "GPL", prog, std::size(prog), nullptr));
	if (!fd) {
		n.why = std::string("loading a two-instruction XDP program failed: ") + std::strerror(errno);
		return n;
	}
	uint8_t frame[64] = {}; // an Ethernet frame's length; dropped by the program
	LIBBPF_OPTS(bpf_test_run_opts, o);
	o.data_in = frame;
	o.data_size_in = sizeof frame;
	o.repeat = 1;
	o.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
	if (int err = bpf_prog_test_run_opts(fd.get(), &o)) {
		n.why = std::string("BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES: ") + std::strerror(-err);
		return n;
	}
	n.allowed = true;
	return n;
}

Need probe_phc()
{
	Need n{"phc", false, {}};
	if (const char *named = std::getenv("XDP_HINTS_TEST_PHC_IF"); named && *named) {
		n.allowed = true; // the [phc] cases require it to have one
		return n;
	}
	struct if_nameindex *all = if_nameindex();
	for (auto *i = all; i && i->if_index && !n.allowed; i++)
		if (auto e = edge::Ethtool::open(i->if_name))
			if (auto ts = e->ts_info(); ts && ts->phc_index >= 0)
				n.allowed = true;
	if_freenameindex(all);
	if (!n.allowed)
		n.why = "no interface of this network namespace has a PTP hardware clock, and XDP_HINTS_TEST_PHC_IF "
			"names none";
	return n;
}

Need need_meta()
{
	Need n{"meta", false, {}};
	auto allowed = metadata_area_allowed();
	if (!allowed)
		n.why = allowed.error().message;
	else if (!*allowed)
		n.why = "the kernel refuses the XDP metadata area: the verifier rejects bpf_xdp_adjust_meta in an XDP program";
	else
		n.allowed = true;
	return n;
}

// XDPHINTS_TEST_REFUSE: need names, separated by spaces or commas.
std::vector<std::string> refused_by_environment()
{
	std::vector<std::string> names;
	const char *env = std::getenv("XDPHINTS_TEST_REFUSE");
	std::string s = env ? env : "";
	for (char &c : s)
		if (c == ',')
			c = ' ';
	std::istringstream in(s);
	for (std::string name; in >> name;)
		names.push_back(name);
	return names;
}

std::vector<Need> probe_all()
{
	std::vector<Need> needs{need_meta(), probe_live_frames(), probe_phc()};
	for (const auto &name : refused_by_environment())
		for (auto &n : needs)
			if (n.name == name) {
				n.allowed = false;
				n.why = "refused by XDPHINTS_TEST_REFUSE" + (n.why.empty() ? "" : " (and: " + n.why + ")");
			}
	return needs;
}

} // namespace

Result<bool> metadata_area_allowed()
{
	static const Result<bool> answer = probe_metadata_area();
	return answer;
}

const std::vector<Need> &kernel_needs()
{
	static const std::vector<Need> needs = probe_all();
	return needs;
}

const Need *find_need(const std::string &name)
{
	for (const auto &n : kernel_needs())
		if (n.name == name)
			return &n;
	return nullptr;
}

bool is_need(const std::string &name)
{
	return name == "meta" || name == "live-frames" || name == "phc"; // probe_all()'s
}

std::vector<std::string> unknown_refusals()
{
	std::vector<std::string> unknown;
	for (const auto &name : refused_by_environment())
		if (!is_need(name))
			unknown.push_back(name);
	return unknown;
}

} // namespace xdphints::test
