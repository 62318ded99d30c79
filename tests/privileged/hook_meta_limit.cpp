// The XDP metadata limit of the running kernel, probed for real (a test-run XDP program
// growing the metadata area until bpf_xdp_adjust_meta refuses), against what the kernel
// version says: 252 bytes from Linux 6.8 (255, a multiple of 4), 32 before.
#include <xdphints/hook/meta_limit.hpp>
#include <xdphints/query.hpp>

#include "hook_testing.hpp"

#include <sys/utsname.h>

#include <chrono>
#include <cstdio>

using namespace xdphints;
using namespace xdphints::hook;

TEST_CASE("metadata limit: the probe measures the running kernel's limit", "[hook][meta_limit][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	utsname u{};
	REQUIRE(uname(&u) == 0);
	int major = 0, minor = 0;
	REQUIRE(std::sscanf(u.release, "%d.%d", &major, &minor) == 2);
	const uint32_t expected = major > 6 || (major == 6 && minor >= 8) ? kMetadataLimitMax : kMetadataLimitBefore68;

	auto t0 = std::chrono::steady_clock::now();
	auto probed = probe_metadata_limit();
	auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
	INFO((probed ? std::string() : probed.error().message));
	REQUIRE(probed);
	INFO("kernel " << u.release << ": probed " << *probed << " bytes in " << ms << " ms");
	CHECK(*probed == expected);

	// Cached: the same answer, without a second program.
	auto a = kernel_metadata_limit();
	REQUIRE(a);
	CHECK(*a == *probed);
	t0 = std::chrono::steady_clock::now();
	auto b = kernel_metadata_limit();
	auto cached_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
	REQUIRE(b);
	CHECK(*b == *probed);
	CHECK(cached_us < 1000.0);
}

TEST_CASE("metadata limit: every built-in hook layout fits the probed limit", "[hook][meta_limit][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto lim = kernel_metadata_limit();
	REQUIRE(lim);
	auto t = xdphints::test::tapped_hook("hml");
	REQUIRE(t);
	Query q;
	q.add<uint64_t>("rx_timestamp");
	DecoderOptions o;
	o.metadata_limit = *lim;
	auto dec = Decoder::build(q, t->layouts, o);
	INFO((dec ? std::string() : dec.error().message));
	CHECK(dec);
	for (const auto &l : t->layouts)
		CHECK(l.size <= *lim);
}
