// XDPHINTS_TRY / XDPHINTS_TRY_STATUS (result.hpp) and the version header: what every
// example and application uses to unwrap Results, and what `--version` prints.
#include <xdphints/result.hpp>
#include <xdphints/version.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace xdphints;

namespace {

Result<int> parse(int v)
{
	if (v < 0)
		return Error(Errc::invalid_argument, "negative: " + std::to_string(v));
	return v;
}

Status check(bool ok)
{
	if (!ok)
		return Error(Errc::busy, "taken");
	return {};
}

int reached = 0;

// Move-only values come out of the Result (the factories' unique_ptr, Hook, ...).
Result<std::unique_ptr<int>> boxed(int v)
{
	XDPHINTS_TRY(x, parse(v));
	reached++;
	return std::make_unique<int>(x * 2);
}

Result<int> twice(int v, bool ok)
{
	XDPHINTS_TRY(b, boxed(v));
	XDPHINTS_TRY_STATUS(check(ok));
	reached++;
	return *b;
}

} // namespace

TEST_CASE("XDPHINTS_TRY unwraps a value or returns the Error unchanged", "[result]")
{
	reached = 0;
	auto ok = twice(21, true);
	REQUIRE(ok);
	CHECK(*ok == 42);
	CHECK(reached == 2);

	reached = 0;
	auto bad = twice(-1, true);
	REQUIRE(!bad);
	CHECK(bad.error().code == Errc::invalid_argument);
	CHECK(bad.error().message == "negative: -1");
	CHECK(reached == 0); // returned at the first TRY

	reached = 0;
	auto busy = twice(1, false);
	REQUIRE(!busy);
	CHECK(busy.error().code == Errc::busy);
	CHECK(reached == 1); // past the first TRY, returned at TRY_STATUS
}

TEST_CASE("version.hpp: the macros and the library agree", "[version]")
{
	std::string s = std::to_string(XDPHINTS_VERSION_MAJOR) + "." + std::to_string(XDPHINTS_VERSION_MINOR) + "." +
			std::to_string(XDPHINTS_VERSION_PATCH);
	CHECK(s == XDPHINTS_VERSION_STRING);
	CHECK(std::string(version()) == XDPHINTS_VERSION_STRING);
	CHECK(XDPHINTS_VERSION == XDPHINTS_VERSION_MAJOR * 10000 + XDPHINTS_VERSION_MINOR * 100 + XDPHINTS_VERSION_PATCH);
	CHECK(XDPHINTS_VERSION >= 200); // 0.2.0: the first installable release
}
