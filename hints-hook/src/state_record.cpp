#include "state_record.hpp"

#include <xdphints/edge/proc.hpp>

#include <linux/if_link.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xdphints::hook::detail {

namespace {

constexpr char kPrefix[] = "netns-";

struct CloseDir {
	void operator()(DIR *d) const noexcept { closedir(d); }
};

// A record's text as read; `complete` when it names its boot, namespace and ifindex (this
// format), and an owner.
struct Parsed {
	StateRecord r;
	bool has_boot = false, has_netns = false, has_ifindex = false;
	bool complete() const noexcept { return has_boot && has_netns && has_ifindex && r.pid > 0; }
};

std::optional<Parsed> parse_file(const std::string &path)
{
	std::ifstream in(path);
	if (!in)
		return std::nullopt;
	Parsed p;
	StateRecord &r = p.r;
	for (std::string line; std::getline(in, line);) {
		std::istringstream l(line);
		std::string key;
		l >> key;
		if (key == "boot")
			p.has_boot = bool(l >> r.key.boot);
		else if (key == "netns")
			p.has_netns = bool(l >> r.key.netns_cookie >> r.key.netns_inode);
		else if (key == "ifindex")
			p.has_ifindex = bool(l >> r.key.ifindex);
		else if (key == "pid")
			l >> r.pid;
		else if (key == "start")
			l >> r.start;
		else if (key == "gen")
			l >> r.gen;
		else if (key == "ifname")
			l >> r.ifname;
		else if (key == "hwtstamp")
			r.hwtstamp = bool(l >> r.hw_flags >> r.hw_tx >> r.hw_rx);
		else if (key == "hwtstamp_set")
			r.hw_set = bool(l >> r.hw_set_flags >> r.hw_set_tx >> r.hw_set_rx);
		else if (key == "hook")
			l >> r.hook_prog;
		else if (key == "replaced") {
			std::string mode;
			l >> r.replaced_prog >> mode >> r.replaced_name;
			r.replaced_mode = mode == "skb" ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		} else if (key == "pin")
			l >> r.pin;
	}
	return p;
}

bool same_key(const StateKey &a, const StateKey &b) noexcept
{
	return a.boot == b.boot && a.netns_cookie == b.netns_cookie && a.ifindex == b.ifindex;
}

// The record at `path` if it is one of this format written for `k`.
std::optional<StateRecord> read_for(const std::string &path, const StateKey &k)
{
	auto p = parse_file(path);
	if (!p || !p->complete() || !same_key(p->r.key, k))
		return std::nullopt;
	return p->r;
}

std::string text_of(const StateRecord &r)
{
	std::ostringstream o;
	o << "boot " << r.key.boot << "\nnetns " << r.key.netns_cookie << " " << r.key.netns_inode << "\nifindex "
	  << r.key.ifindex << "\nifname " << (r.ifname.empty() ? "-" : r.ifname) << "\npid " << r.pid << "\nstart "
	  << r.start << "\ngen " << r.gen << "\n";
	if (r.hwtstamp)
		o << "hwtstamp " << r.hw_flags << " " << r.hw_tx << " " << r.hw_rx << "\n";
	if (r.hwtstamp && r.hw_set)
		o << "hwtstamp_set " << r.hw_set_flags << " " << r.hw_set_tx << " " << r.hw_set_rx << "\n";
	if (r.hook_prog)
		o << "hook " << r.hook_prog << "\n";
	if (r.replaced_prog)
		o << "replaced " << r.replaced_prog << " " << (r.replaced_mode == XDP_FLAGS_SKB_MODE ? "skb" : "drv") << " "
		  << (r.replaced_name.empty() ? "-" : r.replaced_name) << "\n";
	if (!r.pin.empty())
		o << "pin " << r.pin << "\n";
	return o.str();
}

// "<pid>.<start>.<n>": unique within the boot (the record names its boot).
std::string next_gen(pid_t pid, uint64_t start)
{
	static std::atomic<unsigned> n{0};
	return std::to_string(pid) + "." + std::to_string(start) + "." + std::to_string(++n);
}

Error run_dir_error(int err, const std::string &what)
{
	return Error::from_errno(err, what, "run as root, or set XDP_HINTS_RUN_DIR to a writable directory");
}

} // namespace

Result<StateKey> state_key(int ifindex)
{
	auto boot = edge::boot_id();
	if (!boot)
		return boot.error();
	// Without a cookie (Linux < 5.14) nothing can be recorded safely: 0, refused by write().
	auto cookie = edge::netns_cookie();
	if (!cookie && cookie.error().sys_errno != ENOPROTOOPT)
		return cookie.error();
	auto inode = edge::netns_inode();
	if (!inode)
		return inode.error();
	return StateKey{*boot, cookie ? *cookie : 0, *inode, ifindex};
}

std::string state_dir()
{
	const char *d = std::getenv("XDP_HINTS_RUN_DIR");
	return d && *d ? std::string(d) : std::string("/run/xdp-hints");
}

std::string state_path(const StateKey &k)
{
	return state_dir() + "/" + kPrefix + std::to_string(k.netns_cookie) + "-" + std::to_string(k.ifindex);
}

Result<StateDir> StateDir::open(bool create)
{
	std::string dir = state_dir();
	if (create && mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
		return run_dir_error(errno, "create " + dir + " (where xdp-hints records what to restore)");
	edge::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!fd) {
		// None, or not ours to see (an unprivileged run): no record this process could act on.
		if (!create && (errno == ENOENT || errno == EACCES || errno == EPERM))
			return StateDir(edge::UniqueFd());
		return run_dir_error(errno, "open " + dir + " (where xdp-hints records what to restore)");
	}
	while (flock(fd.get(), LOCK_EX) != 0)
		if (errno != EINTR)
			return run_dir_error(errno, "lock " + dir + " (where xdp-hints records what to restore)");
	return StateDir(std::move(fd));
}

std::optional<StateRecord> StateDir::read(const StateKey &k) const
{
	if (!exists())
		return std::nullopt;
	return read_for(state_path(k), k);
}

Status StateDir::write(const StateKey &k, StateRecord &r)
{
	std::string path = state_path(k);
	auto now = exists() ? read_for(path, k) : std::nullopt;
	if ((now ? now->gen : std::string()) != r.gen)
		return Error::detected(Errc::busy,
				       "the state record " + path + " changed since it was read" +
					       (now ? " (now pid " + std::to_string(now->pid) + "'s)" : " (it is gone)"),
				       "another xdp-hints process is working on this interface; run again when it is done");
	if (r.empty()) {
		if (now && ::unlink(path.c_str()) != 0 && errno != ENOENT)
			return run_dir_error(errno, "remove " + path);
		r.gen.clear();
		return {};
	}
	if (k.netns_cookie == 0)
		return Error::detected(Errc::unsupported,
				       "this kernel gives network namespaces no cookie (SO_NETNS_COOKIE, Linux >= 5.14), "
				       "which xdp-hints needs to record what to restore on " + r.ifname + " if it is killed",
				       "run without --replace and --hwtstamp on this kernel, or on Linux >= 5.14");
	if (!exists())
		return Error::detected(Errc::invalid_argument, "no run directory " + state_dir() + " to write " + path + " into",
				       "open it with create (a bug in xdp-hints)");
	r.key = k;
	r.pid = getpid();
	r.start = edge::pid_start_time(r.pid);
	r.gen = next_gen(r.pid, r.start);
	std::string tmp = path + ".tmp" + std::to_string(r.pid);
	std::string text = text_of(r);
	FILE *f = std::fopen(tmp.c_str(), "we");
	bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
	if (f)
		ok = std::fclose(f) == 0 && ok;
	if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
		int e = errno;
		std::remove(tmp.c_str());
		r.gen = now ? now->gen : std::string();
		return run_dir_error(e, "write " + path + " (what xdp-hints restores if it is killed)");
	}
	return {};
}

bool StateDir::remove(const StateKey &k, const std::string &gen)
{
	auto now = read(k);
	if (!now || now->gen != gen)
		return false;
	return ::unlink(state_path(k).c_str()) == 0;
}

std::vector<StateDir::Entry> StateDir::entries() const
{
	std::vector<Entry> out;
	if (!exists())
		return out;
	std::string dir = state_dir();
	std::unique_ptr<DIR, CloseDir> d(opendir(dir.c_str()));
	if (!d)
		return out;
	while (dirent *e = readdir(d.get())) {
		std::string name = e->d_name;
		if (name.find(".tmp") != std::string::npos)
			continue; // a write under way (or one killed half-way: rewritten next time)
		Entry en;
		en.path = dir + "/" + name;
		unsigned long long inode = 0;
		int ifindex = 0, used = 0;
		if (name.rfind(kPrefix, 0) == 0) {
			auto p = parse_file(en.path);
			if (!p || !p->complete())
				continue; // not ours to judge
			en.record = p->r;
		} else if (std::sscanf(name.c_str(), "%llu-%d%n", &inode, &ifindex, &used) == 2 && size_t(used) == name.size()) {
			auto p = parse_file(en.path);
			if (!p || p->r.pid <= 0)
				continue;
			en.record = p->r;
			en.old = true;
			en.old_inode = inode;
			en.old_ifindex = ifindex;
		} else {
			continue;
		}
		out.push_back(std::move(en));
	}
	return out;
}

void StateDir::drop(const Entry &e)
{
	(void)::unlink(e.path.c_str());
}

std::optional<StateRecord> read_state(const StateKey &k)
{
	auto dir = StateDir::open(false);
	if (!dir)
		return std::nullopt;
	return dir->read(k);
}

Status write_state(const StateKey &k, StateRecord &r)
{
	auto dir = StateDir::open(!r.empty());
	if (!dir)
		return dir.error();
	return dir->write(k, r);
}

bool owner_alive(const StateRecord &r) noexcept
{
	uint64_t start = edge::pid_start_time(r.pid);
	return start != 0 && start == r.start;
}

} // namespace xdphints::hook::detail
