// The public entry points for BTF from the running kernel; the kernel calls are edge/'s.
#include <xdphints/hook/kernel_btf.hpp>

#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/kernel_btf.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include <string>

namespace xdphints::hook {

Result<uint32_t> btf_obj_id_of_fd(int btf_fd)
{
	return edge::btf_obj_id_of_fd(btf_fd);
}

Result<Btf> btf_from_kernel_id(uint32_t btf_obj_id)
{
	return edge::btf_from_kernel_id(btf_obj_id);
}

Result<Btf> btf_from_prog_id(uint32_t prog_id)
{
	return edge::btf_from_prog_id(prog_id);
}

Result<Btf> btf_from_ifname(std::string_view ifname)
{
	std::string name(ifname);
	auto ifindex = edge::ifindex_of(name);
	if (!ifindex)
		return ifindex.error();
	auto cur = edge::attached_xdp(*ifindex, name);
	if (!cur)
		return cur.error();
	if (cur->prog_id == 0)
		return Error::detected(Errc::not_found, "no XDP program attached to " + name,
				       "attach a hints hook first (xdp-hints dump " + name + ")");
	return edge::btf_from_prog_id(cur->prog_id);
}

Result<Btf> btf_from_bytes_split(const void *data, size_t size, const Btf &base)
{
	return edge::btf_from_bytes_split(data, size, base);
}

Result<Btf> btf_from_module(std::string_view module)
{
	return edge::btf_from_kernel_name(module);
}

} // namespace xdphints::hook
