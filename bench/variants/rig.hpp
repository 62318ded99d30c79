#pragma once
// What every benchmark variant is built from: the CPU placement and sizes they share, the
// namespaces + generator every variant owns, the XDP_DROP/XDP_PASS program, the receive
// loop, and one factory per variant (the table in registry.cpp maps names to them).
//
// Each variant owns a pair of namespaces with a veth pair, the XDP program on the
// receiving end, its sockets and the testbed's generator on the sending end (live frames,
// or AF_XDP TX where the kernel refuses them: testbed/livegen.hpp); all of it is
// created once and torn down by destructors (RAII), so rounds of different variants can
// be interleaved and an error or Ctrl-C anywhere leaves nothing behind.
#include "bench.hpp"

#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/testbed/livegen.hpp>
#include <xdphints/testbed/netns.hpp>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct bench_xdp; // bench/bpf/bench_xdp.bpf.c's skeleton (rig.cpp)

namespace xdphints::bench {

using namespace xdphints::hook; // the benchmark rig speaks the hook layer's names

constexpr int kGenCpu = 0;     // generator + the receiving veth's NAPI
constexpr int kAppCpu = 1;     // the application's receive loop
constexpr uint32_t kFlows = 8; // source ports 10000..10007
constexpr uint32_t kBatch = 64; // frames per receive call, every variant
constexpr uint32_t kRing = 16384; // AF_XDP rx/fill ring entries and frames per socket
constexpr uint32_t kUmemFrameSize = 2048; // AF_XDP umem frame
constexpr uint32_t kFrameLen = 64;          // generated frame, bytes
// A round ends this long after the generator finished and the last frame arrived.
constexpr uint64_t kIdleNs = 20'000'000;

inline uint64_t mono_ns() noexcept
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

// Keeps per-packet reads from being optimised away.
inline void consume(uint64_t v) noexcept { asm volatile("" : : "r"(v) : "memory"); }

// The pair of namespaces, created first and removed last. Heap-held: the generator keeps
// a pointer to the sender's namespace.
Result<std::unique_ptr<testbed::Testbed>> make_testbed(const std::string &tag, unsigned queues);

// The testbed's generator in the sender's namespace, one thread per CPU of `cpus`; its
// backend is the one choose_backend() names (setup_description records it).
Result<testbed::LiveGen> make_gen(const testbed::Testbed &tb, std::vector<int> cpus);

// Frames the receiving veth refused so far: the sender's xdp_xmit_errors (live frames) and
// tx_dropped (AF_XDP TX, which sends them again: testbed::LiveGen::refused()).
Result<uint64_t> xmit_errors(const testbed::Testbed &tb);

// The query resolved against the layouts the kernel holds for the loaded hook.
Result<Decoder> decoder_for(const Hook &hook, const Query &q);

// bench_drop / bench_pass (bench/bpf/bench_xdp.bpf.c) attached through a bpf_link.
class XdpProg {
public:
	static Result<XdpProg> attach(const testbed::Netns &ns, int ifindex, bool drop);

private:
	struct SkelDestroy {
		void operator()(bench_xdp *s) const noexcept;
	};
	XdpProg() = default;
	// Member order is destruction order: the link before the program it holds.
	std::unique_ptr<bench_xdp, SkelDestroy> skel_;
	edge::UniqueFd link_;
};

// A testbed with one of bench_xdp's programs on the receiving end and a generator on CPU 0.
struct PlainRig {
	std::unique_ptr<testbed::Testbed> tb;
	std::optional<XdpProg> prog;
	std::optional<testbed::LiveGen> gen;

	static Result<PlainRig> create(const std::string &tag, bool drop);
};

// What every receive thread reports.
struct RxTally {
	uint64_t received = 0;
	uint64_t verified = 0;
	uint64_t t_last = 0; // CLOCK_MONOTONIC of the last batch with frames
};

// The receive loop shared by every variant and the latency rigs. After `wait_after`
// empty polls in a row it sleeps in wait() (poll(2)); kNeverWait: spin (the loop has a
// CPU of its own). Stops at `target` frames (0: no target), or kIdleNs after the
// generator is done and nothing more arrives.
constexpr unsigned kNeverWait = ~0u;
template <class PollOnce, class Wait>
RxTally rx_loop(int cpu, unsigned wait_after, const std::atomic<bool> &gen_done, uint64_t target,
		PollOnce &&poll_once, Wait &&wait)
{
	(void)afxdp::pin_thread(cpu);
	RxTally t;
	t.t_last = mono_ns();
	uint64_t done_seen = 0;
	unsigned empty = 0;
	for (;;) {
		uint32_t n = poll_once(t.verified);
		if (n) {
			t.received += n;
			t.t_last = mono_ns();
			empty = 0;
			if (target && t.received >= target)
				break;
			continue;
		}
		if (g_stop.load(std::memory_order_relaxed))
			break;
		if (gen_done.load(std::memory_order_relaxed)) {
			uint64_t now = mono_ns();
			if (!done_seen)
				done_seen = now;
			if (now - std::max(done_seen, t.t_last) > kIdleNs)
				break;
		}
		if (wait_after != kNeverWait && ++empty >= wait_after)
			wait();
	}
	return t;
}

// ---- the variants, one family per file ---------------------------------------------------
using VariantPtr = Result<std::unique_ptr<Variant>>;

VariantPtr make_xdp_drop();           // xdp_drop.cpp
VariantPtr make_af_packet();          // af_packet.cpp
VariantPtr make_raw();                // raw.cpp
VariantPtr make_hints_1();            // hints.cpp
VariantPtr make_hints_all();          // hints.cpp
VariantPtr make_hints_hash();         // hints.cpp
VariantPtr make_layouts(unsigned n, const std::string &bpf_dir); // hints.cpp
VariantPtr make_queues_2();           // hints.cpp
VariantPtr make_name_lookup();        // name_lookup.cpp
VariantPtr make_dump_json();          // dump.cpp
VariantPtr make_dump_pcapng();        // dump.cpp

} // namespace xdphints::bench
