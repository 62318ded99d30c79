// dump --replace killed together with its guardian: what it left (its hook attached through
// netlink, the user's program swapped out) is recorded in /run/xdp-hints, and
// `xdp-hints reset IFNAME` or the next dump restores from the record. With a bpffs to pin
// the user's program in, it comes back; without one it is gone with the processes that
// held it, and reset removes the hook and says so.
#include "dump_testing.hpp"

#include <sys/mount.h>

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

// Runs dump --replace over the user's program (attached in driver mode, held by nobody
// else), then SIGKILLs dump and its guardian. Returns the user's program id.
uint32_t kill_replacing_dump(DumpBed &b, const std::vector<std::string> &env)
{
	uint32_t user_id = 0;
	{
		UserProg user;
		REQUIRE(user.attach(b.tb.rx_ns, b.ifname(), XDP_FLAGS_DRV_MODE) == 0);
		user_id = user.id;
	}
	std::vector<std::string> argv{"ip", "netns", "exec", b.tb.rx_ns.name(), "env"};
	argv.insert(argv.end(), env.begin(), env.end());
	for (const char *a : {XDP_HINTS_CLI, "dump"})
		argv.push_back(a);
	argv.push_back(b.ifname());
	for (const char *a : {"--replace", "--json", "--stats-interval", "0"})
		argv.push_back(a);
	Child dump(argv);
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
