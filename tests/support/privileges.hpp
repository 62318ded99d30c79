#pragma once
// Privileged tests run for real or fail: under CI=true a missing privilege is a failure,
// never a skip. Outside CI a developer without root gets a warning and the test returns.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace xdphints::test {

inline bool in_ci()
{
	const char *ci = std::getenv("CI");
	return ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

// True when the test may go on. Call as: if (!xdphints::test::privileged()) return;
inline bool privileged()
{
	if (geteuid() == 0)
		return true;
	if (in_ci())
		FAIL("privileged test under CI=true, but not running as root: run CI as root");
	WARN("not root: privileged test not run (run as root, or under CI=true to make this fail)");
	return false;
}

} // namespace xdphints::test

// REQUIRE that an xdphints::Result holds a value; on failure the test stops with the
// error's message (cause and fix).
#define REQUIRE_OK(r)                                                                        \
	do {                                                                                 \
		if (!(r))                                                                    \
			FAIL((r).error().to_string());                                       \
	} while (0)
