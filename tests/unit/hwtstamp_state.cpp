// --hwtstamp without a NIC that timestamps: the edge seam's ioctl (SIOCGHWTSTAMP/SIOCSHWTSTAMP) stands for
// the driver (its setting lives in shared memory, so a forked "dump" that is killed changes
// the same device), on loopback, with the state records in a directory of the test's own.
// What must hold: the previous setting is on disk before it is changed; it is put back on
// destruction; a process killed after the change leaves a record from which the next
// enable() or restore_left_behind() puts it back and says so; a live owner is refused.
#include <xdphints/hook/hook.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/hook/hwtstamp.hpp>

#include <catch2/catch.hpp>

#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace xdphints;
using namespace xdphints::hook;
namespace fs = std::filesystem;

namespace {

// The fake device, shared with forked children.
struct FakeNic {
	hwtstamp_config cfg;
	int set_calls;
	bool record_before_set; // the state record held the old setting when SIOCSHWTSTAMP came
	int fail_set;           // errno for SIOCSHWTSTAMP, 0 = succeed
	bool no_hw_rx;          // ETHTOOL_GET_TS_INFO: cannot timestamp received packets (veth)
};
FakeNic *g_nic = nullptr;

std::string record_path()
{
	struct stat st {};
	stat("/proc/thread-self/ns/net", &st);
	return std::string(std::getenv("XDP_HINTS_RUN_DIR")) + "/" + std::to_string(st.st_ino) + "-" +
	       std::to_string(if_nametoindex("lo"));
}

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

int fake_ioctl(int, unsigned long req, void *arg)
{
	auto *ifr = static_cast<struct ifreq *>(arg);
	auto *c = reinterpret_cast<hwtstamp_config *>(ifr->ifr_data);
	if (std::strcmp(ifr->ifr_name, "lo") != 0) {
		errno = ENODEV;
		return -1;
	}
	if (req == SIOCETHTOOL) {
		auto *ts = reinterpret_cast<ethtool_ts_info *>(ifr->ifr_data);
		if (ts->cmd != ETHTOOL_GET_TS_INFO) {
			errno = EOPNOTSUPP;
			return -1;
		}
		ts->so_timestamping = g_nic->no_hw_rx ? 0u : SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
		ts->phc_index = g_nic->no_hw_rx ? -1 : 2;
		ts->rx_filters = (1 << HWTSTAMP_FILTER_NONE) | (1 << HWTSTAMP_FILTER_ALL);
		return 0;
	}
	if (req == SIOCGHWTSTAMP) {
		*c = g_nic->cfg;
		return 0;
	}
	if (req == SIOCSHWTSTAMP) {
		g_nic->set_calls++;
		if (g_nic->fail_set) {
			errno = g_nic->fail_set;
			return -1;
		}
		std::string rec = slurp(record_path());
		auto was = "hwtstamp " + std::to_string(g_nic->cfg.flags) + " " + std::to_string(g_nic->cfg.tx_type) + " " +
			   std::to_string(g_nic->cfg.rx_filter);
		if (c->rx_filter == HWTSTAMP_FILTER_ALL)
			g_nic->record_before_set = rec.find(was) != std::string::npos;
		g_nic->cfg = *c;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

// Run dir, fake NIC (TX on, RX off), seam in place: for the test's lifetime.
struct Fixture {
	fs::path dir;
	edge::Sys sys = edge::with_real({.ioctl = fake_ioctl});
	edge::SysOverride seam{sys};
	Fixture()
	{
		char tmpl[] = "/tmp/xh-hwts-XXXXXX";
		dir = mkdtemp(tmpl);
		setenv("XDP_HINTS_RUN_DIR", (dir / "run").c_str(), 1);
		g_nic = static_cast<FakeNic *>(
			mmap(nullptr, sizeof(FakeNic), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
		*g_nic = FakeNic{{0, HWTSTAMP_TX_ON, HWTSTAMP_FILTER_NONE}, 0, false, 0, false};
	}
	~Fixture()
	{
		munmap(g_nic, sizeof(FakeNic));
		g_nic = nullptr;
		unsetenv("XDP_HINTS_RUN_DIR");
		fs::remove_all(dir);
	}
};

// A process that enables timestamping and then dies by SIGKILL (no destructor runs).
pid_t killed_after_enable()
{
	pid_t pid = fork();
	if (pid == 0) {
		auto h = HwTimestamping::enable("lo");
		if (h)
			kill(getpid(), SIGKILL);
		_exit(1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	REQUIRE(WIFSIGNALED(st));
	return pid;
}

} // namespace

TEST_CASE("hwtstamp: the previous setting is recorded before it is changed and put back on destruction", "[hwtstamp]")
{
	Fixture fx;
	{
		auto h = HwTimestamping::enable("lo");
		REQUIRE(h);
		CHECK(g_nic->record_before_set);
		CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL);
		CHECK(g_nic->cfg.tx_type == HWTSTAMP_TX_ON); // TX left as it was
		CHECK(h->previous_rx_filter() == HWTSTAMP_FILTER_NONE);
		CHECK(h->restored().empty());
		std::string rec = slurp(record_path());
		CHECK(rec.find("pid " + std::to_string(getpid()) + "\n") != std::string::npos);
		CHECK(rec.find("ifname lo\n") != std::string::npos);
		CHECK(rec.find("hwtstamp 0 1 0\n") != std::string::npos);
	}
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	CHECK(g_nic->cfg.tx_type == HWTSTAMP_TX_ON);
	CHECK(!fs::exists(record_path()));
}

TEST_CASE("hwtstamp: a setting left by a killed process is restored by restore_left_behind (xdp-hints reset)", "[hwtstamp]")
{
	Fixture fx;
	pid_t dead = killed_after_enable();
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL); // left changed
	REQUIRE(fs::exists(record_path()));
	auto r = restore_left_behind("lo");
	REQUIRE(r);
	REQUIRE(r->size() == 1);
	CHECK((*r)[0].find("restored hardware timestamping on lo (tx_type 1, rx_filter 0) left changed by pid " +
			   std::to_string(dead)) != std::string::npos);
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	CHECK(!fs::exists(record_path()));
	auto again = restore_left_behind("lo");
	REQUIRE(again);
	CHECK(again->empty());
}

TEST_CASE("hwtstamp: the next enable restores a killed process's setting first and remembers the original", "[hwtstamp]")
{
	Fixture fx;
	pid_t dead = killed_after_enable();
	{
		auto h = HwTimestamping::enable("lo");
		REQUIRE(h);
		CHECK(h->restored().find("left changed by pid " + std::to_string(dead)) != std::string::npos);
		CHECK(h->previous_rx_filter() == HWTSTAMP_FILTER_NONE); // not the ALL the dead one set
	}
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	CHECK(!fs::exists(record_path()));
}

TEST_CASE("hwtstamp: a setting held by a process that runs is refused, and left alone", "[hwtstamp]")
{
	Fixture fx;
	int p[2], q[2];
	REQUIRE(pipe(p) == 0);
	REQUIRE(pipe(q) == 0);
	edge::UniqueFd ready_r(p[0]), ready_w(p[1]), done_r(q[0]), done_w(q[1]);
	pid_t owner = fork();
	if (owner == 0) {
		ready_r.reset();
		done_w.reset();
		auto h = HwTimestamping::enable("lo");
		(void)!write(ready_w.get(), h ? "y" : "n", 1);
		char c;
		(void)!read(done_r.get(), &c, 1); // until the test is done with it
		_exit(0);
	}
	ready_w.reset();
	done_r.reset();
	char c = 0;
	REQUIRE(read(ready_r.get(), &c, 1) == 1); // EOF if the child died
	REQUIRE(c == 'y');
	auto h = HwTimestamping::enable("lo");
	REQUIRE_FALSE(h);
	CHECK(h.error().code == Errc::busy);
	CHECK(h.error().message.find("lo is in use by") != std::string::npos);
	CHECK(h.error().message.find("(pid " + std::to_string(owner) + ")") != std::string::npos);
	auto r = restore_left_behind("lo");
	REQUIRE(r);
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL); // still the owner's
	kill(owner, SIGKILL);
	waitpid(owner, nullptr, 0);
	ready_r.reset();
	done_w.reset();
	auto after = restore_left_behind("lo");
	REQUIRE(after);
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
}

TEST_CASE("hwtstamp: a refused SIOCSHWTSTAMP leaves no record", "[hwtstamp]")
{
	Fixture fx;
	g_nic->fail_set = EOPNOTSUPP;
	auto h = HwTimestamping::enable("lo");
	REQUIRE_FALSE(h);
	CHECK(h.error().sys_errno == EOPNOTSUPP);
	CHECK(h.error().message.find("SIOCSHWTSTAMP") != std::string::npos);
	CHECK(g_nic->set_calls == 1);
	CHECK(!fs::exists(record_path()));
}

TEST_CASE("hwtstamp: enable_if_off turns RX timestamping on when it is off, and restores it", "[hwtstamp]")
{
	Fixture fx;
	auto before = rx_timestamping("lo");
	REQUIRE(before);
	CHECK(before->state == HwRxState::off);
	CHECK(before->phc_index == 2);
	{
		auto run = HwTimestamping::enable_if_off("lo");
		REQUIRE(run);
		CHECK(run->info.state == HwRxState::enabled);
		CHECK(run->info.rx_filter == HWTSTAMP_FILTER_ALL);
		REQUIRE(run->owned);
		CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL);
		CHECK(g_nic->record_before_set); // recorded first, as --hwtstamp
		CHECK(run->info.describe().find("(was none): turned on for this run, every packet") != std::string::npos);
	}
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	CHECK(!fs::exists(record_path()));
}

TEST_CASE("hwtstamp: enable_if_off leaves a filter someone else set and says which packets get stamped", "[hwtstamp]")
{
	Fixture fx;
	SECTION("ptp4l's PTP v2 event filter")
	{
		g_nic->cfg.rx_filter = HWTSTAMP_FILTER_PTP_V2_EVENT;
		auto run = HwTimestamping::enable_if_off("lo");
		REQUIRE(run);
		CHECK(run->info.state == HwRxState::filtered);
		CHECK_FALSE(run->owned);
		CHECK(g_nic->set_calls == 0);
		CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_PTP_V2_EVENT);
		CHECK(run->info.describe() ==
		      "rx_filter ptpv2-event, set by another program (ptp4l?) and left as it is: only PTP v2 event packets "
		      "(UDP and Ethernet) get hardware timestamps, the others the hook's software ones (CLOCK_TAI)");
	}
	SECTION("already on for all")
	{
		g_nic->cfg.rx_filter = HWTSTAMP_FILTER_ALL;
		auto run = HwTimestamping::enable_if_off("lo");
		REQUIRE(run);
		CHECK(run->info.state == HwRxState::all);
		CHECK(g_nic->set_calls == 0);
	}
	SECTION("a device that cannot timestamp: said, nothing set, no error")
	{
		g_nic->no_hw_rx = true;
		auto run = HwTimestamping::enable_if_off("lo");
		REQUIRE(run);
		CHECK(run->info.state == HwRxState::unsupported);
		CHECK(run->info.phc_index == -1);
		CHECK(g_nic->set_calls == 0);
		CHECK(!fs::exists(record_path()));
	}
}

TEST_CASE("hwtstamp: enable_if_off after a killed run puts its setting back first, then turns it on again", "[hwtstamp]")
{
	Fixture fx;
	pid_t dead = killed_after_enable();
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL); // left on: not someone else's filter
	{
		auto run = HwTimestamping::enable_if_off("lo");
		REQUIRE(run);
		CHECK(run->restored.find("left changed by pid " + std::to_string(dead)) != std::string::npos);
		CHECK(run->info.state == HwRxState::enabled);
	}
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
}
