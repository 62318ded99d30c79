// `xdp-hints dump` killed, doubled, unprivileged: SIGKILL mid-run leaves no program and no
// socket; a second dump on the same interface is refused and the first keeps receiving; an
// unprivileged run names the capability and the fix.
#include "dump_testing.hpp"

using namespace xdphints;
using namespace xdphints::test;

TEST_CASE("dump killed with SIGKILL mid-run: no XDP program, no XDP socket, no namespace left", "[fault][cli][dump]")
{
	if (!privileged())
		return;
	std::string prefix;
	{
		DumpBed b("kill");
		prefix = b.tb.rx_ns.name().substr(0, b.tb.rx_ns.name().find('-') + 1);
		Child dump(b.dump({"--json", "--stats-interval", "0.1"}));
		REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
		CHECK(b.xdp().prog_id != 0);
		CHECK(!b.queue_free()); // dump's socket holds queue 0
		send_n(*b.flow, 100);
		REQUIRE_STDERR(dump, "stats: frames 100", 5000);
		dump.signal(SIGKILL);
		CHECK(dump.wait(5000) == 128 + SIGKILL);
		// The kernel cleans up after the process: the link and the socket close with it.
		CHECK(eventually([&] { return b.xdp().prog_id == 0; }));
		CHECK(eventually([&] { return b.queue_free(); }));
		// Nothing of this run is left for the next one: a new dump attaches and receives.
		Child again(b.dump({"--json", "--count", "3", "--stats-interval", "0"}));
		REQUIRE_STDERR(again, "AF_XDP socket on queue 0", 15000);
		send_n(*b.flow, 3);
		INFO(again.err());
		CHECK(again.wait(10000) == 0);
		CHECK(count_lines(again.out()) == 3);
	}
	Child list({"ip", "netns", "list"});
	(void)list.wait(5000);
	CHECK(list.out().find(prefix) == std::string::npos);
}

TEST_CASE("two dumps on one interface: the second is refused, the first keeps receiving", "[fault][cli][dump]")
{
	if (!privileged())
		return;
	DumpBed b("two");
	Child first(b.dump({"--json", "--count", "10", "--stats-interval", "0"}));
	REQUIRE_STDERR(first, "AF_XDP socket on queue 0", 15000);
	uint32_t hook_id = b.xdp().prog_id;
	REQUIRE(hook_id != 0);
	send_n(*b.flow, 5);

	for (const char *extra : {"", "--replace"}) {
		std::vector<std::string> args{"--json", "--count", "1"};
		if (*extra)
			args.push_back(extra);
		Child second(b.dump(args));
		int rc = second.wait(15000);
		INFO("second dump " << extra << ": " << second.err());
		CHECK(rc == 1);
		CHECK(second.err().find(b.ifname() + " already has XDP program id " + std::to_string(hook_id) +
					" (name xdp_hints_hook), attached through a bpf_link held by xdp-hints (pid " +
					std::to_string(first.pid()) + ")") != std::string::npos);
		CHECK(second.err().find("stop the process that holds the link") != std::string::npos);
		CHECK(b.xdp().prog_id == hook_id);
	}
	send_n(*b.flow, 5);
	INFO("first: " << first.err());
	CHECK(first.wait(10000) == 0);
	CHECK(count_lines(first.out()) == 10);
	CHECK(b.xdp().prog_id == 0);
}

TEST_CASE("dump unprivileged: the error names the capability and the fix", "[fault][cli][dump]")
{
	if (!privileged())
		return;
	DumpBed b("nocap", false);
	SECTION("as nobody")
	{
		Child dump(in_ns(b.tb.rx_ns, {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
					       XDP_HINTS_CLI, "dump", b.ifname(), "--count", "1"}));
		CHECK(dump.wait(15000) == 1);
		INFO(dump.err());
		CHECK(dump.err().find("CAP_BPF") != std::string::npos);
		CHECK(dump.err().find("CAP_NET_ADMIN") != std::string::npos);
		CHECK(dump.err().find("run as root") != std::string::npos);
	}
	SECTION("as root without CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN")
	{
		Child dump(in_ns(b.tb.rx_ns, {"capsh", "--drop=cap_bpf,cap_net_admin,cap_sys_admin,cap_perfmon", "--",
					       "-c", std::string(XDP_HINTS_CLI) + " dump " + b.ifname() + " --count 1"}));
		CHECK(dump.wait(15000) == 1);
		INFO(dump.err());
		CHECK(dump.err().find("CAP_BPF") != std::string::npos);
		CHECK(dump.err().find("CAP_NET_ADMIN") != std::string::npos);
	}
	CHECK(b.xdp().prog_id == 0);
	CHECK(b.queue_free());
}
