// xdp-hints probe IFNAME: the driver, the hook that would be chosen and the hint fields it
// writes (by the names in the hint structs), what the kernel reports for the device (RX
// metadata, native XDP, AF_XDP zero-copy), the timestamp clock (PHC index), and whether
// the chosen hook passes the verifier on this very interface (loaded, not attached).
#include "commands.hpp"

#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/probe.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace xdphints::cli {

using namespace xdphints::hook;

namespace {

template <class T> nlohmann::ordered_json opt(const std::optional<T> &v)
{
	return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

std::string tri(const std::optional<bool> &v)
{
	return v ? (*v ? "yes" : "no") : "unknown (kernel does not say)";
}

std::string join(const std::vector<std::string> &v)
{
	std::string s;
	for (auto &x : v)
		s += (s.empty() ? "" : " ") + x;
	return s.empty() ? "-" : s;
}

} // namespace

int cmd_probe(const ProbeArgs &a)
{
	auto p = probe(a.ifname);
	if (!p) {
		std::fprintf(stderr, "xdp-hints probe: %s\n", p.error().message.c_str());
		return 1;
	}
	HookOptions ho;
	ho.ifname = a.ifname;
	auto loaded = Hook::load(ho);
	std::string verifier = loaded ? "accepted" : loaded.error().message;

	if (a.json) {
		nlohmann::ordered_json j;
		j["ifname"] = p->ifname;
		j["ifindex"] = p->ifindex;
		j["driver"] = p->driver;
		j["hook"] = p->hook;
		j["hook_reason"] = p->hook_reason;
		j["hook_struct"] = p->hook_struct;
		j["hook_uses_kfuncs"] = p->hook_uses_kfuncs;
		j["transport"] = p->transport;
		j["transport_reason"] = p->transport_reason;
		j["hook_min_kernel"] = p->hook_min_kernel;
		j["fields"] = p->fields;
		j["verifier"] = verifier;
		j["kernel_rx_metadata"] = opt(p->kernel_rx_metadata);
		j["native_xdp"] = opt(p->native_xdp);
		j["zero_copy"] = opt(p->zero_copy);
		j["phc_index"] = p->phc_index;
		j["hw_rx_timestamping"] = p->hw_rx_timestamping;
		j["hw_rx_filters"] = p->hw_rx_filters;
		if (p->rx_timestamping) {
			j["rx_filter"] = rx_filter_name(p->rx_timestamping->rx_filter);
			j["rx_timestamping"] = p->rx_timestamping->describe();
		}
		if (p->phc) {
			const hook::PhcStatus &c = *p->phc;
			j["phc"] = {{"device", "/dev/ptp" + std::to_string(c.phc_index)},
				    {"method", edge::sys_offset_name(c.method)},
				    {"realtime_minus_phc_ns", c.offset_ns},
				    {"error_ns", c.error_ns},
				    {"drift_ppb", c.drift_ppb},
				    {"follows", hook::follows_name(c.follows)},
				    {"running", c.running},
				    {"tai_offset_s", c.tai_offset_s},
				    {"steps", c.steps}};
		} else if (!p->phc_error.empty()) {
			j["phc_error"] = p->phc_error;
		}
		j["attached_prog_id"] = p->attached_prog_id;
		if (p->attached_prog_id)
			j["attached_prog_name"] = p->attached_prog_name;
		std::printf("%s\n", j.dump().c_str());
	} else {
		std::printf("interface      %s (ifindex %d)\n", p->ifname.c_str(), p->ifindex);
		std::printf("driver         %s\n", p->driver.empty() ? "-" : p->driver.c_str());
		std::printf("hook           %s (struct %s, %s, Linux >= %s)\n", p->hook.c_str(), p->hook_struct.c_str(),
			    p->hook_uses_kfuncs ? "device-bound, kfuncs" : "generic, no kfuncs", p->hook_min_kernel.c_str());
		std::printf("               %s\n", p->hook_reason.c_str());
		std::printf("fields         %s\n", join(p->fields).c_str());
		std::printf("transport      %s\n", p->transport_reason.c_str());
		std::printf("verifier       %s\n", verifier.c_str());
		std::printf("kernel says    rx metadata: %s\n",
			    p->kernel_rx_metadata ? join(*p->kernel_rx_metadata).c_str() : "unknown (Linux < 6.8)");
		std::printf("native XDP     %s\n", tri(p->native_xdp).c_str());
		std::printf("AF_XDP zc      %s\n", tri(p->zero_copy).c_str());
		std::printf("PHC            %s\n",
			    p->phc_index >= 0 ? ("/dev/ptp" + std::to_string(p->phc_index)).c_str() : "none");
		std::printf("HW RX tstamp   %s\n", p->hw_rx_timestamping ? "supported" : "not supported");
		if (p->rx_timestamping)
			std::printf("RX filter      %s\n", p->rx_timestamping->describe().c_str());
		if (p->phc) {
			const hook::PhcStatus &c = *p->phc;
			std::printf("PHC clock      %s, read by %s: CLOCK_REALTIME - PHC = %+.9f s +- %lld ns\n",
				    ("/dev/ptp" + std::to_string(c.phc_index)).c_str(), edge::sys_offset_name(c.method),
				    double(c.offset_ns) / 1e9, (long long)c.error_ns);
			if (c.running)
				std::printf("PHC drift      %+.3f ppm against CLOCK_REALTIME (%d measurements over %.1f s)%s\n",
					    c.drift_ppb / 1000, c.samples, c.span_s,
					    c.steps ? (", " + std::to_string(c.steps) + " steps").c_str() : "");
			if (!c.running)
				std::printf("PHC running    NO: it does not advance (a stopped or emulated clock); its hardware "
					    "timestamps cannot be converted to system time\n");
			else
				std::printf("PHC follows    %s%s\n", hook::follows_name(c.follows),
					    c.follows == hook::PhcFollows::neither
						    ? " (free-running or synchronised elsewhere: hardware timestamps need "
						      "converting; hook::PhcClock converts them with this fit)"
					    : c.follows == hook::PhcFollows::tai ? " (ptp4l/phc2sys: hardware timestamps are TAI)"
										 : "");
		} else if (!p->phc_error.empty()) {
			std::printf("PHC clock      cannot be read: %s\n", p->phc_error.c_str());
		}
		if (p->attached_prog_id)
			std::printf("attached       XDP program id %u (%s): dump refuses unless --replace\n",
				    p->attached_prog_id, p->attached_prog_name.c_str());
	}
	return loaded ? 0 : 1;
}

} // namespace xdphints::cli
