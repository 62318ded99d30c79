#pragma once
// xdp-hints-bench: end-to-end receive throughput and latency on a veth pair fed by the
// live-frames generator, every variant in its own pair of namespaces (set up once, then
// run in interleaved rounds). See docs/BENCHMARKS.md for the method.
//
// CPU placement (2 CPUs): the generator runs on CPU 0 and, because veth delivers a
// redirected frame to the peer's NAPI on the sending CPU, so does everything the kernel
// does on receive (XDP program, AF_XDP copy, skb path for AF_PACKET). The application's
// receive loop runs on CPU 1. With two queues both CPUs do both.
#include <xdphints/result.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xdphints::bench {

// Set by SIGINT/SIGTERM; every loop checks it and every resource is RAII, so an
// interrupted run removes its namespaces like a finished one.
extern std::atomic<bool> g_stop;

struct RoundResult {
	uint64_t sent = 0;        // frames the generator made
	uint64_t received = 0;    // frames the application processed (xdp_drop: dropped by XDP)
	uint64_t verified = 0;    // ... whose hint/timestamp arrived as expected (== received when all is well)
	double seconds = 0;       // generator start .. last frame received
	uint64_t xmit_errors = 0; // frames the receiving veth refused (its ring full)
	uint64_t socket_drops = 0; // dropped at the socket: XSK rx ring full / no fill frame, AF_PACKET tp_drops
	double mpps() const noexcept { return seconds > 0 ? double(received) / seconds / 1e6 : 0; }
};

class Variant {
public:
	virtual ~Variant() = default;
	const std::string &name() const noexcept { return name_; }
	const std::string &what() const noexcept { return what_; }
	// Generates `count` frames and receives them; one measurement.
	virtual Result<RoundResult> round(uint64_t count) = 0;

protected:
	Variant(std::string name, std::string what) : name_(std::move(name)), what_(std::move(what)) {}

private:
	std::string name_;
	std::string what_; // one line for the table legend
};

// CPUs, rings and batch sizes every variant uses (for latest.json).
nlohmann::json setup_description();

// Knows how to build every variant by name; the names are the keys of latest.json.
struct VariantInfo {
	const char *name;
	const char *group; // "throughput" or "growth"
};
const std::vector<VariantInfo> &variant_names();
Result<std::unique_ptr<Variant>> make_variant(const std::string &name, const std::string &bpf_dir);

// ---- latency -------------------------------------------------------------------------

// poll: sleep in poll(2) when the ring is empty; busy_poll: SO_BUSY_POLL (+ prefer,
// budget) and spin, each empty receive() busy-polls the NAPI; spin: spin on the ring
// without system calls (tells the two effects of busy_poll apart: a CPU that never
// idles, and the NAPI polled from the receiving CPU).
enum class RxMode { poll, busy_poll, spin };
const char *rx_mode_name(RxMode m) noexcept;

struct LatencyOptions {
	double rate_pps = 50'000; // offered load
	uint32_t burst = 1;       // frames sent back to back, bursts paced to rate_pps
	bool realtime = true;     // the receive loop runs SCHED_FIFO
};

struct LatencyRound {
	std::vector<uint32_t> hook_to_app_ns; // per frame: app CLOCK_TAI - the hook's software timestamp
	uint64_t sent = 0;
	uint64_t received = 0;
	uint64_t not_software = 0; // frames without the software-timestamp flag (should be 0)
	double offered_pps = 0;    // what the paced generator achieved
	bool realtime = false;     // the receive loop ran SCHED_FIFO
};

class LatencyRig {
public:
	static Result<std::unique_ptr<LatencyRig>> create(RxMode mode);
	virtual ~LatencyRig() = default;
	virtual Result<LatencyRound> round(uint64_t count, const LatencyOptions &opt) = 0;
	RxMode mode() const noexcept { return mode_; }

protected:
	explicit LatencyRig(RxMode m) : mode_(m) {}

private:
	RxMode mode_;
};

} // namespace xdphints::bench
