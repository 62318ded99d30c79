#include <xdphints/kernel_btf.hpp>

#include "sys_error.hpp"
#include "fd.hpp"
#include "memfd.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <net/if.h>
#include <string>
#include <unistd.h>

namespace xdphints {

using detail::Op;
using detail::Fd;
using detail::sys_error;

namespace {

struct BtfInfo {
	uint32_t id = 0;
	bool kernel = false;
	std::string name;
};

Result<BtfInfo> btf_info_by_id(uint32_t id)
{
	Fd fd(bpf_btf_get_fd_by_id(id));
	if (fd.fd < 0)
		return sys_error(errno, Op::btf, "open kernel BTF object " + std::to_string(id));
	char name[64] = {};
	bpf_btf_info info{};
	info.name = reinterpret_cast<uintptr_t>(name);
	info.name_len = sizeof(name);
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd.fd, &info, &len) != 0)
		return sys_error(errno, Op::query, "read info of kernel BTF object " + std::to_string(id));
	return BtfInfo{info.id, info.kernel_btf != 0, name};
}

// Kernel BTF object id of the kernel BTF named `name` ("vmlinux" or a module name).
Result<uint32_t> kernel_btf_id_by_name(std::string_view name)
{
	uint32_t id = 0;
	while (bpf_btf_get_next_id(id, &id) == 0) {
		auto info = btf_info_by_id(id);
		if (!info) {
			if (info.error().sys_errno == ENOENT)
				continue; // unloaded meanwhile
			return info.error();
		}
		if (info->kernel && info->name == name)
			return id;
	}
	if (errno != ENOENT)
		return sys_error(errno, Op::btf, "list kernel BTF objects");
	return Error::from_errno(ENOENT, "no kernel BTF named '" + std::string(name) + "'",
				 "load the module (modprobe " + std::string(name) +
					 ") on a kernel with CONFIG_DEBUG_INFO_BTF_MODULES");
}

Result<Btf> vmlinux_btf()
{
	auto id = kernel_btf_id_by_name("vmlinux");
	if (!id)
		return id.error();
	struct btf *b = btf__load_from_kernel_by_id(*id);
	if (!b)
		return sys_error(errno, Op::btf, "load vmlinux BTF (kernel BTF object " + std::to_string(*id) + ")");
	return Btf::adopt(b, *id);
}

} // namespace

Result<uint32_t> btf_obj_id_of_fd(int btf_fd)
{
	bpf_btf_info info{};
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(btf_fd, &info, &len) != 0)
		return sys_error(errno, Op::query, "read info of BTF fd " + std::to_string(btf_fd));
	return info.id;
}

Result<Btf> btf_from_kernel_id(uint32_t btf_obj_id)
{
	auto info = btf_info_by_id(btf_obj_id);
	if (!info)
		return info.error();
	// Module BTF is split on vmlinux; program BTF and vmlinux itself stand alone.
	if (info->kernel && info->name != "vmlinux") {
		auto base = vmlinux_btf();
		if (!base)
			return base.error();
		struct btf *b = btf__load_from_kernel_by_id_split(btf_obj_id, const_cast<struct btf *>(base->get()));
		if (!b)
			return sys_error(errno, Op::btf, "load split BTF of module " + info->name +
								 " (kernel BTF object " + std::to_string(btf_obj_id) + ")");
		return Btf::adopt(b, btf_obj_id, &*base);
	}
	struct btf *b = btf__load_from_kernel_by_id(btf_obj_id);
	if (!b)
		return sys_error(errno, Op::btf, "load kernel BTF object " + std::to_string(btf_obj_id));
	return Btf::adopt(b, btf_obj_id);
}

Result<Btf> btf_from_prog_id(uint32_t prog_id)
{
	Fd fd(bpf_prog_get_fd_by_id(prog_id));
	if (fd.fd < 0)
		return sys_error(errno, Op::query, "open BPF program id " + std::to_string(prog_id));
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd.fd, &info, &len) != 0)
		return sys_error(errno, Op::query, "read info of BPF program id " + std::to_string(prog_id));
	if (info.btf_id == 0)
		return Error::from_errno(ENOENT,
					 "BPF program id " + std::to_string(prog_id) + " (" + info.name +
						 ") has no BTF",
					 "load it with BTF (compile with clang -g), or name its object "
					 "file (--hook-object)");
	return btf_from_kernel_id(info.btf_id);
}

Result<Btf> btf_from_ifname(std::string_view ifname)
{
	std::string name(ifname);
	detail::ErrContext ctx{name, "", "", false};
	unsigned ifindex = if_nametoindex(name.c_str());
	if (ifindex == 0)
		return sys_error(ENODEV, Op::resolve_ifname, "look up interface " + name, ctx);
	bpf_xdp_query_opts q{};
	q.sz = sizeof(q);
	if (int err = bpf_xdp_query(int(ifindex), 0, &q))
		return sys_error(err, Op::query, "query XDP programs of " + name, ctx);
	uint32_t id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	if (id == 0)
		return Error::from_errno(ENOENT, "no XDP program attached to " + name,
					 "attach a hints hook first (xdp-hints dump " + name + ")");
	return btf_from_prog_id(id);
}

Result<Btf> btf_from_bytes_split(const void *data, size_t size, const Btf &base)
{
	auto fd = detail::memfd_with("xdphints-split-btf", data, size, Op::btf);
	if (!fd)
		return fd.error();
	Fd owned(*fd);
	std::string what = std::to_string(size) + " bytes of split BTF on " + base.origin();
	auto r = Btf::from_raw_file_split(detail::fd_path(owned.fd), base);
	if (!r) {
		Error e = std::move(r).error();
		e.message = "parsing " + what + ": " + e.message;
		return e;
	}
	return r->with_origin(what);
}

Result<Btf> btf_from_module(std::string_view module)
{
	auto id = kernel_btf_id_by_name(module);
	if (!id)
		return id.error();
	return btf_from_kernel_id(*id);
}

} // namespace xdphints
