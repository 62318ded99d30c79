// xdp-hints-bench (`make bench`): receive throughput of AF_XDP with and without hints,
// against XDP_DROP and AF_PACKET, cost growth with layouts and queues, and hook-to-
// application latency, on a veth pair in namespaces of its own fed by the live-frames
// generator. Variants run in interleaved rounds (A B C A B C ...); every figure that
// matters is a ratio between variants of the same round, reported as the median over
// rounds. Writes a table to stdout, bench/results/latest.json and bench/results/bench.png.
#include "bench.hpp"
#include "report.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <fstream>
#include <sstream>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>

using namespace xdphints;
using namespace xdphints::bench;

namespace {

void on_signal(int) { g_stop.store(true); }

void install_signals()
{
	struct sigaction sa {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGHUP, &sa, nullptr);
}

// With autogroups (CONFIG_SCHED_AUTOGROUP, on by default) CPU time is shared fairly
// between sessions first and a nice value only counts inside its own session, so the
// benchmark raises its session's weight (/proc/self/autogroup) for the run and restores
// it on every exit path that runs destructors.
class AutogroupNice {
public:
	explicit AutogroupNice(int nice)
	{
		std::ifstream in("/proc/self/autogroup");
		std::string name, word;
		if (!(in >> name >> word >> old_) || word != "nice")
			return;
		std::ofstream out("/proc/self/autogroup");
		out << nice << std::flush;
		set_ = bool(out);
	}
	~AutogroupNice()
	{
		if (set_) {
			std::ofstream out("/proc/self/autogroup");
			out << old_ << std::flush;
		}
	}
	bool set() const noexcept { return set_; }
	AutogroupNice(const AutogroupNice &) = delete;
	AutogroupNice &operator=(const AutogroupNice &) = delete;

private:
	int old_ = 0;
	bool set_ = false;
};

std::vector<std::string> split(const std::string &s)
{
	std::vector<std::string> out;
	std::stringstream in(s);
	std::string x;
	while (std::getline(in, x, ','))
		if (!x.empty())
			out.push_back(x);
	return out;
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"xdp-hints-bench: AF_XDP receive with hints vs raw, XDP_DROP and AF_PACKET on veth"};
	unsigned rounds = 7;
	uint64_t packets = 2'000'000;
	std::string only;
	uint64_t lat_packets = 140'000;
	LatencyOptions lat;
	bool no_latency = false, no_plot = false;
	int nice = -10;
	std::string results = XDPHINTS_SOURCE_DIR "/bench/results";
	app.add_option("-r,--rounds", rounds, "interleaved rounds of every variant (>= 7 for the report)")->capture_default_str();
	app.add_option("-n,--packets", packets, "frames generated per round per variant")->capture_default_str();
	std::string names;
	for (const auto &v : variant_names())
		names += std::string(names.empty() ? "" : ",") + v.name;
	app.add_option("--variants", only, "comma-separated subset of: " + names);
	app.add_option("--latency-packets", lat_packets, "frames per latency mode, over all rounds")->capture_default_str();
	app.add_option("--latency-rate", lat.rate_pps, "offered load for latency, frames/s")->capture_default_str();
	app.add_option("--latency-burst", lat.burst, "frames sent back to back per pacing period for latency")->capture_default_str();
	app.add_flag("--no-latency", no_latency, "skip the latency part");
	bool no_rt = false;
	app.add_flag("--latency-no-rt", no_rt, "latency: run the receive loop SCHED_OTHER instead of SCHED_FIFO");
	app.add_flag("--no-plot", no_plot, "do not run bench/plot.py");
	app.add_option("--nice", nice, "scheduling priority of the benchmark's threads (the machine is shared)")->capture_default_str();
	app.add_option("--results", results, "directory for latest.json and bench.png")->capture_default_str();
	CLI11_PARSE(app, argc, argv);
	if (rounds == 0 || packets == 0 || lat.burst == 0 || lat.rate_pps <= 0) {
		std::fprintf(stderr, "xdp-hints-bench: rounds, packets, burst and rate must be positive\n");
		return 2;
	}
	if (::geteuid() != 0) {
		std::fprintf(stderr, "xdp-hints-bench: needs root (namespaces, XDP, AF_XDP); run `sudo make bench`\n");
		return 1;
	}
	if (std::thread::hardware_concurrency() < 2)
		std::fprintf(stderr, "xdp-hints-bench: warning: fewer than 2 CPUs; generator and receiver share one\n");
	lat.realtime = !no_rt;
	install_signals();
	// Before any thread starts: threads inherit it. Competing with builds and tests on a
	// 2-CPU machine, the generator and receive loops would otherwise measure the others.
	if (nice != 0 && ::setpriority(PRIO_PROCESS, 0, nice) != 0)
		std::fprintf(stderr, "xdp-hints-bench: warning: cannot set nice %d\n", nice);
	std::optional<AutogroupNice> group_nice;
	if (nice != 0)
		group_nice.emplace(nice);

	std::vector<std::string> want = only.empty() ? std::vector<std::string>{} : split(only);
	if (want.empty())
		for (const auto &v : variant_names())
			want.push_back(v.name);

	// Set everything up first: one pair of namespaces per variant, kept for all rounds.
	std::vector<std::unique_ptr<Variant>> vars;
	for (const auto &n : want) {
		std::fprintf(stderr, "xdp-hints-bench: setting up %s\n", n.c_str());
		auto v = make_variant(n, XDPHINTS_BENCH_BPF_DIR);
		if (!v) {
			std::fprintf(stderr, "xdp-hints-bench: %s: %s\n", n.c_str(), v.error().message.c_str());
			return 1;
		}
		vars.push_back(std::move(*v));
		if (g_stop)
			return 130;
	}

	Report rep;
	rep.rounds = rounds;
	rep.packets = packets;
	rep.setup = setup_description();
	std::fprintf(stderr, "xdp-hints-bench: generator %s\n", rep.setup["generator_why"].get<std::string>().c_str());
	std::fprintf(stderr, "xdp-hints-bench: hooks: %s\n", rep.setup["transport_why"].get<std::string>().c_str());
	rep.setup["nice"] = nice;
	rep.setup["autogroup_nice_set"] = group_nice && group_nice->set();
	for (auto &v : vars)
		rep.variants.push_back({v->name(), v->what(), {}});
	for (unsigned r = 0; r < rounds && !g_stop; r++) {
		std::fprintf(stderr, "round %u/%u:", r + 1, rounds);
		for (size_t i = 0; i < vars.size() && !g_stop; i++) {
			auto res = vars[i]->round(packets);
			if (!res) {
				std::fprintf(stderr, "\nxdp-hints-bench: %s: %s\n", vars[i]->name().c_str(), res.error().message.c_str());
				return 1;
			}
			rep.variants[i].rounds.push_back(*res);
			std::fprintf(stderr, " %s %.3f", vars[i]->name().c_str(), res->mpps());
		}
		std::fprintf(stderr, "\n");
	}
	vars.clear(); // namespaces go before the latency part sets up its own

	if (!no_latency && !g_stop) {
		rep.latency_opt = lat;
		rep.latency_packets = lat_packets;
		std::vector<std::unique_ptr<LatencyRig>> rigs;
		for (RxMode m : {RxMode::poll, RxMode::busy_poll, RxMode::spin}) {
			std::fprintf(stderr, "xdp-hints-bench: setting up latency (%s)\n", rx_mode_name(m));
			auto rig = LatencyRig::create(m);
			if (!rig) {
				std::fprintf(stderr, "xdp-hints-bench: latency %s: %s\n", rx_mode_name(m), rig.error().message.c_str());
				return 1;
			}
			rigs.push_back(std::move(*rig));
			rep.latency.push_back({m, {}, 0, 0, 0, 0});
		}
		uint64_t per_round = std::max<uint64_t>(1, lat_packets / rounds);
		for (unsigned r = 0; r < rounds && !g_stop; r++) {
			std::fprintf(stderr, "latency round %u/%u:", r + 1, rounds);
			for (size_t i = 0; i < rigs.size() && !g_stop; i++) {
				// The receive loop is SCHED_FIFO and spins in two modes; RT throttling (950 ms
				// per second by default) would stall the next mode for ~50 ms if spinning
				// rounds ran back to back. A pause keeps every second under the budget.
				if (lat.realtime)
					std::this_thread::sleep_for(std::chrono::milliseconds(600));
				auto res = rigs[i]->round(per_round, lat);
				if (!res) {
					std::fprintf(stderr, "\nxdp-hints-bench: latency: %s\n", res.error().message.c_str());
					return 1;
				}
				auto &l = rep.latency[i];
				l.ns.insert(l.ns.end(), res->hook_to_app_ns.begin(), res->hook_to_app_ns.end());
				l.sent += res->sent;
				l.received += res->received;
				l.not_software += res->not_software;
				l.offered_pps += res->offered_pps / rounds;
				l.realtime = l.realtime && res->realtime;
				std::fprintf(stderr, " %s %.0f pps", rx_mode_name(rigs[i]->mode()), res->offered_pps);
			}
			std::fprintf(stderr, "\n");
		}
	}
	if (g_stop) {
		std::fprintf(stderr, "xdp-hints-bench: interrupted; namespaces removed, no results written\n");
		return 130;
	}

	rep.print_table();
	std::filesystem::create_directories(results);
	std::string json_path = results + "/latest.json", png_path = results + "/bench.png";
	{
		std::ofstream out(json_path);
		out << rep.to_json(XDPHINTS_SOURCE_DIR).dump(1) << "\n";
		if (!out) {
			std::fprintf(stderr, "xdp-hints-bench: cannot write %s\n", json_path.c_str());
			return 1;
		}
	}
	std::printf("\nwrote %s\n", json_path.c_str());
	if (!no_plot && run_plot(XDPHINTS_SOURCE_DIR, json_path, png_path))
		std::printf("wrote %s\n", png_path.c_str());
	return 0;
}
