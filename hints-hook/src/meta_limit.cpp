#include <xdphints/hook/meta_limit.hpp>

#include <xdphints/edge/fd.hpp>
#include <xdphints/query.hpp>

#include "kernel_probe.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace xdphints::hook {

namespace {

constexpr int kStep = 4;       // the metadata length must be a multiple of 4
constexpr int kProbeMax = 512; // bytes tried; every kernel so far stops at 252 or 32
// Packet bytes the program drops from the front first (bpf_xdp_adjust_head), so the
// headroom (256 in a test run, minus struct xdp_frame) never limits the metadata area
// before the length check does: bpf_xdp_adjust_meta answers -EINVAL for headroom and
// -EACCES for the length, and only -EACCES ends the probe with an answer.
constexpr int kGrow = kProbeMax;
constexpr int kPacket = kGrow + 64;

using detail::insn;

// r6 = ctx; bpf_xdp_adjust_head(ctx, kGrow) or abort;
// kProbeMax / kStep times: bpf_xdp_adjust_meta(ctx, -kStep), on failure goto stop;
// return XDP_TX (never refused: the limit is at least kProbeMax);
// stop: return r0 == -EACCES ? XDP_PASS (refused for its length) : XDP_ABORTED.
std::vector<bpf_insn> program()
{
	std::vector<bpf_insn> p;
	std::vector<size_t> to_stop;
	p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0));
	p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, kGrow));
	p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_head));
	size_t head_check = p.size();
	p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0)); // -> abort
	for (int i = 0; i < kProbeMax / kStep; i++) {
		p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0));
		p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, -kStep));
		p.push_back(insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_meta));
		to_stop.push_back(p.size());
		p.push_back(insn(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0)); // -> stop
	}
	p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_TX));
	p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	size_t stop = p.size();
	p.push_back(insn(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, -EACCES)); // -> limit
	size_t abort = p.size();
	p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_ABORTED));
	p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	p.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS)); // limit
	p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	p[head_check].off = int16_t(abort - head_check - 1);
	for (size_t j : to_stop)
		p[j].off = int16_t(stop - j - 1);
	return p;
}

} // namespace

Result<uint32_t> probe_metadata_limit()
{
	const std::vector<bpf_insn> insns = program();
	LIBBPF_OPTS(bpf_prog_load_opts, lo);
	edge::UniqueFd prog(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_meta_limit", "Dual BSD/GPL", insns.data(), insns.size(), &lo));
	if (!prog)
		return Error::from_errno(errno, "loading the XDP metadata-limit probe (a test-run XDP program)",
					 "run as root or grant CAP_BPF + CAP_NET_ADMIN");

	std::vector<uint8_t> pkt(kPacket, 0);
	xdp_md in{}, out{};
	in.data_end = kPacket; // no metadata given, the whole input is packet
	LIBBPF_OPTS(bpf_test_run_opts, o);
	o.data_in = pkt.data();
	o.data_size_in = kPacket;
	o.ctx_in = &in;
	o.ctx_size_in = sizeof(in);
	o.ctx_out = &out;
	o.ctx_size_out = sizeof(out);
	o.repeat = 1;
	if (int err = bpf_prog_test_run_opts(prog.get(), &o))
		return Error::from_errno(err, "running the XDP metadata-limit probe (BPF_PROG_TEST_RUN)",
					 "needs Linux >= 5.13 (an xdp_md context for test runs) and CAP_BPF + CAP_NET_ADMIN");
	switch (o.retval) {
	case XDP_TX:
		return uint32_t(kProbeMax);
	case XDP_PASS:
		// ctx_out.data: the metadata length when the kernel refused the next 4 bytes.
		if (out.data == 0 || out.data % kStep != 0 || out.data > uint32_t(kProbeMax))
			break;
		return out.data;
	default:
		break;
	}
	return Error(Errc::system,
		     "the XDP metadata-limit probe ended unexpectedly (XDP action " + std::to_string(o.retval) +
			     ", metadata " + std::to_string(out.data) +
			     " bytes): bpf_xdp_adjust_head or _adjust_meta failed for a reason other than "
			     "the length; fix: none needed to decode (DecoderOptions::metadata_limit keeps "
			     "its default, 252 bytes); report the kernel version");
}

Result<uint32_t> kernel_metadata_limit()
{
	return detail::probe_once<uint32_t, probe_metadata_limit>();
}

uint32_t metadata_limit_of_release(std::string_view release) noexcept
{
	std::string r(release.substr(0, 32));
	int major = 0, minor = 0;
	if (std::sscanf(r.c_str(), "%d.%d", &major, &minor) != 2)
		return kMetadataLimitBefore68;
	return major > 6 || (major == 6 && minor >= 8) ? kMetadataLimitMax : kMetadataLimitBefore68;
}

MetadataLimit metadata_limit()
{
	auto probed = kernel_metadata_limit();
	if (probed)
		return {*probed, "probed"};
	utsname u{};
	std::string release = uname(&u) == 0 ? u.release : "unknown";
	return {metadata_limit_of_release(release),
		"from the kernel release " + release + "; the probe failed: " + probed.error().message};
}

Status check_layouts_fit(std::span<const Layout> layouts, const MetadataLimit &limit, std::string_view whose)
{
	for (const Layout &l : layouts)
		if (l.size > limit.bytes)
			return Error::detected(Errc::bad_layout,
					       std::string(whose) + " writes struct " + l.name + " of " + std::to_string(l.size) +
						       " bytes, more than the " + std::to_string(limit.bytes) +
						       " bytes of XDP metadata this kernel accepts (" + limit.source +
						       "; bpf_xdp_adjust_meta allows " + std::to_string(kMetadataLimitMax) +
						       " from Linux 6.8, " + std::to_string(kMetadataLimitBefore68) +
						       " before): every write would fail",
					       "shrink the struct to at most " + std::to_string(limit.bytes) +
						       " bytes, or run Linux >= 6.8");
	return {};
}

} // namespace xdphints::hook
