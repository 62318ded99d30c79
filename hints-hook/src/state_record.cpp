#include "state_record.hpp"

#include <xdphints/edge/proc.hpp>

#include <linux/if_link.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace xdphints::hook::detail {

Result<StateKey> state_key(int ifindex)
{
	auto ns = edge::netns_inode();
	if (!ns)
		return ns.error();
	return StateKey{*ns, ifindex};
}

std::string state_dir()
{
	const char *d = std::getenv("XDP_HINTS_RUN_DIR");
	return d && *d ? std::string(d) : std::string("/run/xdp-hints");
}

std::string state_path(const StateKey &k)
{
	return state_dir() + "/" + std::to_string(k.netns) + "-" + std::to_string(k.ifindex);
}

std::optional<StateRecord> read_state(const StateKey &k)
{
	std::ifstream in(state_path(k));
	if (!in)
		return std::nullopt;
	StateRecord r;
	for (std::string line; std::getline(in, line);) {
		std::istringstream l(line);
		std::string key;
		l >> key;
		if (key == "pid")
			l >> r.pid;
		else if (key == "start")
			l >> r.start;
		else if (key == "ifname")
			l >> r.ifname;
		else if (key == "hwtstamp")
			r.hwtstamp = bool(l >> r.hw_flags >> r.hw_tx >> r.hw_rx);
		else if (key == "hook")
			l >> r.hook_prog;
		else if (key == "replaced") {
			std::string mode;
			l >> r.replaced_prog >> mode >> r.replaced_name;
			r.replaced_mode = mode == "skb" ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
		} else if (key == "pin")
			l >> r.pin;
	}
	if (r.pid <= 0)
		return std::nullopt;
	return r;
}

Status write_state(const StateKey &k, StateRecord r)
{
	if (r.empty()) {
		remove_state(k);
		return {};
	}
	std::string dir = state_dir();
	if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
		return Error::from_errno(errno, "create " + dir + " (where xdp-hints records what to restore)",
					 "run as root, or set XDP_HINTS_RUN_DIR to a writable directory");
	r.pid = getpid();
	r.start = edge::pid_start_time(r.pid);
	std::ostringstream o;
	o << "pid " << r.pid << "\nstart " << r.start << "\nifname " << r.ifname << "\n";
	if (r.hwtstamp)
		o << "hwtstamp " << r.hw_flags << " " << r.hw_tx << " " << r.hw_rx << "\n";
	if (r.hook_prog)
		o << "hook " << r.hook_prog << "\n";
	if (r.replaced_prog)
		o << "replaced " << r.replaced_prog << " " << (r.replaced_mode == XDP_FLAGS_SKB_MODE ? "skb" : "drv") << " "
		  << (r.replaced_name.empty() ? "-" : r.replaced_name) << "\n";
	if (!r.pin.empty())
		o << "pin " << r.pin << "\n";
	std::string path = state_path(k), tmp = path + ".tmp" + std::to_string(r.pid);
	std::string text = o.str();
	FILE *f = std::fopen(tmp.c_str(), "we");
	bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
	if (f)
		ok = std::fclose(f) == 0 && ok;
	if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
		int e = errno;
		std::remove(tmp.c_str());
		return Error::from_errno(e, "write " + path + " (what xdp-hints restores if it is killed)",
					 "run as root, or set XDP_HINTS_RUN_DIR to a writable directory");
	}
	return {};
}

void remove_state(const StateKey &k) noexcept
{
	(void)::unlink(state_path(k).c_str());
	(void)::rmdir(state_dir().c_str()); // only when no other record is left
}

bool owner_alive(const StateRecord &r) noexcept
{
	uint64_t start = edge::pid_start_time(r.pid);
	return start != 0 && start == r.start;
}

} // namespace xdphints::hook::detail
