// hw_timestamps: per packet, the RX timestamp from the hints in CLOCK_TAI and CLOCK_REALTIME
// with its error bound, and the latency to the application's receive time as a histogram
// with p50/p99/p999 at exit; says whether the timestamps are the NIC's (hardware) or the
// hook's software fallback (CLOCK_TAI at the XDP hook).
//
//   hw_timestamps IFNAME [--queue N] [--count N]   on a device: hook attached, detached at exit
//                 [--spin 1]                       busy-poll the ring instead of sleeping in poll(2)
//                 [--print N]                      print the first N packets' times (default 5)
//   hw_timestamps [--count N]                      self-contained: a veth pair in its own
//                                                  namespaces, traffic from the live-frames generator
//
// Hardware timestamps are in the NIC's clock (PHC). The example measures the PHC against
// the system clock (hook::PhcClock, refreshed once a second on a thread of its own) and
// converts each one, so the latency is right whether or not phc2sys keeps the PHC on TAI.
// Hardware RX timestamping is turned on for the run when it is off (and put back at exit);
// a filter someone else set (ptp4l) is left and said. Ctrl-C stops early and still prints
// the summary.
#include "example_env.hpp"

#include <xdphints/edge/ptp.hpp>
#include <xdphints/hook/clock.hpp>
#include <xdphints/hook/phc_clock.hpp>

#include <xdphints/af_xdp/socket.hpp>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

namespace {

struct Args {
	std::string ifname;
	uint32_t queue = 0;
	uint64_t count = 100000;
	uint64_t spin = 0; // 1: poll without sleeping (a core for lower, steadier latency)
	uint64_t print = 5; // packets whose times are printed
};

namespace hk = xdphints::hook;

// "2026-11-30 18:05:01.123456789" for ns since the epoch (UTC-style fields; TAI is 37 s on).
std::string civil(int64_t ns)
{
	time_t s = time_t(ns / 1000000000);
	tm t{};
	gmtime_r(&s, &t);
	char b[64];
	std::snprintf(b, sizeof(b), "%04d-%02d-%02d %02d:%02d:%02d.%09lld", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
		      t.tm_hour, t.tm_min, t.tm_sec, (long long)(ns % 1000000000));
	return b;
}

void print_summary(std::vector<uint64_t> &lat, uint64_t hw, uint64_t sw, uint64_t none)
{
	std::printf("packets with a timestamp: %zu (hardware %lu, software %lu), without: %lu\n", lat.size(),
		    (unsigned long)hw, (unsigned long)sw, (unsigned long)none);
	if (hw && !sw)
		std::printf("timestamps: HARDWARE (the NIC's PHC, converted to CLOCK_TAI by the measured fit)\n");
	else if (sw && !hw)
		std::printf("timestamps: SOFTWARE (the driver gave none; the hook's CLOCK_TAI fallback at XDP time)\n");
	else if (sw && hw)
		std::printf("timestamps: MIXED hardware and software\n");
	if (lat.empty())
		return;
	std::sort(lat.begin(), lat.end());
	auto pct = [&](double q) { return double(lat[std::min(lat.size() - 1, size_t(q * double(lat.size())))]) / 1e3; };
	std::printf("latency hint timestamp -> application: p50 %.1f us, p99 %.1f us, p999 %.1f us, max %.1f us\n",
		    pct(0.50), pct(0.99), pct(0.999), double(lat.back()) / 1e3);
	// log2 histogram in microseconds
	uint64_t buckets[32] = {};
	for (uint64_t v : lat) {
		uint64_t us = v / 1000;
		unsigned b = 0;
		while (us >> b && b < 31)
			b++;
		buckets[b]++;
	}
	uint64_t peak = *std::max_element(std::begin(buckets), std::end(buckets));
	for (unsigned b = 0; b < 32; b++) {
		if (!buckets[b])
			continue;
		uint64_t lo = b ? 1ull << (b - 1) : 0, hi = 1ull << b;
		int bar = int(50 * buckets[b] / peak);
		std::printf("  [%7lu, %7lu) us %9lu %.*s\n", (unsigned long)lo, (unsigned long)hi, (unsigned long)buckets[b], bar,
			    "##################################################");
	}
}

Status run(const Args &a)
{
	std::unique_ptr<example::Veths> veths; // self-contained mode
	int ifindex;
	if (a.ifname.empty()) {
		XDPHINTS_TRY(v, example::Veths::make("hwts", false));
		veths = std::move(v);
		ifindex = veths->bed.rx().ifindex;
	} else {
		XDPHINTS_TRY(i, example::ifindex_of(a.ifname));
		ifindex = i;
	}

	XDPHINTS_TRY(dev, example::HookedDevice::attach(ifindex, true));
	if (auto &rx = dev.hook.rx_timestamping())
		std::printf("hw_timestamps: %s\n", rx->describe().c_str());
	for (auto &line : dev.hook.restored())
		std::printf("hw_timestamps: %s\n", line.c_str());
	// The PHC, when the device has one: its timestamps are converted with this fit.
	std::optional<hk::PhcClock> clk;
	std::optional<hk::PhcRefresher> refresher;
	if (auto c = hk::PhcClock::open(dev.hook.ifname())) {
		clk.emplace(std::move(*c));
		refresher.emplace(*clk);
		std::printf("hw_timestamps: PHC %s\n", clk->status().describe().c_str());
	} else {
		std::printf("hw_timestamps: no PHC: %s\n", c.error().message.c_str());
	}
	const int64_t tai_ns = xdphints::edge::tai_offset_s() * 1000000000;
	// Software timestamps are CLOCK_TAI readings; hardware ones need the PHC fit.
	auto to_system = [&](const xdphints::Hints &h, xdphints::Field<uint64_t> f, hk::TimeBase base) -> hk::SystemTime {
		if (clk)
			return clk->rx_time(h, f, base);
		auto t = h.get(f);
		if (!t || !h.software(f))
			return {};
		return {int64_t(*t) - (base == hk::TimeBase::tai ? 0 : tai_ns), 0, true};
	};
	xdphints::Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	XDPHINTS_TRY(dec, xdphints::Decoder::build(q, dev.layouts));
	XDPHINTS_TRY(umem, ax::Umem::create({}));
	ax::SocketConfig sc;
	sc.ifindex = ifindex;
	sc.queue = a.queue;
	sc.xsks_map_fd = dev.hook.xsks_map_fd();
	sc.hints_prefix = dev.hook.hints_prefix();
	XDPHINTS_TRY(xsk, ax::XskSocket::create(umem, sc));
	std::printf("hw_timestamps: %s queue %u, %s mode, hook '%s'\n", dev.hook.ifname().c_str(), a.queue,
		    ax::xsk_mode_name(xsk->mode()), dev.hook.hook_name().c_str());

	// Self-contained mode: paced bursts, so the latency is the path's, not a full ring's.
	example::Background gen;
	std::optional<tb::LiveGen> lg;
	if (veths) {
		auto &bed = veths->bed;
		XDPHINTS_TRY(g, tb::LiveGen::create(bed.tx_ns, bed.tx().ifindex, tb::GenOptions::between(bed.tx(), bed.rx())));
		lg.emplace(std::move(g));
		gen.start([&] { example::paced({{&*lg, 32}}, a.count, std::chrono::microseconds(50)); });
	}

	std::vector<uint64_t> lat;
	lat.reserve(a.count); // no allocation per packet
	uint64_t hw = 0, sw = 0, none = 0, got = 0, idle_since = 0, unconverted = 0;
	while (got < a.count && !example::stop_flag()) {
		uint32_t n = xsk->poll_hints(dec, [&](const ax::Frame &, const xdphints::Hints &h) {
			int64_t now = int64_t(xdphints::hook::software_clock_ns()); // CLOCK_TAI
			auto raw = h.get(ts);
			if (!raw) {
				none++;
				return;
			}
			bool is_sw = h.software(ts);
			(is_sw ? sw : hw)++;
			hk::SystemTime tai = to_system(h, ts, hk::TimeBase::tai);
			if (!tai) {
				unconverted++; // a hardware timestamp without a running PHC to convert it
				return;
			}
			if (hw + sw <= a.print) {
				hk::SystemTime rt = to_system(h, ts, hk::TimeBase::realtime);
				std::printf("  rx_timestamp %llu (%s) -> TAI %s, REALTIME %s, +- %lld ns\n",
					    (unsigned long long)*raw, is_sw ? "software, CLOCK_TAI" : "hardware, PHC",
					    civil(tai.ns).c_str(), civil(rt.ns).c_str(), (long long)tai.error_ns);
			}
			if (lat.size() < lat.capacity())
				lat.push_back(uint64_t(now > tai.ns ? now - tai.ns : 0));
		});
		got += n;
		if (n) {
			idle_since = 0;
		} else if (a.spin) {
			if (!idle_since)
				idle_since = xdphints::hook::software_clock_ns();
			else if (veths && xdphints::hook::software_clock_ns() - idle_since > 1000000000ull)
				break; // generator done and nothing more came
		} else if (xsk->wait(veths ? 1000 : 100) != xdphints::afxdp::WaitResult::readable && veths) {
			break;
		}
	}
	gen.stop();
	if (unconverted)
		std::printf("hardware timestamps not converted (no running PHC): %lu\n", (unsigned long)unconverted);
	if (clk)
		std::printf("PHC at exit: %s\n", clk->status().describe().c_str());
	print_summary(lat, hw, sw, none);
	return example::print_stats({xsk.get()});
}

} // namespace

int main(int argc, char **argv)
{
	Args a;
	uint64_t queue = 0;
	if (int rc = example::parse_args(argc, argv, "hw_timestamps [IFNAME [--queue N]] [--count N] [--spin 1] [--print N]",
					 {&a.ifname},
					 {{"--queue", &queue}, {"--count", &a.count}, {"--spin", &a.spin}, {"--print", &a.print}});
	    rc >= 0)
		return rc;
	a.queue = uint32_t(queue);
	return example::report(run(a));
}
