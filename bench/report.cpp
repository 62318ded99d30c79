#include "report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <spawn.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

namespace xdphints::bench {

Summary summarize(std::vector<double> v)
{
	Summary s;
	if (v.empty())
		return s;
	std::sort(v.begin(), v.end());
	size_t n = v.size();
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.min = v.front();
	s.max = v.back();
	return s;
}

std::vector<double> VariantRounds::mpps() const
{
	std::vector<double> v;
	for (const auto &r : rounds)
		v.push_back(r.mpps());
	return v;
}

const std::vector<Ratio> &ratios()
{
	static const std::vector<Ratio> r = {
		{"hints_1/raw", "hints_1", "raw", 0.97},
		{"hints_all/raw", "hints_all", "raw", 0.90},
		{"hints_1/af_packet", "hints_1", "af_packet", 3.0},
		{"name_lookup/hints_all", "name_lookup", "hints_all", 0},
		{"dump_json/hints_all", "dump_json", "hints_all", 0.5},
		{"dump_pcapng/hints_all", "dump_pcapng", "hints_all", 0.8},
		{"raw/xdp_drop", "raw", "xdp_drop", 0},
		{"hints_hash/raw", "hints_hash", "raw", 0},
		{"layouts_8/layouts_1", "layouts_8", "layouts_1", 0.90},
		{"layouts_64/layouts_1", "layouts_64", "layouts_1", 0.90},
		{"queues_2/hints_1", "queues_2", "hints_1", 0},
	};
	return r;
}

const VariantRounds *Report::find(const std::string &n) const
{
	for (const auto &v : variants)
		if (v.name == n)
			return &v;
	return nullptr;
}

std::optional<Summary> Report::ratio(const char *num, const char *den) const
{
	const VariantRounds *a = find(num), *b = find(den);
	if (!a || !b)
		return std::nullopt;
	std::vector<double> r;
	for (size_t i = 0; i < std::min(a->rounds.size(), b->rounds.size()); i++)
		if (b->rounds[i].mpps() > 0)
			r.push_back(a->rounds[i].mpps() / b->rounds[i].mpps());
	if (r.empty())
		return std::nullopt;
	return summarize(r);
}

namespace {

double pct(const std::vector<uint32_t> &sorted, double p)
{
	if (sorted.empty())
		return 0;
	size_t i = size_t(p / 100.0 * double(sorted.size() - 1) + 0.5);
	return sorted[std::min(i, sorted.size() - 1)];
}

uint64_t sum(const VariantRounds &v, uint64_t RoundResult::*f)
{
	uint64_t s = 0;
	for (const auto &r : v.rounds)
		s += r.*f;
	return s;
}

std::string first_line(const std::string &cmd)
{
	std::string out;
	if (FILE *p = ::popen(cmd.c_str(), "r")) {
		char buf[256];
		if (std::fgets(buf, sizeof(buf), p))
			out = buf;
		::pclose(p);
	}
	while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
		out.pop_back();
	return out;
}

std::string cpu_model()
{
	std::ifstream in("/proc/cpuinfo");
	std::string line;
	while (std::getline(in, line))
		if (line.rfind("model name", 0) == 0)
			return line.substr(line.find(':') + 2);
	return "";
}

nlohmann::json machine(const std::string &source_dir)
{
	nlohmann::json m;
	utsname u{};
	::uname(&u);
	m["kernel"] = std::string(u.release) + " " + u.version;
	m["arch"] = u.machine;
	m["cpu"] = cpu_model();
	m["cpus"] = std::thread::hardware_concurrency();
	std::string virt = first_line("systemd-detect-virt 2>/dev/null");
	m["virtualization"] = virt.empty() ? "unknown" : virt;
	m["hypervisor_cpu_flag"] = first_line("grep -c -m1 -w hypervisor /proc/cpuinfo") == "1";
	m["compiler"] = __VERSION__;
	m["git"] = first_line("git -C '" + source_dir + "' describe --always --dirty 2>/dev/null");
	m["date"] = first_line("date -u +%Y-%m-%dT%H:%M:%SZ");
	m["afxdp_mode"] = "copy (veth has no zero-copy)";
	return m;
}

} // namespace

void Report::print_table() const
{
	std::printf("\nreceive throughput, %u interleaved rounds of %llu frames (64 B UDP, 8 flows)\n", rounds,
		    (unsigned long long)packets);
	std::printf("generator: %s\n", setup.value("generator_why", std::string("?")).c_str());
	std::printf("hooks: %s\n", setup.value("transport_why", std::string("?")).c_str());
	std::printf("%-12s %8s %8s %8s %10s %9s %9s  %s\n", "variant", "Mpps med", "min", "max", "recv/sent", "xmit_err",
		    "sock_drop", "what");
	for (const auto &v : variants) {
		Summary s = summarize(v.mpps());
		uint64_t sent = sum(v, &RoundResult::sent), recv = sum(v, &RoundResult::received);
		std::printf("%-12s %8.3f %8.3f %8.3f %10.4f %9llu %9llu  %s\n", v.name.c_str(), s.median, s.min, s.max,
			    sent ? double(recv) / double(sent) : 0.0, (unsigned long long)sum(v, &RoundResult::xmit_errors),
			    (unsigned long long)sum(v, &RoundResult::socket_drops), v.what.c_str());
		uint64_t ver = sum(v, &RoundResult::verified);
		if (ver != recv)
			std::printf("%-12s   !! %llu of %llu frames came without the expected hint/timestamp (dump_*: or their record was dropped, the writer behind)\n", "",
				    (unsigned long long)(recv - ver), (unsigned long long)recv);
	}
	std::printf("\nratios (median of per-round ratios; min..max)\n");
	for (const auto &r : ratios()) {
		auto s = ratio(r.num, r.den);
		if (!s)
			continue;
		std::string verdict = r.target > 0 ? fmt::format("target >= {:.2f}: {}", r.target,
								 s->median >= r.target ? "met" : "NOT met")
						   : "";
		std::printf("  %-22s %7.3f  (%.3f..%.3f)  %s\n", r.name, s->median, s->min, s->max, verdict.c_str());
	}
	if (!latency.empty()) {
		std::printf("\nhook -> application latency (hook's CLOCK_TAI software timestamp), %.0f pps offered in bursts of %u,"
			    " receive loop %s\n",
			    latency_opt.rate_pps, latency_opt.burst, latency.front().realtime ? "SCHED_FIFO" : "SCHED_OTHER");
		std::printf("  %-10s %9s %9s %9s %9s %9s %10s\n", "mode", "p50 ns", "p99 ns", "p999 ns", "max ns", "samples",
			    "recv/sent");
		for (const auto &l : latency) {
			auto s = l.ns;
			std::sort(s.begin(), s.end());
			std::printf("  %-10s %9.0f %9.0f %9.0f %9.0f %9zu %10.4f\n", rx_mode_name(l.mode), pct(s, 50), pct(s, 99),
				    pct(s, 99.9), s.empty() ? 0.0 : double(s.back()), s.size(),
				    l.sent ? double(l.received) / double(l.sent) : 0.0);
		}
	}
	std::fflush(stdout);
}

nlohmann::json Report::to_json(const std::string &source_dir) const
{
	using nlohmann::json;
	json j;
	j["rounds"] = rounds;
	j["packets_per_round"] = packets;
	j["frame"] = {{"bytes", 64}, {"flows", 8}, {"proto", "IPv4/UDP"}};
	json mpps = json::object(), per_round = json::object(), loss = json::object(), what = json::object();
	for (const auto &v : variants) {
		Summary s = summarize(v.mpps());
		mpps[v.name] = {{"median", s.median}, {"min", s.min}, {"max", s.max}};
		per_round[v.name] = v.mpps();
		uint64_t sent = sum(v, &RoundResult::sent), recv = sum(v, &RoundResult::received);
		loss[v.name] = {{"sent", sent},
				{"received", recv},
				{"received_over_sent", sent ? double(recv) / double(sent) : 0.0},
				{"verified", sum(v, &RoundResult::verified)},
				{"veth_xmit_errors", sum(v, &RoundResult::xmit_errors)},
				{"socket_drops", sum(v, &RoundResult::socket_drops)}};
		what[v.name] = v.what;
	}
	json order = json::array();
	for (const auto &v : variants)
		order.push_back(v.name);
	j["order"] = order; // the run's variant order (JSON objects are sorted by key)
	j["mpps"] = mpps;
	j["per_round_mpps"] = per_round;
	j["loss"] = loss;
	j["variants"] = what;
	json rat = json::object(), rat_range = json::object(), targets = json::object();
	for (const auto &r : ratios()) {
		auto s = ratio(r.num, r.den);
		if (!s)
			continue;
		rat[r.name] = s->median;
		rat_range[r.name] = {{"median", s->median}, {"min", s->min}, {"max", s->max}};
		if (r.target > 0)
			targets[r.name] = {{"target", r.target}, {"value", s->median}, {"met", s->median >= r.target}};
	}
	j["ratios"] = rat;
	j["ratio_ranges"] = rat_range;
	j["targets"] = targets;
	json lat = json::object();
	for (const auto &l : latency) {
		auto s = l.ns;
		std::sort(s.begin(), s.end());
		json cdf = json::array();
		for (double p : {0.1, 1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.5, 99.9, 99.95, 99.99})
			cdf.push_back({p, pct(s, p)});
		// A thinned copy of the samples for the histogram in the plot.
		json thin = json::array();
		size_t step = std::max<size_t>(1, l.ns.size() / 20000);
		for (size_t i = 0; i < l.ns.size(); i += step)
			thin.push_back(l.ns[i]);
		lat[rx_mode_name(l.mode)] = {{"p50", pct(s, 50)},
					     {"p99", pct(s, 99)},
					     {"p999", pct(s, 99.9)},
					     {"max", s.empty() ? 0.0 : double(s.back())},
					     {"samples", s.size()},
					     {"sent", l.sent},
					     {"received", l.received},
					     {"not_software_timestamp", l.not_software},
					     {"offered_pps", l.offered_pps},
					     {"receiver_sched_fifo", l.realtime},
					     {"burst", latency_opt.burst},
					     {"cdf", cdf},
					     {"samples_thinned", thin}};
	}
	j["latency_ns"] = lat;
	j["setup"] = setup;
	j["machine"] = machine(source_dir);
	return j;
}

bool run_plot(const std::string &source_dir, const std::string &json_path, const std::string &png_path)
{
	// Debian's python3-matplotlib lives with the system python, not a pyenv shim's.
	std::string py = ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	std::string script = source_dir + "/bench/plot.py";
	std::vector<std::string> args = {py, script, json_path, png_path};
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	pid_t pid;
	if (posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
		std::fprintf(stderr, "xdp-hints-bench: cannot run %s; no plot (install python3-matplotlib)\n", py.c_str());
		return false;
	}
	int st = 0;
	if (::waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		std::fprintf(stderr, "xdp-hints-bench: %s failed; no plot (needs python3-matplotlib)\n", script.c_str());
		return false;
	}
	return true;
}

} // namespace xdphints::bench
