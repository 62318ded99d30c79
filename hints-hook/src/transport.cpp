// The transport: which way hints reach AF_XDP on this kernel (transport.hpp).
#include <xdphints/hook/transport.hpp>

#include <xdphints/edge/fd.hpp>

#include "kernel_probe.hpp"

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace xdphints::hook {

const char *transport_name(Transport t) noexcept
{
	switch (t) {
	case Transport::automatic:
		return "auto";
	case Transport::meta:
		return "meta";
	case Transport::prefix:
		return "prefix";
	}
	return "?";
}

Result<Transport> parse_transport(std::string_view s)
{
	for (Transport t : {Transport::meta, Transport::prefix, Transport::automatic})
		if (s == transport_name(t))
			return t;
	return Error::detected(Errc::invalid_argument, "unknown transport '" + std::string(s) + "'",
				 "choose meta (the XDP metadata area), prefix (in front of the packet) or auto");
}

namespace {

constexpr const char *kMetaWhat = "the XDP metadata area (bpf_xdp_adjust_meta)";

std::string why_prefix()
{
	return std::string("this kernel refuses ") + kMetaWhat + " in XDP programs";
}

} // namespace

Result<TransportChoice> choose_transport(const TransportInput &in)
{
	Transport t = in.requested;
	std::string asked;
	if (t == Transport::automatic && in.from_env) {
		t = *in.from_env;
		asked = std::string(kTransportEnv) + "=" + transport_name(t);
	} else if (t != Transport::automatic) {
		asked = "asked for";
	}
	switch (t) {
	case Transport::meta:
		if (!in.metadata_area)
			return Error::detected(Errc::unsupported,
					       "transport meta (" + asked + "), but " + why_prefix() +
						       ": no hook can write hints there",
					       "use the prefix transport (--transport prefix, HookOptions::transport = "
					       "Transport::prefix), or leave the choice to xdp-hints");
		return TransportChoice{Transport::meta, "transport meta (" + asked + "): hints in " + kMetaWhat};
	case Transport::prefix:
		return TransportChoice{Transport::prefix,
				       "transport prefix (" + asked +
					       "): hints in front of each redirected packet (bpf_xdp_adjust_head), "
					       "stripped before the application sees it"};
	case Transport::automatic:
		break;
	}
	if (in.metadata_area)
		return TransportChoice{Transport::meta, std::string("transport meta: hints in ") + kMetaWhat +
								" in front of each packet, which this kernel allows"};
	return TransportChoice{Transport::prefix,
			       "transport prefix: hints in front of each redirected packet (bpf_xdp_adjust_head), "
			       "stripped before the application sees it, since " +
				       why_prefix()};
}

namespace {

using detail::insn;

// bpf_xdp_adjust_meta(ctx, 0); return XDP_PASS. The verifier checks the helper against the
// program type when it reaches the call: a kernel that refuses the helper fails the load.
Result<bool> probe_metadata_area()
{
	const bpf_insn prog[] = {
		insn(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_meta),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS),
		insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	char log[4096] = {};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_level = 1, .log_size = sizeof(log), .log_buf = log);
	edge::UniqueFd fd(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_meta_probe", "Dual BSD/GPL", prog, 4, &lo));
	if (fd)
		return true;
	int err = errno;
	// "program of this type cannot use helper bpf_xdp_adjust_meta#54" (helper refused),
	// "unknown func bpf_xdp_adjust_meta#54" (a kernel without it).
	if (err == EINVAL && (std::strstr(log, "cannot use helper") || std::strstr(log, "unknown func")))
		return false;
	std::string last;
	for (const char *p = log; *p;) {
		const char *nl = std::strchr(p, '\n');
		std::string line(p, nl ? size_t(nl - p) : std::strlen(p));
		if (!line.empty())
			last = line;
		p = nl ? nl + 1 : p + line.size();
	}
	return Error::from_errno(err,
				 "probing whether XDP programs may use the metadata area (loading a 4-instruction XDP "
				 "program calling bpf_xdp_adjust_meta" +
					 (last.empty() ? std::string(")") : "; verifier: " + last + ")"),
				 "run as root or grant CAP_BPF + CAP_NET_ADMIN, or choose the transport yourself "
				 "(--transport prefix works on every kernel)");
}

} // namespace

Result<bool> metadata_area_allowed()
{
	return detail::probe_once<bool, probe_metadata_area>();
}

Result<TransportChoice> choose_transport_for(Transport requested)
{
	TransportInput in;
	in.requested = requested;
	if (const char *env = std::getenv(kTransportEnv); env && *env) {
		auto t = parse_transport(env);
		if (!t)
			return Error::detected(Errc::invalid_argument,
					       std::string(kTransportEnv) + "=" + env + ": " + t.error().message,
					       "set it to meta or prefix, or unset it");
		if (*t != Transport::automatic)
			in.from_env = *t;
	}
	// Asked for prefix: nothing to probe (it works wherever XDP does).
	Transport effective = requested == Transport::automatic && in.from_env ? *in.from_env : requested;
	if (effective != Transport::prefix) {
		auto allowed = metadata_area_allowed();
		if (!allowed)
			return allowed.error();
		in.metadata_area = *allowed;
	}
	return choose_transport(in);
}

} // namespace xdphints::hook
