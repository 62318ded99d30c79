#include "guardian.hpp"

#include <xdphints/edge/iface.hpp>
#include <xdphints/hook/hook.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace xdphints::cli {

using namespace xdphints::hook;

namespace {

constexpr char kHold = 'h';
constexpr char kDone = 'd';

// One byte, with room for one passed fd.
struct Msg {
	char c = 0;
	alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {}; // CMSG_FIRSTHDR needs cmsghdr alignment
	iovec iov{&c, 1};
	msghdr m{};
	Msg()
	{
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = ctl;
		m.msg_controllen = sizeof(ctl);
	}
	Msg(const Msg &) = delete;
	Msg &operator=(const Msg &) = delete;
};

[[noreturn]] void guard(int sock, const std::string &ifname, int ifindex, pid_t parent)
{
	for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE})
		signal(s, SIG_IGN);
	setsid(); // out of dump's process group: a Ctrl-C or a group kill of dump spares it
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1); // not dump's stdout: `dump | head` must see EOF when dump ends
	}
	// Nothing of dump's but the socket (and stderr, to say what it did).
	if (dup2(sock, 3) == 3) {
		sock = 3;
		close_range(4, ~0U, 0);
	}
	std::vector<int> held;
	for (;;) {
		Msg msg;
		ssize_t n = recvmsg(sock, &msg.m, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; // dump is gone without saying it was done
		if (msg.c == kDone)
			_exit(0);
		if (cmsghdr *h = CMSG_FIRSTHDR(&msg.m); h && h->cmsg_type == SCM_RIGHTS) {
			int fd;
			std::memcpy(&fd, CMSG_DATA(h), sizeof(fd));
			held.push_back(fd);
		}
	}
	// By index: the interface may have been renamed while dump ran.
	auto r = restore_left_behind_at(ifindex, parent);
	if (!r)
		std::fprintf(stderr, "xdp-hints: dump (pid %d) was killed; its guardian could not restore %s: %s\n", int(parent),
			     ifname.c_str(), r.error().message.c_str());
	else
		for (auto &line : *r)
			std::fprintf(stderr, "xdp-hints: dump (pid %d) was killed; its guardian %s\n", int(parent), line.c_str());
	_exit(r ? 0 : 1);
}

} // namespace

Result<Guardian> Guardian::start(const std::string &ifname)
{
	auto ifindex = edge::ifindex_of(ifname);
	if (!ifindex)
		return ifindex.error();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return Error::from_errno(errno, "create the guardian's socket pair", "check the fd limit (ulimit -n)");
	edge::UniqueFd ours(sv[0]), theirs(sv[1]);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return Error::from_errno(errno, "fork the guardian process", "check the process limit (ulimit -u)");
	if (pid == 0) {
		ours.reset();
		guard(theirs.get(), ifname, *ifindex, parent);
	}
	return Guardian(std::move(ours), pid);
}

Guardian::~Guardian()
{
	if (!sock_)
		return;
	char c = kDone;
	(void)send(sock_.get(), &c, 1, MSG_NOSIGNAL);
	sock_.reset();
	// Reap it (it exits at once); it never blocks long, and a guardian killed meanwhile is
	// reaped all the same.
	(void)waitpid(pid_, nullptr, 0);
}

Status Guardian::hold(int fd)
{
	Msg msg;
	msg.c = kHold;
	cmsghdr *h = CMSG_FIRSTHDR(&msg.m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	std::memcpy(CMSG_DATA(h), &fd, sizeof(fd));
	if (sendmsg(sock_.get(), &msg.m, MSG_NOSIGNAL) != 1)
		return Error::from_errno(errno, "hand the replaced program to the guardian",
					 "the guardian is gone; dump still puts the program back when it exits");
	return {};
}

} // namespace xdphints::cli
