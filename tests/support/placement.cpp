#include "placement.hpp"

#include "needs.hpp"
#include "privileges.hpp"

#include <xdphints/hook/transport.hpp>

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <vector>

namespace xdphints::test {

namespace {

Placement *g_active = nullptr; // the Placement of this process, once planned

// Records each case as it ends, so a run that crashes half-way still says what ran.
struct PlacementListener : Catch::TestEventListenerBase {
	using TestEventListenerBase::TestEventListenerBase;
	void testCaseEnded(const Catch::TestCaseStats &s) override
	{
		if (g_active)
			g_active->case_ended(s.testInfo.name, s.totals.assertions.failed > 0 || s.totals.testCases.failed > 0);
		TestEventListenerBase::testCaseEnded(s);
	}
};

// "xdphints-privileged-tests" -> "privileged".
std::string tier_of(const std::string &exe)
{
	std::string base = std::filesystem::path(exe).filename();
	if (base.rfind("xdphints-", 0) == 0)
		base.erase(0, 9);
	if (base.size() > 6 && base.compare(base.size() - 6, 6, "-tests") == 0)
		base.erase(base.size() - 6);
	return base;
}

// A name as a Catch2 test spec that matches exactly it: quoted, with the characters the
// spec parser treats specially inside quotes escaped (',' would end the filter).
std::string quoted(const std::string &name)
{
	std::string s = "\"";
	for (char c : name) {
		if (c == '\\' || c == ',' || c == '"')
			s += '\\';
		s += c;
	}
	return s + '"';
}

std::string lower(std::string s)
{
	std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
	return s;
}

std::string cases(size_t n)
{
	return std::to_string(n) + (n == 1 ? " case" : " cases");
}

int fail(const std::string &why)
{
	std::cerr << "placement: " << why << "\n";
	return 2;
}

} // namespace

CATCH_REGISTER_LISTENER(PlacementListener)

void Placement::record(const std::string &line)
{
	if (record_.is_open())
		record_ << line << '\n' << std::flush;
}

std::optional<int> Placement::plan(Catch::ConfigData &data)
{
	if (data.listTests || data.listTestNamesOnly || data.listTags || data.listReporters || data.showHelp ||
	    data.libIdentify)
		return std::nullopt;

	// The cases the command line selects, and of those the ones --only names.
	Catch::Config config(data);
	const auto &all = Catch::getAllTestCasesSorted(config);
	auto selected = Catch::filterTests(all, config.testSpec(), config);
	if (!options.only.empty()) {
		std::ifstream in(options.only);
		if (!in)
			return fail("--only " + options.only + ": cannot read it");
		std::set<std::string> names;
		for (std::string line; std::getline(in, line);)
			if (!line.empty())
				names.insert(line);
		for (const auto &n : names)
			if (std::none_of(all.begin(), all.end(), [&](const Catch::TestCase &t) { return t.name == n; }))
				return fail("--only " + options.only + ": \"" + n + "\" is no test case of this binary");
		std::erase_if(selected, [&](const Catch::TestCase &t) { return !names.count(t.name); });
	}

	// The transport of this run: the library's own choice (XDP_HINTS_TRANSPORT, else meta
	// where the kernel gives the metadata area, prefix otherwise), and its one-line reason.
	const bool root = geteuid() == 0;
	const char *env = std::getenv(hook::kTransportEnv);
	const std::string forced = env ? env : "";
	if (auto unknown = unknown_refusals(); !unknown.empty())
		return fail("XDPHINTS_TEST_REFUSE names " + unknown.front() + ", which is no need (meta, live-frames, phc)");
	std::string transport_why;
	if (!root) {
		transport_ = forced.empty() ? "unknown (not root)" : forced;
	} else if (auto choice = hook::choose_transport_for(hook::Transport::automatic)) {
		transport_ = hook::transport_name(choice->transport);
		transport_why = choice->reason;
	} else {
		return fail(choice.error().message); // e.g. XDP_HINTS_TRANSPORT=meta on a kernel that refuses it
	}

	// Which selected cases run here; the others with the need refused and why.
	struct LeftOut {
		std::string name, need, why;
	};
	std::vector<std::string> here;
	std::vector<LeftOut> left;
	for (const auto &tc : selected) {
		std::optional<LeftOut> out;
		for (const auto &tag : tc.tags) {
			std::string t = lower(tag);
			if (t.rfind("needs:", 0) != 0)
				continue;
			std::string need = t.substr(6);
			if (!is_need(need))
				return fail("test case \"" + tc.name + "\": [" + tag + "] is no need (meta, live-frames, phc)");
			if (!root || options.ignore_needs || out)
				continue; // unprivileged: privileges.hpp says so in each case
			if (const Need *n = find_need(need); !n->allowed)
				out = LeftOut{tc.name, need, n->why};
			else if (need == "meta" && transport_ != "meta")
				out = LeftOut{tc.name, need,
					      "this run's transport is " + transport_ +
						      (forced.empty() ? "" : " (XDP_HINTS_TRANSPORT)") +
						      ", and the case needs the metadata area"};
		}
		if (out)
			left.push_back(*out);
		else
			here.push_back(tc.name);
	}
	left_out_ = left.size();

	// The record's head and what is left out here.
	if (!options.record.empty()) {
		std::error_code ec;
		if (auto dir = std::filesystem::path(options.record).parent_path(); !dir.empty())
			std::filesystem::create_directories(dir, ec);
		record_.open(options.record, std::ios::trunc);
		if (!record_)
			return fail("--record " + options.record + ": cannot write it");
		std::error_code exe_ec;
		const std::string exe = std::filesystem::read_symlink("/proc/self/exe", exe_ec).string();
		struct stat st {};
		stat("/proc/self/exe", &st);
		utsname u{};
		uname(&u);
		record("meta\ttier\t" + tier_of(exe));
		record("meta\tplace\t" + options.place);
		record("meta\ttransport\t" + transport_);
		record("meta\tkernel\t" + std::string(u.release));
		record("meta\tbinary\t" + exe);
		record("meta\tbinary_mtime_ns\t" +
		       std::to_string(int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec));
		for (const auto &l : left)
			record("refused\t" + l.need + "\t" + l.why + "\t" + l.name);
	}

	// Said before the run: where, under which transport, and what is left out and why.
	std::cerr << "placement: " << options.place << " (Linux " << [] {
		utsname u{};
		uname(&u);
		return std::string(u.release);
	}() << "), " << (transport_why.empty() ? "transport " + transport_ : transport_why) << ": " << here.size()
		  << " of " << selected.size() << " selected cases run here";
	if (!left.empty()) {
		std::map<std::string, std::vector<const LeftOut *>> by_need;
		for (const auto &l : left)
			by_need[l.need].push_back(&l);
		std::cerr << ", " << left.size()
			  << (options.place == "host" ? " left to the kernel tier (ctest -L kernels runs them in a guest)"
						      : " left out here")
			  << (options.record.empty() ? "" : ", recorded in " + options.record) << ":\n";
		for (const auto &[need, cases] : by_need) {
			std::cerr << "  needs " << need << " (" << cases.size() << "): " << cases.front()->why << "\n";
			for (const auto *l : cases)
				std::cerr << "    " << l->name << "\n";
		}
	} else {
		std::cerr << "\n";
	}
	std::cerr << std::flush;
	g_active = this;
	planned_ = true;

	if (options.plan_only)
		return 0;
	if (here.empty()) {
		std::cerr << "placement: no case to run here\n";
		return 0;
	}
	if (!left.empty() || !options.only.empty()) {
		// Narrow the spec to exactly the cases that run here, by name.
		std::string spec;
		for (const auto &name : here)
			spec += (spec.empty() ? "" : ",") + quoted(name);
		data.testsOrTags = {spec};
	}
	return std::nullopt;
}

void Placement::case_ended(const std::string &name, bool failed)
{
	if (unprivileged_cases().count(name)) {
		skipped_++;
		record("skipped\tnot root\t" + name);
		return;
	}
	ran_++;
	failed_ += failed ? 1 : 0;
	record(std::string("ran\t") + (failed ? "failed" : "passed") + "\t" + name);
}

void Placement::finish() const
{
	if (!planned_)
		return;
	std::cerr << "placement: " << options.place << ": " << cases(ran_) << " ran here under transport " << transport_
		  << " (" << failed_ << " failed)";
	if (skipped_)
		std::cerr << ", " << skipped_ << " returned early (not root)";
	if (left_out_)
		std::cerr << ", " << left_out_ << (options.place == "host" ? " left to the kernel tier" : " left out here");
	std::cerr << "\n";
}

} // namespace xdphints::test
