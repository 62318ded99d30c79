#include <xdphints/hook/byo.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/kernel_btf.hpp>
#include <xdphints/hook/meta_limit.hpp>
#include <xdphints/hook/select.hpp>

#include "hook_specs.hpp"
#include "state_record.hpp"
#include "user_link.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/memfd.hpp>
#include <xdphints/edge/netdev.hpp>
#include <xdphints/edge/proc.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <net/if.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <utility>
#include <vector>

// Not in this system's uapi headers (Linux >= 6.3): load an XDP program bound to one
// device so it may call that driver's RX metadata kfuncs, without offloading it.
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

namespace xdphints::hook {

namespace detail {

// The program --replace swaps out: kept open (so it outlives its detachment) and
// described, to be put back. Once commit() swapped the hook in through netlink, this is
// that attachment: destroying it swaps the program back (swap_back()).
struct Replaced {
	edge::UniqueFd fd;
	uint32_t id = 0;
	uint32_t mode = 0; // XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE
	std::string name;
	std::string pin; // bpffs path, "" when not pinned
	StateKey key;
	// Set by commit(): the hook's program (a dup: independent of the bpf_object), its mode
	// and where it is attached.
	edge::UniqueFd hook_fd;
	uint32_t hook_mode = 0;
	int ifindex = 0;
	std::string ifname;
	bool swapped() const noexcept { return hook_fd.valid(); }
	// Puts the replaced program back and says so; nothing when not swapped.
	Result<std::string> swap_back();
	Replaced() = default;
	Replaced(const Replaced &) = delete;
	Replaced &operator=(const Replaced &) = delete;
	~Replaced() { (void)swap_back(); }
};

} // namespace detail

using detail::HookSpec;
using edge::ErrContext;
using edge::Op;
using edge::UniqueFd;
using edge::sys_error;
using edge::prog_desc;
using edge::xdp_mode_word;

namespace {

constexpr const char *kProgName = "xdp_hints_hook";
constexpr const char *kObjIdVar = "xdp_hints_btf_obj_id";

struct Iface {
	std::string name;
	int index = 0;
};

Result<Iface> resolve_iface(const HookOptions &opt)
{
	if (!opt.ifname.empty()) {
		if (opt.ifname.size() >= IF_NAMESIZE)
			return Error::detected(Errc::invalid_argument, "interface name '" + opt.ifname + "' is too long",
					       "interface names have at most 15 characters (ip link)");
		auto idx = edge::ifindex_of(opt.ifname);
		if (!idx)
			return idx.error();
		return Iface{opt.ifname, *idx};
	}
	auto name = edge::ifname_of(opt.ifindex);
	if (!name)
		return name.error();
	return Iface{*name, opt.ifindex};
}

Result<edge::AttachedXdp> attached_program(const Iface &ifc)
{
	return edge::attached_xdp(ifc.index, ifc.name);
}

// The interface is taken: by a process that runs (named, with its pid), else as before.
Error busy(const Iface &ifc, const edge::AttachedXdp &cur, const detail::StateKey &key)
{
	edge::Holder h;
	if (auto r = detail::read_state(key); r && r->hook_prog == cur.prog_id && detail::owner_alive(*r))
		h = {r->pid, true};
	else if (cur.is_link())
		h.pid = edge::link_holder(cur.link_id);
	return edge::busy_error(ifc.name, ifc.index, cur, h);
}

// Where to pin a replaced program so it outlives a SIGKILL of dump and its guardian:
// $XDP_HINTS_BPFFS or /sys/fs/bpf, if a bpffs is mounted there; else "".
std::string pin_path(const detail::StateKey &k)
{
	const char *env = std::getenv("XDP_HINTS_BPFFS");
	std::string root = env && *env ? env : "/sys/fs/bpf";
	struct statfs fs {};
	constexpr long kBpfFsMagic = 0xcafe4a11;
	if (statfs(root.c_str(), &fs) != 0 || long(fs.f_type) != kBpfFsMagic)
		return {};
	std::string dir = root + "/xdp-hints";
	if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
		return {};
	return dir + "/" + std::to_string(k.netns) + "-" + std::to_string(k.ifindex) + "-replaced";
}

// Swaps `to` in for `from` (attached in from_mode): atomically (XDP_FLAGS_REPLACE with the
// expected fd) when the modes agree; else detach `from`, attach `to`, and on failure put
// `from` back. 0 or a negative errno.
int swap_xdp(int ifindex, int from_fd, uint32_t from_mode, int to_fd, uint32_t to_mode)
{
	if (from_mode == to_mode) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = from_fd);
		return bpf_xdp_attach(ifindex, to_fd, to_mode | XDP_FLAGS_REPLACE, &o);
	}
	// Native and generic XDP cannot both be attached: a gap is unavoidable here.
	LIBBPF_OPTS(bpf_xdp_attach_opts, d, .old_prog_fd = from_fd);
	if (int err = bpf_xdp_detach(ifindex, from_mode | XDP_FLAGS_REPLACE, &d))
		return err;
	int err = bpf_xdp_attach(ifindex, to_fd, to_mode | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
	if (err)
		(void)bpf_xdp_attach(ifindex, from_fd, from_mode | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
	return err;
}

// The replaced program of a record, opened from its pin or by id (alive while something
// holds it: a guardian's fd); empty when it is gone.
UniqueFd open_replaced(const detail::StateRecord &r)
{
	UniqueFd fd(r.pin.empty() ? -1 : bpf_obj_get(r.pin.c_str()));
	if (!fd && r.replaced_prog)
		fd.reset(edge::sys().prog_get_fd_by_id(r.replaced_prog));
	if (!fd)
		return fd;
	auto info = edge::prog_info(fd.get());
	if (!info || info->id != r.replaced_prog)
		return UniqueFd();
	return fd;
}

// Puts back the program a --replace'd hook swapped out, for a process that is gone.
Result<std::string> restore_program(const Iface &ifc, const detail::StateRecord &r)
{
	ErrContext ctx{ifc.name};
	auto cur = attached_program(ifc);
	if (!cur)
		return cur.error();
	uint32_t cur_mode = edge::xdp_mode_flag(cur->mode);
	std::string by = " by pid " + std::to_string(r.pid) + ", which ended without putting it back";
	std::string prev = prog_desc(r.replaced_prog, r.replaced_name);
	std::string mode = xdp_mode_word(edge::xdp_mode_of_flag(r.replaced_mode));
	UniqueFd old = open_replaced(r);
	if (r.hook_prog && cur->prog_id == r.hook_prog) {
		UniqueFd hook(edge::sys().prog_get_fd_by_id(r.hook_prog));
		if (!hook)
			return sys_error(errno, Op::query, "open the hook left on " + ifc.name, ctx);
		if (old) {
			if (int err = swap_xdp(ifc.index, hook.get(), cur_mode, old.get(), r.replaced_mode))
				return sys_error(err, Op::attach, "put back " + prev + " on " + ifc.name, ctx);
			return "put back " + prev + " on " + ifc.name + " in " + mode + " mode, replaced" + by;
		}
		LIBBPF_OPTS(bpf_xdp_attach_opts, d, .old_prog_fd = hook.get());
		if (int err = bpf_xdp_detach(ifc.index, cur_mode | XDP_FLAGS_REPLACE, &d))
			return sys_error(err, Op::detach, "remove the hook left on " + ifc.name, ctx);
		return "removed the xdp-hints hook (prog id " + std::to_string(r.hook_prog) + ") left on " + ifc.name + by +
		       "; the " + prev + " it had replaced no longer exists (only that process and its guardian held it, "
		       "and no bpffs was mounted at /sys/fs/bpf to pin it): attach your program again";
	}
	if (cur->prog_id == 0 && old) { // killed between detach and attach (mode change)
		if (int err = bpf_xdp_attach(ifc.index, old.get(), r.replaced_mode | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr))
			return sys_error(err, Op::attach, "put back " + prev + " on " + ifc.name, ctx);
		return "put back " + prev + " on " + ifc.name + " in " + mode + " mode, removed" + by;
	}
	if (cur->prog_id == r.replaced_prog)
		return std::string(); // already back
	return "left " + ifc.name + " alone: it has " + prog_desc(cur->prog_id, cur->name) +
	       " now, not the hook pid " + std::to_string(r.pid) + " attached; the " + prev + " it had replaced " +
	       (old ? "still exists (bpftool prog show id " + std::to_string(r.replaced_prog) + ")" : "is gone");
}

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

// Sets the specialisation constants in .rodata before load.
Status set_rodata(bpf_object *obj, unsigned hints, bool ptp_split, bool user_logic)
{
	bpf_map *ro = bpf_object__find_map_by_name(obj, ".rodata");
	if (!ro)
		return Error::detected(Errc::not_found, "the hook has no .rodata map",
					 "a hook must declare `const volatile __u32 xdp_hints_want;`");
	size_t size = 0;
	// libbpf 1.1 dereferences the size pointer unconditionally: never pass NULL.
	auto *data = static_cast<uint8_t *>(const_cast<void *>(bpf_map__initial_value(ro, &size)));
	const struct btf *btf = bpf_object__btf(obj);
	auto want = datasec_var_offset(btf, ".rodata", "xdp_hints_want");
	if (!want)
		return want.error();
	auto split = datasec_var_offset(btf, ".rodata", "xdp_hints_ptp_split");
	if (!split)
		return split.error();
	auto user = datasec_var_offset(btf, ".rodata", "xdp_hints_user_enabled");
	if (!user)
		return user.error();
	if (!data || *want + 4 > size || *split + 4 > size || *user + 4 > size)
		return Error::detected(Errc::invalid_argument, "the hook's .rodata is smaller than its BTF says", "rebuild");
	uint32_t w = hints, p = ptp_split ? 1 : 0, u = user_logic ? 1 : 0;
	std::memcpy(data + *want, &w, 4);
	std::memcpy(data + *split, &p, 4);
	std::memcpy(data + *user, &u, 4);
	return {};
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

uint32_t mode_flag(AttachMode m, bool kfuncs)
{
	switch (m) {
	case AttachMode::driver:
		return XDP_FLAGS_DRV_MODE;
	case AttachMode::skb:
		return XDP_FLAGS_SKB_MODE;
	case AttachMode::automatic:
		break;
	}
	return kfuncs ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
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

} // namespace

Result<std::vector<std::string>> restore_left_behind(std::string_view ifname_v, int gone)
{
	std::string ifname(ifname_v);
	std::vector<std::string> said;
	auto idx = edge::ifindex_of(ifname);
	if (!idx)
		return said; // no interface, nothing on it to restore
	auto key = detail::state_key(*idx);
	if (!key)
		return key.error();
	auto r = detail::read_state(*key);
	if (!r || r->pid == getpid())
		return said;
	if (r->pid != gone && detail::owner_alive(*r)) {
		said.push_back(ifname + " is in use by " + edge::pid_comm(r->pid) + " (pid " + std::to_string(r->pid) +
			       "), which restores it when it ends; nothing reset");
		return said;
	}
	if (r->hwtstamp) {
		auto eth = edge::Ethtool::open(ifname);
		auto set = eth ? eth->set_hwtstamp({r->hw_flags, r->hw_tx, r->hw_rx}) : Result<edge::HwtstampConfig>(eth.error());
		if (!set && edge::is_permission(set.error().sys_errno))
			return set.error(); // the record stays for a privileged run
		else if (!set)
			said.push_back("could not restore hardware timestamping on " + ifname + " left changed by pid " +
				       std::to_string(r->pid) + ": " + set.error().message);
		else
			said.push_back("restored hardware timestamping on " + ifname + " (tx_type " + std::to_string(r->hw_tx) +
				       ", rx_filter " + std::to_string(r->hw_rx) + ") left changed by pid " +
				       std::to_string(r->pid) + ", which ended without restoring it");
	}
	if (r->hook_prog || r->replaced_prog) {
		auto m = restore_program({ifname, *idx}, *r);
		if (!m && edge::is_permission(m.error().sys_errno))
			return m.error(); // the record stays for a privileged run
		if (!m)
			said.push_back(m.error().message);
		else if (!m->empty())
			said.push_back(*m);
	}
	if (!r->pin.empty())
		(void)unlink(r->pin.c_str());
	detail::remove_state(*key);
	return said;
}

Result<std::string> driver_of(std::string_view ifname)
{
	return edge::driver_of(ifname);
}

Result<unsigned> hints_from_fields(std::span<const std::string> fields)
{
	unsigned h = 0;
	for (const auto &f : fields) {
		if (f == "rx_timestamp")
			h |= hint::timestamp;
		else if (f == "rx_hash" || f == "rx_hash_type")
			h |= hint::hash;
		else if (f == "rx_vlan_tci" || f == "rx_vlan_proto")
			h |= hint::vlan;
		else
			return Error::detected(Errc::invalid_argument, "no hint field '" + f + "'",
						 "fields are rx_timestamp, rx_hash, rx_hash_type, rx_vlan_tci, rx_vlan_proto");
	}
	return h;
}

std::vector<std::string> fields_of_hints(unsigned hints)
{
	std::vector<std::string> v;
	if (hints & hint::timestamp)
		v.push_back("rx_timestamp");
	if (hints & hint::hash) {
		v.push_back("rx_hash");
		v.push_back("rx_hash_type");
	}
	if (hints & hint::vlan) {
		v.push_back("rx_vlan_tci");
		v.push_back("rx_vlan_proto");
	}
	return v;
}

std::vector<std::string_view> hook_names()
{
	std::vector<std::string_view> v;
	for (const auto &s : detail::hook_specs())
		v.push_back(s.name);
	return v;
}

Hook::Hook() = default;
Hook::Hook(Hook &&) noexcept = default;
Hook &Hook::operator=(Hook &&) noexcept = default;
Hook::~Hook() = default;

int Hook::map_fd(const std::string &name) const noexcept
{
	bpf_map *m = obj_ ? bpf_object__find_map_by_name(obj_.get(), name.c_str()) : nullptr;
	return m ? bpf_map__fd(m) : -1;
}

uint32_t Hook::replaced_prog_id() const noexcept
{
	return replaced_ ? replaced_->id : 0;
}

int Hook::replaced_prog_fd() const noexcept
{
	return replaced_ ? replaced_->fd.get() : -1;
}

bool Hook::attached() const noexcept
{
	return link_.valid() || (replaced_ && replaced_->swapped());
}

Result<Hook> Hook::load(const HookOptions &opt)
{
	auto ifc = resolve_iface(opt);
	if (!ifc)
		return ifc.error();
	ErrContext ctx{ifc->name, "", "", false};

	auto drv = driver_of(ifc->name);
	// No driver info (some virtual devices): selection falls back to generic.
	std::string driver = drv ? *drv : std::string();
	ctx.driver = driver;

	Hook h;
	h.ifindex_ = ifc->index;
	h.ifname_ = ifc->name;
	h.driver_ = driver;
	bpf_program *prog = nullptr;
	bool dev_bound = false;
	if (!opt.object_path.empty()) {
		auto r = h.open_object(opt, ctx);
		if (!r)
			return r.error();
		prog = *r;
		dev_bound = h.mode_ == AttachMode::driver && uses_metadata_kfuncs(bpf_object__btf(h.obj_.get()));
	} else {
		auto r = h.open_builtin(opt, ctx);
		if (!r)
			return r.error();
		prog = *r;
		dev_bound = detail::find_hook_spec(h.hook_name_)->kfuncs;
	}
	if (auto st = layouts_fit(opt, h.hook_name_, h.written_); !st)
		return st.error();
	ctx.hook = h.hook_name_;
	ctx.dev_bound = dev_bound;
	bpf_object *obj = h.obj_.get();
	if (dev_bound) {
		bpf_program__set_ifindex(prog, unsigned(ifc->index));
		if (int err = bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_XDP_DEV_BOUND_ONLY))
			return sys_error(err, Op::load, "mark hook " + h.hook_name_ + " device-bound", ctx);
	}
	int load_err = bpf_object__load(obj);
	h.load_fds_.clear(); // libbpf has read them
	if (int err = load_err)
		return sys_error(err, Op::load,
				 "load hook " + h.hook_name_ + (dev_bound ? " bound to " : " for ") + ifc->name +
					 " (driver " + (driver.empty() ? "unknown" : driver) + ")",
				 ctx);

	h.prog_fd_ = bpf_program__fd(prog);
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	if (bpf_obj_get_info_by_fd(h.prog_fd_, &info, &len) != 0)
		return sys_error(errno, Op::query, "read info of the loaded hook", ctx);
	h.prog_id_ = info.id;

	auto obj_id = btf_obj_id_of_fd(bpf_object__btf_fd(obj));
	if (!obj_id)
		return obj_id.error();
	h.btf_obj_id_ = *obj_id;
	if (info.btf_id != h.btf_obj_id_)
		return Error::detected(Errc::invalid_argument,
					 "the hook's BTF is object " + std::to_string(h.btf_obj_id_) +
						 " but the program reports " + std::to_string(info.btf_id),
					 "report this: libbpf and the kernel disagree");
	// Our hooks must carry the object id; a brought-in hook may (btf_id layouts do not).
	if (auto st = write_obj_id(obj, h.btf_obj_id_, ctx); !st && opt.object_path.empty())
		return st.error();

	// The layouts are described by the BTF the kernel holds for this program.
	auto btf = btf_from_kernel_id(info.btf_id);
	if (!btf)
		return btf.error();
	h.btf_ = std::make_unique<Btf>(std::move(*btf));

	bpf_map *xsks = nullptr, *stats = bpf_object__find_map_by_name(obj, "hook_stats");
	bpf_map *m;
	bpf_object__for_each_map(m, obj)
		if (bpf_map__type(m) == BPF_MAP_TYPE_XSKMAP)
			xsks = m;
	if (!xsks || (!stats && opt.object_path.empty()))
		return Error::detected(Errc::not_found, "hook " + h.hook_name_ + " lacks its XSKMAP or hook_stats", "rebuild");
	h.xsks_map_fd_ = bpf_map__fd(xsks);
	h.stats_map_fd_ = stats ? bpf_map__fd(stats) : -1;
	return h;
}

Result<bpf_program *> Hook::open_builtin(const HookOptions &opt, const ErrContext &ctx)
{
	// The best hook this kernel and driver can run, and why (select.cpp).
	auto sel = select_hook_for(opt, ifindex_, ctx.ifname, driver_);
	if (!sel)
		return sel.error();
	const HookSpec &spec = *detail::find_hook_spec(sel->hook);
	unsigned hints = sel->hints;
	if (opt.ptp_split && !(hints & detail::HINT_TIMESTAMP))
		return Error::detected(Errc::invalid_argument, "the PTP layout split needs rx_timestamp, which is not asked for",
					 "ask for rx_timestamp too, or drop the PTP split");

	reason_ = std::move(sel->reason);
	hook_name_ = spec.name;
	mode_ = mode_flag(opt.mode, spec.kfuncs) == XDP_FLAGS_DRV_MODE ? AttachMode::driver : AttachMode::skb;
	hints_ = hints;
	driver_hints_ = spec.hints;
	ptp_split_ = opt.ptp_split;
	user_logic_ = !opt.user_object.empty();
	if (opt.ptp_split) {
		written_.push_back(detail::layout_name(spec, hints & detail::HINT_TIMESTAMP));
		if (hints & detail::HINT_HASH)
			written_.push_back(detail::layout_name(spec, hints & detail::HINT_HASH));
	} else {
		written_.push_back(detail::layout_name(spec, hints));
	}

	size_t size = 0;
	const void *elf = spec.elf(&size);
	std::string obj_name(spec.struct_name);
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = obj_name.c_str());
	bpf_object *obj = nullptr;
	if (opt.user_object.empty()) {
		obj = bpf_object__open_mem(elf, size, &oo);
	} else {
		if (written_.size() != 1)
			return Error::detected(Errc::invalid_argument,
						 "hook " + hook_name_ + " writes " + std::to_string(written_.size()) +
							 " layouts; user logic is relocated against exactly one",
						 "drop the PTP layout split when linking user logic");
		auto hook_btf = Btf::from_elf_bytes(elf, size);
		if (!hook_btf)
			return hook_btf.error();
		auto target = detail::core_target_btf(hook_btf->get(), written_[0]);
		if (!target)
			return target.error();
		auto linked = detail::link_with_user(elf, size, opt.user_object);
		if (!linked)
			return linked.error();
		// libbpf reads the custom BTF at load time: the memfds live until then.
		std::string target_path = edge::fd_path(target->get());
		std::string linked_path = edge::fd_path(linked->get());
		load_fds_.push_back(std::move(*target));
		load_fds_.push_back(std::move(*linked));
		oo.btf_custom_path = target_path.c_str();
		obj = bpf_object__open_file(linked_path.c_str(), &oo);
	}
	if (!obj)
		return sys_error(errno, Op::open_object, "open the embedded hook " + obj_name, ctx);
	obj_.reset(obj);

	bpf_program *prog = bpf_object__find_program_by_name(obj, kProgName);
	if (!prog)
		return Error::detected(Errc::not_found, "hook " + obj_name + " has no program " + kProgName, "rebuild");
	if (auto st = set_rodata(obj, hints, opt.ptp_split, user_logic_); !st)
		return st.error();
	return prog;
}

Result<bpf_program *> Hook::open_object(const HookOptions &opt, const ErrContext &ctx)
{
	if (opt.hints || opt.ptp_split || !opt.user_object.empty())
		return Error::detected(Errc::invalid_argument, "hint selection, the PTP split and user logic apply to the built-in hooks",
					 "drop them with --hook-object, or use a built-in hook");
	bpf_object *obj = bpf_object__open_file(opt.object_path.c_str(), nullptr);
	if (!obj)
		return sys_error(errno, Op::open_object, "open hook object " + opt.object_path, ctx);
	obj_.reset(obj);
	if (auto st = check_contract(obj, opt.object_path, opt.layout, opt.layout_btf); !st)
		return st.error();
	auto prog = byo_xdp_program(obj, opt.object_path);
	if (!prog)
		return prog.error();
	hook_name_ = opt.object_path;
	layout_ = opt.layout;
	layout_btf_ = opt.layout_btf;
	// Driver mode unless asked otherwise: a hook that calls kfuncs must be device-bound.
	mode_ = opt.mode == AttachMode::skb ? AttachMode::skb : AttachMode::driver;
	if (mode_ == AttachMode::skb && uses_metadata_kfuncs(bpf_object__btf(obj)))
		return Error::detected(Errc::invalid_argument, "hook object " + opt.object_path + " calls XDP RX metadata kfuncs",
					 "such a hook must be device-bound and attached in driver mode; drop the "
					 "generic (SKB) mode");
	written_ = opt.layout.empty() ? std::vector<std::string>{} : std::vector<std::string>{opt.layout};
	return *prog;
}

Result<Hook> Hook::attach(const HookOptions &opt)
{
	auto h = prepare(opt);
	if (!h)
		return h.error();
	if (auto st = h->commit(); !st)
		return st.error();
	return h;
}

Result<Hook> Hook::prepare(const HookOptions &opt)
{
	auto ifc = resolve_iface(opt);
	if (!ifc)
		return ifc.error();
	ErrContext ctx{ifc->name, "", "", false};
	// What a killed process left here is put back first: it is the state to start from.
	auto restored = restore_left_behind(ifc->name);
	if (!restored)
		return restored.error();
	auto key = detail::state_key(ifc->index);
	if (!key)
		return key.error();
	// Refuse early, before loading anything, when the interface is taken.
	auto taken = [&](const edge::AttachedXdp &c) {
		auto r = detail::read_state(*key);
		return c.prog_id && (!opt.replace || c.is_link() || (r && r->hook_prog == c.prog_id));
	};
	auto cur = attached_program(*ifc);
	if (!cur)
		return cur.error();
	if (taken(*cur))
		return busy(*ifc, *cur, *key);

	HookOptions o = opt;
	o.ifname = ifc->name;
	auto h = load(o);
	if (!h)
		return h.error();
	ctx.driver = h->driver_;
	ctx.hook = h->hook_name_;
	h->restored_ = std::move(*restored);

	// Look again: load() took time, and --replace swaps exactly what we saw.
	cur = attached_program(*ifc);
	if (!cur)
		return cur.error();
	if (taken(*cur))
		return busy(*ifc, *cur, *key);
	if (cur->prog_id) {
		auto r = std::make_unique<detail::Replaced>();
		r->fd.reset(edge::sys().prog_get_fd_by_id(cur->prog_id));
		if (!r->fd)
			return sys_error(errno, Op::detach, "open the XDP program to replace", ctx);
		r->id = cur->prog_id;
		r->mode = edge::xdp_mode_flag(cur->mode);
		r->name = cur->name;
		r->key = *key;
		h->replaced_ = std::move(r);
	}

	if (opt.hwtstamp) {
		auto hw = HwTimestamping::enable(ifc->name);
		if (!hw)
			return hw.error();
		h->hwts_ = std::make_unique<HwTimestamping>(std::move(*hw));
	} else if (opt.hwtstamp_if_off && h->mode_ == AttachMode::driver && (h->hints_ & detail::HINT_TIMESTAMP) &&
		   uses_metadata_kfuncs(bpf_object__btf(h->obj_.get()))) {
		// Only a hook that asks the driver for its timestamp can get hardware ones.
		auto run = HwTimestamping::enable_if_off(ifc->name);
		if (!run)
			return run.error();
		h->rx_ts_ = run->info;
		h->hwts_ = std::move(run->owned);
		if (!run->restored.empty())
			h->restored_.push_back(run->restored);
	}
	return h;
}

Status Hook::commit()
{
	if (attached())
		return {};
	ErrContext ctx{ifname_, driver_, hook_name_, false};
	uint32_t flags = mode_ == AttachMode::driver ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
	const char *mode = xdp_mode_word(edge::xdp_mode_of_flag(flags));
	std::string what = "attach hook " + hook_name_ + " to " + ifname_ + " in " + mode + " mode";
	if (!replaced_) {
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flags);
		UniqueFd link(bpf_link_create(prog_fd_, ifindex_, BPF_XDP, &lo));
		if (!link) {
			int err = errno;
			if (err == EBUSY) {
				if (auto again = attached_program({ifname_, ifindex_}); again && again->prog_id)
					if (auto key = detail::state_key(ifindex_))
						return busy({ifname_, ifindex_}, *again, *key);
			}
			return sys_error(err, Op::attach, what, ctx);
		}
		link_ = std::move(link);
		return {};
	}

	// Written down before the swap, with a pin when a bpffs is mounted, so that a SIGKILL
	// from here on is undone by the guardian, the next attach or `xdp-hints reset`.
	detail::Replaced &r = *replaced_;
	r.pin = pin_path(r.key);
	if (!r.pin.empty()) {
		(void)unlink(r.pin.c_str());
		if (bpf_obj_pin(r.fd.get(), r.pin.c_str()) != 0)
			r.pin.clear();
	}
	auto rec = detail::read_state(r.key).value_or(detail::StateRecord{});
	rec.ifname = ifname_;
	rec.hook_prog = prog_id_;
	rec.replaced_prog = r.id;
	rec.replaced_mode = r.mode;
	rec.replaced_name = r.name.empty() ? "-" : r.name;
	rec.pin = r.pin;
	auto undo_record = [&] {
		if (!r.pin.empty())
			(void)unlink(r.pin.c_str());
		r.pin.clear();
		auto now = detail::read_state(r.key).value_or(detail::StateRecord{});
		now.hook_prog = now.replaced_prog = 0;
		now.pin.clear();
		(void)detail::write_state(r.key, now);
	};
	if (auto st = detail::write_state(r.key, rec); !st) {
		undo_record();
		return st.error();
	}
	// The hook's own fd for the swap back: valid whatever becomes of the bpf_object.
	UniqueFd hook_fd(fcntl(prog_fd_, F_DUPFD_CLOEXEC, 0));
	if (!hook_fd) {
		int err = errno;
		undo_record();
		return Error::from_errno(err, "keep an fd of hook " + hook_name_ + " for the swap back", "check the fd limit (ulimit -n)");
	}
	if (int err = swap_xdp(ifindex_, r.fd.get(), r.mode, prog_fd_, flags)) {
		undo_record();
		return sys_error(err, Op::attach,
				 "swap hook " + hook_name_ + " in for " + prog_desc(r.id, r.name) + " on " + ifname_ + " (" +
					 mode + " mode; it stays attached)",
				 ctx);
	}
	r.hook_fd = std::move(hook_fd);
	r.hook_mode = flags;
	r.ifindex = ifindex_;
	r.ifname = ifname_;
	return {};
}

Result<std::string> detail::Replaced::swap_back()
{
	if (!swapped())
		return std::string();
	UniqueFd hook = std::move(hook_fd);
	int err = swap_xdp(ifindex, hook.get(), hook_mode, fd.get(), mode);
	// Done or impossible (the interface is gone): nothing left for a restore to do.
	auto rec = detail::read_state(key).value_or(detail::StateRecord{});
	rec.hook_prog = rec.replaced_prog = 0;
	rec.pin.clear();
	(void)detail::write_state(key, rec);
	if (!pin.empty())
		(void)unlink(pin.c_str());
	std::string prev = prog_desc(id, name);
	if (err)
		return sys_error(err, Op::attach, "put back " + prev + " on " + ifname, {ifname});
	return "put back " + prev + " on " + ifname + " in " + xdp_mode_word(edge::xdp_mode_of_flag(mode)) + " mode";
}

Result<std::string> Hook::detach()
{
	link_.reset();
	return replaced_ ? replaced_->swap_back() : Result<std::string>(std::string());
}

Result<std::vector<Layout>> Hook::layouts() const
{
	DiscoverOptions d;
	if (!layout_.empty()) {
		d.auto_discover = false;
		d.structs = {layout_};
		// A brought-in struct may be described outside the program's BTF.
		auto r = byo_layouts(*btf_, hook_name_, d, layout_btf_);
		if (!r)
			return r.error();
		return std::move(r->layouts);
	}
	return discover_layouts(*btf_, d);
}

Result<HookStats> Hook::stats() const
{
	if (stats_map_fd_ < 0)
		return Error::detected(Errc::not_found, "hook " + hook_name_ + " has no hook_stats map",
					 "statistics come from hooks that declare the hook_stats per-CPU array");
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return sys_error(ncpu, Op::query, "count possible CPUs");
	std::vector<uint64_t> v(size_t(ncpu) * 1);
	uint64_t sums[5] = {};
	bpf_map_info mi{};
	uint32_t mlen = sizeof(mi);
	if (bpf_obj_get_info_by_fd(stats_map_fd_, &mi, &mlen) != 0)
		return sys_error(errno, Op::query, "read info of the hook's statistics map");
	for (uint32_t k = 0; k < 5 && k < mi.max_entries; k++) {
		if (bpf_map_lookup_elem(stats_map_fd_, &k, v.data()) != 0)
			return sys_error(errno, Op::map, "read the hook's statistics", {ifname_, driver_, hook_name_, false});
		for (uint64_t x : v)
			sums[k] += x;
	}
	return HookStats{sums[0], sums[1], sums[2], sums[3], sums[4]};
}

} // namespace xdphints::hook
