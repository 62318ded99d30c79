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
	// Per owner: a restore that removes a dead owner's pin never removes a newer one's.
	return dir + "/netns-" + std::to_string(k.netns_cookie) + "-" + std::to_string(k.ifindex) + "-pid" +
	       std::to_string(getpid()) + "-replaced";
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

using detail::StateDir;
using detail::StateKey;
using detail::StateRecord;

// The replaced program of a record, opened from its pin or by id (alive while something
// holds it: a guardian's fd); empty when it is gone.
UniqueFd open_replaced(const StateRecord &r)
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

// Puts back the program a --replace'd hook swapped out, for a process that is gone: only
// while the interface still has that hook (or, killed half-way through a mode change, no
// program at all); a program someone attached since is left alone.
Result<std::string> restore_program(const Iface &ifc, const StateRecord &r)
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
	return "left " + ifc.name + " alone: it has " +
	       (cur->prog_id ? prog_desc(cur->prog_id, cur->name) : std::string("no XDP program")) +
	       " now, not the hook pid " + std::to_string(r.pid) + " attached; the " + prev + " it had replaced " +
	       (old ? "still exists (bpftool prog show id " + std::to_string(r.replaced_prog) + ")" : "is gone");
}

// Puts back the timestamping setting a gone process changed, if it is still what it set.
Result<std::string> restore_hwtstamp(const std::string &ifname, const StateRecord &r)
{
	auto eth = edge::Ethtool::open(ifname);
	if (!eth)
		return eth.error();
	edge::HwtstampConfig was{r.hw_flags, r.hw_tx, r.hw_rx};
	std::optional<edge::HwtstampConfig> set;
	if (r.hw_set)
		set = edge::HwtstampConfig{r.hw_set_flags, r.hw_set_tx, r.hw_set_rx};
	auto done = detail::put_back_hwtstamp(*eth, was, set);
	if (!done)
		return done.error();
	std::string by = "pid " + std::to_string(r.pid);
	switch (done->what) {
	case detail::HwPutBack::already:
		return std::string();
	case detail::HwPutBack::left:
		return detail::hwtstamp_left(ifname, *done, was, *set, by) + " (" + by + " ended without restoring it)";
	case detail::HwPutBack::restored:
		break;
	}
	return "restored hardware timestamping on " + ifname + " (" + detail::hwtstamp_words(was) +
	       ") left changed by " + by + ", which ended without restoring it";
}

// What a record held, for the line that drops it: "; it had ... and ...".
std::string held(const StateRecord &r)
{
	std::string s;
	if (r.hwtstamp)
		s += "changed hardware timestamping (it was " + detail::hwtstamp_words({r.hw_flags, r.hw_tx, r.hw_rx}) + ")";
	if (r.replaced_prog)
		s += std::string(s.empty() ? "" : " and ") + "replaced " + prog_desc(r.replaced_prog, r.replaced_name) +
		     " with hook prog id " + std::to_string(r.hook_prog);
	return s.empty() ? s : "; it had " + s;
}

std::string who(const StateRecord &r)
{
	return "the state record of " + (r.ifname.empty() || r.ifname == "-" ? std::string("an interface") : r.ifname) +
	       " (ifindex " + std::to_string(r.key.ifindex) + ", network namespace cookie " +
	       std::to_string(r.key.netns_cookie) + ") left by pid " + std::to_string(r.pid);
}

// Removes a dropped record's pin: what it held can be put back nowhere.
std::string unpin(const StateRecord &r)
{
	if (r.pin.empty() || ::unlink(r.pin.c_str()) != 0)
		return std::string();
	return "; its pin " + r.pin + " is removed, releasing " + prog_desc(r.replaced_prog, r.replaced_name);
}

// Records nothing can be restored from, dropped with a line each: from an earlier boot;
// of a network namespace that is gone (this one has its inode, so it is not the one the
// record names); of an interface of this namespace that is gone; and records of the
// format before this one (keyed by namespace inode, so a dead namespace's cannot be told
// from this one's), whose owner no longer runs. `target` (this namespace's record for the
// interface being restored) is left for the caller.
void sweep(StateDir &dir, const StateKey &target, int gone, std::vector<std::string> &said)
{
	auto dead = [&](const StateRecord &r) { return r.pid == gone || !detail::owner_alive(r); };
	for (auto &e : dir.entries()) {
		const StateRecord &r = e.record;
		if (e.old) {
			if (e.old_inode != target.netns_inode || !dead(r))
				continue; // another namespace's (its own run says it), or its owner still runs
			dir.drop(e);
			std::string line = "dropped " + e.path + ", a state record of " + r.ifname + " (ifindex " +
					   std::to_string(e.old_ifindex) + ") left by pid " + std::to_string(r.pid) +
					   " and written by an older xdp-hints: it names its network namespace by inode, "
					   "which a new namespace gets once the old one is gone, so it cannot be matched to an "
					   "interface safely and nothing of it was applied" +
					   held(r);
			if (r.hwtstamp)
				line += "; check the timestamping setting of " + r.ifname + " (hwstamp_ctl -i " + r.ifname + ")";
			if (!r.pin.empty())
				line += "; " + prog_desc(r.replaced_prog, r.replaced_name) + " is still pinned at " + r.pin +
					": if " + r.ifname + " is that interface, 'ip -force link set dev " + r.ifname +
					(r.replaced_mode == XDP_FLAGS_SKB_MODE ? " xdpgeneric" : " xdpdrv") + " pinned " +
					r.pin + "' puts it back over the hook left there; then rm " + r.pin;
			said.push_back(line);
			continue;
		}
		std::string why;
		if (r.key.boot != target.boot)
			why = ": it is from an earlier boot (boot id " + r.key.boot + "), so nothing of it can be restored";
		else if (target.netns_cookie && r.key.netns_cookie != target.netns_cookie &&
			 r.key.netns_inode == target.netns_inode)
			why = ": that network namespace no longer exists (this one, cookie " +
			      std::to_string(target.netns_cookie) + ", has its inode " + std::to_string(r.key.netns_inode) +
			      "), so nothing of it was applied here";
		else if (r.key.netns_cookie == target.netns_cookie && r.key.ifindex != target.ifindex && dead(r) &&
			 !edge::ifname_of(r.key.ifindex))
			why = ": ifindex " + std::to_string(r.key.ifindex) +
			      " no longer exists in this network namespace, so there is nothing to restore";
		else
			continue;
		dir.drop(e);
		said.push_back("dropped " + who(r) + why + held(r) + unpin(r));
	}
}

} // namespace

Result<std::vector<std::string>> restore_left_behind_at(int ifindex, int gone)
{
	std::vector<std::string> said;
	auto key = detail::state_key(ifindex);
	if (!key)
		return key.error();
	auto dir = StateDir::open(false);
	if (!dir)
		return dir.error();
	if (!dir->exists())
		return said;
	sweep(*dir, *key, gone, said);
	auto r = dir->read(*key);
	if (!r || r->pid == getpid())
		return said;
	if (r->pid != gone && detail::owner_alive(*r)) {
		said.push_back((r->ifname.empty() ? "ifindex " + std::to_string(ifindex) : r->ifname) + " is in use by " +
			       edge::pid_comm(r->pid) + " (pid " + std::to_string(r->pid) +
			       "), which restores it when it ends; nothing reset");
		return said;
	}
	// The interface as it is named now: a rename since the record was written changes nothing.
	auto name = edge::ifname_of(ifindex);
	if (!name) {
		dir->remove(*key, r->gen);
		said.push_back("dropped " + who(*r) + ": ifindex " + std::to_string(ifindex) +
			       " no longer exists in this network namespace, so there is nothing to restore" + held(*r) +
			       unpin(*r));
		return said;
	}
	if (r->hwtstamp) {
		auto m = restore_hwtstamp(*name, *r);
		if (!m && edge::is_permission(m.error().sys_errno))
			return m.error(); // the record stays for a privileged run
		else if (!m)
			said.push_back("could not restore hardware timestamping on " + *name + " left changed by pid " +
				       std::to_string(r->pid) + ": " + m.error().message);
		else if (!m->empty())
			said.push_back(*m);
	}
	if (r->hook_prog || r->replaced_prog) {
		auto m = restore_program({*name, ifindex}, *r);
		if (!m && edge::is_permission(m.error().sys_errno))
			return m.error(); // the record stays for a privileged run
		if (!m)
			said.push_back(m.error().message);
		else if (!m->empty())
			said.push_back(*m);
	}
	// The directory is locked since the record was read: it is still that one.
	dir->remove(*key, r->gen);
	if (!r->pin.empty())
		(void)unlink(r->pin.c_str());
	return said;
}

Result<std::vector<std::string>> restore_left_behind(std::string_view ifname, int gone)
{
	auto idx = edge::ifindex_of(ifname);
	if (!idx)
		return std::vector<std::string>{}; // no interface, nothing on it to restore
	return restore_left_behind_at(*idx, gone);
}

Result<std::string> detail::Replaced::swap_back()
{
	if (!swapped())
		return std::string();
	UniqueFd hook = std::move(hook_fd);
	// The swap expects our hook (XDP_FLAGS_REPLACE): a program attached since stays.
	int err = swap_xdp(ifindex, hook.get(), hook_mode, fd.get(), mode);
	// Done, impossible (the interface is gone) or not ours to do: nothing left for a restore.
	if (auto rec = detail::read_state(key); rec && rec->pid == getpid()) {
		rec->hook_prog = rec->replaced_prog = 0;
		rec->pin.clear();
		(void)detail::write_state(key, *rec);
	}
	if (!pin.empty())
		(void)unlink(pin.c_str());
	// Named as it is now: followed by its index, so a rename does not matter.
	auto renamed = edge::ifname_of(ifindex);
	std::string now_name = renamed ? *renamed : ifname;
	std::string prev = prog_desc(id, name);
	if (err) {
		auto cur = attached_program({now_name, ifindex});
		auto info = edge::prog_info(hook.get());
		uint32_t hook_id = info ? info->id : 0;
		if (cur && hook_id && cur->prog_id != hook_id)
			return "left " + now_name + " alone: it has " +
			       (cur->prog_id ? prog_desc(cur->prog_id, cur->name) : std::string("no XDP program")) +
			       " now, not this run's hook (prog id " + std::to_string(hook_id) + "), so the " + prev +
			       " it had replaced is not put back";
		return sys_error(err, Op::attach, "put back " + prev + " on " + now_name, {now_name});
	}
	return "put back " + prev + " on " + now_name + " in " + xdp_mode_word(edge::xdp_mode_of_flag(mode)) + " mode";
}

} // namespace xdphints::hook
