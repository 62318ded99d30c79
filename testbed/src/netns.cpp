#include <xdphints/testbed/netns.hpp>

#include <xdphints/edge/error.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace xdphints::testbed {

namespace {

constexpr const char *kRunDir = "/run/netns";

std::atomic<unsigned> g_seq{0};

// How a command failed, as an errno for the advice table (edge/error.hpp): not installed
// (exit 127), refused for privileges, or a kernel part missing, by what it printed; 0 when
// it failed for a reason of its own, which its output says.
int command_errno(int code, const std::string &out)
{
	if (code == 127)
		return ENOENT;
	for (const char *perm : {"Operation not permitted", "Permission denied"})
		if (out.find(perm) != std::string::npos)
			return EPERM;
	for (const char *missing : {"qdisc kind is unknown", "Unknown qdisc", "Module not found"})
		if (out.find(missing) != std::string::npos)
			return EOPNOTSUPP;
	return 0;
}

// fork + (setns) + execvp, output captured. The one place this file runs programs.
Result<std::string> run(int ns_fd, std::initializer_list<std::string_view> argv)
{
	std::vector<std::string> args(argv.begin(), argv.end());
	std::vector<char *> cargs;
	for (auto &a : args)
		cargs.push_back(a.data());
	cargs.push_back(nullptr);

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return Error::from_errno(errno, "pipe for '" + args[0] + "'", "check the fd limit (ulimit -n)");
	edge::UniqueFd out_r(pipefd[0]), out_w(pipefd[1]);
	pid_t pid = fork();
	if (pid < 0)
		return Error::from_errno(errno, "fork for '" + args[0] + "'", "check memory and process limits");
	if (pid == 0) {
		dup2(out_w.get(), 1);
		dup2(out_w.get(), 2);
		if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) != 0)
			_exit(126);
		execvp(cargs[0], cargs.data());
		_exit(127);
	}
	out_w.reset();
	std::string out;
	char buf[4096];
	for (;;) {
		ssize_t n = read(out_r.get(), buf, sizeof(buf));
		if (n > 0)
			out.append(buf, size_t(n));
		else if (n == 0 || errno != EINTR)
			break;
	}
	out_r.reset();
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	std::string cmd;
	for (auto &a : args)
		cmd += (cmd.empty() ? "" : " ") + a;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		std::string fix = edge::advice(command_errno(code, out), edge::Op::command);
		while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
			out.pop_back();
		return Error{Errc::system, "'" + cmd + "' failed (exit " + std::to_string(code) + "): " + out +
						   (fix.empty() ? "" : "; " + fix)};
	}
	return out;
}

bool pid_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

} // namespace

Result<Netns> Netns::create(std::string_view tag)
{
	sweep_stale();
	std::string name = "xh" + std::to_string(getpid()) + "-" + std::to_string(g_seq++) + std::string(tag);
	if (auto r = run(-1, {"ip", "netns", "add", name}); !r)
		return r.error();
	std::string path = std::string(kRunDir) + "/" + name;
	edge::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd) {
		int e = errno;
		// The namespace is ours to undo; if that fails too, the error says so and how,
		// or the caller would find a namespace nothing explains.
		std::string fix = "is /run writable? run as root";
		if (auto del = run(-1, {"ip", "netns", "del", name}); !del)
			fix += "; namespace " + name + " is left behind (" + del.error().message +
			       "): remove it with 'ip netns del " + name + "'";
		return Error::from_errno(e, "open " + path, fix);
	}
	Netns ns(name, std::move(fd));
	// No IPv6 autoconfiguration chatter on test links: only the traffic we send.
	if (auto r = ns.exec({"sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"}); !r)
		return r.error();
	if (auto r = ns.exec({"sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"}); !r)
		return r.error();
	if (auto r = ns.exec({"ip", "link", "set", "lo", "up"}); !r)
		return r.error();
	return ns;
}

// Removes the namespace it holds first (not fd juggling: `ip netns del`).
Netns &Netns::operator=(Netns &&o) noexcept
{
	if (this != &o) {
		destroy();
		name_ = std::move(o.name_);
		fd_ = std::move(o.fd_);
	}
	return *this;
}

Netns::~Netns() { destroy(); }

void Netns::destroy() noexcept
{
	// A moved-from Netns holds no fd: its name (if any is left) is not its to remove.
	if (!fd_)
		return;
	fd_.reset();
	if (!name_.empty())
		(void)run(-1, {"ip", "netns", "del", name_});
	name_.clear();
}

Result<std::string> Netns::exec(std::initializer_list<std::string_view> argv) const
{
	return run(fd_.get(), argv);
}

void Netns::sweep_stale() noexcept
{
	DIR *d = opendir(kRunDir);
	if (!d)
		return;
	std::vector<std::string> stale;
	while (dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n.size() < 4 || n.compare(0, 2, "xh") != 0)
			continue;
		auto dash = n.find('-');
		if (dash == std::string::npos)
			continue;
		char *end = nullptr;
		long pid = std::strtol(n.c_str() + 2, &end, 10);
		if (end != n.c_str() + dash || pid <= 0)
			continue;
		if (!pid_alive(pid_t(pid)))
			stale.push_back(n);
	}
	closedir(d);
	for (auto &n : stale)
		(void)run(-1, {"ip", "netns", "del", n});
}

Result<NetnsScope> NetnsScope::enter(const Netns &ns)
{
	return enter(ns.fd(), ns.name());
}

Result<NetnsScope> NetnsScope::enter(int ns_fd, const std::string &name)
{
	edge::UniqueFd saved(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
	if (!saved)
		return Error::from_errno(errno, "open /proc/thread-self/ns/net", "is /proc mounted?");
	if (setns(ns_fd, CLONE_NEWNET) != 0)
		return Error::from_errno(errno, "setns into " + name, "run as root (CAP_SYS_ADMIN)");
	return NetnsScope(std::move(saved));
}

NetnsScope::~NetnsScope()
{
	// Cannot fail for a namespace we were in a moment ago; nothing to report to.
	if (saved_)
		(void)setns(saved_.get(), CLONE_NEWNET);
}

namespace {

Result<VethEnd> describe(const Netns &ns, const std::string &ifname, const std::string &ipv4)
{
	auto out = ns.exec({"ip", "-j", "link", "show", "dev", ifname});
	if (!out)
		return out.error();
	auto j = nlohmann::json::parse(*out, nullptr, false);
	if (j.is_discarded() || !j.is_array() || j.empty())
		return Error{Errc::system, "cannot parse 'ip -j link show " + ifname + "': " + *out +
						       "; fix: update iproute2"};
	return VethEnd{ifname, j[0].value("ifindex", 0), j[0].value("address", ""), ipv4};
}

} // namespace

Result<VethPair> VethPair::create(const Netns &ns_a, const Netns &ns_b, const VethOptions &opt)
{
	std::string q = std::to_string(opt.queues ? opt.queues : 1);
	std::string an = "xh" + std::to_string(g_seq++) + "a";
	std::string bn = an.substr(0, an.size() - 1) + "b";
	if (auto r = ns_a.exec({"ip", "link", "add", an, "numtxqueues", q, "numrxqueues", q, "type", "veth", "peer",
				"name", bn, "netns", ns_b.name(), "numtxqueues", q, "numrxqueues", q});
	    !r)
		return r.error();
	std::string mtu = std::to_string(opt.mtu);
	for (auto [ns, n, ip] : {std::tuple{&ns_a, an, opt.ipv4_a}, std::tuple{&ns_b, bn, opt.ipv4_b}}) {
		if (auto r = ns->exec({"ip", "addr", "add", ip + "/24", "dev", n}); !r)
			return r.error();
		if (auto r = ns->exec({"ip", "link", "set", "dev", n, "mtu", mtu, "up"}); !r)
			return r.error();
	}
	auto a = describe(ns_a, an, opt.ipv4_a);
	if (!a)
		return a.error();
	auto b = describe(ns_b, bn, opt.ipv4_b);
	if (!b)
		return b.error();
	if (auto r = ns_a.exec({"ip", "neigh", "replace", b->ipv4, "lladdr", b->mac, "dev", an, "nud", "permanent"}); !r)
		return r.error();
	if (auto r = ns_b.exec({"ip", "neigh", "replace", a->ipv4, "lladdr", a->mac, "dev", bn, "nud", "permanent"}); !r)
		return r.error();
	return VethPair{*a, *b};
}

Result<Testbed> Testbed::create(std::string_view tag, const VethOptions &opt)
{
	auto rx = Netns::create(std::string(tag) + "r");
	if (!rx)
		return rx.error();
	auto tx = Netns::create(std::string(tag) + "t");
	if (!tx)
		return tx.error();
	auto link = VethPair::create(*rx, *tx, opt);
	if (!link)
		return link.error();
	return Testbed{std::move(*rx), std::move(*tx), std::move(*link)};
}

} // namespace xdphints::testbed
