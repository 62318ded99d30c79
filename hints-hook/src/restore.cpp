// What a replaced program or a killed process left: the pin and swap of a replaced
// program, putting it back (Replaced::swap_back) and restore_left_behind().
#include "hook_internal.hpp"

#include <xdphints/edge/error.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/proc.hpp>
#include <xdphints/edge/sys.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <cerrno>
#include <cstdlib>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace xdphints::hook {

using detail::Iface;
using detail::attached_program;
using detail::swap_xdp;

namespace detail {

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

} // namespace detail

namespace {

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

} // namespace xdphints::hook
