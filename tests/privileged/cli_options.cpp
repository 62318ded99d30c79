// `xdp-hints dump` options as a user runs them: a hook specialised to one field, several
// layouts in one hook (PTP split), bring-your-own hooks (prototype btf_id, fixed layout),
// and XDP logic of the user's running inside the hook.
#include "child.hpp"
#include "privileges.hpp"
#include "temp_dir.hpp"

#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

using namespace xdphints;
using test::Child;

namespace {

const std::string kBpf = XDPHINTS_BPF_EXAMPLES_DIR;

struct Bed {
	testbed::Testbed tb;
	std::vector<testbed::UdpFlow> flows;
};

Bed bed(const char *tag, std::initializer_list<uint16_t> dports, unsigned queues = 1)
{
	testbed::VethOptions vo;
	vo.queues = queues;
	auto tb = testbed::Testbed::create(tag, vo);
	REQUIRE_OK(tb);
	Bed b{std::move(*tb), {}};
	uint16_t sport = 43000;
	for (uint16_t dp : dports) {
		auto f = testbed::UdpFlow::open(b.tb.tx_ns, b.tb.tx().ipv4, sport++, b.tb.rx().ipv4, dp);
		REQUIRE_OK(f);
		b.flows.push_back(std::move(*f));
	}
	return b;
}

// Runs dump with `args` in the receiving namespace until `count` packets, sending `per_flow`
// packets on every flow once it is ready. Returns the JSON lines.
std::vector<nlohmann::json> dump(Bed &b, std::vector<std::string> args, unsigned per_flow)
{
	std::vector<std::string> argv{"ip", "netns", "exec", b.tb.rx_ns.name(), XDP_HINTS_CLI, "dump", b.tb.rx().ifname,
				      "--json", "--stats-interval", "0"};
	argv.insert(argv.end(), args.begin(), args.end());
	Child c(argv);
	REQUIRE_STDERR(c, "AF_XDP socket on queue 0", 15000);
	uint8_t payload[44] = {0}; // PTP-sized: a PTP event message header is 34+ bytes
	for (unsigned i = 0; i < per_flow; i++)
		for (auto &f : b.flows)
			REQUIRE(f.send(payload));
	int rc = c.wait(15000);
	INFO("stderr: " << c.err());
	REQUIRE(rc == 0);
	std::vector<nlohmann::json> v;
	std::istringstream in(c.out());
	for (std::string line; std::getline(in, line);)
		v.push_back(nlohmann::json::parse(line));
	return v;
}

} // namespace

TEST_CASE("dump --fields rx_timestamp: the hook writes the smaller timestamp-only layout", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto b = bed("spec", {7001, 7002});
	auto lines = dump(b, {"--fields", "rx_timestamp", "--count", "6"}, 3);
	REQUIRE(lines.size() == 6);
	for (auto &j : lines) {
		INFO(j.dump());
		CHECK(j["layout"] != "xdp_hints_veth"); // a specialised struct, with its own id
		CHECK(j["hints"].contains("rx_timestamp"));
		CHECK(j["hints"]["rx_timestamp_source"] == "software");
		CHECK(!j["hints"].contains("rx_hash"));
		CHECK(!j["hints"].contains("rx_vlan_tci"));
		CHECK(j["id"] == lines[0]["id"]);
	}
}

TEST_CASE("dump --ptp-split: PTP event packets get the timestamp layout, others the hash layout", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto b = bed("ptp", {319, 7001});
	auto lines = dump(b, {"--ptp-split", "--count", "8"}, 4);
	REQUIRE(lines.size() == 8);
	std::set<uint64_t> ts_ids, hash_ids;
	for (auto &j : lines) {
		INFO(j.dump());
		const auto &h = j["hints"];
		if (h.contains("rx_timestamp")) {
			CHECK(!h.contains("rx_hash"));
			ts_ids.insert(j["id"].get<uint64_t>());
		} else {
			CHECK(h.contains("rx_hash"));
			hash_ids.insert(j["id"].get<uint64_t>());
		}
	}
	// Four of each, told apart by id alone: one id per layout, and they differ.
	CHECK(ts_ids.size() == 1);
	CHECK(hash_ids.size() == 1);
	CHECK(*ts_ids.begin() != *hash_ids.begin());
	unsigned n_ts = 0;
	for (auto &j : lines)
		n_ts += j["hints"].contains("rx_timestamp");
	CHECK(n_ts == 4);
}

TEST_CASE("dump --hook-object: a prototype-style hook with a u32 btf_id, decoded by BTF member name",
	  "[privileged][cli][needs:meta]")
{
	if (!test::privileged())
		return;
	auto b = bed("byo", {7001});
	auto lines = dump(b, {"--hook-object", kBpf + "/byo_btf_id.bpf.o", "--count", "3"}, 3);
	REQUIRE(lines.size() == 3);
	for (auto &j : lines) {
		INFO(j.dump());
		CHECK(j["layout"] == "xdp_hints_rx_time");
		CHECK((j["id"].get<uint64_t>() >> 32) != 0); // the source's BTF object id, added by the library
		CHECK(j["hints"]["xdp_rxq_index"] == 0);
		CHECK(j["hints"]["rx_ktime"].get<uint64_t>() > 0);
		CHECK(!j["hints"].contains("btf_id"));
	}
}

TEST_CASE("dump --hook-object --layout: a fixed-layout hook (selftest xdp_hw_metadata style)", "[privileged][cli][needs:meta]")
{
	if (!test::privileged())
		return;
	auto b = bed("fixed", {7001, 7002});
	auto lines = dump(b, {"--hook-object", kBpf + "/byo_fixed.bpf.o", "--layout", "xdp_meta", "--count", "4"}, 2);
	REQUIRE(lines.size() == 4);
	std::set<uint64_t> hashes;
	for (auto &j : lines) {
		INFO(j.dump());
		CHECK(j["layout"] == "xdp_meta");
		CHECK(j["hints"]["xdp_timestamp"].get<uint64_t>() > 0);
		hashes.insert(j["hints"]["rx_hash"].get<uint64_t>());
	}
	CHECK(hashes.size() == 2); // two flows, two RSS hashes from veth's kfunc
}

TEST_CASE("dump --hook-object: an AF_XDP-interaction style hook in SEC(\"xdp_sock\"), two alternating layouts",
	  "[privileged][cli][needs:meta]")
{
	if (!test::privileged())
		return;
	auto b = bed("xsock", {7001});
	auto lines = dump(b, {"--hook-object", kBpf + "/byo_xdp_sock.bpf.o", "--count", "6"}, 6);
	REQUIRE(lines.size() == 6);
	unsigned rx_time = 0, mark = 0;
	for (auto &j : lines) {
		INFO(j.dump());
		if (j["layout"] == "xdp_hints_rx_time") {
			rx_time++;
			CHECK(j["hints"]["rx_ktime"].get<uint64_t>() > 0);
			CHECK(j["hints"]["xdp_rx_cpu"].get<unsigned>() < std::thread::hardware_concurrency());
		} else {
			mark++;
			CHECK(j["layout"] == "xdp_hints_mark");
			CHECK(j["hints"]["mark"] == 42);
		}
		CHECK(!j["hints"].contains("btf_id"));
	}
	// One per-CPU counter: alternating when all six arrive on one CPU, else at least both.
	CHECK(rx_time > 0);
	CHECK(mark > 0);
}

// The selftest-style hook redirects UDP 9091 only; VLAN 42 tags those packets on the
// sender, so veth's kfunc gives the tag: the protocol (a __be16 in the struct) is shown in
// host order, and hint_valid (a flags enum) by the names of its bits.
void check_hw_metadata_lines(const std::vector<nlohmann::json> &lines)
{
	for (auto &j : lines) {
		INFO(j.dump());
		CHECK(j["layout"] == "xdp_meta");
		const auto &h = j["hints"];
		CHECK(h["xdp_timestamp"].get<uint64_t>() > 0);
		CHECK(h["rx_vlan_proto"] == 0x8100);
		CHECK((h["rx_vlan_tci"].get<unsigned>() & 0xfff) == 42);
		CHECK(j["host_order"] == nlohmann::json::array({"rx_vlan_proto"}));
		auto valid = h["hint_valid"].get<std::vector<std::string>>();
		CHECK(std::find(valid.begin(), valid.end(), "XDP_META_FIELD_RSS") != valid.end());
		CHECK(std::find(valid.begin(), valid.end(), "XDP_META_FIELD_VLAN_TAG") != valid.end());
		CHECK(h["rx_hash"].get<uint64_t>() != 0);
	}
}

TEST_CASE("dump --hook-object --layout: a selftest xdp_hw_metadata style hook, its struct only in DWARF",
	  "[privileged][cli][needs:meta]")
{
	if (!test::privileged())
		return;
	auto b = bed("hwmeta", {9091});
	auto tagger = testbed::VlanTagger::attach(b.tb.tx_ns, b.tb.tx().ifindex, 42, 9091);
	REQUIRE_OK(tagger);
	auto lines = dump(b, {"--hook-object", kBpf + "/byo_hw_metadata.bpf.o", "--layout", "xdp_meta", "--count", "4"}, 4);
	REQUIRE(lines.size() == 4);
	check_hw_metadata_lines(lines);
}

TEST_CASE("dump --hook-object --layout-btf: the layout from another file when the object has no DWARF",
	  "[privileged][cli][needs:meta]")
{
	if (!test::privileged())
		return;
	test::TempDir tmp("xh-strip");
	std::string stripped = (tmp.path / "stripped.bpf.o").string();
	REQUIRE(std::system(("llvm-strip-19 -g -o " + stripped + " " + kBpf + "/byo_hw_metadata.bpf.o").c_str()) == 0);
	auto b = bed("lbtf", {9091});
	auto tagger = testbed::VlanTagger::attach(b.tb.tx_ns, b.tb.tx().ifindex, 42, 9091);
	REQUIRE_OK(tagger);

	// Without it: said, with the way out.
	Child c({"ip", "netns", "exec", b.tb.rx_ns.name(), XDP_HINTS_CLI, "dump", b.tb.rx().ifname, "--hook-object",
		 stripped, "--layout", "xdp_meta", "--count", "1"});
	CHECK(c.wait(15000) == 1);
	INFO(c.err());
	CHECK(c.err().find("no struct named 'xdp_meta'") != std::string::npos);
	CHECK(c.err().find("no DWARF") != std::string::npos);
	CHECK(c.err().find("--layout-btf") != std::string::npos);

	// The unstripped build as the layout's source.
	auto lines = dump(b, {"--hook-object", stripped, "--layout", "xdp_meta", "--layout-btf",
			      kBpf + "/byo_hw_metadata.bpf.o", "--count", "3"}, 3);
	REQUIRE(lines.size() == 3);
	check_hw_metadata_lines(lines);
}

// The kernel's own tools/testing/selftests/bpf/progs/xdp_hw_metadata.c (with xdp_metadata.h),
// from Debian trixie's linux-source-6.12, compiled here unchanged against this kernel's
// vmlinux.h as the selftests' Makefile does (clang -g -O2 -target bpf).
TEST_CASE("dump --hook-object --layout xdp_meta: the kernel's selftest xdp_hw_metadata, compiled unchanged",
	  "[privileged][cli][selftest][needs:meta]")
{
	if (!test::privileged())
		return;
	const std::string dir = XDPHINTS_SELFTEST_DIR;
	if (std::system((std::string(XDPHINTS_SELFTEST_FETCH) + " trixie " + dir + " >&2").c_str()) != 0) {
		// No mirror reachable: nothing of ours to test. Said, not hidden.
		WARN("linux-source could not be fetched (tests/golden/fetch-selftest trixie " << dir << ")");
		return;
	}
	const std::string bpf_dir = dir + "/src/tools/testing/selftests/bpf";
	test::TempDir tmp("xh-selftest");
	std::string obj = (tmp.path / "xdp_hw_metadata.bpf.o").string();
	std::string cc = "clang-19 -g -O2 -target bpf -D__TARGET_ARCH_x86 -I" XDPHINTS_VMLINUX_DIR " -I" + bpf_dir +
			 " -c " + bpf_dir + "/progs/xdp_hw_metadata.c -o " + obj + " 2>/dev/null";
	INFO(cc);
	REQUIRE(std::system(cc.c_str()) == 0);

	auto b = bed("kself", {9091});
	auto tagger = testbed::VlanTagger::attach(b.tb.tx_ns, b.tb.tx().ifindex, 42, 9091);
	REQUIRE_OK(tagger);
	auto lines = dump(b, {"--hook-object", obj, "--layout", "xdp_meta", "--count", "4"}, 4);
	REQUIRE(lines.size() == 4);
	check_hw_metadata_lines(lines);
}

TEST_CASE("dump --hook-object that breaks the contract says which rule", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto b = bed("badbyo", {7001});
	// vlan_stats is XDP logic for inside a hook, not a hook: it has no SEC("xdp") program
	// with an XSKMAP.
	Child c({"ip", "netns", "exec", b.tb.rx_ns.name(), XDP_HINTS_CLI, "dump", b.tb.rx().ifname, "--hook-object",
		 kBpf + "/vlan_stats.bpf.o", "--count", "1"});
	CHECK(c.wait(15000) == 1);
	INFO(c.err());
	CHECK(c.err().find("vlan_stats.bpf.o") != std::string::npos);
	CHECK(c.err().find("contract") != std::string::npos);
}

TEST_CASE("dump --user-object: the user's XDP logic runs inside the hook (vlan_stats drops VLAN 42)",
	  "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto b = bed("user", {7001, 5942});
	auto tagger = testbed::VlanTagger::attach(b.tb.tx_ns, b.tb.tx().ifindex, 42, 5942);
	REQUIRE_OK(tagger);
	auto lines = dump(b, {"--user-object", kBpf + "/vlan_stats.bpf.o", "--count", "4"}, 4);
	REQUIRE(lines.size() == 4);
	for (auto &j : lines) {
		INFO(j.dump());
		CHECK(!j["hints"].contains("rx_vlan_tci")); // the VLAN 42 packets were dropped in XDP
	}
	CHECK(tagger->tagged() == 4);
}

TEST_CASE("dump --queue all on a 2-queue veth: a socket and a thread per queue, packets on both", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	// 16 flows: the sender picks a TX queue per flow (and veth delivers to the matching RX
	// queue), so both queues see traffic unless all 16 hash alike (2^-15).
	auto b = bed("mq", {7001, 7002, 7003, 7004, 7005, 7006, 7007, 7008, 7009, 7010, 7011, 7012, 7013, 7014, 7015, 7016}, 2);
	auto lines = dump(b, {"--queue", "all", "--pin", "0,1", "--count", "32"}, 2);
	REQUIRE(lines.size() == 32);
	std::set<unsigned> queues;
	for (auto &j : lines) {
		queues.insert(j["queue"].get<unsigned>());
		CHECK(j["layout"] == "xdp_hints_veth");
	}
	CHECK(queues == std::set<unsigned>{0, 1});
}

TEST_CASE("probe --json on veth: driver, hook, fields by hint-struct names, verifier, zero-copy, PHC", "[privileged][cli]")
{
	if (!test::privileged())
		return;
	auto b = bed("probe", {});
	Child c({"ip", "netns", "exec", b.tb.rx_ns.name(), XDP_HINTS_CLI, "probe", b.tb.rx().ifname, "--json"});
	REQUIRE(c.wait(15000) == 0);
	INFO(c.out() << c.err());
	auto j = nlohmann::json::parse(c.out());
	CHECK(j["driver"] == "veth");
	CHECK(j["hook"] == "veth");
	CHECK(j["hook_struct"] == "xdp_hints_veth");
	CHECK(j["verifier"] == "accepted");
	const std::vector<std::string> all{"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci", "rx_vlan_proto"};
	CHECK(j["fields"].get<std::vector<std::string>>() == all);
	CHECK(j["kernel_rx_metadata"].get<std::vector<std::string>>() == all); // what the kernel itself says
	CHECK(j["zero_copy"] == false);
	CHECK(j["native_xdp"] == true);
	CHECK(j["phc_index"] == -1);
	CHECK(j["attached_prog_id"] == 0); // probing attaches nothing
}
