// `xdp-hints dump --replace` is all-or-nothing: the user's program stays attached (same id,
// same mode) when anything fails, is swapped atomically while dump runs, and comes back
// when dump exits or is killed.
#include "dump_testing.hpp"

using namespace xdphints;
using namespace xdphints::test;

namespace {

const char *mode_label(uint32_t flags)
{
	return flags == XDP_FLAGS_DRV_MODE ? "driver" : "skb";
}

// Runs a dump that must fail and checks the user's program is still there, as it was.
void check_refused_keeps(DumpBed &b, const UserProg &user, uint32_t flags, std::vector<std::string> args,
			 const std::string &expect)
{
	Child dump(b.dump(args));
	int rc = dump.wait(15000);
	INFO("stderr: " << dump.err());
	CHECK(rc == 1);
	CHECK(dump.err().find(expect) != std::string::npos);
	auto s = b.xdp();
	CHECK(s.prog_id == user.id);
	CHECK(int(s.mode) == int(attached_mode(flags)));
}

} // namespace

TEST_CASE("dump --replace that fails keeps the user's program attached", "[fault][cli][dump][replace]")
{
	if (!privileged())
		return;
	DumpBed b("repfail", false);
	UserProg user;
	REQUIRE(user.fd);
	for (uint32_t flags : {uint32_t(XDP_FLAGS_DRV_MODE), uint32_t(XDP_FLAGS_SKB_MODE)}) {
		DYNAMIC_SECTION(mode_label(flags) << " mode")
		{
			REQUIRE(user.attach(b.tb.rx_ns, b.ifname(), flags) == 0);
			SECTION("bad --queue")
			{
				check_refused_keeps(b, user, flags, {"--replace", "--queue", "7", "--count", "1"}, "queue 7");
				CHECK(b.queue_free());
			}
			SECTION("--hwtstamp on veth (no hardware timestamping)")
			{
				check_refused_keeps(b, user, flags, {"--replace", "--hwtstamp", "--count", "1"}, "SIOCSHWTSTAMP");
				CHECK(b.queue_free());
				// Nothing was changed, so nothing is recorded to restore.
				Child reset(in_ns(b.tb.rx_ns, {XDP_HINTS_CLI, "reset", b.ifname()}));
				CHECK(reset.wait(15000) == 0);
				CHECK(reset.err().find("nothing left behind on " + b.ifname()) != std::string::npos);
			}
			SECTION("bind fails: another AF_XDP socket holds queue 0")
			{
				// A socket bound to queue 0 with its own umem makes dump's bind fail (EBUSY).
				QueueHolder holder(b.tb.rx_ns, b.ifindex(), 0);
				REQUIRE(holder.bound());
				check_refused_keeps(b, user, flags, {"--replace", "--count", "1"}, "bind");
			}
			CHECK(user.detach(b.tb.rx_ns, b.ifname(), flags) == 0);
		}
	}
}

TEST_CASE("dump --replace swaps the hook in and puts the user's program back on exit, in its mode",
	  "[fault][cli][dump][replace]")
{
	if (!privileged())
		return;
	DumpBed b("repok");
	UserProg user;
	REQUIRE(user.fd);
	for (uint32_t flags : {uint32_t(XDP_FLAGS_DRV_MODE), uint32_t(XDP_FLAGS_SKB_MODE)}) {
		DYNAMIC_SECTION(mode_label(flags) << " mode")
		{
			REQUIRE(user.attach(b.tb.rx_ns, b.ifname(), flags) == 0);
			Child dump(b.dump({"--replace", "--json", "--count", "4", "--stats-interval", "0"}));
			REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
			auto during = b.xdp();
			CHECK(during.prog_id != user.id);
			CHECK(during.prog_id != 0);
			send_n(*b.flow, 4);
			INFO("stderr: " << dump.err());
			CHECK(dump.wait(10000) == 0);
			CHECK(count_lines(dump.out()) == 4);
			CHECK(dump.err().find("replaced XDP program id " + std::to_string(user.id)) != std::string::npos);
			auto after = b.xdp();
			CHECK(after.prog_id == user.id);
			CHECK(int(after.mode) == int(attached_mode(flags)));
			CHECK(user.detach(b.tb.rx_ns, b.ifname(), flags) == 0);
		}
	}
}

TEST_CASE("dump --replace killed with SIGKILL: its guardian puts the user's program back", "[fault][cli][dump][replace]")
{
	if (!privileged())
		return;
	DumpBed b("repkill");
	// The user's program lives only on the interface: the test drops its own fd, so if
	// dump loses it, it is gone for good.
	uint32_t user_id = 0;
	{
		UserProg user;
		REQUIRE(user.attach(b.tb.rx_ns, b.ifname(), XDP_FLAGS_DRV_MODE) == 0);
		user_id = user.id;
	}
	Child dump(b.dump({"--replace", "--json", "--stats-interval", "0.1"}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	CHECK(b.xdp().prog_id != user_id);
	send_n(*b.flow, 10);
	REQUIRE_STDERR(dump, "stats: frames 10", 5000);
	dump.signal(SIGKILL);
	CHECK(dump.wait(5000) == 128 + SIGKILL);
	INFO("stderr: " << dump.err());
	CHECK(eventually([&] { return b.xdp().prog_id == user_id; }));
	CHECK(int(b.xdp().mode) == XDP_ATTACHED_DRV);
	CHECK(eventually([&] { return b.queue_free(); }));
}
