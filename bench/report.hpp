#pragma once
// Summaries, the stdout table, latest.json and the plot.
#include "bench.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xdphints::bench {

struct Summary {
	double median = 0, min = 0, max = 0;
};
Summary summarize(std::vector<double> v);

struct VariantRounds {
	std::string name;
	std::string what;
	std::vector<RoundResult> rounds;
	std::vector<double> mpps() const;
};

struct LatencySeries {
	RxMode mode;
	std::vector<uint32_t> ns; // every sample of every round
	uint64_t sent = 0, received = 0, not_software = 0;
	double offered_pps = 0; // mean over rounds
	bool realtime = true;   // every round's receive loop ran SCHED_FIFO
};

struct Ratio {
	const char *name; // "hints_1/raw"
	const char *num;
	const char *den;
	double target = 0;   // 0: none
	bool at_least = true; // target is a lower bound
};
const std::vector<Ratio> &ratios();

struct Report {
	unsigned rounds = 0;
	uint64_t packets = 0;
	std::vector<VariantRounds> variants;
	std::vector<LatencySeries> latency;
	LatencyOptions latency_opt;
	uint64_t latency_packets = 0;
	nlohmann::json setup = nlohmann::json::object(); // how the run was made (CPUs, rings, priority)

	const VariantRounds *find(const std::string &n) const;
	// Median over rounds of num/den, nullopt when either is missing.
	std::optional<Summary> ratio(const char *num, const char *den) const;

	void print_table() const;
	nlohmann::json to_json(const std::string &source_dir) const;
};

// Runs bench/plot.py on the JSON; false (with a message) when it could not.
bool run_plot(const std::string &source_dir, const std::string &json_path, const std::string &png_path);

} // namespace xdphints::bench
