// Decoder/Hints: per-packet reads through resolved tables, explicit absent states, demux.
#include "fixture.hpp"

#include <algorithm>
#include <cstring>
#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

using namespace xdphints;

namespace {

// Little-endian bit writer into a metadata buffer.
void put_bits(uint8_t *base, unsigned bit_off, unsigned bits, uint64_t v)
{
	for (unsigned i = 0; i < bits; i++) {
		unsigned b = bit_off + i;
		if ((v >> i) & 1)
			base[b / 8] |= uint8_t(1u << (b % 8));
		else
			base[b / 8] &= uint8_t(~(1u << (b % 8)));
	}
}

struct Frame {
	std::vector<uint8_t> buf = std::vector<uint8_t>(128 + 64, 0);
	uint8_t *data = buf.data() + 128;
	uint8_t *meta(unsigned size) { return data - size; }
};

} // namespace

TEST_CASE("Decoder: values, widening, sign extension, state by enumerator name, presence")
{
	unit::Fixture f;
	Btf btf = f.b.build().with_object_id(5);
	auto layouts = discover_layouts(btf);
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 1);

	Query q;
	auto ts = q.add<uint64_t>("ts");
	auto hash = q.add<uint32_t>("hash"); // stored as 16 bits: widened, noted
	auto hi = q.add<uint16_t>("hi");
	auto q1 = q.add<uint32_t>("queue[1]");
	auto a = q.add<uint8_t>("a");
	auto bsig = q.add<int32_t>("b");
	auto st = q.add<uint8_t>("st");
	auto missing = q.add<uint32_t>("not_in_layout", Presence::optional);
	auto dec = Decoder::build(q, *layouts);
	INFO((dec ? std::string() : dec.error().message));
	REQUIRE(dec);
	bool noted = false;
	for (auto &n : dec->notes())
		noted |= n.find("'hash' is 16 bits, read widened") != std::string::npos;
	CHECK(noted);

	Frame fr;
	uint8_t *m = fr.meta(44);
	uint64_t tsv = 0x1122334455667788ull;
	std::memcpy(m + 0, &tsv, 8);
	put_bits(m, 64, 16, 0xBEEF);
	put_bits(m, 144, 16, 0x4321);
	put_bits(m, 192, 32, 0xCAFE);
	put_bits(m, 288, 3, 5);
	put_bits(m, 291, 5, uint64_t(-3) & 31);
	put_bits(m, 296, 2, 2);    // st: 2 is XDP_HINTS_STATE_OK in this BTF
	put_bits(m, 312, 1, 1);    // valid.ts
	put_bits(m, 313, 1, 0);    // valid.hash: absent
	put_bits(m, 320, 32, uint32_t(f.hints));

	Hints h = dec->decode(fr.data, 128);
	REQUIRE(h.known());
	CHECK(h.id() == ((uint64_t(5) << 32) | uint32_t(f.hints)));
	CHECK(h.get(ts) == std::optional<uint64_t>(tsv));
	CHECK(h.present(ts));
	CHECK(h.get(hash) == std::nullopt); // valid.hash == 0: never the stale 0xBEEF
	CHECK_FALSE(h.present(hash));
	CHECK(h.get(hi) == std::optional<uint16_t>(0x4321));
	CHECK(h.get(q1) == std::optional<uint32_t>(0xCAFE));
	CHECK(h.get(a) == std::optional<uint8_t>(5));
	CHECK(h.get(bsig) == std::optional<int32_t>(-3));
	CHECK(h.get(st) == std::optional<uint8_t>(2));
	CHECK(h.get(missing) == std::nullopt);
	CHECK(h.state(missing) == HintState::missing);
	// No status member in this layout: state follows presence.
	CHECK(h.state(ts) == HintState::ok);
	CHECK(h.state(hash) == HintState::no_data);

	put_bits(m, 313, 1, 1);
	CHECK(dec->decode(fr.data, 128).get(hash) == std::optional<uint32_t>(0xBEEF));
	// Object id comes from DecoderOptions for btf_id layouts.
	DecoderOptions o;
	o.object_id = 6;
	auto dec6 = Decoder::build(q, *layouts, o);
	REQUIRE(dec6);
	CHECK(dec6->decode(fr.data, 128).id() == ((uint64_t(6) << 32) | uint32_t(f.hints)));
}

// A field no layout has is a typo or a hook that cannot give it: build() says so, unless
// the consumer marked it optional. In some layouts only, it is missing in the others.
TEST_CASE("Decoder: a field in no layout is an error naming it, unless optional")
{
	unit::BtfBuilder b;
	int u32 = b.integer("unsigned int", 4);
	int u64 = b.integer("unsigned long long", 8);
	int la = b.struct_("xdp_hints_a", 16, {{"ts", u64, 0}, {"btf_full_id", u64, 64}});
	int lb = b.struct_("xdp_hints_b", 16, {{"hash", u32, 0}, {"pad", u32, 32}, {"btf_full_id", u64, 64}});
	Btf btf = b.build().with_object_id(4);
	auto layouts = discover_layouts(btf);
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 2);

	Query typo;
	typo.add<uint64_t>("ts");
	typo.add<uint64_t>("tss");
	auto bad = Decoder::build(typo, *layouts);
	REQUIRE_FALSE(bad);
	CHECK(bad.error().code == Errc::not_found);
	CHECK_THAT(bad.error().message, Catch::Contains("'tss'") && Catch::Contains("xdp_hints_a") &&
						Catch::Contains("xdp_hints_b") && Catch::Contains("Presence::optional"));
	// The same through the untyped form.
	Query spec;
	spec.add_spec(FieldSpec{"vlan.tci", "", Want{2, false}});
	auto bad2 = Decoder::build(spec, *layouts);
	REQUIRE_FALSE(bad2);
	CHECK_THAT(bad2.error().message, Catch::Contains("'vlan.tci'"));
	// No layouts at all: nothing can give a required field either.
	auto none = Decoder::build(typo, std::span<const Layout>());
	REQUIRE_FALSE(none);
	CHECK_THAT(none.error().message, Catch::Contains("'ts'") && Catch::Contains("no layouts"));

	// In one layout of two: required is fine, the other layout reads it as missing.
	Query q;
	auto ts = q.add<uint64_t>("ts");
	auto hash = q.add<uint32_t>("hash");
	auto tss = q.add<uint64_t>("tss", Presence::optional);
	auto tci = q.add_spec(FieldSpec{"vlan.tci", "", Want{2, false}, Presence::optional});
	auto dec = Decoder::build(q, *layouts);
	INFO((dec ? std::string() : dec.error().message));
	REQUIRE(dec);
	CHECK_FALSE(dec->resolved(0, tss.index).exists);
	CHECK_FALSE(dec->resolved(1, tci).exists);
	Frame fr;
	uint8_t *m = fr.meta(16);
	put_bits(m, 0, 32, 77);
	put_bits(m, 64, 64, (uint64_t(4) << 32) | uint32_t(lb));
	Hints h = dec->decode(fr.data, 128);
	REQUIRE(h.known());
	CHECK(h.get(hash) == std::optional<uint32_t>(77));
	CHECK(h.state(ts) == HintState::missing);
	CHECK(h.state(tss) == HintState::missing);
	CHECK(h.get(tss) == std::nullopt);
	put_bits(m, 0, 64, 1234);
	put_bits(m, 64, 64, (uint64_t(4) << 32) | uint32_t(la));
	Hints ha = dec->decode(fr.data, 128);
	REQUIRE(ha.known());
	CHECK(ha.get(ts) == std::optional<uint64_t>(1234));
	CHECK(ha.state(hash) == HintState::missing);
}

TEST_CASE("Decoder: status.<hint> by enumerator name, software flag")
{
	unit::BtfBuilder b;
	int u16 = b.integer("unsigned short", 2);
	int u64 = b.integer("unsigned long long", 8);
	int st_enum = b.enum_("xdp_hints_state", {{"XDP_HINTS_STATE_UNSUPPORTED", 0},
						  {"XDP_HINTS_STATE_NODATA", 1},
						  {"XDP_HINTS_STATE_OK", 2},
						  {"XDP_HINTS_STATE_NOT_REQUESTED", 3}});
	(void)st_enum;
	int status = b.struct_("xdp_hints_status", 2,
			       {{"rx_timestamp", u16, 0, 2}, {"rx_hash", u16, 2, 2}, {"rx_timestamp_sw", u16, 4, 1}});
	int valid = b.struct_("xdp_hints_valid", 2, {{"rx_timestamp", u16, 0, 1}, {"rx_hash", u16, 1, 1}});
	int hs = b.struct_("xdp_hints_x", 24,
			   {{"rx_timestamp", u64, 0}, {"valid", valid, 64}, {"status", status, 80}, {"btf_full_id", u64, 128}});
	Btf btf = b.build().with_object_id(9);
	auto layouts = discover_layouts(btf);
	REQUIRE(layouts);
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = Decoder::build(q, *layouts);
	REQUIRE(dec);
	struct Row {
		unsigned raw;
		HintState want;
	};
	const Row rows[] = {{0, HintState::unsupported}, {1, HintState::no_data}, {2, HintState::ok}, {3, HintState::not_requested}};
	for (const Row &r : rows) {
		Frame fr;
		uint8_t *m = fr.meta(24);
		put_bits(m, 0, 64, 77);
		put_bits(m, 64, 1, 1);
		put_bits(m, 80, 2, r.raw);
		put_bits(m, 84, 1, r.raw & 1);
		put_bits(m, 128, 64, (uint64_t(9) << 32) | uint32_t(hs));
		Hints h = dec->decode(fr.data, 24);
		REQUIRE(h.known());
		CHECK(h.state(ts) == r.want);
		CHECK(h.software(ts) == bool(r.raw & 1));
		CHECK(h.get(ts) == std::optional<uint64_t>(77));
	}
}

TEST_CASE("Decoder: no metadata, unknown id, too short are explicit states")
{
	unit::Fixture f;
	auto layouts = discover_layouts(f.b.build());
	REQUIRE(layouts);
	Query q;
	auto ts = q.add<uint64_t>("ts");
	auto dec = Decoder::build(q, *layouts);
	REQUIRE(dec);
	Frame fr;
	uint8_t *m = fr.meta(44);
	put_bits(m, 0, 64, 99);
	put_bits(m, 312, 1, 1);

	put_bits(m, 320, 32, 0);
	Hints none = dec->decode(fr.data, 128);
	CHECK(none.status() == DecodeStatus::no_metadata);
	CHECK(none.get(ts) == std::nullopt);
	CHECK(none.state(ts) == HintState::no_metadata);

	put_bits(m, 320, 32, uint32_t(f.hints) + 1000);
	Hints unk = dec->decode(fr.data, 128);
	CHECK(unk.status() == DecodeStatus::unknown_id);
	CHECK(unk.id() == uint32_t(f.hints) + 1000);
	CHECK(unk.get(ts) == std::nullopt);

	put_bits(m, 320, 32, uint32_t(f.hints));
	CHECK(dec->decode(fr.data, 3).status() == DecodeStatus::too_short);
	CHECK(dec->decode(fr.data, 43).status() == DecodeStatus::too_short);
	CHECK(dec->decode(fr.data, 44).get(ts) == std::optional<uint64_t>(99));
}

TEST_CASE("Decoder: build refuses what it cannot read correctly")
{
	unit::Fixture f;
	Btf btf = f.b.build();
	auto layouts = discover_layouts(btf);
	REQUIRE(layouts);
	struct Row {
		const char *path;
		uint8_t size;
		Errc code;
	};
	const Row rows[] = {{"ts", 4, Errc::narrowing}, {"queue", 4, Errc::type_mismatch}, {"vlan..x", 2, Errc::invalid_argument}};
	for (const Row &r : rows) {
		INFO(r.path);
		Query q;
		q.add_spec(FieldSpec{r.path, "", Want{r.size, false}});
		auto dec = Decoder::build(q, *layouts);
		REQUIRE_FALSE(dec);
		CHECK(dec.error().code == r.code);
		CHECK_THAT(dec.error().message, Catch::Contains("xdp_hints_t") || Catch::Contains(r.path));
	}
	// A hand-made Layout without its BTF.
	Layout orphan;
	orphan.name = "orphan";
	orphan.type_id = 1;
	orphan.size = 16;
	Query oq;
	oq.add<uint64_t>("ts");
	auto od = Decoder::build(oq, std::span<const Layout>(&orphan, 1));
	REQUIRE_FALSE(od);
	CHECK(od.error().code == Errc::invalid_argument);
	// A stored u8 read as bool goes through the shifts, never a byte copy into a bool.
	{
		Query bq;
		auto flags = bq.add<bool>("flags");
		auto bd = Decoder::build(bq, *layouts);
		REQUIRE(bd);
		std::vector<uint8_t> buf(128, 0);
		uint8_t *data = buf.data() + 64;
		uint8_t *m = data - 44;
		m[38] = 2; // flags
		uint32_t id = uint32_t(f.hints);
		std::memcpy(m + 40, &id, 4);
		Hints h = bd->decode(data, 64);
		REQUIRE(h.known());
		CHECK(h.get(flags) == std::optional<bool>(true));
	}
	// Mixed id conventions in one Decoder.
	unit::BtfBuilder b2;
	int u64 = b2.integer("unsigned long long", 8);
	b2.struct_("xdp_hints_full", 16, {{"ts", u64, 0}, {"btf_full_id", u64, 64}});
	auto l2 = discover_layouts(b2.build());
	REQUIRE(l2);
	std::vector<Layout> mixed = *layouts;
	mixed.push_back((*l2)[0]);
	Query q;
	q.add<uint64_t>("ts");
	auto dec = Decoder::build(q, mixed);
	REQUIRE_FALSE(dec);
	CHECK_THAT(dec.error().message, Catch::Contains("btf_id") && Catch::Contains("btf_full_id"));
}

// Many layouts: every id finds its own table. (How fast 1,000 structs resolve is
// bench/microbench.cpp's BM_Resolve1000Structs: a wall-clock figure is no unit assertion.)
TEST_CASE("Decoder: demux among 1,000 layouts")
{
	unit::BtfBuilder b;
	int u16 = b.integer("unsigned short", 2);
	int u32 = b.integer("unsigned int", 4);
	int u64 = b.integer("unsigned long long", 8);
	int valid = b.struct_("xdp_hints_valid", 2, {{"rx_timestamp", u16, 0, 1}, {"rx_hash", u16, 1, 1}});
	std::vector<int> ids;
	for (int i = 0; i < 1000; i++) {
		std::string name = "xdp_hints_n" + std::to_string(i);
		// Layouts differ: the timestamp moves by i % 4 words.
		unsigned off = 64 * (i % 4);
		std::vector<unit::BtfBuilder::Member> ms;
		static const char *pads[] = {"pad0", "pad1", "pad2", "pad3"};
		for (unsigned w = 0; w < 4; w++)
			ms.push_back({w * 64 == off ? "rx_timestamp" : pads[w], u64, w * 64});
		ms.push_back({"rx_hash", u32, 256});
		ms.push_back({"valid", valid, 288});
		ms.push_back({"btf_full_id", u64, 320});
		ids.push_back(b.struct_(name.c_str(), 48, ms));
	}
	Btf btf = b.build().with_object_id(3);

	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto layouts = discover_layouts(btf);
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 1000);
	auto dec = Decoder::build(q, *layouts);
	REQUIRE(dec);
	CHECK(dec->layouts().size() == 1000);

	for (int i = 0; i < 1000; i++) {
		Frame fr;
		uint8_t *m = fr.meta(48);
		put_bits(m, 64 * (i % 4), 64, 1000 + i);
		put_bits(m, 256, 32, 7 * i);
		put_bits(m, 288, 2, 3);
		put_bits(m, 320, 64, (uint64_t(3) << 32) | uint32_t(ids[i]));
		Hints h = dec->decode(fr.data, 128);
		REQUIRE(h.known());
		REQUIRE(h.layout()->type_id == uint32_t(ids[i]));
		REQUIRE(h.get(ts) == std::optional<uint64_t>(1000 + i));
		REQUIRE(h.get(hash) == std::optional<uint32_t>(7 * i));
	}
}
