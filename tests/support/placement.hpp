#pragma once
// Where each case of the privileged and fault tiers runs. Every case runs somewhere: on the
// host when its kernel gives what the case needs ([needs:NAME] tags, support/needs.hpp), in a
// guest of the kernel tier otherwise (tests/kernels/README.md), and tests/kernels/
// check-placement fails a CI run in which some case ran nowhere.
//
// The tiers' main (catch_main.cpp) gives the binary these options and hands the applied
// command line to a Placement:
//   --record FILE    this run's placement record (below); ctest gives the host's
//                    (build/tests/placement/TIER.placement), the kernel tier its guests'
//   --place NAME     where this run is, for the record (default: host)
//   --only FILE      run only the cases named in FILE (one name a line), among those the
//                    test spec selects
//   --plan-only      probe and record what would be left out, run nothing
//   --ignore-needs   run the cases this kernel refuses too (to see how they fail)
// Before the run it probes the kernel once, takes out of the selected cases those whose
// needs the kernel refuses (and, under the prefix transport, those that need the metadata
// area), says so with the reasons, and records them. A case can say what it needs; a case
// tagged [transport] is sensitive to how hints travel, and the kernel tier runs it under both
// transports (XDP_HINTS_TRANSPORT=meta and =prefix).
//
// The record (tab-separated; the case name last, as it may hold anything but a newline):
//   meta     KEY       VALUE            tier, place, transport, kernel, binary, binary_mtime_ns
//   refused  NEED      WHY       NAME   left out here: the kernel refuses NEED, because WHY
//   ran      passed|failed       NAME   one line as each case ends (a crash keeps the lines so far)
//   skipped  WHY                 NAME   returned early: not root (privileges.hpp)
// The transport is XDP_HINTS_TRANSPORT when set, else the one the library chooses: meta where
// the kernel gives the metadata area, prefix otherwise.
// Catch2's Config and reporter interfaces (ConfigData, the listener), defined on request.
#ifndef CATCH_CONFIG_EXTERNAL_INTERFACES
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#endif
#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <string>

namespace xdphints::test {

class Placement {
public:
	// The command-line options above (catch_main.cpp adds them to the session's parser).
	struct Options {
		std::string record, place = "host", only;
		bool plan_only = false, ignore_needs = false;
	} options;

	Placement() = default;
	Placement(const Placement &) = delete;
	Placement &operator=(const Placement &) = delete;

	// After the command line is applied to `data`: probes, narrows data's test spec to the
	// cases that run here (the caller hands data back to the session) and writes the
	// record's head. An exit code when the process must end now (--plan-only, nothing to
	// run here, an error), nullopt to go on with the run.
	std::optional<int> plan(Catch::ConfigData &data);
	// A case ended (from the listener): its line in the record.
	void case_ended(const std::string &name, bool failed);
	// After the run: how many cases ran here, under which transport, how many not.
	void finish() const;

private:
	void record(const std::string &line);

	bool planned_ = false;
	std::string transport_;
	size_t left_out_ = 0, ran_ = 0, failed_ = 0, skipped_ = 0;
	std::ofstream record_;
};

} // namespace xdphints::test
