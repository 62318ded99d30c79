// The metadata limit without a kernel: the release's limit (the fallback when the probe
// cannot run) and the check that refuses, before load, a layout no write could fit.
#include "btf_builder.hpp"

#include <xdphints/hook/meta_limit.hpp>
#include <xdphints/query.hpp>

using namespace xdphints;
using namespace xdphints::hook;

TEST_CASE("metadata limit: from the kernel release, 32 bytes before 6.8 and 252 from 6.8")
{
	CHECK(metadata_limit_of_release("6.1.0-50-amd64") == 32);
	CHECK(metadata_limit_of_release("6.7.12") == 32);
	CHECK(metadata_limit_of_release("6.8.0-rc1") == 252);
	CHECK(metadata_limit_of_release("6.12.74+deb13-amd64") == 252);
	CHECK(metadata_limit_of_release("7.3.4+deb13-amd64") == 252);
	CHECK(metadata_limit_of_release("5.15.0") == 32);
	CHECK(metadata_limit_of_release("garbage") == 32); // the smaller limit when unsure
}

TEST_CASE("metadata limit: a layout larger than the limit is refused before load, naming it")
{
	unit::BtfBuilder b;
	int u64 = b.integer("unsigned long long", 8);
	int u32 = b.integer("unsigned int", 4);
	b.struct_("xdp_meta", 40, {{"rx_timestamp", u64, 0}, {"pad", b.array(u64, 4, u32), 64}});
	b.struct_("xdp_small", 32, {{"rx_timestamp", u64, 0}, {"pad", b.array(u64, 3, u32), 64}});
	DiscoverOptions o;
	o.auto_discover = false;
	o.structs = {"xdp_meta", "xdp_small"};
	auto layouts = discover_layouts(b.build(), o);
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 2);

	auto refused = check_layouts_fit(*layouts, {32, "probed"}, "hook object byo.bpf.o");
	REQUIRE_FALSE(refused);
	CHECK(refused.error().code == Errc::bad_layout);
	CHECK_THAT(refused.error().message,
		   Catch::StartsWith("hook object byo.bpf.o writes struct xdp_meta of 40 bytes, more than the 32 bytes of "
				     "XDP metadata this kernel accepts (probed;") &&
			   Catch::Contains("shrink the struct to at most 32 bytes, or run Linux >= 6.8"));
	// How the limit is known is said: a failed probe is not hidden.
	auto guessed = check_layouts_fit(*layouts, {32, "from the kernel release 6.1.0; the probe failed: EPERM"}, "x");
	REQUIRE_FALSE(guessed);
	CHECK_THAT(guessed.error().message, Catch::Contains("the probe failed: EPERM"));
	CHECK(check_layouts_fit(*layouts, {252, "probed"}, "x"));
	CHECK(check_layouts_fit(std::span<const Layout>(layouts->data() + 1, 1), {32, "probed"}, "x"));
}
