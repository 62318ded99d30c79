#include <xdphints/hook.hpp>
#include <xdphints/probe.hpp>

#include "fd.hpp"
#include "hook_specs.hpp"
#include "netdev_nl.hpp"
#include "sys_error.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>

#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace xdphints {

using detail::Fd;

namespace {

void ts_info(ProbeInfo &p)
{
	Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (sock.fd < 0)
		return;
	ethtool_ts_info info{};
	info.cmd = ETHTOOL_GET_TS_INFO;
	ifreq ifr{};
	std::memcpy(ifr.ifr_name, p.ifname.c_str(), p.ifname.size());
	ifr.ifr_data = reinterpret_cast<char *>(&info);
	if (ioctl(sock.fd, SIOCETHTOOL, &ifr) != 0)
		return;
	p.phc_index = info.phc_index;
	p.hw_rx_timestamping = info.so_timestamping & SOF_TIMESTAMPING_RX_HARDWARE;
	p.hw_rx_filters = info.rx_filters;
}

void attached(ProbeInfo &p)
{
	bpf_xdp_query_opts q{};
	q.sz = sizeof(q);
	if (bpf_xdp_query(p.ifindex, 0, &q) != 0)
		return;
	p.attached_prog_id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	if (!p.attached_prog_id)
		return;
	Fd fd(bpf_prog_get_fd_by_id(p.attached_prog_id));
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	if (fd.fd >= 0 && bpf_obj_get_info_by_fd(fd.fd, &info, &len) == 0)
		p.attached_prog_name = info.name;
}

} // namespace

Result<ProbeInfo> probe(std::string_view ifname)
{
	ProbeInfo p;
	p.ifname = std::string(ifname);
	unsigned idx = p.ifname.size() < IF_NAMESIZE ? if_nametoindex(p.ifname.c_str()) : 0;
	if (!idx)
		return detail::sys_error(ENODEV, detail::Op::resolve_ifname, "look up interface " + p.ifname,
					 {p.ifname, "", "", false});
	p.ifindex = int(idx);
	if (auto d = driver_of(p.ifname))
		p.driver = *d;
	p.hook = std::string(hook_for_driver(p.driver));
	if (const detail::HookSpec *s = detail::find_hook_spec(p.hook)) {
		p.hook_struct = std::string(s->struct_name);
		p.hook_uses_kfuncs = s->kfuncs;
		p.hook_min_kernel = std::string(s->min_kernel);
		p.fields = fields_of_hints(s->hints);
	}
	if (auto nd = detail::netdev_xdp(p.ifindex)) {
		p.native_xdp = nd->native_xdp();
		p.zero_copy = nd->zero_copy();
		if (nd->rx_metadata)
			// NETDEV_XDP_RX_METADATA_{TIMESTAMP,HASH,VLAN_TAG} are our hint bits.
			p.kernel_rx_metadata = fields_of_hints(unsigned(*nd->rx_metadata) & hint::all);
	}
	ts_info(p);
	attached(p);
	return p;
}

} // namespace xdphints
