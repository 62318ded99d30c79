// CO-RE field resolution rules, table-driven over the in-memory fixture.
#include "fixture.hpp"

#include <xdphints/resolve.hpp>

using namespace xdphints;

namespace {

struct Row {
	const char *path;
	uint8_t want_size;
	bool want_signed;
	bool exists;
	uint32_t byte_offset, byte_size, bit_offset, bit_size;
	bool bitfield, is_signed, widened;
	uint8_t lshift, rshift;
	const char *spec;
};

struct ErrRow {
	const char *path;
	uint8_t want_size;
	Errc code;
	const char *message_part; // context the message must carry
};

} // namespace

TEST_CASE("resolve_field: locations, access specs, shifts")
{
	unit::Fixture f;
	Btf btf = f.b.build();
	const Row rows[] = {
		// path          want sgn exist off sz  bitoff bits  bf     signed widened lsh rsh  spec
		{"ts",           8, false, true, 0, 8,  0,   64,  false, false, false, 0,  0,  "0:0"},
		{"hash",         4, false, true, 8, 2,  64,  16,  false, false, true,  48, 48, "0:1"},
		{"hash",         2, false, true, 8, 2,  64,  16,  false, false, false, 48, 48, "0:1"},
		{"vlan.tci",     2, false, true, 12, 2, 96,  16,  false, false, false, 48, 48, "0:2:0"},
		{"vlan.proto",   8, false, true, 14, 2, 112, 16,  false, false, true,  48, 48, "0:2:1"},
		{"word",         4, false, true, 16, 4, 128, 32,  false, false, false, 32, 32, "0:3:0"},
		{"hi",           2, false, true, 18, 2, 144, 16,  false, false, false, 48, 48, "0:3:1:1"},
		{"queue[0]",     4, false, true, 20, 4, 160, 32,  false, false, false, 32, 32, "0:4:0"},
		{"queue[3]",     4, false, true, 32, 4, 256, 32,  false, false, false, 32, 32, "0:4:3"},
		{"queue",        0, false, true, 20, 16, 160, 128, false, false, false, 0, 0,  "0:4"},
		{"a",            2, false, true, 36, 2, 288, 3,   true,  false, false, 61, 61, "0:5"},
		{"b",            4, true,  true, 36, 4, 291, 5,   true,  true,  false, 56, 59, "0:6"},
		{"b",            1, true,  true, 36, 4, 291, 5,   true,  true,  false, 56, 59, "0:6"},
		{"st",           4, false, true, 36, 4, 296, 2,   true,  false, false, 54, 62, "0:7"},
		{"flags",        1, false, true, 38, 1, 304, 8,   false, false, false, 56, 56, "0:8"},
		{"valid.hash",   1, false, true, 39, 1, 313, 1,   true,  false, false, 62, 63, "0:9:1"},
		{"btf_id",       4, false, true, 40, 4, 320, 32,  false, false, false, 32, 32, "0:10"},
		// not there: exists == false, not an error
		{"nope",         8, false, false, 0, 0, 0,   0,   false, false, false, 0,  0,  ""},
		{"vlan.pcp",     2, false, false, 0, 0, 0,   0,   false, false, false, 0,  0,  ""},
		{"queue[4]",     4, false, false, 0, 0, 0,   0,   false, false, false, 0,  0,  ""},
	};
	for (const Row &r : rows) {
		INFO("path " << r.path << " want " << int(r.want_size));
		auto res = resolve_field(btf, uint32_t(f.hints), r.path, Want{r.want_size, r.want_signed});
		INFO((res ? std::string() : res.error().message));
		REQUIRE(res);
		CHECK(res->exists == r.exists);
		CHECK(res->byte_offset == r.byte_offset);
		CHECK(res->byte_size == r.byte_size);
		CHECK(res->bit_offset == r.bit_offset);
		CHECK(res->bit_size == r.bit_size);
		CHECK(res->bitfield == r.bitfield);
		CHECK(res->is_signed == r.is_signed);
		CHECK(res->widened == r.widened);
		CHECK(int(res->lshift) == int(r.lshift));
		CHECK(int(res->rshift) == int(r.rshift));
		CHECK(res->access_spec == r.spec);
	}
	auto st = resolve_field(btf, uint32_t(f.hints), "st");
	REQUIRE(st);
	CHECK(st->is_enum);
	CHECK(uint32_t(f.state_enum) == st->type_id);
}

TEST_CASE("resolve_field: errors carry the cause and the context")
{
	unit::Fixture f;
	Btf btf = f.b.build();
	const ErrRow rows[] = {
		{"ts", 4, Errc::narrowing, "64 bits"},
		{"hash", 1, Errc::narrowing, "'hash'"},
		{"queue", 4, Errc::type_mismatch, "unsigned int[4]"},
		{"vlan", 4, Errc::type_mismatch, "struct vlan"},
		{"ts.x", 8, Errc::type_mismatch, "access spec 0:0"},
		{"vlan[0]", 2, Errc::type_mismatch, "not an array"},
		{"a.x", 2, Errc::type_mismatch, "'x'"},
		{"", 8, Errc::invalid_argument, "empty path"},
		{"1abc", 8, Errc::invalid_argument, "member name"},
		{"vlan..tci", 8, Errc::invalid_argument, "character 5"},
		{"queue[", 4, Errc::invalid_argument, "array index"},
		{"queue[1", 4, Errc::invalid_argument, "']'"},
		{"ts", 3, Errc::invalid_argument, "1, 2, 4 or 8"},
	};
	for (const ErrRow &r : rows) {
		INFO("path '" << r.path << "' want " << int(r.want_size));
		auto res = resolve_field(btf, uint32_t(f.hints), r.path, Want{r.want_size, false});
		REQUIRE_FALSE(res);
		CHECK(res.error().code == r.code);
		CHECK_THAT(res.error().message, Catch::Contains(r.message_part));
	}
	// Root ids: out of range, not a struct.
	auto oor = resolve_field(btf, 9999u, "ts");
	REQUIRE_FALSE(oor);
	CHECK(oor.error().code == Errc::malformed_btf);
	auto nas = resolve_field(btf, uint32_t(f.u64), "ts");
	REQUIRE_FALSE(nas);
	CHECK(nas.error().code == Errc::not_a_struct);
	CHECK_THAT(nas.error().message, Catch::Contains("type id " + std::to_string(f.u64)));
	auto empty = resolve_field(Btf(), 1u, "ts");
	REQUIRE_FALSE(empty);
	CHECK(empty.error().code == Errc::invalid_argument);
}

TEST_CASE("resolve_field by local struct name: essential names, candidates, ambiguity")
{
	unit::BtfBuilder b;
	int u16 = b.integer("unsigned short", 2);
	int u32 = b.integer("unsigned int", 4);
	b.struct_("meta", 8, {{"x", u32, 0}, {"y", u16, 32}});
	b.struct_("meta___v2", 8, {{"y", u16, 0}, {"x", u32, 32}});
	b.struct_("other___old", 4, {{"x", u32, 0}});
	b.struct_("same", 4, {{"x", u32, 0}});
	b.struct_("same___dup", 4, {{"x", u32, 0}});
	Btf btf = b.build();

	// One candidate, found through its flavor.
	auto one = resolve_field(btf, std::string_view("other___mine"), "x", Want{4, false});
	REQUIRE(one);
	CHECK(one->byte_offset == 0);
	// Two candidates that agree: fine.
	auto agree = resolve_field(btf, std::string_view("same___local"), "x", Want{4, false});
	REQUIRE(agree);
	// Two candidates that disagree: ambiguous, naming both.
	auto amb = resolve_field(btf, std::string_view("meta___local"), "x", Want{4, false});
	REQUIRE_FALSE(amb);
	CHECK(amb.error().code == Errc::ambiguous);
	CHECK_THAT(amb.error().message, Catch::Contains("meta___v2"));
	// No candidate at all.
	auto none = resolve_field(btf, std::string_view("missing___x"), "x", Want{4, false});
	REQUIRE_FALSE(none);
	CHECK(none.error().code == Errc::not_found);
}

// libbpf bpf_core_essential_name_len: the flavor separator is "___" with a character other
// than '_' on both sides, searched from the end; the essential name ends before it.
TEST_CASE("essential_name: libbpf's X___Y flavor rule, edge cases")
{
	struct {
		const char *name;
		const char *essential;
	} rows[] = {
		{"meta", "meta"},
		{"meta___v2", "meta"},
		{"x___y___z", "x___y"},       // only the last flavor is dropped
		{"a___b", "a"},
		{"a____b", "a____b"},         // four underscores: no separator
		{"a_____b", "a_____b"},       // five: none either
		{"a___b____c", "a"},          // the separator before "b", not the run before "c"
		{"___x", "___x"},             // nothing before the separator
		{"_a___b", "_a"},
		{"foo___", "foo___"},         // nothing after it
		{"foo___x_", "foo"},          // Y is one character, what follows it is free
		{"foo____", "foo____"},
		{"a__b", "a__b"},
		{"___", "___"},
		{"", ""},
		{"xdp_hints_mark___v1", "xdp_hints_mark"},
		{"xdp_hints___", "xdp_hints___"},
	};
	for (const auto &r : rows) {
		INFO("name '" << r.name << "'");
		CHECK(essential_name(r.name) == r.essential);
	}
}

// libbpf's candidates have the local type's kind: a struct never matches a union.
TEST_CASE("resolve_field by local name: a struct candidate never matches a union, nor the reverse")
{
	unit::BtfBuilder b;
	int u16 = b.integer("unsigned short", 2);
	int u32 = b.integer("unsigned int", 4);
	b.struct_("pick", 8, {{"y", u16, 0}, {"x", u32, 32}});
	b.union_("pick___u", 4, {{"x", u32, 0}, {"y", u16, 0}});
	b.union_("only_union", 4, {{"x", u32, 0}});
	Btf btf = b.build();

	// The union disagrees on x's offset: were it a candidate, this would be ambiguous.
	auto s = resolve_field(btf, std::string_view("pick___local"), "x", Want{4, false});
	INFO((s ? std::string() : s.error().message));
	REQUIRE(s);
	CHECK(s->byte_offset == 4);
	auto u = resolve_field(btf, std::string_view("pick___local"), "x", Want{4, false}, LocalKind::union_);
	REQUIRE(u);
	CHECK(u->byte_offset == 0);
	// A struct wanted, only a union of that name there: no candidate.
	auto none = resolve_field(btf, std::string_view("only_union"), "x", Want{4, false});
	REQUIRE_FALSE(none);
	CHECK(none.error().code == Errc::not_found);
	CHECK_THAT(none.error().message, Catch::Contains("no struct") && Catch::Contains("only_union"));
	CHECK(resolve_field(btf, std::string_view("only_union"), "x", Want{4, false}, LocalKind::union_));
}

TEST_CASE("resolve_field: duplicate names through anonymous members")
{
	unit::BtfBuilder b;
	int u16 = b.integer("unsigned short", 2);
	int u32 = b.integer("unsigned int", 4);
	int a1 = b.struct_("", 4, {{"x", u32, 0}});
	int a2 = b.struct_("", 4, {{"x", u16, 0}});
	int a3 = b.struct_("", 4, {{"x", u32, 0}});
	int dis = b.struct_("disagree", 8, {{"", a1, 0}, {"", a2, 32}});
	int agr = b.union_("agree", 4, {{"", a1, 0}, {"", a3, 0}});
	Btf btf = b.build();
	auto r = resolve_field(btf, uint32_t(dis), "x", Want{4, false});
	REQUIRE_FALSE(r);
	CHECK(r.error().code == Errc::ambiguous);
	CHECK_THAT(r.error().message, Catch::Contains("0:0") && Catch::Contains("1:0"));
	auto ok = resolve_field(btf, uint32_t(agr), "x", Want{4, false});
	REQUIRE(ok);
	CHECK(ok->access_spec == "0:0:0");
}

TEST_CASE("enum_value: by enumerator name")
{
	unit::Fixture f;
	Btf btf = f.b.build();
	auto ok = enum_value(btf, uint32_t(f.state_enum), "XDP_HINTS_STATE_OK");
	REQUIRE(ok);
	CHECK(*ok == std::optional<int64_t>(2));
	auto no = enum_value(btf, uint32_t(f.state_enum), "XDP_HINTS_STATE_BOGUS");
	REQUIRE(no);
	CHECK_FALSE(no->has_value());
	auto notenum = enum_value(btf, uint32_t(f.u32), "X");
	REQUIRE_FALSE(notenum);
	CHECK(notenum.error().code == Errc::type_mismatch);
}
