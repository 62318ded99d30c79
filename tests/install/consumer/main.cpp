// An application of xdp-hints built out of tree against the installed library (with
// find_package or with pkg-config): the five-line receive of the README, then a count.
//
//   consumer                        prints the header and library versions
//   consumer IFNAME COUNT TIMEOUT_MS   receives on every queue of IFNAME until COUNT
//                                   frames came with hints (exit 0) or TIMEOUT_MS (exit 1)
#include <xdphints/xdphints.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

std::atomic<uint64_t> frames{0}, with_hints{0}, timestamps{0}, software{0};

xdphints::Status receive(const char *ifname, uint64_t count, int timeout_ms)
{
	std::atomic<bool> stop{false};
	// --- the README's example ---
	xdphints::Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	XDPHINTS_TRY(rx, xdphints::Receiver::open({.ifname = ifname}, q));
	std::printf("ready %zu queues\n", rx.queues().size());
	std::fflush(stdout);
	std::thread watchdog([&] {
		for (int i = 0; i < timeout_ms / 10 && !stop; i++)
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		stop = true;
	});
	auto st = rx.run(stop, [&](const xdphints::afxdp::Frame &, const xdphints::Hints &h) {
		frames++;
		with_hints += h.known();
		if (auto t = h.get(ts)) {
			timestamps++;
			software += h.software(ts);
		}
		if (with_hints >= count)
			stop = true;
	});
	stop = true;
	watchdog.join();
	return st;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc == 1) {
		std::printf("headers %s library %s\n", XDPHINTS_VERSION_STRING, xdphints::version());
		return 0;
	}
	if (argc != 4) {
		std::fprintf(stderr, "usage: %s [IFNAME COUNT TIMEOUT_MS]\n", argv[0]);
		return 2;
	}
	uint64_t count = std::strtoull(argv[2], nullptr, 10);
	auto st = receive(argv[1], count, std::atoi(argv[3]));
	std::printf("frames=%llu with_hints=%llu timestamps=%llu software=%llu\n", (unsigned long long)frames.load(),
		    (unsigned long long)with_hints.load(), (unsigned long long)timestamps.load(),
		    (unsigned long long)software.load());
	if (!st) {
		std::fprintf(stderr, "%s\n", st.error().to_string().c_str());
		return 1;
	}
	return with_hints >= count ? 0 : 1;
}
