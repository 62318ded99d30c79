// The hook's lifecycle: load (open_builtin / open_object), prepare, commit, detach.
// Interface lookup is in iface.cpp, the restore of replaced programs in restore.cpp, the
// object's variables in object_vars.cpp.
#include <xdphints/hook/byo.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/kernel_btf.hpp>
#include <xdphints/hook/meta_limit.hpp>
#include <xdphints/hook/select.hpp>

#include "hook_internal.hpp"
#include "hook_specs.hpp"
#include "load_failure.hpp"
#include "state_record.hpp"
#include "user_link.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/memfd.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <utility>
#include <vector>

// Not in this system's uapi headers (Linux >= 6.3): load an XDP program bound to one
// device so it may call that driver's RX metadata kfuncs, without offloading it.
#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

namespace xdphints::hook {

using detail::HookSpec;
using detail::attached_program;
using detail::busy;
using detail::layouts_fit;
using detail::pin_path;
using detail::resolve_iface;
using detail::set_rodata;
using detail::swap_xdp;
using detail::uses_metadata_kfuncs;
using detail::write_obj_id;

namespace {

constexpr const char *kProgName = "xdp_hints_hook";

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

} // namespace

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
	// The metadata area has a limit per kernel; the prefix is the hook's own size.
	if (h.transport_ == Transport::meta)
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
	detail::LibbpfCapture libbpf_lines; // the verifier's log of a failure goes into its Error
	int load_err = bpf_object__load(obj);
	h.load_fds_.clear(); // libbpf has read them
	if (int err = load_err) {
		auto kfuncs = dev_bound ? kernel_kfunc_hints() : Result<unsigned>(Error());
		return detail::load_failure(err, libbpf_lines.take(),
					    {"load hook " + h.hook_name_ + (dev_bound ? " bound to " : " for ") + ifc->name +
						     " (driver " + (driver.empty() ? "unknown" : driver) + ")",
					     opt.object_path.empty() ? h.hook_name_ : "", opt.object_path, opt.user_object,
					     ifc->name, driver, dev_bound, h.mode_,
					     kfuncs ? std::optional<unsigned>(*kfuncs) : std::nullopt});
	}

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

	// The metadata area where the kernel allows it, else the prefix (transport.cpp).
	auto tr = choose_transport_for(opt.transport);
	if (!tr)
		return tr.error();
	transport_ = tr->transport;
	transport_reason_ = std::move(tr->reason);

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
	auto prefix = set_rodata(obj, {hints, opt.ptp_split, user_logic_, transport_});
	if (!prefix)
		return prefix.error();
	hints_prefix_ = transport_ == Transport::prefix ? *prefix : 0;
	return prog;
}

Result<bpf_program *> Hook::open_object(const HookOptions &opt, const ErrContext &ctx)
{
	if (opt.hints || opt.ptp_split || !opt.user_object.empty())
		return Error::detected(Errc::invalid_argument, "hint selection, the PTP split and user logic apply to the built-in hooks",
					 "drop them with --hook-object, or use a built-in hook");
	bpf_object *obj = bpf_object__open_file(opt.object_path.c_str(), nullptr);
	if (!obj) {
		int err = errno;
		// XDP logic for inside a hook (helpers.bpf.h) declares the hook's variables
		// extern: it opens only linked into a hook, which is what it is for.
		auto btf = Btf::from_elf(opt.object_path);
		int var = btf ? btf__find_by_name_kind(btf->get(), "xdp_hints_transport", BTF_KIND_VAR) : -1;
		if (var > 0 && btf_var(btf__type_by_id(btf->get(), uint32_t(var)))->linkage == BTF_VAR_GLOBAL_EXTERN)
			return Error::detected(Errc::invalid_argument,
					       "hook object " + opt.object_path +
						       " breaks the hook contract: rule 1, exactly one XDP program; it is XDP "
						       "logic for inside a hook (it declares the hook's xdp_hints_transport "
						       "extern, from xdp_hints/helpers.bpf.h), not a hook",
					       "link it into a built-in hook with --user-object (HookOptions::user_object)");
		return sys_error(err, Op::open_object, "open hook object " + opt.object_path, ctx);
	}
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
	// A hook of its own that carries both transports gets the one chosen here, as ours do.
	auto dual = detail::dual_transport(obj);
	if (!dual)
		return dual.error();
	if (*dual) {
		auto tr = choose_transport_for(opt.transport);
		if (!tr)
			return tr.error();
		if (auto st = detail::set_transport(obj, tr->transport); !st)
			return st.error();
		transport_ = tr->transport;
		transport_reason_ = tr->reason + " (hook object " + opt.object_path + " carries both transports)";
		hints_prefix_ = transport_ == Transport::prefix ? **dual : 0;
		return *prog;
	}
	if (opt.transport == Transport::prefix)
		return Error::detected(Errc::invalid_argument,
				       "hook object " + opt.object_path +
					       " writes the XDP metadata area only: it declares no xdp_hints_transport and "
					       "xdp_hints_prefix_len in .rodata, so the prefix transport cannot be chosen for it",
				       "drop --transport prefix, or give the hook both transports "
				       "(bpf/include/xdp_hints/transport.bpf.h), or use a built-in hook (--hook)");
	// On a kernel that refuses the metadata area a meta-only brought-in hook cannot work.
	transport_ = Transport::meta;
	transport_reason_ = "transport meta: hook object " + opt.object_path + " writes the XDP metadata area itself";
	if (detail::calls_helper(*prog, BPF_FUNC_xdp_adjust_meta)) {
		auto allowed = metadata_area_allowed();
		if (allowed && !*allowed)
			return Error::detected(Errc::unsupported,
					       "hook object " + opt.object_path +
						       " writes its hints into the XDP metadata area (it calls bpf_xdp_adjust_meta), "
						       "which this kernel refuses in XDP programs",
					       "use a built-in hook (--hook NAME: they use the prefix transport here), or run "
					       "a kernel that allows the metadata area");
	}
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
	// For a refusal (load_error.hpp): device-bound as load() bound it.
	auto failure_context = [&](std::string what) {
		const detail::HookSpec *spec = detail::find_hook_spec(hook_name_);
		const bool bound = spec ? spec->kfuncs
					: mode_ == AttachMode::driver && uses_metadata_kfuncs(bpf_object__btf(obj_.get()));
		return FailureContext{std::move(what), spec ? hook_name_ : "", spec ? "" : hook_name_, "", ifname_,
				      driver_, bound, mode_};
	};
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
			return detail::attach_failure(err, "", failure_context(what));
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
	detail::LibbpfCapture netlink_lines; // the kernel's extended ack of a refused swap
	if (int err = swap_xdp(ifindex_, r.fd.get(), r.mode, prog_fd_, flags)) {
		undo_record();
		return detail::attach_failure(err, netlink_lines.take(),
					      failure_context("swap hook " + hook_name_ + " in for " + prog_desc(r.id, r.name) +
							      " on " + ifname_ + " (" + mode + " mode; it stays attached)"));
	}
	r.hook_fd = std::move(hook_fd);
	r.hook_mode = flags;
	r.ifindex = ifindex_;
	r.ifname = ifname_;
	return {};
}

uint32_t Hook::max_layout_size() const
{
	return transport_ == Transport::prefix ? hints_prefix_ : metadata_limit().bytes;
}

Result<std::string> Hook::detach()
{
	link_.reset();
	auto swapped = replaced_ ? replaced_->swap_back() : Result<std::string>(std::string());
	// Timestamping after the program, as the destructor does; it says when it left a
	// setting someone else made meanwhile.
	auto hw = hwts_ ? hwts_->restore() : Result<std::string>(std::string());
	if (!swapped || !hw)
		return !swapped ? swapped : hw;
	return *swapped + (swapped->empty() || hw->empty() ? "" : "; ") + *hw;
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
