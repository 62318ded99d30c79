// The interface goes away under a running `xdp-hints dump`: deleted, or destroyed with
// its veth peer's namespace. dump must notice within a second, exit non-zero and say which
// interface and what happened, instead of printing unchanged statistics forever.
#include "dump_testing.hpp"

using namespace xdphints;
using namespace xdphints::test;
using clk = std::chrono::steady_clock;

namespace {

// Waits until `ifname` is gone from `ns`; the time it took.
double wait_gone(const testbed::Netns &ns, const std::string &ifname, clk::time_point t0)
{
	for (;;) {
		{
			auto in = testbed::NetnsScope::enter(ns);
			if (in && if_nametoindex(ifname.c_str()) == 0)
				break;
		}
		if (ms_since(t0) > 10000)
			break;
		usleep(2000);
	}
	return ms_since(t0);
}

void check_gone_report(Child &dump, const std::string &ifname, double gone_ms)
{
	auto t_gone = clk::now();
	int rc = dump.wait(5000);
	double ms = ms_since(t_gone);
	INFO("stderr: " << dump.err() << "\ninterface gone after " << gone_ms << " ms, exit " << ms << " ms later");
	CHECK(rc == 1);
	CHECK(ms < 1000);
	CHECK(dump.err().find("xdp-hints dump: " + ifname) != std::string::npos);
	CHECK(dump.err().find("is gone") != std::string::npos);
}

} // namespace

TEST_CASE("dump: interface deleted -> exits 1 within 1 s, naming it", "[fault][cli][dump]")
{
	if (!privileged())
		return;
	DumpBed b("ifdel");
	Child dump(b.dump({"--json", "--stats-interval", "0.1"}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	send_n(*b.flow, 5);
	REQUIRE_STDERR(dump, "stats: frames 5", 5000);

	auto t0 = clk::now();
	REQUIRE(b.tb.rx_ns.exec({"ip", "link", "del", b.ifname()}));
	double gone = wait_gone(b.tb.rx_ns, b.ifname(), t0);
	check_gone_report(dump, b.ifname(), gone);
	CHECK(dump.err().find("deleted") != std::string::npos);
	CHECK(count_lines(dump.out()) == 5); // what was received before is all written
}

TEST_CASE("dump: the veth peer's namespace deleted -> exits 1 within 1 s, naming the interface", "[fault][cli][dump]")
{
	if (!privileged())
		return;
	DumpBed b("peerdel", false); // no flow: its socket would keep the peer namespace alive
	Child dump(b.dump({"--json", "--stats-interval", "0.1"}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	REQUIRE_STDERR(dump, "stats: frames 0", 5000);

	auto t0 = clk::now();
	{
		testbed::Netns peer = std::move(b.tb.tx_ns); // nothing else holds it: the namespace
	}						     // and the veth pair go with it
	double gone = wait_gone(b.tb.rx_ns, b.ifname(), t0);
	check_gone_report(dump, b.ifname(), gone);
}
