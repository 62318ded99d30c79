// The object's variables: the .rodata specialisation constants, the BTF object id in
// .bss, the layouts it writes (against the metadata limit) and whether it calls kfuncs.
#include "hook_internal.hpp"
#include "hook_specs.hpp"

#include <xdphints/hook/meta_limit.hpp>

#include <xdphints/edge/error.hpp>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>
#include <cerrno>
#include <cstring>

namespace xdphints::hook {

namespace {

constexpr const char *kObjIdVar = "xdp_hints_btf_obj_id";

// Offset of global variable `name` in datasec `sec` of the object's BTF.
Result<uint32_t> datasec_var_offset(const struct btf *btf, const char *sec, const char *name)
{
	int sec_id = btf ? btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC) : -ENOENT;
	if (sec_id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, uint32_t(sec_id));
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);
		for (unsigned i = 0; i < btf_vlen(t); i++, vs++) {
			const struct btf_type *v = btf__type_by_id(btf, vs->type);
			if (v && std::strcmp(btf__name_by_offset(btf, v->name_off), name) == 0)
				return vs->offset;
		}
	}
	return Error::detected(Errc::not_found, std::string("the hook has no global '") + name + "' in " + sec,
				 "a hook must declare `__u32 xdp_hints_btf_obj_id;` (see bpf/include/xdp_hints)");
}

} // namespace

namespace detail {

namespace {

// The object's .rodata before load, its u32 variables by name (libbpf's initial value,
// which load copies into the map).
class Rodata {
public:
	explicit Rodata(bpf_object *obj) : btf_(bpf_object__btf(obj))
	{
		if (bpf_map *ro = bpf_object__find_map_by_name(obj, ".rodata"))
			// libbpf 1.1 dereferences the size pointer unconditionally: never pass NULL.
			data_ = static_cast<uint8_t *>(const_cast<void *>(bpf_map__initial_value(ro, &size_)));
	}
	bool has(const char *name) const
	{
		return data_ && datasec_var_offset(btf_, ".rodata", name).has_value();
	}
	Result<uint32_t *> u32(const char *name) const
	{
		if (!data_)
			return Error::detected(Errc::not_found, "the hook has no .rodata map",
					       std::string("a hook must declare `const volatile __u32 ") + name + ";`");
		auto off = datasec_var_offset(btf_, ".rodata", name);
		if (!off)
			return off.error();
		if (*off + 4 > size_)
			return Error::detected(Errc::invalid_argument, "the hook's .rodata is smaller than its BTF says", "rebuild");
		return reinterpret_cast<uint32_t *>(data_ + *off);
	}

private:
	const struct btf *btf_;
	uint8_t *data_ = nullptr;
	size_t size_ = 0;
};

// xdp_hints_prefix_len, checked: the largest layout, whole u64 words, within the scratch.
Result<uint32_t> prefix_len(const Rodata &ro)
{
	auto p = ro.u32("xdp_hints_prefix_len");
	if (!p)
		return p.error();
	uint32_t prefix = 0;
	std::memcpy(&prefix, *p, 4);
	if (prefix == 0 || prefix % 8 != 0 || prefix > 256)
		return Error::detected(Errc::bad_layout, "the hook's prefix length is " + std::to_string(prefix) + " bytes",
				       "rebuild the hook: it must be its largest layout, a multiple of 8 up to 256");
	return prefix;
}

uint32_t transport_value(Transport t)
{
	return t == Transport::prefix ? 1u : 0u; // XDP_HINTS_TRANSPORT_*
}

} // namespace

// Sets the specialisation constants in .rodata before load and reads the prefix length.
Result<uint32_t> set_rodata(bpf_object *obj, const Specialisation &spec)
{
	Rodata ro(obj);
	const std::pair<const char *, uint32_t> vars[] = {
		{"xdp_hints_want", spec.hints},
		{"xdp_hints_ptp_split", spec.ptp_split ? 1u : 0u},
		{"xdp_hints_user_enabled", spec.user_logic ? 1u : 0u},
		{"xdp_hints_transport", transport_value(spec.transport)},
	};
	uint32_t *at[std::size(vars)];
	for (size_t i = 0; i < std::size(vars); i++) {
		auto p = ro.u32(vars[i].first);
		if (!p)
			return p.error();
		at[i] = *p;
	}
	auto prefix = prefix_len(ro);
	if (!prefix)
		return prefix.error();
	for (size_t i = 0; i < std::size(vars); i++)
		std::memcpy(at[i], &vars[i].second, 4);
	return prefix;
}

Result<std::optional<uint32_t>> dual_transport(bpf_object *obj)
{
	Rodata ro(obj);
	if (!ro.has("xdp_hints_transport") || !ro.has("xdp_hints_prefix_len"))
		return std::optional<uint32_t>{};
	auto prefix = prefix_len(ro);
	if (!prefix)
		return prefix.error();
	return std::optional<uint32_t>{*prefix};
}

Status set_transport(bpf_object *obj, Transport t)
{
	auto p = Rodata(obj).u32("xdp_hints_transport");
	if (!p)
		return p.error();
	uint32_t v = transport_value(t);
	std::memcpy(*p, &v, 4);
	return {};
}

bool calls_helper(bpf_program *prog, int id)
{
	const bpf_insn *insns = bpf_program__insns(prog);
	size_t n = bpf_program__insn_cnt(prog);
	for (size_t i = 0; insns && i < n; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == 0 && insns[i].imm == id)
			return true;
	return false;
}

// Writes the kernel BTF object id into the loaded program's .bss (before attach, so the
// first packet already carries the global id).
Status write_obj_id(bpf_object *obj, uint32_t obj_id, const ErrContext &ctx)
{
	bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
	if (!bss)
		return Error::detected(Errc::not_found, "the hook has no .bss map",
					 "a hook must declare `__u32 xdp_hints_btf_obj_id;` (see bpf/include/xdp_hints)");
	auto off = datasec_var_offset(bpf_object__btf(obj), ".bss", kObjIdVar);
	if (!off)
		return off.error();
	std::vector<uint8_t> val(bpf_map__value_size(bss));
	if (*off + sizeof(uint32_t) > val.size())
		return Error::detected(Errc::invalid_argument, std::string(kObjIdVar) + " lies outside .bss", "rebuild the hook");
	uint32_t key = 0;
	int fd = bpf_map__fd(bss);
	if (bpf_map_lookup_elem(fd, &key, val.data()) != 0)
		return sys_error(errno, Op::map, "read the hook's .bss", ctx);
	std::memcpy(val.data() + *off, &obj_id, sizeof(obj_id));
	if (bpf_map_update_elem(fd, &key, val.data(), BPF_ANY) != 0)
		return sys_error(errno, Op::map, "write the BTF object id into the hook's .bss", ctx);
	return {};
}

// Known before load: a layout larger than this kernel's XDP metadata limit is refused
// here, instead of every packet's write failing (the hook passes them to the stack). The
// layouts are read from the object's own BTF: the written ones of a built-in hook, the
// fixed layout or every discovered one of a brought-in hook.
Status layouts_fit(const HookOptions &opt, const std::string &hook, const std::vector<std::string> &written)
{
	auto btf = [&]() -> Result<Btf> {
		if (!opt.object_path.empty())
			return Btf::from_elf(opt.object_path);
		size_t size = 0;
		const void *elf = detail::find_hook_spec(hook)->elf(&size);
		return Btf::from_elf_bytes(elf, size);
	}();
	if (!btf)
		return btf.error();
	DiscoverOptions d;
	if (!opt.layout.empty()) {
		d.auto_discover = false;
		d.structs = {opt.layout};
	}
	auto found = discover_layouts(*btf, d);
	if (!found)
		return {}; // the contract check and load report a broken object
	std::vector<Layout> check;
	for (auto &l : *found)
		if (!opt.object_path.empty() || std::find(written.begin(), written.end(), l.name) != written.end())
			check.push_back(std::move(l));
	return check_layouts_fit(check, metadata_limit(),
				 opt.object_path.empty() ? "hook " + hook : "hook object " + opt.object_path);
}

bool uses_metadata_kfuncs(const struct btf *btf)
{
	for (const char *k : {"bpf_xdp_metadata_rx_timestamp", "bpf_xdp_metadata_rx_hash", "bpf_xdp_metadata_rx_vlan_tag"})
		if (btf && btf__find_by_name_kind(btf, k, BTF_KIND_FUNC) > 0)
			return true;
	return false;
}

} // namespace detail

} // namespace xdphints::hook
