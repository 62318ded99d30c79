// Does `xdp-hints dump` keep up? The real command in a namespace of its own, its output in
// a file, UDP offered at a fixed rate through the sender's stack (paced sendmmsg bursts), and what
// dump says at exit: frames received, the kernel's fill_ring_empty and drops. A
// measurement more than a check (the machine's other load decides much of it), so hidden:
//   build/tests/xdphints-privileged-tests "[throughput]"
// Environment: XH_RATE (frames/s, default 200000), XH_FRAMES (default 300000),
// XH_SENDERS (sender threads, default 1), XH_DUMP_ARGS (the output options, default "--json"; FILE: a file in the test's
// directory), XH_CLI (another xdp-hints binary, e.g. an older build to compare with, or a
// wrapper that runs it under /usr/bin/time -f "cpu: user %U sys %S": the line is reported).
#include "child.hpp"
#include "privileges.hpp"
#include "temp_dir.hpp"

#include <xdphints/testbed/traffic.hpp>
#include <xdphints/testbed/netns.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <fcntl.h>
#include <regex>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace xdphints;
using test::Child;

namespace {

uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = std::getenv(name);
	return v && *v ? std::strtoull(v, nullptr, 10) : def;
}

uint64_t stat_of(const std::string &line, const std::string &key)
{
	std::smatch m;
	std::regex re(key + " ([0-9]+)");
	return std::regex_search(line, m, re) ? std::stoull(m[1]) : ~0ull;
}

} // namespace

TEST_CASE("dump keeps up with UDP offered at a fixed rate", "[.][privileged][cli][throughput]")
{
	if (!test::privileged())
		return;
	const uint64_t rate = env_u64("XH_RATE", 200000), frames = env_u64("XH_FRAMES", 300000);
	std::vector<std::string> out_args{"--json"};
	if (const char *a = std::getenv("XH_DUMP_ARGS")) {
		out_args.clear();
		std::istringstream in(a);
		for (std::string w; in >> w;)
			out_args.push_back(w);
	}
	const char *cli = std::getenv("XH_CLI") ? std::getenv("XH_CLI") : XDP_HINTS_CLI;
	auto tb = testbed::Testbed::create("rate");
	REQUIRE_OK(tb);
	test::TempDir dir("xh-rate");
	std::string out_path = (dir.path / "out").string();
	int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	REQUIRE(out_fd >= 0);
	std::vector<std::string> argv{"ip", "netns", "exec", tb->rx_ns.name(), cli, "dump", tb->rx().ifname,
				      "--stats-interval", "0"};
	for (auto &w : out_args)
		argv.push_back(w == "FILE" ? (dir.path / "capture").string() : w);
	Child dump(argv, {.out = out_fd});
	close(out_fd);
	REQUIRE(dump.wait_stderr("AF_XDP socket on queue 0", 15000));

	// UDP through the sender's stack, four flows, in bursts of 32 datagrams (one
	// sendmmsg) every 160 us at 200,000/s.
	std::vector<testbed::UdpFlow> flows;
	for (uint16_t i = 0; i < 4; i++) {
		auto f = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, uint16_t(41000 + i), tb->rx().ipv4, 9000);
		REQUIRE_OK(f);
		flows.push_back(std::move(*f));
	}
	// One sender thread per XH_SENDERS (default 1), each with its share of the rate and of
	// the flows: a single thread also does the veth's receive softirq work inline.
	const unsigned senders = unsigned(std::max<uint64_t>(1, env_u64("XH_SENDERS", 1)));
	constexpr unsigned burst = 32;
	const auto period = std::chrono::nanoseconds(burst * 1000000000ull * senders / rate);
	std::atomic<uint64_t> sent{0};
	auto start = std::chrono::steady_clock::now();
	std::vector<std::thread> threads;
	std::vector<Status> results(senders);
	for (unsigned t = 0; t < senders; t++)
		threads.emplace_back([&, t] {
			uint8_t payload[18] = {};
			const uint64_t mine = frames / senders + (t < frames % senders);
			uint64_t done = 0;
			auto next = std::chrono::steady_clock::now();
			for (size_t i = t; done < mine; i += senders) {
				auto n = flows[i % flows.size()].send_burst(payload, unsigned(std::min<uint64_t>(burst, mine - done)));
				if (!n) {
					results[t] = n.error();
					return;
				}
				done += *n;
				next += period;
				auto now = std::chrono::steady_clock::now();
				if (now < next)
					std::this_thread::sleep_until(next);
				else if (now > next + 2 * period)
					next = now; // preempted: no catch-up burst (100 periods of 4 senders
						    // were 12,800 frames back to back, far above the rate)
			}
			sent += done;
		});
	for (auto &th : threads)
		th.join();
	for (auto &r : results)
		REQUIRE_OK(r);
	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	std::this_thread::sleep_for(std::chrono::milliseconds(500));
	dump.signal(SIGINT);
	REQUIRE(dump.wait(15000) == 0);
	std::string last;
	for (std::istringstream in(dump.err()); std::getline(in, last);)
		if (last.rfind("stats: frames", 0) == 0)
			break;
	INFO(dump.err());
	uint64_t got = stat_of(last, "stats: frames"), fill_empty = stat_of(last, "fill_ring_empty"),
		 dropped = stat_of(last, "rx_dropped"), redirected = stat_of(last, "redirected"), hook_rx = stat_of(last, "hook: rx");
	// A "cpu: ..." line on stderr (XH_CLI as a wrapper running dump under /usr/bin/time).
	std::string cpu;
	if (auto at = dump.err().find("cpu: "); at != std::string::npos)
		cpu = dump.err().substr(at, dump.err().find('\n', at) - at);
	// What reached the output: JSON lines, or the capture's packet blocks.
	uint64_t written = 0;
	const bool capture = std::find(out_args.begin(), out_args.end(), "-w") != out_args.end();
	{
		std::ifstream in(capture ? (dir.path / "capture").string() : out_path, std::ios::binary);
		std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
		if (!capture) {
			written = uint64_t(std::count(bytes.begin(), bytes.end(), '\n'));
		} else {
			for (size_t off = 0; off + 8 <= bytes.size();) {
				uint32_t type, len;
				std::memcpy(&type, bytes.data() + off, 4);
				std::memcpy(&len, bytes.data() + off + 4, 4);
				REQUIRE(len >= 12);
				written += type == 6; // EPB
				off += len;
			}
		}
	}
	WARN("dump " << out_args.front() << ": offered " << sent.load() << " frames at " << uint64_t(double(sent.load()) / secs)
		      << "/s; received " << got << " (" << written << " written), hook rx " << hook_rx << ", redirected "
		      << redirected << ", fill_ring_empty " << fill_empty << ", rx_dropped " << dropped
		      << (cpu.empty() ? "" : "; " + cpu));
	// What the sender's sockets took but the veth dropped before XDP (its ring to the
	// receiving NAPI full) never reached dump: the hook's own count is what was offered to it.
	if (hook_rx != sent.load())
		WARN(sent.load() - hook_rx << " frames were lost between the sender and the receiving veth's XDP");
	CHECK(got == hook_rx);
	CHECK(fill_empty == 0);
	CHECK(written == got);
	CHECK(dump.err().find("dropped (") == std::string::npos); // nothing dropped for a slow reader
}
