#pragma once
// Privileged tests run for real or fail: under CI=true a missing privilege is a failure,
// never a skip. Outside CI a developer without root gets a warning and the test returns;
// the tier's main (catch_main.cpp) then exits with ctest's skip code, so the tier reads
// "Skipped", never "Passed".
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <unistd.h>

namespace xdphints::test {

inline bool in_ci()
{
	const char *ci = std::getenv("CI");
	return ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

// The test cases that returned early for lack of root (by name: sections re-enter a case).
inline std::set<std::string> &unprivileged_cases()
{
	static std::set<std::string> names;
	return names;
}

// True when the test may go on. Call as: if (!xdphints::test::privileged()) return;
inline bool privileged()
{
	if (geteuid() == 0)
		return true;
	if (in_ci())
		FAIL("privileged test under CI=true, but not running as root: run CI as root");
	WARN("not root: privileged test not run (run as root, or under CI=true to make this fail)");
	unprivileged_cases().insert(Catch::getResultCapture().getCurrentTestName());
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
