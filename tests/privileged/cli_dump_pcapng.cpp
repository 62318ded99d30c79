// `xdp-hints dump -w` as a user runs it, the capture read by tshark (the reader people use):
// every packet, its time equal to its rx_timestamp hint converted to UTC to the nanosecond,
// one rx_hash per flow and the same one `dump --json` shows, the VLAN tag the receiving
// veth took off (tc vlan_push on the sender) back as an 802.1Q header, -s honoured, and a
// capture written into a pipe read live by `tshark -r -`.
#include "child.hpp"
#include "privileges.hpp"
#include "temp_dir.hpp"

#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fcntl.h>
#include <map>
#include <set>
#include <sstream>
#include <sys/timex.h>
#include <thread>
#include <unistd.h>

using namespace xdphints;
using test::Child;

namespace {

constexpr uint16_t kVlan = 59, kTaggedPort = 5959;

// True when tshark is on PATH; missing: a failure under CI=true, else a warning (not run).
bool have_tshark()
{
	if (std::system("command -v tshark >/dev/null 2>&1") == 0)
		return true;
	if (test::in_ci())
		FAIL("tshark not installed under CI=true: install it (scripts/install-deps, package tshark)");
	WARN("tshark not installed: test NOT run (install the tshark package)");
	return false;
}

// Three plain UDP flows and one the sender tags VLAN 59 (tc egress vlan_push).
struct Flows {
	testbed::Testbed tb;
	testbed::VlanTagger tagger;
	std::vector<testbed::UdpFlow> flows;

	static std::unique_ptr<Flows> create(const char *tag)
	{
		auto tb = testbed::Testbed::create(tag);
		REQUIRE_OK(tb);
		auto t = testbed::VlanTagger::attach(tb->tx_ns, tb->tx().ifindex, kVlan, kTaggedPort);
		REQUIRE_OK(t);
		std::unique_ptr<Flows> f(new Flows{std::move(*tb), std::move(*t), {}});
		for (auto [sp, dp] : {std::pair<uint16_t, uint16_t>{42001, 7001}, {42002, 7002}, {42003, 7003},
				      {42959, kTaggedPort}}) {
			auto u = testbed::UdpFlow::open(f->tb.tx_ns, f->tb.tx().ipv4, sp, f->tb.rx().ipv4, dp);
			REQUIRE_OK(u);
			f->flows.push_back(std::move(*u));
		}
		return f;
	}
	std::vector<std::string> dump(std::vector<std::string> args) const
	{
		std::vector<std::string> a{"ip", "netns", "exec", tb.rx_ns.name(), XDP_HINTS_CLI, "dump", tb.rx().ifname,
					   "--stats-interval", "0"};
		a.insert(a.end(), args.begin(), args.end());
		return a;
	}
	// `rounds` packets on every flow; flow i's payload is 60 + i bytes, so a packet's length
	// names its flow in --json too (which shows no ports).
	void send(unsigned rounds) const
	{
		uint8_t payload[64] = {1, 2, 3};
		for (unsigned r = 0; r < rounds; r++)
			for (size_t i = 0; i < flows.size(); i++)
				REQUIRE_OK(flows[i].send({payload, 60 + i}));
	}
};

// Flow index of a UDP source port; of a frame length as received (tag stripped).
size_t flow_of_port(unsigned sport)
{
	return sport == 42959 ? 3 : sport - 42001;
}
size_t flow_of_len(unsigned len)
{
	return len - (14 + 20 + 8 + 60);
}

// The comment's key=value words.
std::map<std::string, std::string> comment_words(const std::string &c)
{
	std::map<std::string, std::string> m;
	std::istringstream in(c);
	for (std::string w; in >> w;)
		if (auto eq = w.find('='); eq != std::string::npos)
			m[w.substr(0, eq)] = w.substr(eq + 1);
	return m;
}

// "1712345678.123456789" -> ns; tshark prints if_tsresol 9 with nine decimals.
uint64_t epoch_ns(const std::string &s)
{
	auto dot = s.find('.');
	REQUIRE(dot != std::string::npos);
	std::string frac = s.substr(dot + 1);
	REQUIRE(frac.size() == 9);
	return std::stoull(s.substr(0, dot)) * 1000000000ull + std::stoull(frac);
}

// The kernel's TAI offset (CLOCK_TAI - UTC) in ns, as adjtimex reports it.
int64_t tai_offset_ns()
{
	timex tx{};
	REQUIRE(adjtimex(&tx) >= 0);
	return int64_t(tx.tai) * 1000000000;
}

struct TsharkPacket {
	uint64_t time_ns;
	std::map<std::string, std::string> comment;
	unsigned sport;
	std::string vlan_id, queue, flags, cap_len, len, description;
};

const std::vector<std::string> kFields = {"frame.time_epoch",       "frame.comment",   "udp.srcport",
					  "vlan.id",                "frame.interface_queue", "frame.packet_flags",
					  "frame.cap_len",          "frame.len",       "frame.interface_description"};

std::vector<std::string> tshark_argv(const std::string &file)
{
	std::vector<std::string> a{"tshark", "-r", file, "-T", "fields", "-E", "separator=|", "-E", "occurrence=f"};
	for (auto &f : kFields) {
		a.push_back("-e");
		a.push_back(f);
	}
	return a;
}

std::vector<TsharkPacket> parse_tshark(const std::string &out)
{
	std::vector<TsharkPacket> r;
	std::istringstream in(out);
	for (std::string line; std::getline(in, line);) {
		std::vector<std::string> col;
		std::istringstream l(line);
		for (std::string c; std::getline(l, c, '|');)
			col.push_back(c);
		col.resize(kFields.size());
		INFO(line);
		r.push_back({epoch_ns(col[0]), comment_words(col[1]), unsigned(std::stoul(col[2].empty() ? "0" : col[2])),
			     col[3], col[4], col[5], col[6], col[7], col[8]});
	}
	return r;
}

// What every packet of the flows' capture must show; returns rx_hash by flow.
std::map<size_t, std::set<std::string>> check_capture(const std::vector<TsharkPacket> &pkts, size_t expected,
							 uint32_t snaplen = 0)
{
	const int64_t tai = tai_offset_ns();
	std::map<size_t, std::set<std::string>> hashes;
	CHECK(pkts.size() == expected);
	for (auto &p : pkts) {
		INFO("sport " << p.sport << ", comment time=" << p.comment.count("time"));
		REQUIRE(p.sport >= 42001);
		const size_t flow = flow_of_port(p.sport);
		auto c = p.comment;
		CHECK(c["layout"] == "xdp_hints_veth");
		CHECK(c["queue"] == "0");
		CHECK(p.queue == "0");
		CHECK(p.flags == "0x00000001"); // inbound
		CHECK(p.description.find("CLOCK_TAI") != std::string::npos);
		// The hook's software timestamp (veth gives no hardware one for stack-sent
		// frames), converted from CLOCK_TAI to UTC: frame.time_epoch to the nanosecond.
		REQUIRE(c["time"] == "rx_timestamp");
		CHECK(c["rx_timestamp_source"] == "software");
		CHECK(int64_t(p.time_ns) == int64_t(std::stoull(c["rx_timestamp"])) - tai);
		CHECK(c["rx_hash"].rfind("0x", 0) == 0);
		CHECK(c["rx_hash_type"] != "");
		hashes[flow].insert(c["rx_hash"]);
		const bool tagged = p.sport == 42959;
		const unsigned wire = unsigned(14 + 20 + 8 + 60 + flow + (tagged ? 4 : 0));
		CHECK(p.len == std::to_string(wire));
		CHECK(p.cap_len == std::to_string(snaplen ? std::min(snaplen, wire) : wire));
		if (tagged) {
			CHECK(c["rx_vlan_tci"] == "59");
			CHECK(c["rx_vlan_proto"] == "0x8100");
			if (!snaplen || snaplen >= 18)
				CHECK(p.vlan_id == "59");
		} else {
			CHECK(c["rx_vlan_tci"] == "no_data");
			CHECK(p.vlan_id.empty());
		}
	}
	return hashes;
}

std::string hex32(uint64_t v)
{
	char b[16];
	std::snprintf(b, sizeof(b), "0x%08llx", (unsigned long long)v);
	return b;
}

} // namespace

TEST_CASE("dump -w FILE: tshark reads every packet, hint times to the ns, rx_hash as --json, VLAN 59",
	  "[privileged][cli][pcapng]")
{
	if (!test::privileged() || !have_tshark())
		return;
	auto f = Flows::create("pcap");
	test::TempDir dir("xh-pcap");
	const std::string file = (dir.path / "dump.pcapng").string();

	// What --json says the flows' hashes are.
	std::map<size_t, std::set<std::string>> json_hashes;
	{
		Child dump(f->dump({"--json", "--count", "8"}));
		REQUIRE(dump.wait_stderr("AF_XDP socket on queue 0", 15000));
		f->send(2);
		INFO(dump.err());
		REQUIRE(dump.wait(15000) == 0);
		std::istringstream in(dump.out());
		for (std::string line; std::getline(in, line);) {
			auto j = nlohmann::json::parse(line);
			json_hashes[flow_of_len(j.at("len").get<unsigned>())].insert(
				hex32(j.at("hints").at("rx_hash").get<uint64_t>()));
		}
	}

	Child dump(f->dump({"-w", file, "--count", "8"}));
	REQUIRE(dump.wait_stderr("AF_XDP socket on queue 0", 15000));
	f->send(2);
	INFO(dump.err());
	REQUIRE(dump.wait(15000) == 0);
	CHECK(dump.out().empty()); // the capture went to the file
	CHECK(dump.err().find("stats: frames 8 with_hints 8 unknown_layout 0") != std::string::npos);

	// tshark's first start takes over 30 s in the kernel tier (QEMU without KVM).
	Child ts(tshark_argv(file));
	REQUIRE(ts.wait(120000) == 0);
	INFO("tshark stderr: " << ts.err());
	CHECK(ts.err().find("damaged") == std::string::npos);
	auto hashes = check_capture(parse_tshark(ts.out()), 8);
	// One rx_hash per flow, four flows, and the same values --json showed.
	REQUIRE(hashes.size() == 4);
	for (auto &[flow, hs] : hashes) {
		INFO("flow " << flow);
		CHECK(hs.size() == 1);
	}
	CHECK(hashes == json_hashes);
}

TEST_CASE("dump -w FILE -s 60: 60 bytes kept, the wire length said", "[privileged][cli][pcapng]")
{
	if (!test::privileged() || !have_tshark())
		return;
	auto f = Flows::create("snap");
	test::TempDir dir("xh-snap");
	const std::string file = (dir.path / "dump.pcapng").string();
	Child dump(f->dump({"-w", file, "-s", "60", "--count", "4"}));
	REQUIRE(dump.wait_stderr("AF_XDP socket on queue 0", 15000));
	f->send(1);
	INFO(dump.err());
	REQUIRE(dump.wait(15000) == 0);
	Child ts(tshark_argv(file));
	REQUIRE(ts.wait(120000) == 0);
	check_capture(parse_tshark(ts.out()), 4, 60);
}

TEST_CASE("dump -w - into a pipe: tshark -r - shows packets while dump runs, and reads them all",
	  "[privileged][cli][pcapng]")
{
	if (!test::privileged() || !have_tshark())
		return;
	auto f = Flows::create("pipe");
	int p[2];
	REQUIRE(pipe2(p, O_CLOEXEC) == 0);
	auto reader = tshark_argv("-");
	reader.insert(reader.begin() + 1, "-l"); // tshark flushes each packet's line
	Child ts(reader, {.in = p[0]});
	Child dump(f->dump({"-w", "-"}), {.out = p[1]});
	close(p[0]);
	close(p[1]);
	REQUIRE(dump.wait_stderr("AF_XDP socket on queue 0", 15000));
	// Live: the first round reaches tshark while dump still runs (nothing waits for a
	// full buffer).
	f->send(1);
	INFO("dump: " << dump.err());
	CHECK(ts.wait_stdout("42959", 10000));
	CHECK(dump.running());
	f->send(1);
	std::this_thread::sleep_for(std::chrono::milliseconds(300));
	dump.signal(SIGINT);
	REQUIRE(dump.wait(15000) == 0);
	REQUIRE(ts.wait(120000) == 0);
	INFO("tshark stderr: " << ts.err());
	auto hashes = check_capture(parse_tshark(ts.out()), 8);
	CHECK(hashes.size() == 4);
	for (auto &[flow, hs] : hashes)
		CHECK(hs.size() == 1);
}

TEST_CASE("demo -w FILE: the demo's packets open in tshark with every hint in the comments",
	  "[privileged][cli][pcapng][demo]")
{
	if (!test::privileged() || !have_tshark())
		return;
	test::TempDir dir("xh-demo");
	const std::string file = (dir.path / "demo.pcapng").string();
	Child demo({XDP_HINTS_CLI, "demo", "-w", file});
	int rc = demo.wait(60000);
	INFO("demo stderr:\n" << demo.err());
	REQUIRE(rc == 0);
	Child ts(tshark_argv(file));
	REQUIRE(ts.wait(120000) == 0);
	INFO("tshark stderr: " << ts.err());
	const int64_t tai = tai_offset_ns();
	auto pkts = parse_tshark(ts.out());
	// Part 1: 4 flows x 4 packets (40959 tagged VLAN 59); part 2: 2 flows x 2 packets.
	CHECK(pkts.size() == 20);
	std::map<unsigned, std::set<std::string>> hashes;
	std::set<std::string> layouts;
	for (auto &p : pkts) {
		INFO("sport " << p.sport);
		auto c = p.comment;
		layouts.insert(c["layout"]);
		if (c["time"] == "rx_timestamp")
			CHECK(int64_t(p.time_ns) == int64_t(std::stoull(c["rx_timestamp"])) - tai);
		if ((p.sport >= 40001 && p.sport <= 40003) || p.sport == 40959) { // part 1
			CHECK(c["layout"] == "xdp_hints_veth");
			CHECK(c["rx_timestamp_source"] == "software");
			hashes[p.sport].insert(c["rx_hash"]);
			CHECK(p.vlan_id == (p.sport == 40959 ? "59" : ""));
			CHECK(c["rx_vlan_tci"] == (p.sport == 40959 ? "59" : "no_data"));
		}
	}
	CHECK(hashes.size() == 4);
	for (auto &[port, hs] : hashes)
		CHECK(hs.size() == 1);
	CHECK(layouts == std::set<std::string>{"xdp_hints_veth", "xdp_hints_veth_ts", "xdp_hints_veth_hash"});
}
