// The Decoder refuses layouts no hook could write: the XDP metadata area is bounded by the
// kernel (bpf_xdp_adjust_meta; xdp_metalen_invalid(): a multiple of 4, at most 255 bytes
// from Linux 6.8, 32 before). An id that names a bigger struct could only be stale or
// foreign, and decoding it would read headroom no hook wrote.
#include "btf_builder.hpp"

#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

#include <cstring>
#include <span>
#include <vector>

using namespace xdphints;

namespace {

// struct <name> { __u64 pad[n]; __u64 btf_full_id; }: 8 * (n + 1) bytes.
std::vector<Layout> layouts_of(unit::BtfBuilder &b, std::initializer_list<std::pair<const char *, unsigned>> structs,
			       const DiscoverOptions &o = {})
{
	int u64 = b.integer("unsigned long long", 8);
	int u32 = b.integer("unsigned int", 4);
	for (auto [name, n] : structs) {
		int arr = b.array(u64, int(n), u32);
		b.struct_(name, 8 * (n + 1), {{"pad", arr, 0}, {"btf_full_id", u64, 64 * n}});
	}
	auto l = discover_layouts(b.build().with_object_id(7), o);
	REQUIRE(l);
	return *l;
}

} // namespace

TEST_CASE("Decoder: a layout larger than any kernel's XDP metadata area is refused by default")
{
	unit::BtfBuilder b;
	// 256 bytes: one past the 252 bytes a metadata area can hold (255, rounded down to 4).
	auto layouts = layouts_of(b, {{"xdp_hints_small", 3}, {"xdp_hints_big", 31}});
	REQUIRE(layouts.size() == 2);
	Query q;
	q.add<uint64_t>("btf_full_id");
	auto dec = Decoder::build(q, layouts);
	REQUIRE_FALSE(dec);
	CHECK(dec.error().code == Errc::bad_layout);
	// The message names the layout, its size, the limit and the fix.
	CHECK_THAT(dec.error().message, Catch::Contains("xdp_hints_big") && Catch::Contains("256 bytes") &&
						 Catch::Contains("252") && Catch::Contains("fix"));

	// 248 and 32 bytes fit.
	unit::BtfBuilder b2;
	auto ok = layouts_of(b2, {{"xdp_hints_small", 3}, {"xdp_hints_edge", 30}});
	auto dec2 = Decoder::build(q, ok);
	INFO((dec2 ? std::string() : dec2.error().message));
	CHECK(dec2);
}

TEST_CASE("Decoder: DecoderOptions::metadata_limit is the kernel's limit")
{
	unit::BtfBuilder b;
	// 32 bytes (fits every kernel) and 40 bytes (Linux >= 6.8 only).
	auto layouts = layouts_of(b, {{"xdp_hints_32", 3}, {"xdp_hints_40", 4}});
	Query q;
	auto id = q.add<uint64_t>("btf_full_id");

	DecoderOptions before68;
	before68.metadata_limit = kMetadataLimitBefore68;
	auto refused = Decoder::build(q, layouts, before68);
	REQUIRE_FALSE(refused);
	CHECK(refused.error().code == Errc::bad_layout);
	CHECK_THAT(refused.error().message, Catch::Contains("xdp_hints_40") && Catch::Contains("40 bytes") &&
						    Catch::Contains("more than the 32 bytes"));
	// Exactly at the limit is fine.
	auto only32 = Decoder::build(q, std::span<const Layout>(layouts.data(), 1), before68);
	INFO((only32 ? std::string() : only32.error().message));
	REQUIRE(only32);
	CHECK(only32->layouts()[0].name == "xdp_hints_32");

	// A kernel that allowed more (none does yet) lets larger layouts through.
	unit::BtfBuilder b2;
	auto big = layouts_of(b2, {{"xdp_hints_big", 31}});
	DecoderOptions more;
	more.metadata_limit = 512;
	auto dec = Decoder::build(q, big, more);
	REQUIRE(dec);
	// And the layout is read where it is: the id at data - 8, the struct at data - 256.
	std::vector<uint8_t> buf(512, 0);
	uint8_t *data = buf.data() + 300;
	uint64_t want = big[0].id();
	std::memcpy(data - 8, &want, 8);
	Hints h = dec->decode(data, 300);
	REQUIRE(h.known());
	CHECK(h.struct_start() == data - 256);
	CHECK(h.get(id) == std::optional<uint64_t>(want));
}

TEST_CASE("Decoder: a fixed layout (no id) is bounded by the limit too")
{
	unit::BtfBuilder b;
	int u64 = b.integer("unsigned long long", 8);
	int u32 = b.integer("unsigned int", 4);
	b.struct_("xdp_meta", 40, {{"rx_timestamp", u64, 0}, {"pad", b.array(u64, 4, u32), 64}});
	DiscoverOptions o;
	o.auto_discover = false;
	o.structs = {"xdp_meta"};
	auto layouts = discover_layouts(b.build(), o);
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 1);
	Query q;
	q.add<uint64_t>("rx_timestamp");
	DecoderOptions before68;
	before68.metadata_limit = kMetadataLimitBefore68;
	auto dec = Decoder::build(q, *layouts, before68);
	REQUIRE_FALSE(dec);
	CHECK_THAT(dec.error().message, Catch::Contains("xdp_meta"));
	CHECK(Decoder::build(q, *layouts));
}
