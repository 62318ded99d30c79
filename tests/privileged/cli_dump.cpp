// The xdp-hints command as a user runs it: `dump --json` inside a namespace we set up,
// `demo` from start to clean exit, and the errors for bad input.
#include "child.hpp"
#include "privileges.hpp"

#include <xdphints/hook/hook.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <bpf/libbpf.h>
#include <catch2/catch.hpp>
#include <net/if.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <ctime>
#include <tuple>

using namespace xdphints;
using namespace xdphints::hook;
using test::Child;

namespace {

std::vector<nlohmann::json> json_lines(const std::string &out)
{
	std::vector<nlohmann::json> v;
	std::istringstream in(out);
	for (std::string line; std::getline(in, line);)
		if (!line.empty())
			v.push_back(nlohmann::json::parse(line));
	return v;
}

std::vector<std::string> in_ns(const testbed::Netns &ns, std::vector<std::string> argv)
{
	std::vector<std::string> a{"ip", "netns", "exec", ns.name()};
	a.insert(a.end(), argv.begin(), argv.end());
	return a;
}

uint32_t xdp_prog_on(const testbed::Netns &ns, const std::string &ifname)
{
	auto in = testbed::NetnsScope::enter(ns);
	uint32_t id = 0;
	if (in)
		bpf_xdp_query_id(int(if_nametoindex(ifname.c_str())), 0, &id);
	return id;
}

} // namespace

TEST_CASE("dump --json: one JSON object per packet, keys are BTF member names", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("cli");
	REQUIRE_OK(tb);
	auto tagger = testbed::VlanTagger::attach(tb->tx_ns, tb->tx().ifindex, 59, 5959);
	REQUIRE_OK(tagger);
	auto plain = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, 42001, tb->rx().ipv4, 7001);
	auto tagged = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, 42959, tb->rx().ipv4, 5959);
	REQUIRE_OK(plain);
	REQUIRE_OK(tagged);

	Child dump(in_ns(tb->rx_ns, {XDP_HINTS_CLI, "dump", tb->rx().ifname, "--json", "--count", "8",
				     "--stats-interval", "0"}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	uint8_t payload[18] = {1, 2, 3};
	for (int i = 0; i < 4; i++) {
		REQUIRE(plain->send(payload));
		REQUIRE(tagged->send(payload));
	}
	INFO("stderr: " << dump.err());
	REQUIRE(dump.wait(15000) == 0);
	auto lines = json_lines(dump.out());
	REQUIRE(lines.size() == 8);
	unsigned n_tagged = 0;
	for (auto &j : lines) {
		INFO(j.dump());
		CHECK(j.at("queue") == 0);
		CHECK(j.at("len").get<unsigned>() == 14 + 20 + 8 + sizeof(payload));
		CHECK(j.at("layout") == "xdp_hints_veth");
		CHECK((j.at("id").get<uint64_t>() >> 32) != 0); // global id: BTF object id << 32 | type id
		auto &h = j.at("hints");
		CHECK(h.contains("rx_hash"));
		CHECK(h.contains("rx_hash_type"));
		REQUIRE(h.contains("rx_timestamp"));
		CHECK(h.at("rx_timestamp_source") == "software");
		for (auto &[k, v] : h.items()) // control members are not hints
			CHECK((k.rfind("valid.", 0) != 0 && k.rfind("status.", 0) != 0 && k != "btf_full_id"));
		if (h.contains("rx_vlan_tci")) {
			n_tagged++;
			CHECK(h.at("rx_vlan_tci") == 59);
			CHECK(h.at("rx_vlan_proto") == 0x8100);
		} else {
			CHECK(!h.contains("rx_vlan_proto"));
			CHECK(j.at("absent").at("rx_vlan_tci") == "no_data");
		}
	}
	CHECK(n_tagged == 4);
	CHECK(dump.err().find("stats: frames 8 with_hints 8 unknown_layout 0") != std::string::npos);
	CHECK(xdp_prog_on(tb->rx_ns, tb->rx().ifname) == 0); // detached on exit
}

TEST_CASE("dump --clock: each rx_timestamp in the clock asked for, and which clock it is", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("clk");
	REQUIRE_OK(tb);
	auto flow = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, 42001, tb->rx().ipv4, 7001);
	REQUIRE_OK(flow);
	auto now = [](clockid_t c) {
		timespec ts{};
		clock_gettime(c, &ts);
		return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
	};
	for (auto [arg, clk, name] : {std::tuple{"tai", CLOCK_TAI, "CLOCK_TAI"},
				      std::tuple{"realtime", CLOCK_REALTIME, "CLOCK_REALTIME"}}) {
		INFO("--clock " << arg);
		Child dump(in_ns(tb->rx_ns, {XDP_HINTS_CLI, "dump", tb->rx().ifname, "--json", "--count", "4",
					     "--stats-interval", "0", "--clock", arg}));
		REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
		int64_t before = now(clk);
		uint8_t payload[18] = {1, 2, 3};
		for (int i = 0; i < 4; i++)
			REQUIRE(flow->send(payload));
		REQUIRE(dump.wait(15000) == 0);
		int64_t after = now(clk);
		INFO("stderr: " << dump.err());
		// veth cannot timestamp: said once; the hook's software timestamps, in the clock asked.
		CHECK(dump.err().find("hardware timestamps on " + tb->rx().ifname + ": no hardware RX timestamping") !=
		      std::string::npos);
		CHECK(dump.err().find(std::string("rx_timestamp in ") + name + " (--clock " + arg + ")") != std::string::npos);
		auto lines = json_lines(dump.out());
		REQUIRE(lines.size() == 4);
		for (auto &j : lines) {
			INFO(j.dump());
			auto &h = j.at("hints");
			CHECK(h.at("rx_timestamp_source") == "software");
			CHECK(h.at("rx_timestamp_clock") == arg);
			CHECK(!h.contains("rx_timestamp_error_ns")); // an exact clock read, nothing converted
			int64_t ts = h.at("rx_timestamp").get<int64_t>();
			CHECK(ts >= before);
			CHECK(ts <= after);
		}
	}
}

TEST_CASE("dump refuses an interface that already has an XDP program, and leaves it", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("busy");
	REQUIRE_OK(tb);
	std::optional<Hook> first;
	{
		auto in = testbed::NetnsScope::enter(tb->rx_ns);
		REQUIRE_OK(in);
		auto h = Hook::attach({.ifname = tb->rx().ifname});
		REQUIRE_OK(h);
		first.emplace(std::move(*h));
	}
	Child dump(in_ns(tb->rx_ns, {XDP_HINTS_CLI, "dump", tb->rx().ifname, "--count", "1"}));
	CHECK(dump.wait(15000) == 1);
	INFO(dump.err());
	CHECK(dump.err().find("already") != std::string::npos);
	CHECK(dump.err().find("--replace") != std::string::npos);
	CHECK(xdp_prog_on(tb->rx_ns, tb->rx().ifname) == first->prog_id());
}

TEST_CASE("dump on an interface that does not exist names it and the fix", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto ns = testbed::Netns::create("noif");
	REQUIRE_OK(ns);
	Child dump(in_ns(*ns, {XDP_HINTS_CLI, "dump", "xh-nosuch0", "--count", "1"}));
	CHECK(dump.wait(15000) == 1);
	INFO(dump.err());
	CHECK(dump.err().find("xh-nosuch0") != std::string::npos);
	CHECK(dump.err().find("ip link") != std::string::npos);
}

TEST_CASE("demo: decoded hints incl. VLAN 59, exit 0, nothing left behind", "[privileged][cli][demo]")
{
	if (!test::privileged())
		return;
	Child demo({XDP_HINTS_CLI, "demo"});
	int rc = demo.wait(60000);
	INFO("stdout:\n" << demo.out() << "\nstderr:\n" << demo.err());
	REQUIRE(rc == 0);
	unsigned rows = 0, vlan_rows = 0;
	std::istringstream in(demo.out());
	for (std::string line; std::getline(in, line);) {
		if (line.find("xdp_hints_veth") != std::string::npos)
			rows++;
		if (line.find("59/0x8100") != std::string::npos)
			vlan_rows++;
	}
	CHECK(rows >= 10);
	CHECK(vlan_rows >= 1);
	// Part 2: one hook writing two layouts, told apart by id.
	CHECK(demo.err().find("packets: xdp_hints_veth_ts (id 0x") != std::string::npos);
	CHECK(demo.err().find("packets: xdp_hints_veth_hash (id 0x") != std::string::npos);
	// The demo's namespaces are named after its pid ("xh<pid>-..."): none may remain.
	auto list = Child({"ip", "netns", "list"});
	(void)list.wait(5000);
	auto pos = demo.err().find("namespaces ");
	REQUIRE(pos != std::string::npos);
	std::string ns_name = demo.err().substr(pos + 11, demo.err().find(' ', pos + 11) - pos - 11);
	std::string prefix = ns_name.substr(0, ns_name.find('-') + 1);
	CHECK(list.out().find(prefix) == std::string::npos);
}

TEST_CASE("dump stops on Ctrl-C: exits 0 and detaches the hook", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("sigint");
	REQUIRE_OK(tb);
	Child dump(in_ns(tb->rx_ns, {XDP_HINTS_CLI, "dump", tb->rx().ifname, "--stats-interval", "0.2"}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	CHECK(xdp_prog_on(tb->rx_ns, tb->rx().ifname) != 0);
	REQUIRE_STDERR(dump, "stats: frames 0", 5000); // running, printing statistics
	dump.signal(SIGINT);
	INFO(dump.err());
	CHECK(dump.wait(10000) == 0);
	CHECK(xdp_prog_on(tb->rx_ns, tb->rx().ifname) == 0);
}

TEST_CASE("dump says within seconds when the hook's metadata writes fail, instead of frames 0", "[privileged][cli][needs:meta]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("mf");
	REQUIRE_OK(tb);
	auto flow = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, 42011, tb->rx().ipv4, 7011);
	REQUIRE_OK(flow);
	// Its 40-byte struct fits every kernel's limit, but it asks bpf_xdp_adjust_meta for 256
	// bytes more: every write fails, every packet goes to the stack (support/byo_meta.bpf.c).
	Child dump(in_ns(tb->rx_ns, {XDP_HINTS_CLI, "dump", tb->rx().ifname, "--json", "--stats-interval", "0",
				     "--hook-object", XDPHINTS_TEST_BPF_DIR "/byo_meta_fail.bpf.o", "--layout",
				     "xdp_meta"}));
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	// The packets reach the receiver's stack, which answers port unreachable: a send then
	// reports ECONNREFUSED once (and sends nothing), so count the sends that went out.
	uint8_t payload[18] = {};
	int sent = 0;
	for (int i = 0; i < 40 && sent < 10; i++)
		sent += flow->send(payload) ? 1 : 0;
	REQUIRE(sent == 10);
	// dump checks the hook's counters once a second; 10 s leaves room for a loaded
	// 2-core machine keeping it off the CPU (seen: a 5 s wait ran out at load 3).
	REQUIRE_STDERR(dump, "could not write its metadata", 10000);
	dump.signal(SIGINT);
	CHECK(dump.wait(10000) == 0);
	INFO(dump.err());
	CHECK_THAT(dump.err(), Catch::Contains("warning: hook '" XDPHINTS_TEST_BPF_DIR "/byo_meta_fail.bpf.o' could not "
					       "write its metadata for ") &&
				       Catch::Contains("frames (meta_failed): they went to the network stack") &&
				       Catch::Contains("struct xdp_meta, is 40 bytes"));
	CHECK(dump.out().empty());
}
