// The installed library on a veth: the out-of-tree consumer (tests/install/consumer,
// built by consumers.sh against the temporary prefix, $XDPHINTS_CONSUMER) runs in the
// receiving namespace of a testbed and must receive UDP sent through the stack with
// typed hints on its one queue.
#include "privileges.hpp"

#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

using namespace xdphints;

namespace {

// Reads what `fd` has until `until` appears in it or `ms` pass.
bool read_until(int fd, std::string &out, const std::string &until, int ms)
{
	auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
	while (out.find(until) == std::string::npos) {
		int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count());
		if (left <= 0)
			return false;
		pollfd p{fd, POLLIN, 0};
		if (::poll(&p, 1, left) <= 0)
			continue;
		char buf[512];
		ssize_t n = ::read(fd, buf, sizeof buf);
		if (n <= 0)
			return out.find(until) != std::string::npos;
		out.append(buf, size_t(n));
	}
	return true;
}

} // namespace

TEST_CASE("installed library: an out-of-tree consumer receives hints on a veth", "[privileged][install]")
{
	if (!test::privileged())
		return;
	const char *consumer = std::getenv("XDPHINTS_CONSUMER");
	REQUIRE(consumer);
	REQUIRE(::access(consumer, X_OK) == 0);

	auto tb = testbed::Testbed::create("inst");
	REQUIRE_OK(tb);
	const int n = 40;

	int out[2];
	REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	pid_t pid = -1;
	{
		// The child starts in the receiving namespace (it inherits the spawning thread's).
		auto in = testbed::NetnsScope::enter(tb->rx_ns);
		REQUIRE(in);
		std::string count = std::to_string(n);
		const char *argv[] = {consumer, tb->rx().ifname.c_str(), count.c_str(), "5000", nullptr};
		REQUIRE(posix_spawn(&pid, consumer, &fa, nullptr, const_cast<char **>(argv), environ) == 0);
	}
	posix_spawn_file_actions_destroy(&fa);
	::close(out[1]);
	std::string text;
	bool ready = read_until(out[0], text, "ready", 5000);
	INFO("consumer said: " << text);
	if (ready) {
		auto flow = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, 41000, tb->rx().ipv4, 9998);
		REQUIRE_OK(flow);
		uint8_t payload[16] = {};
		for (int i = 0; i < n; i++)
			REQUIRE_OK(flow->send(payload));
	}
	read_until(out[0], text, "frames=", 8000);
	::close(out[0]);
	int status = 0;
	for (int i = 0; i < 200 && ::waitpid(pid, &status, WNOHANG) == 0; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	if (::waitpid(pid, &status, WNOHANG) == 0) {
		::kill(pid, SIGKILL);
		::waitpid(pid, &status, 0);
	}
	INFO("consumer said: " << text);
	REQUIRE(ready);
	CHECK(text.find("ready 1 queues") != std::string::npos);
	CHECK(WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0);
	// Every frame the consumer counted came with hints; all n had a (software) timestamp.
	unsigned long long frames = 0, hints = 0, ts = 0, sw = 0;
	auto pos = text.find("frames=");
	REQUIRE(pos != std::string::npos);
	REQUIRE(std::sscanf(text.c_str() + pos, "frames=%llu with_hints=%llu timestamps=%llu software=%llu", &frames,
			    &hints, &ts, &sw) == 4);
	CHECK(hints >= unsigned(n));
	CHECK(hints == frames);
	CHECK(ts == hints);
	CHECK(sw == ts); // veth: stack-sent frames get the hook's software timestamp
}
