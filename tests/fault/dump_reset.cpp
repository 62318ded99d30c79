// dump --replace killed together with its guardian: what it left (its hook attached through
// netlink, the user's program swapped out) is recorded in /run/xdp-hints, and
// `xdp-hints reset IFNAME` or the next dump restores from the record. With a bpffs to pin
// the user's program in, it comes back; without one it is gone with the processes that
// held it, and reset removes the hook and says so. The record belongs to that interface
// only: after its namespace is deleted, a new namespace (which gets the old one's inode)
// with a new interface of the same name and ifindex is left alone, and the record is
// dropped and said. The guardian follows the interface by its index through a rename.
#include "dump_testing.hpp"
#include "temp_dir.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>

using namespace xdphints;
using namespace xdphints::test;

namespace {

// A bpffs of the test's own (not /sys/fs/bpf: nothing of the machine is changed), seen by
// `ip netns exec` children (they copy the mount table); unmounted with its pins at the end.
struct PrivateBpffs {
	std::string dir;
	bool mounted = false;
	PrivateBpffs()
	{
		char tmpl[] = "/tmp/xh-bpffs-XXXXXX";
		if (mkdtemp(tmpl)) {
			dir = tmpl;
			mounted = mount("bpf", dir.c_str(), "bpf", 0, "mode=0700") == 0;
		}
	}
	~PrivateBpffs()
	{
		if (mounted)
			umount2(dir.c_str(), MNT_DETACH);
		if (!dir.empty())
			rmdir(dir.c_str());
	}
};

pid_t guardian_pid(const std::string &err)
{
	auto p = err.find("guardian pid ");
	return p == std::string::npos ? 0 : pid_t(std::atol(err.c_str() + p + 13));
}

// The user's program, attached in driver mode and held by nobody else (the test drops its
// fd): if dump loses it, it is gone for good. Its id.
uint32_t user_prog_on(DumpBed &b)
{
	UserProg user;
	REQUIRE(user.attach(b.tb.rx_ns, b.ifname(), XDP_FLAGS_DRV_MODE) == 0);
	return user.id;
}

// `xdp-hints dump IFNAME --replace --json` in the bed's receiving namespace, with `env`.
std::vector<std::string> replacing_dump(DumpBed &b, const std::vector<std::string> &env)
{
	std::vector<std::string> argv{"ip", "netns", "exec", b.tb.rx_ns.name(), "env"};
	argv.insert(argv.end(), env.begin(), env.end());
	for (const char *a : {XDP_HINTS_CLI, "dump"})
		argv.push_back(a);
	argv.push_back(b.ifname());
	for (const char *a : {"--replace", "--json", "--stats-interval", "0"})
		argv.push_back(a);
	return argv;
}

// Runs dump --replace over the user's program, then SIGKILLs dump and its guardian.
// Returns the user's program id.
uint32_t kill_replacing_dump(DumpBed &b, const std::vector<std::string> &env)
{
	uint32_t user_id = user_prog_on(b);
	Child dump(replacing_dump(b, env));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	pid_t guardian = guardian_pid(dump.err());
	INFO(dump.err());
	REQUIRE(guardian > 0);
	uint32_t hook_id = b.xdp().prog_id;
	CHECK(hook_id != user_id);
	kill(guardian, SIGKILL);
	usleep(50000);
	dump.signal(SIGKILL);
	CHECK(dump.wait(5000) == 128 + SIGKILL);
	CHECK(b.xdp().prog_id == hook_id); // nobody was left to restore it
	return user_id;
}

// The inode of a network namespace (what records of the format before were keyed by).
uint64_t inode_of(const testbed::Netns &ns)
{
	struct stat st {};
	REQUIRE(fstat(ns.fd(), &st) == 0);
	return st.st_ino;
}

// Whether inode number `inode` is free now. A child fills every free one below it with
// UTS namespaces (one inode each, kept open) and says whether the next one it gets is
// `inode`; until `release` is written to, or closed, it keeps them, so the next network
// namespace made gets `inode`. 'y' when free (the child then holds what lies below it), 'n'.
struct InodeBelowHeld {
	pid_t pid = -1;
	Pipe answer, release;
	char free = 'n';
	explicit InodeBelowHeld(uint64_t inode)
	{
		pid = fork();
		if (pid == 0) {
			answer.close_r();
			release.close_w(); // so that the test's end of it closing is seen
			char c = 'n';
			for (int i = 0; i < 100000; i++) {
				if (unshare(CLONE_NEWUTS) != 0)
					break;
				int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
				struct stat st {};
				if (fd < 0 || fstat(fd, &st) != 0)
					break;
				if (st.st_ino < inode)
					continue; // kept open: this one is filled
				close(fd);
				(void)unshare(CLONE_NEWUTS); // out of it: the one it got is free again
				c = st.st_ino == inode ? 'y' : 'n';
				break;
			}
			(void)!write(answer.w.get(), &c, 1);
			(void)!read(release.r.get(), &c, 1);
			_exit(0);
		}
		answer.close_w();
		release.close_r();
		if (read(answer.r.get(), &free, 1) != 1)
			free = 'n';
	}
	~InodeBelowHeld()
	{
		release.close_w();
		if (pid > 0)
			waitpid(pid, nullptr, 0);
	}
};

// A new network namespace with inode `inode`, a deleted namespace's: the kernel gives a new
// namespace the lowest free inode number, and this one is free once the deleted namespace
// is freed (a little after `ip netns del`), with what has been freed below it filled first.
std::optional<testbed::Netns> netns_with_inode(uint64_t inode)
{
	for (int i = 0; i < 100; i++) {
		InodeBelowHeld below(inode);
		if (below.free == 'y') {
			auto ns = testbed::Netns::create("rsnew");
			REQUIRE_OK(ns);
			if (inode_of(*ns) == inode)
				return std::move(*ns);
		}
		usleep(100000);
	}
	return std::nullopt;
}

std::vector<std::string> files_in(const std::string &dir)
{
	std::vector<std::string> out;
	std::error_code ec;
	for (auto &e : std::filesystem::recursive_directory_iterator(dir, ec))
		if (!e.is_directory())
			out.push_back(e.path().string());
	return out;
}

Child reset(DumpBed &b, const std::vector<std::string> &env)
{
	std::vector<std::string> argv{"ip", "netns", "exec", b.tb.rx_ns.name(), "env"};
	argv.insert(argv.end(), env.begin(), env.end());
	argv.push_back(XDP_HINTS_CLI);
	argv.push_back("reset");
	argv.push_back(b.ifname());
	return Child(argv);
}

} // namespace

TEST_CASE("dump --replace and its guardian killed, user's program pinned: xdp-hints reset puts it back",
	  "[fault][cli][dump][replace]")
{
	if (!privileged())
		return;
	DumpBed b("rstpin", false);
	PrivateBpffs bpffs;
	REQUIRE(bpffs.mounted);
	std::vector<std::string> env{"XDP_HINTS_BPFFS=" + bpffs.dir};
	uint32_t user_id = kill_replacing_dump(b, env);
	Child r = reset(b, env);
	CHECK(r.wait(15000) == 0);
	INFO(r.err());
	CHECK(r.err().find("put back XDP program id " + std::to_string(user_id) + " (name user_pass) on " + b.ifname() +
			   " in driver mode") != std::string::npos);
	auto s = b.xdp();
	CHECK(s.prog_id == user_id);
	CHECK(int(s.mode) == XDP_ATTACHED_DRV);
	Child again = reset(b, env);
	CHECK(again.wait(15000) == 0);
	CHECK(again.err().find("nothing left behind on " + b.ifname()) != std::string::npos);
	CHECK(b.queue_free());
}

TEST_CASE("dump --replace and its guardian killed, no bpffs: the next dump removes the hook and says the program is lost",
	  "[fault][cli][dump][replace]")
{
	if (!privileged())
		return;
	DumpBed b("rstnopin");
	uint32_t user_id = kill_replacing_dump(b, {"XDP_HINTS_BPFFS=/nonexistent"});
	Child next(b.dump({"--json", "--count", "1", "--stats-interval", "0"}));
	REQUIRE_STDERR(next, "AF_XDP socket on queue 0", 15000);
	send_n(*b.flow, 1);
	INFO(next.err());
	CHECK(next.wait(10000) == 0);
	CHECK(next.err().find("removed the xdp-hints hook") != std::string::npos);
	CHECK(next.err().find("XDP program id " + std::to_string(user_id) + " (name user_pass) it had replaced no longer exists") !=
	      std::string::npos);
	CHECK(count_lines(next.out()) == 1);
	CHECK(b.xdp().prog_id == 0);
}

TEST_CASE("a deleted namespace's record is dropped and said, never applied to a new interface with its name, "
	  "ifindex and namespace inode",
	  "[fault][cli][dump][replace][netns]")
{
	if (!privileged())
		return;
	PrivateBpffs bpffs;
	REQUIRE(bpffs.mounted);
	TempDir run("xh-rstns");
	std::vector<std::string> env{"XDP_HINTS_BPFFS=" + bpffs.dir, "XDP_HINTS_RUN_DIR=" + run.path.string()};
	std::optional<DumpBed> old;
	old.emplace("rstold", false);
	const std::string ifname = old->ifname();
	const int ifindex = old->ifindex();
	const uint64_t inode = inode_of(old->tb.rx_ns);
	uint32_t user_id = kill_replacing_dump(*old, env);
	REQUIRE(files_in(run.path.string()).size() == 1);   // the record
	REQUIRE(files_in(bpffs.dir + "/xdp-hints").size() == 1); // the user's program, pinned
	old.reset(); // both namespaces deleted, with the interface, its hook and dump's sockets

	// The new interface: same name and ifindex, in a namespace with the old one's inode.
	auto fresh = netns_with_inode(inode);
	REQUIRE(fresh);
	auto peer = testbed::Netns::create("rspeer");
	REQUIRE_OK(peer);
	REQUIRE_OK(fresh->exec({"ip", "link", "add", ifname, "type", "veth", "peer", "name", ifname + "p", "netns",
				peer->name()}));
	REQUIRE_OK(fresh->exec({"ip", "link", "set", ifname, "up"}));
	REQUIRE_OK(peer->exec({"ip", "link", "set", ifname + "p", "up"}));
	KillLeftovers guard{{&*fresh, &*peer}};
	int now_index = 0;
	{
		auto in = testbed::NetnsScope::enter(*fresh);
		REQUIRE_OK(in);
		now_index = int(if_nametoindex(ifname.c_str()));
	}
	REQUIRE(now_index == ifindex);
	auto cli = [&](std::vector<std::string> args) {
		std::vector<std::string> argv{"ip", "netns", "exec", fresh->name(), "env"};
		argv.insert(argv.end(), env.begin(), env.end());
		argv.push_back(XDP_HINTS_CLI);
		argv.insert(argv.end(), args.begin(), args.end());
		return argv;
	};
	const std::string dropped = "dropped the state record of " + ifname + " (ifindex " + std::to_string(ifindex);
	const std::string gone = "that network namespace no longer exists (this one, cookie ";

	SECTION("xdp-hints reset")
	{
		Child r(cli({"reset", ifname}));
		CHECK(r.wait(15000) == 0);
		INFO(r.err());
		CHECK(r.err().find(dropped) != std::string::npos);
		CHECK(r.err().find(gone) != std::string::npos);
		CHECK(r.err().find("its pin " + bpffs.dir + "/xdp-hints/") != std::string::npos);
		CHECK(r.err().find("put back") == std::string::npos);
		CHECK(xdp_on(*fresh, ifname).prog_id == 0);
		Child again(cli({"reset", ifname}));
		CHECK(again.wait(15000) == 0);
		CHECK(again.err().find("nothing left behind on " + ifname) != std::string::npos);
	}
	SECTION("xdp-hints dump")
	{
		Child d(cli({"dump", ifname, "--json", "--stats-interval", "0"}));
		REQUIRE_STDERR(d, "AF_XDP socket on queue 0", 15000);
		CHECK(xdp_on(*fresh, ifname).prog_id != user_id); // our hook, attached as on any free interface
		d.signal(SIGINT);
		CHECK(d.wait(5000) == 0);
		INFO(d.err());
		CHECK(d.err().find(dropped) != std::string::npos);
		CHECK(d.err().find(gone) != std::string::npos);
		CHECK(d.err().find("put back") == std::string::npos);
		CHECK(xdp_on(*fresh, ifname).prog_id == 0);
	}
	CHECK(files_in(run.path.string()).empty());
	CHECK(files_in(bpffs.dir + "/xdp-hints").empty());
}

TEST_CASE("dump --replace killed after its interface was renamed: the guardian follows it by index and puts the "
	  "user's program back",
	  "[fault][cli][dump][replace]")
{
	if (!privileged())
		return;
	DumpBed b("rstren", false);
	TempDir run("xh-rstren");
	uint32_t user_id = user_prog_on(b);
	Child dump(replacing_dump(b, {"XDP_HINTS_RUN_DIR=" + run.path.string()}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	const std::string renamed = b.ifname() + "r";
	REQUIRE_OK(b.tb.rx_ns.exec({"ip", "link", "set", "dev", b.ifname(), "down"}));
	REQUIRE_OK(b.tb.rx_ns.exec({"ip", "link", "set", "dev", b.ifname(), "name", renamed}));
	REQUIRE_OK(b.tb.rx_ns.exec({"ip", "link", "set", "dev", renamed, "up"}));
	CHECK(xdp_on(b.tb.rx_ns, renamed).prog_id != user_id);
	dump.signal(SIGKILL);
	CHECK(dump.wait(5000) == 128 + SIGKILL);
	CHECK(eventually([&] { return xdp_on(b.tb.rx_ns, renamed).prog_id == user_id; }, 5000));
	CHECK(int(xdp_on(b.tb.rx_ns, renamed).mode) == XDP_ATTACHED_DRV);
	CHECK(dump.wait_stderr("its guardian put back XDP program id " + std::to_string(user_id) +
				       " (name user_pass) on " + renamed + " in driver mode",
			       5000));
	INFO(dump.err());
	CHECK(eventually([&] { return files_in(run.path.string()).empty(); }));
}

TEST_CASE("dump --replace whose hook someone else replaced meanwhile: at exit the new program stays, and it is said",
	  "[fault][cli][dump][replace]")
{
	if (!privileged())
		return;
	DumpBed b("rstoth", false);
	TempDir run("xh-rstoth");
	uint32_t user_id = user_prog_on(b);
	Child dump(replacing_dump(b, {"XDP_HINTS_RUN_DIR=" + run.path.string()}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	uint32_t hook_id = b.xdp().prog_id;
	UserProg other; // attached over the hook by someone else (ip link set dev X xdp ...)
	REQUIRE(other.attach(b.tb.rx_ns, b.ifname(), XDP_FLAGS_DRV_MODE) == 0);
	dump.signal(SIGINT);
	CHECK(dump.wait(5000) == 0);
	INFO(dump.err());
	CHECK(dump.err().find("xdp-hints: left " + b.ifname() + " alone: it has XDP program id " + std::to_string(other.id) +
			      " (name user_pass) now, not this run's hook (prog id " + std::to_string(hook_id) +
			      "), so the XDP program id " + std::to_string(user_id) +
			      " (name user_pass) it had replaced is not put back") != std::string::npos);
	CHECK(b.xdp().prog_id == other.id);
	CHECK(files_in(run.path.string()).empty());
	CHECK(other.detach(b.tb.rx_ns, b.ifname(), XDP_FLAGS_DRV_MODE) == 0);
}
