// The testbed's command runner says the fix that matches how a command failed: not
// "run as root" for a command that failed for its own reason (xdp-loader's "Invalid
// argument", tc's unknown qdisc), which sent users chasing privileges they had.
#include "privileges.hpp"

#include <xdphints/testbed/netns.hpp>

#include <catch2/catch.hpp>

using namespace xdphints;

TEST_CASE("testbed exec: the fix matches the failure, privileges only when they are the cause", "[privileged][testbed]")
{
	if (!test::privileged())
		return;
	auto ns = testbed::Netns::create("exec");
	REQUIRE(ns);

	// A command failing for its own reason (seen: xdp-loader exit 234 "Invalid argument").
	auto inval = ns->exec({"sh", "-c", "echo 'Couldn'\\''t attach XDP program: Invalid argument' >&2; exit 234"});
	REQUIRE_FALSE(inval);
	INFO(inval.error().message);
	CHECK_THAT(inval.error().message, Catch::Contains("exit 234") && Catch::Contains("Invalid argument"));
	CHECK_THAT(inval.error().message, !Catch::Contains("run as root"));

	// A missing qdisc (no sch_ingress module): a kernel matter, not a privilege one.
	auto qdisc = ns->exec({"sh", "-c", "echo 'Error: Specified qdisc kind is unknown.' >&2; exit 2"});
	REQUIRE_FALSE(qdisc);
	INFO(qdisc.error().message);
	CHECK_THAT(qdisc.error().message, !Catch::Contains("run as root"));
	CHECK_THAT(qdisc.error().message, Catch::Contains("modprobe"));

	// Refused for privileges: then, and only then, root is the fix.
	auto perm = ns->exec({"sh", "-c", "echo 'RTNETLINK answers: Operation not permitted' >&2; exit 2"});
	REQUIRE_FALSE(perm);
	CHECK_THAT(perm.error().message, Catch::Contains("run as root"));

	// Not installed.
	auto missing = ns->exec({"xh-no-such-command"});
	REQUIRE_FALSE(missing);
	CHECK_THAT(missing.error().message, Catch::Contains("exit 127") && Catch::Contains("install"));
}
