#pragma once
// Small things the examples share: Ctrl-C, and a self-contained veth setup
// (namespaces, hints hook, live-frames traffic) for running an example without a NIC.
// Not part of the library; examples return errors from run() so that every RAII object
// (namespaces, hooks, sockets) is cleaned up before the process exits.
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/testbed/livegen.hpp>
#include <xdphints/testbed/netns.hpp>

#include <net/if.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// The names every example uses.
namespace ax = xdphints::afxdp;
namespace tb = xdphints::testbed;
using xdphints::Error;
using xdphints::Errc;
using xdphints::Status;

namespace example {

inline std::atomic<bool> &stop_flag()
{
	static std::atomic<bool> stop{false};
	return stop;
}

inline void on_ctrl_c()
{
	struct sigaction sa{};
	sa.sa_handler = [](int) { stop_flag().store(true); };
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
}

inline int report(const xdphints::Status &st)
{
	if (st)
		return 0;
	std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
	return 1;
}

// The hook on `ifindex` and a decoder for `q` over its layouts.
struct HookedDevice {
	xdphints::hook::Hook hook;
	std::vector<xdphints::Layout> layouts;

	// hwtstamp_if_off: hardware RX timestamping on for the run when it is off (and the hook
	// reads timestamps), restored at exit (HookOptions::hwtstamp_if_off).
	static xdphints::Result<HookedDevice> attach(int ifindex, bool hwtstamp_if_off = false)
	{
		xdphints::hook::HookOptions ho;
		ho.ifindex = ifindex;
		ho.hwtstamp_if_off = hwtstamp_if_off;
		XDPHINTS_TRY(hook, xdphints::hook::Hook::attach(ho));
		XDPHINTS_TRY(layouts, hook.layouts());
		return HookedDevice{std::move(hook), std::move(layouts)};
	}
};

// Self-contained mode: two namespaces joined by one veth pair (or two), this thread in the
// receiving namespace until destroyed. Members go in reverse order: scope, then namespaces.
struct Veths {
	xdphints::testbed::Testbed bed;
	std::optional<xdphints::testbed::VethPair> second; // rx end in bed.rx_ns, peer in bed.tx_ns
	std::optional<xdphints::testbed::NetnsScope> scope;

	static xdphints::Result<std::unique_ptr<Veths>> make(std::string_view tag, bool two_pairs)
	{
		XDPHINTS_TRY(bed, xdphints::testbed::Testbed::create(tag));
		auto v = std::unique_ptr<Veths>(new Veths{std::move(bed), std::nullopt, std::nullopt});
		if (two_pairs) {
			xdphints::testbed::VethOptions vo;
			vo.ipv4_a = "10.78.0.1";
			vo.ipv4_b = "10.78.0.2";
			XDPHINTS_TRY(second, xdphints::testbed::VethPair::create(v->bed.rx_ns, v->bed.tx_ns, vo));
			v->second.emplace(std::move(second));
		}
		XDPHINTS_TRY(sc, xdphints::testbed::NetnsScope::enter(v->bed.rx_ns));
		v->scope.emplace(std::move(sc));
		return v;
	}
	~Veths() { scope.reset(); }
};

// A thread that runs until its function returns or stop(); joined on destruction.
class Background {
public:
	template <class F> void start(F &&f) { t_ = std::thread(std::forward<F>(f)); }
	void stop()
	{
		stop_flag().store(true);
		if (t_.joinable())
			t_.join();
	}
	~Background() { stop(); }

private:
	std::thread t_;
};

// Sends about `count` frames in rounds, each generator its burst per round, pausing `gap`
// between rounds (so latency is the path's, not a full ring's). Stops on Ctrl-C.
inline void paced(std::vector<std::pair<xdphints::testbed::LiveGen *, uint32_t>> gens, uint64_t count,
		  std::chrono::microseconds gap)
{
	for (uint64_t sent = 0; sent < count && !stop_flag();) {
		for (auto &[g, burst] : gens) {
			if (!g->send(burst))
				return;
			sent += burst;
		}
		std::this_thread::sleep_for(gap);
	}
}

// "[POSITIONAL...] [--opt N ...]". Returns the exit code when main should return at once,
// -1 to go on.
inline int parse_args(int argc, char **argv, const char *usage, std::vector<std::string *> positional,
		      std::initializer_list<std::pair<const char *, uint64_t *>> opts)
{
	size_t pos = 0;
	for (int i = 1; i < argc; i++) {
		std::string s = argv[i];
		if (s == "-h" || s == "--help") {
			std::printf("usage: %s\n", usage);
			return 0;
		}
		bool matched = false;
		for (auto &[name, val] : opts)
			if (s == name && i + 1 < argc) {
				*val = std::stoull(argv[++i]);
				matched = true;
			}
		if (matched)
			continue;
		if (s.rfind("--", 0) == 0 || pos == positional.size()) {
			std::fprintf(stderr, "error: unexpected '%s'\nusage: %s\n", s.c_str(), usage);
			return 2;
		}
		*positional[pos++] = s;
	}
	if (pos != 0 && pos != positional.size()) {
		std::fprintf(stderr, "error: give all interfaces, or none for the self-contained run\nusage: %s\n", usage);
		return 2;
	}
	on_ctrl_c();
	return -1;
}

// One statistics line per socket.
inline xdphints::Status print_stats(std::initializer_list<const xdphints::afxdp::XskSocket *> socks)
{
	for (auto *s : socks) {
		XDPHINTS_TRY(st, s->stats());
		std::printf("%s\n", st.to_string().c_str());
	}
	return {};
}

inline xdphints::Result<int> ifindex_of(const std::string &name)
{
	int i = int(if_nametoindex(name.c_str()));
	if (!i)
		return xdphints::Error(xdphints::Errc::not_found, "no interface '" + name + "' here; check `ip link`");
	return i;
}

} // namespace example
