// `xdp-hints dump` and its stdout: a reader that goes away (`| head -n 2`), a reader that
// never reads, a slow reader. Whatever the reader does, dump exits promptly on its own
// (reader gone) or on a signal, with the hook detached.
#include "dump_testing.hpp"

using namespace xdphints;
using namespace xdphints::test;
using clk = std::chrono::steady_clock;

namespace {

// dump with stdout into a pipe read by `reader` (argv; none: nobody ever reads), 2000
// packets sent, then `sig`: the time dump takes to exit and its status.
void stop_while_reader_lags(const char *tag, std::vector<std::string> reader_argv, int sig,
			    std::vector<std::string> extra = {})
{
	DumpBed b(tag);
	Pipe p;
	std::optional<Child> reader;
	if (!reader_argv.empty())
		reader.emplace(reader_argv, ChildFds{.in = p.r.get()});
	std::vector<std::string> args{"--json", "--stats-interval", "0.1"};
	args.insert(args.end(), extra.begin(), extra.end());
	Child dump(b.dump(args), {.out = p.w.get()});
	p.close_w();
	if (reader)
		p.close_r(); // else the test holds the read end and never reads: 64 KiB, then full
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	// ~350 bytes per JSON line: 2000 packets are far more than the pipe holds.
	send_n(*b.flow, 2000);
	CHECK(dump.wait_stderr("stats: frames 2000", 5000)); // still receiving
	auto t0 = clk::now();
	dump.signal(sig);
	int rc = dump.wait(5000);
	double ms = ms_since(t0);
	INFO("stderr: " << dump.err() << "\nexit " << ms << " ms after signal " << sig);
	CHECK(rc == 0);
	CHECK(ms < 1000);
	CHECK(dump.err().find("stdout: ") != std::string::npos);
	CHECK(dump.err().find("not written") != std::string::npos); // what was queued when we stopped
	CHECK(b.xdp().prog_id == 0);
	if (reader_argv.empty())
		CHECK(dump.err().find(" records dropped") != std::string::npos); // the queue overflowed, counted
}

} // namespace

TEST_CASE("dump --json | head -n 2: exits 0 promptly once head is gone, hook detached", "[fault][cli][dump]")
{
	if (!privileged())
		return;
	DumpBed b("pipe");
	Pipe p;
	Child head({"head", "-n", "2"}, {.in = p.r.get()});
	Child dump(b.dump({"--json", "--stats-interval", "0"}), {.out = p.w.get()});
	p.close_r();
	p.close_w();
	REQUIRE_STDERR(dump, "AF_XDP socket on queue 0", 15000);
	send_n(*b.flow, 10);
	REQUIRE(head.wait(5000) == 0);
	CHECK(count_lines(head.out()) == 2);
	auto t0 = clk::now();
	int rc = dump.wait(3000);
	double ms = ms_since(t0);
	INFO("stderr: " << dump.err() << "\nexit after head: " << ms << " ms");
	CHECK(rc == 0);
	CHECK(ms < 1000);
	CHECK(b.xdp().prog_id == 0);
}

TEST_CASE("dump | a reader that never reads: SIGINT exits within 1 s, status 0, overflow reported",
	  "[fault][cli][dump]")
{
	if (!privileged())
		return;
	stop_while_reader_lags("block", {}, SIGINT, {"--buffer-size", "65536"});
}

TEST_CASE("dump | a slow reader: SIGTERM exits within 1 s, status 0", "[fault][cli][dump]")
{
	if (!privileged())
		return;
	stop_while_reader_lags("slow", {"sh", "-c", "while read l; do sleep 0.05; done"}, SIGTERM);
}
