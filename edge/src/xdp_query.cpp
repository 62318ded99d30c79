#include <xdphints/edge/error.hpp>
#include <xdphints/edge/proc.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include <bpf/bpf.h>
#include <linux/if_link.h>

#include <cerrno>

namespace xdphints::edge {

const char *xdp_mode_word(XdpMode m) noexcept
{
	switch (m) {
	case XdpMode::generic: return "generic (SKB)";
	case XdpMode::offload: return "offload";
	default: return "driver";
	}
}

uint32_t xdp_mode_flag(XdpMode m) noexcept
{
	switch (m) {
	case XdpMode::driver: return XDP_FLAGS_DRV_MODE;
	case XdpMode::generic: return XDP_FLAGS_SKB_MODE;
	case XdpMode::offload: return XDP_FLAGS_HW_MODE;
	default: return 0;
	}
}

XdpMode xdp_mode_of_flag(uint32_t flag) noexcept
{
	switch (flag & XDP_FLAGS_MODES) {
	case XDP_FLAGS_DRV_MODE: return XdpMode::driver;
	case XDP_FLAGS_SKB_MODE: return XdpMode::generic;
	case XDP_FLAGS_HW_MODE: return XdpMode::offload;
	default: return XdpMode::none;
	}
}

Result<ProgInfo> prog_info(int prog_fd)
{
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	if (sys().obj_get_info_by_fd(prog_fd, &info, &len) != 0)
		return sys_error(errno, Op::query, "read info of a BPF program");
	return ProgInfo{info.id, info.btf_id, info.name};
}

Result<UniqueFd> prog_fd_by_id(uint32_t id)
{
	UniqueFd fd(sys().prog_get_fd_by_id(id));
	if (!fd)
		return sys_error(errno, Op::query, "open BPF program id " + std::to_string(id));
	return fd;
}

Result<AttachedXdp> attached_xdp(int ifindex, const std::string &ifname)
{
	const Sys &s = sys();
	uint32_t ids[3] = {};
	if (s.xdp_prog_ids(ifindex, ids) != 0)
		return sys_error(errno, Op::query, "query XDP programs of " + ifname, {ifname});
	AttachedXdp a;
	const XdpMode modes[3] = {XdpMode::driver, XdpMode::generic, XdpMode::offload};
	for (int i = 0; i < 3 && !a.prog_id; i++)
		if (ids[i])
			a.prog_id = ids[i], a.mode = modes[i];
	if (!a.prog_id)
		return a;
	if (auto fd = prog_fd_by_id(a.prog_id))
		if (auto info = prog_info(fd->get()))
			a.name = info->name;
	uint32_t link_id = 0;
	while (s.link_get_next_id(link_id, &link_id) == 0) {
		UniqueFd lfd(s.link_get_fd_by_id(link_id));
		if (!lfd)
			continue;
		bpf_link_info li{};
		uint32_t len = sizeof(li);
		if (s.obj_get_info_by_fd(lfd.get(), &li, &len) == 0 && li.type == BPF_LINK_TYPE_XDP &&
		    li.prog_id == a.prog_id && int(li.xdp.ifindex) == ifindex) {
			a.link_id = link_id;
			break;
		}
	}
	return a;
}

std::string prog_desc(uint32_t id, const std::string &name)
{
	return "XDP program id " + std::to_string(id) + (name.empty() || name == "-" ? "" : " (name " + name + ")");
}

std::vector<std::string> dispatcher_programs(int ifindex)
{
	constexpr int kMax = 10; // libxdp's dispatcher runs at most 10 programs
	uint32_t ids[kMax] = {};
	char names[kMax][16] = {};
	int n = sys().xdp_dispatcher_progs(ifindex, ids, names, kMax);
	std::vector<std::string> out;
	for (int i = 0; i < n && i < kMax; i++)
		out.push_back(std::string(names[i]) + " (id " + std::to_string(ids[i]) + ")");
	return out;
}

Error busy_error(const std::string &ifname, int ifindex, const AttachedXdp &cur, Holder holder)
{
	std::string what = ifname + " already has " + prog_desc(cur.prog_id, cur.name);
	std::string comm = holder.pid > 0 ? pid_comm(holder.pid) : std::string();
	std::string who = (comm.empty() ? std::string("a process") : comm) + " (pid " + std::to_string(holder.pid) + ")";
	if (cur.is_link())
		what += holder.pid > 0 ? ", attached through a bpf_link held by " + who : std::string();
	else if (holder.pid > 0)
		what += holder.replaced ? ", attached by " + who + " in place of another program" : ", attached by " + who;
	auto progs = dispatcher_programs(ifindex);
	if (!progs.empty()) {
		std::string list;
		for (auto &p : progs)
			list += (list.empty() ? "" : ", ") + p;
		what += ", a libxdp dispatcher running " + list;
	}
	std::string fix;
	if (cur.is_link())
		fix = holder.pid > 0 ? "stop the process that holds the link first; neither `ip link set dev " + ifname +
					       " xdp off` nor --replace can detach a bpf_link"
				     : "it is attached through a bpf_link, which neither `ip link set dev " + ifname +
					       " xdp off` nor --replace can detach; stop the process that holds the link "
					       "(bpftool link show)";
	else if (holder.pid > 0 && holder.replaced)
		fix = "stop that process first; it puts back the program it replaced";
	else if (!progs.empty())
		fix = "unload them (xdp-loader unload " + ifname + " --all) or pass --replace";
	else
		fix = "detach it (ip link set dev " + ifname + " xdp off) or pass --replace";
	return Error::detected(Errc::busy, std::move(what), std::move(fix));
}

} // namespace xdphints::edge
