// The Catch2 main of every tier. A run in which some test case could not run for lack of
// privileges (privileged() said no, outside CI) and nothing failed exits with
// XDPHINTS_SKIP_RETURN_CODE, which ctest (SKIP_RETURN_CODE) reports as "Skipped": a tier
// that did not run is never reported as passed. Under CI=true privileged() fails instead.
// Built with XDPHINTS_TEST_PLACEMENT (the privileged and fault tiers), the run first leaves
// out the cases whose needs the kernel refuses, for the kernel tier (placement.hpp).
#define CATCH_CONFIG_RUNNER
#ifdef XDPHINTS_TEST_PLACEMENT
#include "placement.hpp"
#endif
#include "privileges.hpp"

#include <cstdio>

#ifndef XDPHINTS_SKIP_RETURN_CODE
#define XDPHINTS_SKIP_RETURN_CODE 77
#endif

int main(int argc, char *argv[])
{
	constexpr int kSkip = XDPHINTS_SKIP_RETURN_CODE;
	Catch::Session session;
#ifdef XDPHINTS_TEST_PLACEMENT
	xdphints::test::Placement placement;
	auto &o = placement.options;
	using Catch::clara::Opt;
	session.cli(session.cli() | Opt(o.record, "file")["--record"]("write where each case ran to this file (placement.hpp)") |
		    Opt(o.place, "name")["--place"]("where this run is, for the record (default: host)") |
		    Opt(o.only, "file")["--only"]("run only the cases named in this file, one name a line") |
		    Opt(o.plan_only)["--plan-only"]("probe the kernel, record the cases it refuses, run nothing") |
		    Opt(o.ignore_needs)["--ignore-needs"]("run the cases whose [needs:...] this kernel refuses too"));
#endif
	if (int rc = session.applyCommandLine(argc, argv))
		return rc;
#ifdef XDPHINTS_TEST_PLACEMENT
	if (auto rc = placement.plan(session.configData()))
		return *rc;
	session.useConfigData(session.configData()); // the spec narrowed to the cases that run here
#endif
	int failed = session.run();
#ifdef XDPHINTS_TEST_PLACEMENT
	placement.finish();
#endif
	if (failed)
		return failed == kSkip ? kSkip + 1 : failed; // a failure count never reads as skipped
	size_t skipped = xdphints::test::unprivileged_cases().size();
	if (skipped == 0)
		return 0;
	std::fprintf(stderr,
		     "%zu test case%s did not run: not root (run as root; under CI=true this is a failure). "
		     "Exit code %d: skipped, not passed.\n",
		     skipped, skipped == 1 ? "" : "s", kSkip);
	return kSkip;
}
