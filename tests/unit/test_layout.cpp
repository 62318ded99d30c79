// Hint-struct discovery: names, decl tags, id conventions, wire rules, diagnostics.
#include <xdphints/edge/fd.hpp>
#include "fixture.hpp"
#include "layout_json.hpp"
#include "render.hpp"

#include <algorithm>
#include <map>
#include <unistd.h>
#include <xdphints/layout.hpp>

using namespace xdphints;
using namespace xdphints::render;

namespace {
const Diagnostic *skipped(const Discovery &d, const std::string &name)
{
	for (const auto &s : d.skipped)
		if (s.name == name)
			return &s;
	return nullptr;
}
} // namespace

TEST_CASE("discover: prefix and decl tag; helpers without id are skipped with a reason")
{
	unit::BtfBuilder b;
	int u8 = b.integer("unsigned char", 1);
	int u32 = b.integer("unsigned int", 4);
	int u64 = b.integer("unsigned long long", 8);
	int mark = b.struct_("xdp_hints_mark", 8, {{"mark", u32, 0}, {"btf_id", u32, 32}});
	int tagged = b.struct_("my_meta", 16, {{"ts", u64, 0}, {"btf_full_id", u64, 64}});
	b.decl_tag("xdp_hints", tagged);
	b.struct_("xdp_hints_valid", 1, {{"ts", u8, 0, 1}});
	int plain = b.struct_("plain_meta", 4, {{"mark", u32, 0}});
	b.union_("xdp_hints_u", 4, {{"x", u32, 0}, {"btf_id", u32, 0}});
	Btf btf = b.build().with_object_id(7);

	auto d = discover(btf);
	REQUIRE(d);
	REQUIRE(d->layouts.size() == 2);
	CHECK(d->layouts[0].name == "xdp_hints_mark");
	CHECK(d->layouts[0].type_id == uint32_t(mark));
	CHECK(d->layouts[0].id_kind == IdKind::btf_id);
	CHECK(d->layouts[0].id() == ((uint64_t(7) << 32) | uint32_t(mark)));
	CHECK_FALSE(d->layouts[0].tagged);
	CHECK(d->layouts[1].name == "my_meta");
	CHECK(d->layouts[1].id_kind == IdKind::btf_full_id);
	CHECK(d->layouts[1].tagged);
	const Diagnostic *v = skipped(*d, "xdp_hints_valid");
	REQUIRE(v);
	CHECK_THAT(v->reason, Catch::Contains("last member is 'ts'"));
	REQUIRE(skipped(*d, "xdp_hints_u"));
	CHECK_FALSE(skipped(*d, "plain_meta")); // not a candidate at all

	// Fixed-layout mode: named explicitly, no id member.
	DiscoverOptions o;
	o.structs = {"plain_meta"};
	auto fx = discover(btf, o);
	REQUIRE(fx);
	auto it = std::find_if(fx->layouts.begin(), fx->layouts.end(),
			       [&](const Layout &l) { return l.type_id == uint32_t(plain); });
	REQUIRE(it != fx->layouts.end());
	CHECK(it->id_kind == IdKind::none);
	o.auto_discover = false;
	o.structs = {"no_such_struct"};
	auto nf = discover(btf, o);
	REQUIRE_FALSE(nf);
	CHECK(nf.error().code == Errc::not_found);
	CHECK_THAT(nf.error().message, Catch::Contains("no_such_struct"));
}

TEST_CASE("discover: the id must end the struct, with the right size")
{
	struct Case {
		const char *what;
		unsigned size;
		const char *id_name;
		int id_bits; // 32 / 64
		unsigned id_off;
		const char *message_part;
	};
	const Case cases[] = {
		{"tail padding after btf_full_id", 24, "btf_full_id", 64, 64, "ends at byte 16 but the struct is 24"},
		{"btf_id of 8 bytes", 16, "btf_id", 64, 64, "must be a 4-byte integer"},
		{"btf_full_id of 4 bytes", 12, "btf_full_id", 32, 64, "must be a 8-byte integer"},
	};
	for (const Case &c : cases) {
		INFO(c.what);
		unit::BtfBuilder b;
		int u32 = b.integer("unsigned int", 4);
		int u64 = b.integer("unsigned long long", 8);
		b.struct_("xdp_hints_bad", c.size, {{"x", u64, 0}, {c.id_name, c.id_bits == 64 ? u64 : u32, c.id_off}});
		auto d = discover(b.build());
		REQUIRE_FALSE(d);
		CHECK(d.error().code == Errc::bad_layout);
		CHECK_THAT(d.error().message, Catch::Contains("xdp_hints_bad") && Catch::Contains(c.message_part) &&
						      Catch::Contains("wire rule"));
	}
}

TEST_CASE("layout leaves and JSON: dotted names, anonymous members transparent, bitfields")
{
	unit::Fixture f;
	Btf btf = f.b.build();
	auto l = describe_layout(btf, uint32_t(f.hints));
	REQUIRE(l);
	CHECK(l->id_kind == IdKind::btf_id);
	std::vector<std::string> names;
	for (auto &x : l->fields)
		names.push_back(x.name);
	CHECK(names == std::vector<std::string>{"ts", "hash", "vlan.tci", "vlan.proto", "word", "lo", "hi", "queue", "a",
						"b", "st", "flags", "valid.ts", "valid.hash", "btf_id"});
	auto j = layouts_to_json(std::span<const Layout>(&*l, 1));
	const auto &jl = j["layouts"][0];
	CHECK(jl["name"] == "xdp_hints_t");
	CHECK(jl["type_id"] == f.hints);
	CHECK(jl["size"] == 44);
	auto field = [&](const std::string &n) {
		for (auto &x : jl["fields"])
			if (x["name"] == n)
				return x;
		FAIL("no field " << n);
		return nlohmann::json();
	};
	CHECK(field("hash")["type"] == "const volatile hash_t");
	CHECK(field("hash")["offset"] == 8);
	CHECK_FALSE(field("hash").contains("bit_offset"));
	CHECK(field("hi")["offset"] == 18);
	CHECK(field("queue")["size"] == 16);
	CHECK(field("queue")["type"] == "unsigned int[4]");
	CHECK(field("b")["offset"] == 36);
	CHECK(field("b")["size"] == 4);
	CHECK(field("b")["bit_offset"] == 291);
	CHECK(field("b")["bit_size"] == 5);
	CHECK(field("st")["type"] == "enum xdp_hints_state");
	std::string text = layouts_to_text(std::span<const Layout>(&*l, 1));
	CHECK_THAT(text, Catch::Contains("struct xdp_hints_t {") && Catch::Contains("b:5;") &&
				 Catch::Contains("/* size: 44 */"));
}

TEST_CASE("Btf sources: bytes, raw file and adopt() give the same layouts")
{
	unit::Fixture f;
	std::vector<uint8_t> raw = f.b.bytes();
	char path[] = "/tmp/xdphints-unit-XXXXXX";
	{
		xdphints::edge::UniqueFd fd(mkstemp(path));
		REQUIRE(fd);
		REQUIRE(write(fd.get(), raw.data(), raw.size()) == ssize_t(raw.size()));
	}
	auto from_file = Btf::from_raw_file(path);
	unlink(path);
	REQUIRE(from_file);
	CHECK_THAT(from_file->origin(), Catch::Contains(path));
	CHECK(from_file->kernel_object_id() == 0);

	struct btf *b = btf__new(raw.data(), uint32_t(raw.size()));
	REQUIRE(b);
	Btf adopted = Btf::adopt(b, 42); // owns b from here on
	CHECK(adopted.kernel_object_id() == 42);

	auto from_bytes = Btf::from_bytes(raw.data(), raw.size());
	REQUIRE(from_bytes);
	for (const Btf *src : {&*from_file, &adopted, &*from_bytes}) {
		auto l = discover_layouts(*src);
		REQUIRE(l);
		REQUIRE(l->size() == 1);
		CHECK((*l)[0].type_id == uint32_t(f.hints));
		CHECK((*l)[0].object_id == src->kernel_object_id());
		CHECK(layouts_to_json(*l)["layouts"][0]["fields"].size() == 15);
	}
}

TEST_CASE("network-order and flags members: __be16/__be32 shown in host order, flags enums by bit names")
{
	// The selftest xdp_hw_metadata's shape: a union of a __be16/__u16 pair with an error,
	// and an enum of single bits saying which hints are valid.
	unit::BtfBuilder b;
	int u16 = b.integer("unsigned short", 2);
	int u32 = b.integer("unsigned int", 4);
	int s32 = b.integer("int", 4, true);
	int be16 = b.typedef_("__be16", b.typedef_("__u16", u16));
	int be32 = b.typedef_("__be32", b.typedef_("__u32", u32));
	int proto_t = b.typedef_("my_proto", be16); // a typedef of a typedef still is network order
	int flags = b.enum_("xdp_meta_field", {{"XDP_META_FIELD_TS", 1}, {"XDP_META_FIELD_RSS", 2},
					       {"XDP_META_FIELD_VLAN_TAG", 4}});
	int counting = b.enum_("my_state", {{"ST_OK", 0}, {"ST_NONE", 1}, {"ST_ERR", 2}}); // not flags
	int pair = b.struct_("", 4, {{"rx_vlan_proto", be16, 0}, {"rx_vlan_tci", u16, 16}});
	int un = b.union_("", 4, {{"", pair, 0}, {"rx_vlan_tag_err", s32, 0}});
	int meta = b.struct_("xdp_meta", 20, {{"", un, 0}, {"addr", be32, 32}, {"proto", proto_t, 64},
					      {"hint_valid", flags, 96}, {"state", counting, 128}});
	Btf btf = b.build();
	auto l = describe_layout(btf, uint32_t(meta));
	REQUIRE(l);
	auto field = [&](const std::string &n) -> const LayoutField & {
		auto it = std::find_if(l->fields.begin(), l->fields.end(), [&](const LayoutField &f) { return f.name == n; });
		REQUIRE(it != l->fields.end());
		return *it;
	};
	CHECK(field("rx_vlan_proto").big_endian);
	CHECK_FALSE(field("rx_vlan_tci").big_endian);
	CHECK_FALSE(field("rx_vlan_tag_err").big_endian); // anonymous union: both members, as before
	CHECK(field("addr").big_endian);
	CHECK(field("proto").big_endian);
	CHECK(field("hint_valid").flags);
	CHECK_FALSE(field("state").flags);
	CHECK_FALSE(field("rx_vlan_tci").flags);

	auto j = layout_to_json(*l);
	auto jf = [&](const std::string &n) {
		for (auto &f : j["fields"])
			if (f["name"] == n)
				return f;
		FAIL("no field " << n);
		return nlohmann::json();
	};
	CHECK(jf("rx_vlan_proto")["byte_order"] == "big");
	CHECK(!jf("rx_vlan_tci").contains("byte_order"));
	CHECK(jf("hint_valid")["flags"] == true);
	CHECK(!jf("state").contains("flags"));
	std::string text = layouts_to_text(std::span<const Layout>(&*l, 1));
	INFO(text);
	CHECK(text.find("rx_vlan_proto;") != std::string::npos);
	CHECK(text.find("big-endian") != std::string::npos);
	CHECK(text.find("flags") != std::string::npos);

	// Bytes as the program writes them: 0x8100 in network order, tci 42, bits TS|VLAN_TAG|8.
	uint8_t m[20] = {0x81, 0x00, 42, 0, 0xc0, 0xa8, 0x00, 0x01, 0x88, 0xf7, 0, 0, 1 | 4 | 8, 0, 0, 0, 2, 0, 0, 0};
	// dump's render plan reads them: network order swapped, flags by their bits' names.
	auto plan = RenderPlan::build(std::span<const Layout>(&*l, 1));
	REQUIRE(plan);
	const LayoutPlan &lp = plan->layouts().at(0);
	CHECK(lp.host_order_json == ",\"host_order\":[\"rx_vlan_proto\",\"addr\",\"proto\"]");
	std::map<std::string, LeafValue> seen;
	std::map<std::string, const Leaf *> leaf;
	for (const Leaf &lf : lp.leaves) {
		seen[lf.name] = lp.read(lf, m);
		leaf[lf.name] = &lf;
	}
	CHECK(seen["rx_vlan_proto"].value == 0x8100);
	CHECK(leaf["rx_vlan_proto"]->host_order);
	CHECK(seen["rx_vlan_tci"].value == 42);
	CHECK_FALSE(leaf["rx_vlan_tci"]->host_order);
	CHECK(seen["addr"].value == 0xc0a80001);
	CHECK(seen["proto"].value == 0x88f7);
	CHECK(seen["hint_valid"].value == 13);
	REQUIRE(leaf["hint_valid"]->flags);
	std::vector<std::string> bit_names;
	for (const EnumName &e : leaf["hint_valid"]->names)
		bit_names.push_back(e.json);
	CHECK(bit_names == std::vector<std::string>{"\"XDP_META_FIELD_TS\"", "\"XDP_META_FIELD_RSS\"",
						    "\"XDP_META_FIELD_VLAN_TAG\""});
	CHECK_FALSE(leaf["state"]->flags);
	CHECK(seen["state"].value == 2);
}
