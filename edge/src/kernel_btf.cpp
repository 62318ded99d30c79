#include <xdphints/edge/error.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/kernel_btf.hpp>
#include <xdphints/edge/memfd.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include <cerrno>
#include <string>

namespace xdphints::edge {

namespace {

struct BtfInfo {
	uint32_t id = 0;
	bool kernel = false;
	std::string name;
};

// 0 or the errno of BPF_BTF_GET_FD_BY_ID / BPF_OBJ_GET_INFO_BY_FD.
int btf_info_by_id(uint32_t id, BtfInfo &out)
{
	UniqueFd fd(sys().btf_get_fd_by_id(id));
	if (!fd)
		return errno;
	char name[64] = {};
	bpf_btf_info info{};
	info.name = reinterpret_cast<uintptr_t>(name);
	info.name_len = sizeof(name);
	uint32_t len = sizeof(info);
	if (sys().obj_get_info_by_fd(fd.get(), &info, &len) != 0)
		return errno;
	out = BtfInfo{info.id, info.kernel_btf != 0, name};
	return 0;
}

Result<BtfInfo> btf_info(uint32_t id)
{
	BtfInfo info;
	if (int err = btf_info_by_id(id, info))
		return sys_error(err, Op::btf, "read kernel BTF object " + std::to_string(id));
	return info;
}

Result<uint32_t> kernel_btf_id_by_name(std::string_view name)
{
	uint32_t id = 0;
	while (sys().btf_get_next_id(id, &id) == 0) {
		BtfInfo info;
		if (int err = btf_info_by_id(id, info)) {
			if (err == ENOENT)
				continue; // unloaded meanwhile
			return sys_error(err, Op::btf, "read kernel BTF object " + std::to_string(id));
		}
		if (info.kernel && info.name == name)
			return id;
	}
	if (errno != ENOENT)
		return sys_error(errno, Op::btf, "list kernel BTF objects");
	return Error::detected(Errc::not_found, "no kernel BTF named '" + std::string(name) + "'",
			       "load the module (modprobe " + std::string(name) +
				       ") on a kernel with CONFIG_DEBUG_INFO_BTF_MODULES");
}

} // namespace

Result<Btf> btf_from_kernel_name(std::string_view name)
{
	auto id = kernel_btf_id_by_name(name);
	if (!id)
		return id.error();
	return btf_from_kernel_id(*id);
}

Result<uint32_t> btf_obj_id_of_fd(int btf_fd)
{
	bpf_btf_info info{};
	uint32_t len = sizeof(info);
	if (sys().obj_get_info_by_fd(btf_fd, &info, &len) != 0)
		return sys_error(errno, Op::query, "read info of BTF fd " + std::to_string(btf_fd));
	return info.id;
}

Result<Btf> btf_from_kernel_id(uint32_t btf_obj_id)
{
	auto info = btf_info(btf_obj_id);
	if (!info)
		return info.error();
	// Module BTF is split on vmlinux; program BTF and vmlinux itself stand alone.
	if (info->kernel && info->name != "vmlinux") {
		auto base = btf_from_kernel_name("vmlinux");
		if (!base)
			return base.error();
		struct btf *b = btf__load_from_kernel_by_id_split(btf_obj_id, const_cast<struct btf *>(base->get()));
		if (!b)
			return sys_error(errno, Op::btf, "load split BTF of module " + info->name + " (kernel BTF object " +
								 std::to_string(btf_obj_id) + ")");
		return Btf::adopt(b, btf_obj_id, &*base);
	}
	struct btf *b = btf__load_from_kernel_by_id(btf_obj_id);
	if (!b)
		return sys_error(errno, Op::btf, "load kernel BTF object " + std::to_string(btf_obj_id));
	return Btf::adopt(b, btf_obj_id);
}

Result<Btf> btf_from_prog_id(uint32_t prog_id)
{
	auto fd = prog_fd_by_id(prog_id);
	if (!fd)
		return fd.error();
	auto info = prog_info(fd->get());
	if (!info)
		return info.error();
	if (info->btf_id == 0)
		return Error::detected(Errc::not_found,
				       "BPF program id " + std::to_string(prog_id) + " (" + info->name + ") has no BTF",
				       "load it with BTF (compile with clang -g), or name its object file (--hook-object)");
	return btf_from_kernel_id(info->btf_id);
}

Result<Btf> btf_from_bytes_split(const void *data, size_t size, const Btf &base)
{
	auto fd = memfd_with("xdphints-split-btf", data, size);
	if (!fd)
		return fd.error();
	std::string what = std::to_string(size) + " bytes of split BTF on " + base.origin();
	auto r = Btf::from_raw_file_split(fd_path(fd->get()), base);
	if (!r) {
		Error e = std::move(r).error();
		e.message = "parsing " + what + ": " + e.message;
		return e;
	}
	return r->with_origin(what);
}

} // namespace xdphints::edge
