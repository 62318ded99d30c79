// Hostile input: never a crash, always an error with context.
#include "btf_builder.hpp"

#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>
#include <xdphints/resolve.hpp>

#include <cstring>

using namespace xdphints;

TEST_CASE("Btf::from_bytes: truncated, garbled and lying BTF is an error")
{
	unit::BtfBuilder b;
	int u32 = b.integer("unsigned int", 4);
	b.struct_("xdp_hints_m", 8, {{"mark", u32, 0}, {"btf_id", u32, 32}});
	std::vector<uint8_t> good = b.bytes();
	REQUIRE(Btf::from_bytes(good.data(), good.size()));

	struct Case {
		const char *what;
		std::vector<uint8_t> bytes;
	};
	std::vector<Case> cases;
	cases.push_back({"empty", {}});
	for (size_t cut : {size_t(1), size_t(8), size_t(23), good.size() / 2, good.size() - 1})
		cases.push_back({"truncated", std::vector<uint8_t>(good.begin(), good.begin() + cut)});
	auto bad_magic = good;
	bad_magic[0] ^= 0xff;
	cases.push_back({"bad magic", bad_magic});
	// btf_header: magic(2) version(1) flags(1) hdr_len(4) type_off(4) type_len(4) str_off(4) str_len(4)
	auto huge_types = good;
	uint32_t big = 0x7fffffff;
	std::memcpy(huge_types.data() + 12, &big, 4);
	cases.push_back({"type_len beyond the data", huge_types});
	auto huge_strs = good;
	std::memcpy(huge_strs.data() + 20, &big, 4);
	cases.push_back({"str_len beyond the data", huge_strs});
	// hdr_len 26: libbpf accepts it, but every struct btf_type would be misaligned (found
	// by the fuzzer as UBSan "misaligned address").
	auto misaligned = good;
	uint32_t hdr_len;
	std::memcpy(&hdr_len, misaligned.data() + 4, 4);
	misaligned.insert(misaligned.begin() + hdr_len, {0, 0});
	uint32_t hdr_len2 = hdr_len + 2;
	std::memcpy(misaligned.data() + 4, &hdr_len2, 4);
	cases.push_back({"type section not 4-byte aligned", misaligned});
	for (const Case &c : cases) {
		INFO(c.what << " (" << c.bytes.size() << " bytes)");
		auto r = Btf::from_bytes(c.bytes.data(), c.bytes.size());
		REQUIRE_FALSE(r);
		CHECK(r.error().code == Errc::malformed_btf);
		CHECK_THAT(r.error().message, Catch::Contains("bytes of BTF"));
	}

	auto elf = Btf::from_elf_bytes(good.data(), good.size());
	REQUIRE_FALSE(elf);
	CHECK(elf.error().code == Errc::malformed_btf);
	auto raw = Btf::from_raw_file("/nonexistent/x.btf");
	REQUIRE_FALSE(raw);
	CHECK(raw.error().sys_errno == ENOENT);
	CHECK_THAT(raw.error().message, Catch::Contains("/nonexistent/x.btf"));
}

TEST_CASE("type loops and runaway nesting are capped")
{
	unit::BtfBuilder b;
	int u32 = b.integer("unsigned int", 4); // 1
	// 2 -> 3 -> 2: typedef loop (libbpf checks ids are in range, not that they end).
	int t2 = b.typedef_("loop_a", 3);
	int t3 = b.typedef_("loop_b", t2);
	REQUIRE(t3 == 3);
	b.struct_("xdp_hints_loop", 8, {{"x", t2, 0}, {"btf_id", u32, 32}});
	// A struct that contains itself through an anonymous member, and by name.
	int self_anon = b.struct_("xdp_hints_self_anon", 8, {{"", 6, 0}, {"btf_id", u32, 32}});
	REQUIRE(self_anon == 5);
	b.struct_("inner_self", 4, {{"", 6, 0}}); // 6 contains itself anonymously
	b.struct_("xdp_hints_self_named", 8, {{"me", 7, 0}, {"btf_id", u32, 32}}); // 7 contains itself
	Btf btf = b.build();

	auto r1 = resolve_field(btf, 4u, "x", Want{4, false});
	REQUIRE_FALSE(r1);
	CHECK(r1.error().code == Errc::too_deep);
	CHECK_THAT(r1.error().message, Catch::Contains("'x'") && Catch::Contains("xdp_hints_loop"));
	auto r2 = resolve_field(btf, 5u, "nothing", Want{4, false});
	REQUIRE_FALSE(r2);
	CHECK(r2.error().code == Errc::too_deep);
	auto r3 = resolve_field(btf, 7u, "me.me.me.me", Want{});
	REQUIRE(r3); // finite path through a self-containing struct: each step is well defined
	auto d = discover(btf);
	REQUIRE_FALSE(d); // the leaves of xdp_hints_loop cannot be listed
	CHECK(d.error().code == Errc::too_deep);
	CHECK_THAT(d.error().message, Catch::Contains("type id"));
	auto l7 = describe_layout(btf, 7u);
	REQUIRE_FALSE(l7);
	CHECK(l7.error().code == Errc::too_deep);
}

TEST_CASE("exponential anonymous fan-out is bounded by a visit budget")
{
	unit::BtfBuilder b;
	int u32 = b.integer("unsigned int", 4);
	int prev = b.struct_("", 4, {{"leaf", u32, 0}});
	for (int i = 0; i < 24; i++) // each level: two anonymous copies of the previous one
		prev = b.union_("", 4, {{"", prev, 0}, {"", prev, 0}});
	int top = b.struct_("xdp_hints_fan", 8, {{"", prev, 0}, {"btf_id", u32, 32}});
	Btf btf = b.build();
	auto r = resolve_field(btf, uint32_t(top), "missing", Want{4, false});
	REQUIRE_FALSE(r);
	CHECK(r.error().code == Errc::too_deep);
	CHECK_THAT(r.error().message, Catch::Contains("members visited"));
	auto d = discover(btf);
	REQUIRE_FALSE(d);
	CHECK(d.error().code == Errc::too_deep);
}

TEST_CASE("bitfields that no 8-byte load covers are refused")
{
	unit::BtfBuilder b;
	int u64 = b.integer("unsigned long long", 8);
	int u32 = b.integer("unsigned int", 4);
	int s = b.struct_("straddle", 16, {{"pre", u32, 0}, {"wide", u64, 40, 40}});
	Btf btf = b.build();
	auto r = resolve_field(btf, uint32_t(s), "wide", Want{8, false});
	REQUIRE_FALSE(r);
	CHECK(r.error().code == Errc::type_mismatch);
	CHECK_THAT(r.error().message, Catch::Contains("64-bit load") && Catch::Contains("access spec 0:1"));
}

TEST_CASE("Error::from_errno is the one errno conversion")
{
	Error e = Error::from_errno(-ENOENT, "opening hook.bpf.o", "build it first");
	CHECK(e.code == Errc::not_found);
	CHECK(e.sys_errno == ENOENT);
	CHECK(e.message == "opening hook.bpf.o: No such file or directory (build it first)");
	CHECK(Error::from_errno(EPERM, "x", "").code == Errc::system);
	CHECK(e.to_string().rfind("not_found: ", 0) == 0);
}
