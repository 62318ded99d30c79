// dump's output path (cli/output.hpp): FdWriter::pump does a bounded amount of work per
// call on every kind of fd (a regular file, a pipe, a socket), however much is queued and
// while records keep coming, so dump's loop around it sees a signal, prints statistics and
// notices the interface going. The bytes arrive whole and in order.
//
// The hidden case [.][output-rate] is the measurement: records at 1 M/s (dump's rate at
// its best) into a file and a pipe, the longest pump() call reported.
#include "output.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

using namespace xdphints;
using cli::FdWriter;
using cli::OutputQueue;

namespace {

// A JSON line as long as dump's (~230 bytes), numbered so order and loss are visible.
std::string record(uint64_t n)
{
	return fmt::format("{{\"queue\":0,\"len\":64,\"layout\":\"xdp_hints_veth\",\"id\":123145302310984,\"hints\":"
			   "{{\"rx_timestamp\":{},\"rx_timestamp_source\":\"software\",\"rx_timestamp_clock\":\"tai\","
			   "\"rx_hash\":3735928559,\"rx_hash_type\":41,\"rx_vlan_tci\":59,\"rx_vlan_proto\":33024}}}}\n",
			   1700000000000000000ull + n);
}

struct Fds {
	int w = -1, r = -1; // r: the reading end (pipes, sockets), -1 for a file
	~Fds()
	{
		if (w >= 0)
			close(w);
		if (r >= 0 && r != w)
			close(r);
	}
};

enum class Kind { file, pipe, socket };
const char *kind_name(Kind k)
{
	return k == Kind::file ? "regular file" : k == Kind::pipe ? "pipe" : "socket";
}

void open_fds(Kind k, Fds &f)
{
	if (k == Kind::file) {
		f.w = memfd_create("xh-output-test", MFD_CLOEXEC); // a regular file (shmem)
		REQUIRE(f.w >= 0);
		return;
	}
	int p[2];
	if (k == Kind::pipe)
		REQUIRE(pipe2(p, O_CLOEXEC) == 0);
	else
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) == 0);
	f.r = p[0];
	f.w = p[1];
}

// Reads a pipe or socket until EOF, into `got`.
std::thread reader(int fd, std::string &got)
{
	return std::thread([fd, &got] {
		std::vector<char> b(1 << 16);
		for (;;) {
			ssize_t n = read(fd, b.data(), b.size());
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return;
			got.append(b.data(), size_t(n));
		}
	});
}

std::string file_bytes(int fd)
{
	std::string s;
	off_t end = lseek(fd, 0, SEEK_END);
	REQUIRE(end >= 0);
	s.resize(size_t(end));
	REQUIRE(pread(fd, s.data(), s.size(), 0) == ssize_t(s.size()));
	return s;
}

} // namespace

TEST_CASE("output: one pump() call writes at most kPumpBytes, however much is queued", "[output][unit]")
{
	for (Kind k : {Kind::file, Kind::pipe, Kind::socket}) {
		INFO(kind_name(k));
		Fds f;
		open_fds(k, f);
		std::string got, want;
		std::thread rd;
		if (f.r >= 0)
			rd = reader(f.r, got);
		// 16 MiB queued at once: sixteen calls' worth.
		OutputQueue q(32u << 20);
		uint64_t refused = 0;
		for (uint64_t n = 0; want.size() < (16u << 20); n++) {
			std::string r = record(n);
			refused += !q.push(r);
			want += r;
		}
		REQUIRE(refused == 0);
		FdWriter w(f.w, q);
		uint64_t calls = 0, most = 0;
		auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
		while (w.unwritten() > 0 && std::chrono::steady_clock::now() < until) {
			uint64_t before = w.written();
			REQUIRE(w.pump(10) == FdWriter::State::open);
			most = std::max(most, w.written() - before);
			calls++;
		}
		INFO("calls " << calls << ", most bytes in one call " << most);
		CHECK(most <= cli::kPumpBytes);
		CHECK(most > 0);
		CHECK(w.unwritten() == 0);
		CHECK(calls >= want.size() / cli::kPumpBytes);
		if (f.r >= 0) {
			close(f.w); // EOF for the reader
			f.w = -1;
			rd.join();
		} else {
			got = file_bytes(f.w);
		}
		CHECK(got.size() == want.size());
		CHECK(got == want);
	}
}

TEST_CASE("output: while records keep coming, every pump() call returns after a bounded amount", "[output][unit]")
{
	// A producer pushing as fast as it can (faster than dump's receive threads): the old
	// writer kept taking what had come meanwhile and did not return until the producer
	// stopped. Now each call takes at most kPumpBytes; what does not fit the queue is
	// dropped and counted, never waited for.
	for (Kind k : {Kind::file, Kind::pipe}) {
		INFO(kind_name(k));
		Fds f;
		open_fds(k, f);
		std::string got;
		std::thread rd;
		if (f.r >= 0)
			rd = reader(f.r, got);
		OutputQueue q(4u << 20);
		FdWriter w(f.w, q);
		std::atomic<bool> done{false};
		std::thread producer([&] {
			const std::string r = record(0);
			for (uint64_t sent = 0; sent < (64u << 20); sent += r.size())
				q.push(r);
			done = true;
		});
		uint64_t calls_while_producing = 0, most = 0;
		while (!done.load()) {
			uint64_t before = w.written();
			REQUIRE(w.pump(10) == FdWriter::State::open);
			most = std::max(most, w.written() - before);
			calls_while_producing++;
		}
		producer.join();
		CHECK(w.drain(std::chrono::steady_clock::now() + std::chrono::seconds(20)) == FdWriter::State::open);
		auto c = q.counters();
		INFO("calls while producing " << calls_while_producing << ", most bytes in one call " << most
					      << ", queued " << c.bytes << ", dropped " << c.dropped_bytes);
		CHECK(most <= cli::kPumpBytes);
		CHECK(w.unwritten() == 0);
		CHECK(w.written() == c.bytes);
		if (f.r >= 0) {
			close(f.w);
			f.w = -1;
			rd.join();
		} else {
			got = file_bytes(f.w);
		}
		CHECK(got.size() == c.bytes);
	}
}

// The measurement (not part of `make test`: it takes seconds of both cores): records at
// XH_RATE (default 1,000,000/s) for XH_SECONDS (5) into XH_OUTPUT (default: a file in
// /tmp, cut back to empty past 256 MiB; "pipe": a pipe drained by a reader thread), with
// dump's loop: pump(10) and the checks between calls. Prints the longest pump() call.
TEST_CASE("output: the longest pump() call at 1 M records/s", "[.][output-rate]")
{
	auto env = [](const char *n, const char *d) {
		const char *v = getenv(n);
		return std::string(v && *v ? v : d);
	};
	const double rate = std::stod(env("XH_RATE", "1000000"));
	const double seconds = std::stod(env("XH_SECONDS", "5"));
	const std::string where = env("XH_OUTPUT", "/tmp");
	Fds f;
	std::string got_unused;
	std::atomic<uint64_t> read_bytes{0};
	std::thread rd;
	if (where == "pipe") {
		int p[2];
		REQUIRE(pipe2(p, O_CLOEXEC) == 0);
		f.r = p[0];
		f.w = p[1];
		rd = std::thread([&] {
			std::vector<char> b(1 << 16);
			for (ssize_t n; (n = read(f.r, b.data(), b.size())) != 0;)
				if (n > 0)
					read_bytes += uint64_t(n);
				else if (errno != EINTR)
					return;
		});
	} else {
		f.w = open(where.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
		REQUIRE(f.w >= 0);
	}
	OutputQueue q(cli::kDefaultQueueBytes);
	FdWriter w(f.w, q);
	std::atomic<bool> stop{false};
	using clock = std::chrono::steady_clock;
	// Pushed in batches of XH_BATCH records (default 64: a receive thread's poll), paced by
	// the clock: the queue is never empty for long, as under dump at this rate.
	const auto batch = uint64_t(std::stoul(env("XH_BATCH", "64")));
	std::thread producer([&] {
		const std::string r = record(0);
		const auto gap = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(double(batch) / rate));
		auto next = clock::now();
		while (!stop.load()) {
			for (uint64_t i = 0; i < batch; i++)
				q.push(r);
			next += gap;
			while (clock::now() < next)
				std::this_thread::yield();
		}
	});
	// Per call: wall time (what dump's loop waits), the thread's CPU time (the work done,
	// without the time other processes had the CPU) and the bytes written.
	auto cpu_ms = [] {
		timespec t;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		return double(t.tv_sec) * 1e3 + double(t.tv_nsec) / 1e6;
	};
	std::vector<double> calls, cpu;
	uint64_t most_bytes = 0;
	auto end = clock::now() + std::chrono::duration<double>(seconds);
	while (clock::now() < end) {
		auto t0 = clock::now();
		double c0 = cpu_ms();
		uint64_t b0 = w.written();
		REQUIRE(w.pump(10) == FdWriter::State::open);
		calls.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
		cpu.push_back(cpu_ms() - c0);
		most_bytes = std::max(most_bytes, w.written() - b0);
		if (where != "pipe" && lseek(f.w, 0, SEEK_CUR) > (256 << 20)) {
			REQUIRE(ftruncate(f.w, 0) == 0);
			lseek(f.w, 0, SEEK_SET);
		}
	}
	stop = true;
	producer.join();
	w.drain(clock::now() + std::chrono::seconds(5));
	if (rd.joinable()) {
		close(f.w);
		f.w = -1;
		rd.join();
	}
	auto c = q.counters();
	std::sort(calls.begin(), calls.end());
	std::sort(cpu.begin(), cpu.end());
	std::printf("output-rate: %s, %.0f records/s offered for %.0f s: %zu pump() calls, longest %.1f ms (p99 %.2f ms), "
		    "most CPU in one call %.1f ms, most bytes in one call %llu; %llu records (%.0f MB) queued, %llu dropped, "
		    "%llu bytes unwritten\n",
		    where.c_str(), rate, seconds, calls.size(), calls.back(), calls[calls.size() * 99 / 100], cpu.back(),
		    (unsigned long long)most_bytes, (unsigned long long)c.records, double(c.bytes) / 1e6,
		    (unsigned long long)c.dropped_records, (unsigned long long)w.unwritten());
	CHECK(c.records > 0);
	CHECK(w.unwritten() == 0);
}
