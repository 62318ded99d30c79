// Hint-struct discovery: names, decl tags, id conventions, wire rules, diagnostics.
#include <xdphints/edge/fd.hpp>
#include "fixture.hpp"
#include "layout_json.hpp"

#include <algorithm>
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
