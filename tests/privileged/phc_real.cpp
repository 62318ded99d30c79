// PHC correlation and RX timestamping on a real PHC. The interface is the one named by
// XDP_HINTS_TEST_PHC_IF (the kernel tier's e1000e NIC, eth2 in the guest: it must be there
// and have a PHC, else the test fails); without it, the first interface of this namespace
// that has a PHC is measured read-only, and when there is none (veth-only hosts) the test
// says so and returns. Only the named interface gets its timestamping changed.
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/hook/phc_clock.hpp>
#include <xdphints/hook/hwtstamp.hpp>

#include "privileges.hpp"

#include <linux/net_tstamp.h>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <net/if.h>
#include <thread>
#include <unistd.h>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

std::string phc_interface()
{
	if (const char *named = std::getenv("XDP_HINTS_TEST_PHC_IF"))
		return named;
	struct if_nameindex *all = if_nameindex();
	std::string found;
	for (auto *i = all; i && i->if_index; i++)
		if (auto e = edge::Ethtool::open(i->if_name))
			if (auto ts = e->ts_info(); ts && ts->phc_index >= 0) {
				found = i->if_name;
				break;
			}
	if_freenameindex(all);
	return found;
}

int64_t now_ns(clockid_t c)
{
	timespec ts{};
	clock_gettime(c, &ts);
	return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace

TEST_CASE("phc: a real PHC measured, fitted and converted within the bound", "[phc][needs:phc]")
{
	if (!xdphints::test::privileged())
		return;
	std::string ifname = phc_interface();
	if (ifname.empty()) {
		WARN("no interface with a PHC here (set XDP_HINTS_TEST_PHC_IF to require one): nothing measured");
		return;
	}
	auto clk = PhcClock::open(ifname);
	INFO(ifname << ": " << (clk ? std::string() : clk.error().message));
	REQUIRE(clk);
	for (int i = 0; i < 4; i++) {
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
		REQUIRE(clk->update());
	}
	PhcStatus st = clk->status();
	INFO(st.describe());
	WARN(ifname << ": " << st.describe());
	CHECK(st.samples >= 1);
	CHECK(st.follows != PhcFollows::unknown);

	// A PHC reading of our own (its dynamic POSIX clock) between two CLOCK_REALTIME reads:
	// its conversion must land within the bound of that window.
	int fd = open(clk->path().c_str(), O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0);
	clockid_t phc_id = clockid_t((~unsigned(fd) << 3) | 3);
	int64_t before = now_ns(CLOCK_REALTIME);
	int64_t phc = now_ns(phc_id);
	int64_t after = now_ns(CLOCK_REALTIME);
	std::this_thread::sleep_for(std::chrono::milliseconds(10));
	int64_t phc_later = now_ns(phc_id);
	close(fd);
	SystemTime t = clk->to_realtime(uint64_t(phc));
	if (!st.running) { // QEMU 7.2's e1000e: a PHC device whose clock does not advance
		CHECK(phc_later == phc); // it really does not advance
		CHECK_FALSE(t);
		WARN(ifname << ": its PHC does not advance; nothing to convert (said, not guessed)");
		return;
	}
	REQUIRE(t);
	INFO("PHC " << phc << " -> " << t.ns << " +- " << t.error_ns << ", REALTIME window [" << before << ", " << after << "]");
	CHECK(t.ns + t.error_ns >= before);
	CHECK(t.ns - t.error_ns <= after);
	SystemTime tai = clk->to_tai(uint64_t(phc));
	CHECK(tai.ns - t.ns == st.tai_offset_s * 1000000000);
}

TEST_CASE("hwtstamp: enable_if_off on a real NIC turns RX timestamping on and restores it", "[phc][hwtstamp][needs:phc]")
{
	if (!xdphints::test::privileged())
		return;
	const char *named = std::getenv("XDP_HINTS_TEST_PHC_IF");
	if (!named) {
		WARN("XDP_HINTS_TEST_PHC_IF not set: no real NIC's timestamping is changed here");
		return;
	}
	auto before = rx_timestamping(named);
	REQUIRE(before);
	INFO(before->describe());
	REQUIRE(before->state == HwRxState::off); // the tier's NIC starts with HWTSTAMP_FILTER_NONE
	{
		auto run = HwTimestamping::enable_if_off(named);
		INFO((run ? std::string() : run.error().message));
		REQUIRE(run);
		WARN(named << ": " << run->info.describe());
		CHECK(run->info.state == HwRxState::enabled);
		CHECK(run->info.rx_filter != HWTSTAMP_FILTER_NONE);
		auto during = rx_timestamping(named);
		REQUIRE(during);
		CHECK(during->rx_filter == run->info.rx_filter); // what the driver really set
	}
	auto after = rx_timestamping(named);
	REQUIRE(after);
	CHECK(after->state == HwRxState::off);
}
