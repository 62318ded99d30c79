#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/proc.hpp>
#include <xdphints/edge/sys.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <sstream>
#include <string_view>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace xdphints::edge {

namespace {

struct CloseDir {
	void operator()(DIR *d) const noexcept { closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, CloseDir>;

} // namespace

bool kernel_at_least(int major, int minor) noexcept
{
	utsname u{};
	if (uname(&u) != 0)
		return true;
	int ma = 0, mi = 0;
	if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return true;
	return ma > major || (ma == major && mi >= minor);
}

Result<uint64_t> netns_inode()
{
	struct stat st {};
	if (stat("/proc/thread-self/ns/net", &st) != 0)
		return Error::from_errno(errno, "read the network namespace of this thread (/proc/thread-self/ns/net)",
					 "is /proc mounted?");
	return uint64_t(st.st_ino);
}

Result<uint64_t> netns_cookie()
{
#ifndef SO_NETNS_COOKIE
	constexpr int SO_NETNS_COOKIE = 71; // asm-generic/socket.h, Linux 5.14
#endif
	UniqueFd s(sys().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!s)
		return Error::from_errno(errno, "open a socket to read this network namespace's cookie",
					 "check the fd limit (ulimit -n)");
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	if (sys().getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0 || len != sizeof(cookie)) {
		int err = errno;
		return Error::from_errno(err, "read this network namespace's cookie (SO_NETNS_COOKIE)",
					 err == ENOPROTOOPT ? "it needs Linux >= 5.14" : "is this a Linux kernel?");
	}
	return cookie;
}

Result<std::string> boot_id()
{
	std::ifstream in("/proc/sys/kernel/random/boot_id");
	std::string id;
	if (!in || !std::getline(in, id) || id.empty())
		return Error::detected(Errc::io, "cannot read this boot's id (/proc/sys/kernel/random/boot_id)",
				       "is /proc mounted?");
	return id;
}

uint64_t pid_start_time(pid_t pid) noexcept
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
	std::string s;
	if (!in || !std::getline(in, s))
		return 0;
	// "pid (comm) state ppid ..."; comm may hold spaces and parentheses: parse after the last ')'.
	auto p = s.rfind(')');
	if (p == std::string::npos)
		return 0;
	std::istringstream l(s.substr(p + 1));
	std::string field;
	uint64_t start = 0;
	for (int i = 3; i <= 22 && (l >> field); i++) {
		if (i == 3 && (field == "Z" || field == "X"))
			return 0; // exited: only waiting to be reaped
		if (i == 22)
			start = std::strtoull(field.c_str(), nullptr, 10);
	}
	return start;
}

std::string pid_comm(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
	std::string s;
	std::getline(in, s);
	return s;
}

pid_t link_holder(uint32_t link_id)
{
	DirPtr proc(opendir("/proc"));
	if (!proc)
		return 0;
	std::string want = "link_id:\t" + std::to_string(link_id) + "\n";
	while (dirent *p = readdir(proc.get())) {
		char *end = nullptr;
		long pid = std::strtol(p->d_name, &end, 10);
		if (pid <= 0 || *end)
			continue;
		std::string dir = std::string("/proc/") + p->d_name + "/fdinfo";
		DirPtr fds(opendir(dir.c_str()));
		if (!fds)
			continue;
		while (dirent *f = readdir(fds.get())) {
			if (f->d_name[0] == '.')
				continue;
			char buf[512];
			UniqueFd fd(open((dir + "/" + f->d_name).c_str(), O_RDONLY | O_CLOEXEC));
			ssize_t n = fd ? read(fd.get(), buf, sizeof(buf) - 1) : -1;
			if (n > 0 && std::string_view(buf, size_t(n)).find(want) != std::string_view::npos)
				return pid_t(pid);
		}
	}
	return 0;
}

} // namespace xdphints::edge
