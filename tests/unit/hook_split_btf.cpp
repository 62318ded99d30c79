// Split BTF from bytes, built at the edge (hints-hook/: a memfd, since libbpf 1.1 parses
// split BTF only from a file); lib/ then reads it like any other BTF.
#include "btf_builder.hpp"

#include <xdphints/hook/kernel_btf.hpp>
#include <xdphints/layout.hpp>

#include <bpf/btf.h>

using namespace xdphints;
using namespace xdphints::hook;

TEST_CASE("split BTF: a module's hint struct on top of a base")
{
	unit::BtfBuilder base;
	int u32 = base.integer("unsigned int", 4);
	int u64 = base.integer("unsigned long long", 8);
	Btf base_btf = base.build();
	// The split part is written on top of the parsed base (ids continue after it).
	struct btf *split = btf__new_empty_split(const_cast<struct btf *>(base_btf.get()));
	REQUIRE(split);
	int sid = btf__add_struct(split, "xdp_hints_mod", 16);
	REQUIRE(sid == 3);
	REQUIRE(btf__add_field(split, "mark", u32, 0, 0) == 0);
	REQUIRE(btf__add_field(split, "btf_full_id", u64, 64, 0) == 0);
	uint32_t size = 0;
	const void *raw = btf__raw_data(split, &size);
	std::vector<uint8_t> bytes(static_cast<const uint8_t *>(raw), static_cast<const uint8_t *>(raw) + size);
	btf__free(split);

	auto mod = btf_from_bytes_split(bytes.data(), bytes.size(), base_btf);
	INFO((mod ? std::string() : mod.error().message));
	REQUIRE(mod);
	auto l = discover_layouts(*mod);
	REQUIRE(l);
	REQUIRE(l->size() == 1);
	CHECK((*l)[0].type_id == 3);
	CHECK((*l)[0].fields[0].type == "unsigned int");
	CHECK_THAT(mod->origin(), Catch::Contains("split BTF on"));
	// Without its base the same bytes do not parse.
	CHECK_FALSE(Btf::from_bytes(bytes.data(), bytes.size()));
	// Cut short: an error that says what was parsed on what.
	auto cut = btf_from_bytes_split(bytes.data(), bytes.size() - 3, base_btf);
	REQUIRE_FALSE(cut);
	CHECK(cut.error().code == Errc::malformed_btf);
	CHECK_THAT(cut.error().message, Catch::Contains(std::to_string(bytes.size() - 3) + " bytes of split BTF"));
}
