// dump's rendering from a plan built once (cli/render.hpp): the JSON line, table row and
// pcapng comment of packets whose metadata the test writes, byte for byte, and no
// allocation per packet.
#include "alloc_count.hpp"
#include "fixture.hpp"
#include "render.hpp"
#include "veth_layout.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstring>

using namespace xdphints;

namespace {

using namespace unit::veth;

std::string json(const Veth &v, const Packet &p, unsigned queue = 1)
{
	std::string s;
	render::append_json(s, *v.plan, queue, p.len, v.decode(p));
	return s;
}
std::string row(const Veth &v, const Packet &p, unsigned queue = 1)
{
	std::string s;
	render::append_row(s, *v.plan, queue, p.frame(), v.decode(p));
	return s;
}
std::string comment(const Veth &v, const Packet &p, render::TimeSource t, unsigned queue = 1)
{
	std::string s;
	render::append_comment(s, *v.plan, queue, v.decode(p), t);
	return s;
}

// The JSON line and the comment of a packet whose layout is known.
std::pair<std::string, std::string> json_and_comment(const render::RenderPlan &plan, const Hints &h, unsigned queue,
						     uint32_t len, render::TimeSource t)
{
	REQUIRE(h.known());
	std::string j, c;
	render::append_json(j, plan, queue, len, h);
	render::append_comment(c, plan, queue, h, t);
	return {j, c};
}

// PHC time -> system time: TAI = PHC + 2 s (a PHC 2 s behind TAI), REALTIME 37 s less,
// +-150 ns; PHC values below 1000 cannot be converted (as before the first measurement).
struct FakeHw : render::HardwareClock {
	render::HwTime to_system(uint64_t hw, render::Clock to) const noexcept override
	{
		if (hw < 1000)
			return {};
		int64_t tai = int64_t(hw) + 2'000'000'000;
		return {to == render::Clock::tai ? tai : tai - 37'000'000'000, 150, true};
	}
	std::string describe() const override { return "PHC /dev/ptp7 (fake)"; }
};

} // namespace

TEST_CASE("render: --clock: software and hardware rx_timestamps shown in TAI, REALTIME or as written")
{
	Veth v;
	FakeHw hw;
	render::ClockView cv;
	cv.tai_offset_ns = 37'000'000'000;
	const uint64_t sw_ts = kTagged.ts, phc_ts = 1700000100000000000;
	VethHints hwh = kTagged;
	hwh.ts = phc_ts;
	hwh.ts_sw = false;
	Packet sw(v.layout(), kTagged), hwp(v.layout(), hwh);
	auto j = [&](const Packet &p) { return nlohmann::json::parse(json(v, p))["hints"]; };

	SECTION("tai (the default): software as read; hardware converted, with its bound and the PHC value")
	{
		cv.hardware = &hw;
		v.plan->set_clock(cv);
		CHECK(j(sw)["rx_timestamp"] == sw_ts);
		CHECK(j(sw)["rx_timestamp_clock"] == "tai");
		CHECK(!j(sw).contains("rx_timestamp_error_ns"));
		auto h = j(hwp);
		CHECK(h["rx_timestamp"] == phc_ts + 2'000'000'000);
		CHECK(h["rx_timestamp_source"] == "hardware");
		CHECK(h["rx_timestamp_clock"] == "tai");
		CHECK(h["rx_timestamp_error_ns"] == 150);
		CHECK(h["rx_timestamp_phc"] == phc_ts);
		CHECK(row(v, hwp).find(std::to_string(phc_ts + 2'000'000'000) + " hw ") != std::string::npos);
		CHECK(comment(v, hwp, render::TimeSource::rx_timestamp)
			      .find(fmt::format(" rx_timestamp={} rx_timestamp_source=hardware rx_timestamp_clock=tai "
						"rx_timestamp_error_ns=150 rx_timestamp_phc={} ",
						phc_ts + 2'000'000'000, phc_ts)) != std::string::npos);
		CHECK(cv.describe().find("PHC /dev/ptp7 (fake)") != std::string::npos);
	}
	SECTION("realtime: software minus the TAI offset; hardware converted to CLOCK_REALTIME")
	{
		cv.clock = render::Clock::realtime;
		cv.hardware = &hw;
		v.plan->set_clock(cv);
		CHECK(j(sw)["rx_timestamp"] == sw_ts - 37'000'000'000);
		CHECK(j(sw)["rx_timestamp_clock"] == "realtime");
		CHECK(row(v, sw).find(std::to_string(sw_ts - 37'000'000'000) + " sw ") != std::string::npos);
		CHECK(j(hwp)["rx_timestamp"] == phc_ts + 2'000'000'000 - 37'000'000'000);
		CHECK(j(hwp)["rx_timestamp_clock"] == "realtime");
	}
	SECTION("phc: as written; software ones stay CLOCK_TAI and say so")
	{
		cv.clock = render::Clock::phc;
		cv.hardware = &hw;
		v.plan->set_clock(cv);
		CHECK(j(hwp)["rx_timestamp"] == phc_ts);
		CHECK(j(hwp)["rx_timestamp_clock"] == "phc");
		CHECK(!j(hwp).contains("rx_timestamp_error_ns"));
		CHECK(row(v, hwp).find(std::to_string(phc_ts) + " phc ") != std::string::npos);
		CHECK(j(sw)["rx_timestamp"] == sw_ts);
		CHECK(j(sw)["rx_timestamp_clock"] == "tai");
	}
	SECTION("no PHC, or one that cannot convert: the PHC value, said to be one (never passed off as TAI)")
	{
		v.plan->set_clock(cv);
		CHECK(j(hwp)["rx_timestamp"] == phc_ts);
		CHECK(j(hwp)["rx_timestamp_clock"] == "phc");
		cv.hardware = &hw;
		v.plan->set_clock(cv);
		VethHints early = hwh;
		early.ts = 999;
		CHECK(j(Packet(v.layout(), early))["rx_timestamp"] == 999);
		CHECK(j(Packet(v.layout(), early))["rx_timestamp_clock"] == "phc");
		CHECK(cv.describe().find("shown as phc when they cannot be") != std::string::npos);
	}
}

TEST_CASE("render: JSON line, table row and comment of every hint present")
{
	Veth v;
	Packet p(v.layout(), kTagged);
	std::string id = std::to_string(v.layout().id());
	CHECK(json(v, p) == "{\"queue\":1,\"len\":64,\"layout\":\"xdp_hints_veth\",\"id\":" + id +
				    ",\"hints\":{\"rx_timestamp\":1700000000123456789,\"rx_timestamp_source\":\"software\","
				    "\"rx_timestamp_clock\":\"tai\",\"rx_hash\":3735928559,\"rx_hash_type\":41,\"rx_vlan_tci\":59,\"rx_vlan_proto\":33024}}");
	CHECK(render::table_header() == " q   len         udp layout                rx_timestamp (ns) src     rx_hash "
					"rx_hash_type                   vlan");
	CHECK(row(v, p) == " 1    64  42001>7001 xdp_hints_veth      1700000000123456789 sw   0xdeadbeef "
			   "TYPE_L4_IPV4_UDP          59/0x8100");
	CHECK(comment(v, p, render::TimeSource::rx_timestamp) ==
	      fmt::format("layout=xdp_hints_veth id={:#x} queue=1 time=rx_timestamp rx_timestamp=1700000000123456789 "
			  "rx_timestamp_source=software rx_timestamp_clock=tai rx_hash=0xdeadbeef rx_hash_type=TYPE_L4_IPV4_UDP rx_vlan_tci=59 "
			  "rx_vlan_proto=0x8100",
			  v.layout().id()));
}

TEST_CASE("render: absent hints show their state; a hardware timestamp; a value without a name")
{
	Veth v;
	VethHints h{.ts = 42, .hash = 0x12, .hash_type = 8, .vlan_state = 2, .ts_sw = false};
	Packet p(v.layout(), h);
	std::string id = std::to_string(v.layout().id());
	CHECK(json(v, p, 0) == "{\"queue\":0,\"len\":64,\"layout\":\"xdp_hints_veth\",\"id\":" + id +
				       ",\"hints\":{\"rx_timestamp\":42,\"rx_timestamp_source\":\"hardware\",\"rx_timestamp_clock\":\"phc\","
				       "\"rx_hash\":18,"
				       "\"rx_hash_type\":8},\"absent\":{\"rx_vlan_tci\":\"no_data\",\"rx_vlan_proto\":\"no_data\"}}");
	CHECK(row(v, p, 0) == " 0    64  42001>7001 xdp_hints_veth                       42 phc  0x00000012 L4      "
			      "                    no_data");
	CHECK(comment(v, p, render::TimeSource::receive, 0).ends_with(
		" time=receive rx_timestamp=42 rx_timestamp_source=hardware rx_timestamp_clock=phc rx_hash=0x00000012 rx_hash_type=L4 "
		"rx_vlan_tci=no_data rx_vlan_proto=no_data"));

	// Unsupported timestamp and hash; a hash type no enumerator names.
	VethHints u{.hash_type = 3, .ts_state = 3, .hash_state = 3, .vlan_state = 2};
	Packet pu(v.layout(), u);
	CHECK(json(v, pu).ends_with(",\"hints\":{},\"absent\":{\"rx_timestamp\":\"unsupported\",\"rx_hash\":\"unsupported\","
				    "\"rx_hash_type\":\"unsupported\",\"rx_vlan_tci\":\"no_data\",\"rx_vlan_proto\":\"no_data\"}}"));
	CHECK(row(v, pu) == " 1    64  42001>7001 xdp_hints_veth              unsupported      unsupported "
			    "unsupported                 no_data");
	VethHints named{.hash_type = 3};
	CHECK(comment(v, Packet(v.layout(), named), render::TimeSource::receive).find(" rx_hash_type=3 ") !=
	      std::string::npos);
}

TEST_CASE("render: a packet without a known layout")
{
	Veth v;
	Packet p(v.layout(), kTagged, 64, v.layout().id() + 1000);
	REQUIRE(v.decode(p).status() == DecodeStatus::unknown_id);
	uint64_t id = v.layout().id() + 1000;
	CHECK(json(v, p) == fmt::format("{{\"queue\":1,\"len\":64,\"layout\":null,\"id\":{},\"status\":\"unknown_id\"}}", id));
	CHECK(row(v, p) == fmt::format(" 1    64  42001>7001 (unknown_id: id {:#x})", id));
	CHECK(comment(v, p, render::TimeSource::receive) ==
	      fmt::format("layout=none id={:#x} queue=1 time=receive status=unknown_id", id));
}

TEST_CASE("render: nested, anonymous, array, signed bitfield and enum leaves")
{
	unit::Fixture f;
	auto layouts = discover_layouts(f.b.build());
	REQUIRE(layouts);
	Query q;
	q.add<uint64_t>("ts");
	auto dec = Decoder::build(q, *layouts);
	REQUIRE(dec);
	auto plan = render::RenderPlan::build(dec->layouts());
	REQUIRE(plan);
	// ts 99 (valid), hash absent (valid.hash 0), vlan {59, 0x8100}, word 0x00020001 (lo 1,
	// hi 2), queue {1, 2, 3, 4}, a 5, b -3, st 2 (XDP_HINTS_STATE_OK here), flags 0xff.
	std::vector<uint8_t> buf(128 + 64, 0);
	uint8_t *data = buf.data() + 128, *m = data - 44;
	uint64_t ts = 99;
	uint16_t hash = 7, tci = 59, proto = 0x8100;
	uint32_t word = 0x00020001, queue[4] = {1, 2, 3, 4}, id = uint32_t(f.hints);
	std::memcpy(m, &ts, 8);
	std::memcpy(m + 8, &hash, 2);
	std::memcpy(m + 12, &tci, 2);
	std::memcpy(m + 14, &proto, 2);
	std::memcpy(m + 16, &word, 4);
	std::memcpy(m + 20, queue, 16);
	// bits 288..298 of the struct: a (3 bits) = 5, b (5 bits, signed) = -3, st (2 bits) = 2
	uint16_t bits = uint16_t(5 | (0x1d << 3) | (2 << 8));
	std::memcpy(m + 36, &bits, 2);
	m[38] = 0xff;       // flags
	m[39] = 1;          // valid.ts
	std::memcpy(m + 40, &id, 4);
	Hints h = dec->decode(data, 128);
	REQUIRE(h.known());
	std::string j;
	render::append_json(j, *plan, 0, 64, h);
	CHECK(j == fmt::format("{{\"queue\":0,\"len\":64,\"layout\":\"xdp_hints_t\",\"id\":{},\"hints\":{{\"ts\":99,"
			       "\"vlan.tci\":59,\"vlan.proto\":33024,\"word\":131073,\"lo\":1,\"hi\":2,"
			       "\"queue\":[1,0,0,0,2,0,0,0,3,0,0,0,4,0,0,0],\"a\":5,\"b\":-3,\"st\":2,\"flags\":255}},"
			       "\"absent\":{{\"hash\":\"no_data\"}}}}",
			       h.id()));
	std::string c;
	render::append_comment(c, *plan, 0, h, render::TimeSource::receive);
	CHECK(c == fmt::format("layout=xdp_hints_t id={:#x} queue=0 time=receive ts=99 hash=no_data vlan.tci=59 "
			       "vlan.proto=33024 word=131073 lo=1 hi=2 queue=01000000020000000300000004000000 a=5 b=-3 "
			       "st=XDP_HINTS_STATE_OK flags=255",
			       h.id()));
}

TEST_CASE("render: per packet, within the reserved capacity: no allocation")
{
	Veth v;
	std::string line;
	line.reserve(v.plan->max_record());
	// The longest values each field can have.
	VethHints big{.ts = ~0ull, .hash = ~0u, .hash_type = 41, .tci = 0xffff, .proto = 0xffff};
	VethHints big_hw = big;
	big_hw.ts_sw = false;
	Packet p(v.layout(), big, 1514), unknown(v.layout(), big, 1514, 1), hw(v.layout(), big_hw, 1514);
	// A hardware timestamp converted: the longest rx_timestamp (with its bound and PHC value).
	struct Widest : render::HardwareClock {
		render::HwTime to_system(uint64_t, render::Clock) const noexcept override
		{
			return {INT64_MAX, INT64_MIN, true};
		}
		std::string describe() const override { return "widest"; }
	} widest;
	render::ClockView cv;
	cv.hardware = &widest;
	v.plan->set_clock(cv);
	// A thread's first record makes its rendering scratch (render.cpp, Cursor): once.
	render::append_json(line, *v.plan, 0, p.len, v.decode(p));
	line.clear();
	const char *data = line.data();
	unit::allocations = 0;
	unit::counting = true;
	size_t longest = 0;
	for (const Packet *pk : {&p, &unknown, &hw}) {
		Hints h = v.decode(*pk);
		line.clear();
		render::append_json(line, *v.plan, 65535, pk->len, h);
		line.clear();
		render::append_row(line, *v.plan, 65535, pk->frame(), h);
		line.clear();
		render::append_comment(line, *v.plan, 65535, h, render::TimeSource::rx_timestamp);
		longest = std::max(longest, line.size());
	}
	unit::counting = false;
	CHECK(longest <= v.plan->max_record());
	CHECK(unit::allocations == 0);
	CHECK(line.data() == data);
}

TEST_CASE("render: every record fits max_record(), whatever the hint bytes")
{
	// The renderers write into max_record() bytes made room for at once (and abort past
	// them): every byte of the struct 0xff (every valid bit set, the largest values,
	// unknown states) and 0x80, for the fixture's nested/array/bitfield/enum layout.
	unit::Fixture f;
	auto layouts = discover_layouts(f.b.build());
	REQUIRE(layouts);
	auto dec = Decoder::build(Query{}, *layouts);
	REQUIRE(dec);
	auto plan = render::RenderPlan::build(dec->layouts());
	REQUIRE(plan);
	for (uint8_t fill : {uint8_t(0xff), uint8_t(0x80)}) {
		std::vector<uint8_t> buf(128 + 64, fill);
		uint8_t *data = buf.data() + 128, *m = data - 44;
		uint32_t id = uint32_t(f.hints);
		std::memcpy(m + 40, &id, 4);
		auto [j, c] = json_and_comment(*plan, dec->decode(data, 128), 65535, 65535, render::TimeSource::rx_timestamp);
		INFO(j << "\n" << c);
		CHECK(j.size() <= plan->max_record());
		CHECK(c.size() <= plan->max_record());
		CHECK(j.ends_with("}}"));
		CHECK(c.find(" flags=") != std::string::npos);
	}
}

TEST_CASE("render: an rx_hash_type of its own flags enum, in a BTF that also has xdp_rss_hash_type")
{
	// A brought-in layout declares rx_hash_type as its own flags word; the generic enum
	// xdp_rss_hash_type is in the same BTF (anything that includes vmlinux.h has it). Its
	// own enumerators say what its bits mean, and the line stays JSON.
	unit::BtfBuilder b;
	int u32 = b.integer("unsigned int", 4);
	b.enum_("xdp_rss_hash_type", {{"XDP_RSS_L3_IPV4", 1},
				      {"XDP_RSS_L3_IPV6", 2},
				      {"XDP_RSS_L3_DYNHDR", 4},
				      {"XDP_RSS_L4", 8},
				      {"XDP_RSS_TYPE_L4_IPV4_UDP", 41}});
	int bits = b.enum_("my_hash_bits", {{"H_IPV4", 1}, {"H_IPV6", 2}, {"H_TCP", 4}, {"H_UDP", 8}});
	int s = b.struct_("xdp_hints_bib", 12, {{"rx_hash", u32, 0}, {"rx_hash_type", bits, 32}, {"btf_id", u32, 64}});
	auto layouts = discover_layouts(b.build().with_object_id(7));
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 1);
	REQUIRE(layouts->at(0).fields.at(1).flags);
	auto dec = Decoder::build(Query{}, *layouts);
	REQUIRE(dec);
	auto plan = render::RenderPlan::build(dec->layouts());
	REQUIRE(plan);

	std::vector<uint8_t> buf(64 + 64, 0);
	uint8_t *data = buf.data() + 64, *m = data - 12;
	uint32_t hash = 0x1234, type = 0xfffffff5, id = uint32_t(s);
	std::memcpy(m, &hash, 4);
	std::memcpy(m + 4, &type, 4);
	std::memcpy(m + 8, &id, 4);
	auto [j, c] = json_and_comment(*plan, dec->decode(data, 64), 0, 64, render::TimeSource::receive);
	INFO(j << "\n" << c);
	CHECK(nlohmann::json::accept(j));
	CHECK(j.find(",\"rx_hash_type\":[\"H_IPV4\",\"H_TCP\",\"0xfffffff0\"]}") != std::string::npos);
	CHECK(c.ends_with(" rx_hash=0x00001234 rx_hash_type=H_IPV4|H_TCP|0xfffffff0"));

	// No bit set: an empty list, and 0 in the comment.
	type = 0;
	std::memcpy(m + 4, &type, 4);
	auto [j0, c0] = json_and_comment(*plan, dec->decode(data, 64), 0, 64, render::TimeSource::receive);
	CHECK(j0.find(",\"rx_hash_type\":[]}") != std::string::npos);
	CHECK(c0.ends_with(" rx_hash_type=0"));
}
