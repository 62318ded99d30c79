#include "needs.hpp"

#include <xdphints/edge/ethtool.hpp>
#include <xdphints/hook/transport.hpp>
#include <xdphints/testbed/livegen.hpp>

#include <net/if.h>

#include <cstdlib>
#include <sstream>

namespace xdphints::test {

namespace {

Need probe_live_frames()
{
	Need n{"live-frames", false, {}};
	const Status &live = testbed::live_frames_support(); // the generator's own probe
	if (live)
		n.allowed = true;
	else
		n.why = live.error().message;
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
	return hook::metadata_area_allowed();
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
