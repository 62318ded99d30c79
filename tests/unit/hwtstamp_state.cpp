// --hwtstamp without a NIC that timestamps: the edge seam's ioctl (SIOCGHWTSTAMP/SIOCSHWTSTAMP) stands for
// the driver (its setting lives in shared memory, so a forked "dump" that is killed changes
// the same device), on loopback, with the state records in a directory of the test's own.
// What must hold: the previous setting is on disk before it is changed; it is put back on
// destruction; a process killed after the change leaves a record from which the next
// enable() or restore_left_behind() puts it back and says so; a live owner is refused.
// Put back only while the device still has what was set (ptp4l may have set its own since);
// a record of another boot, of a network namespace that is gone (the seam's getsockopt
// gives the killed process another namespace cookie) or of the older inode-keyed format is
// dropped and said, never applied.
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
#include <utility>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
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
	uint64_t cookie_shift;  // added to the namespace cookie SO_NETNS_COOKIE reports
	bool newer_on_set;      // at the next SIOCSHWTSTAMP, a newer process rewrites the record
};
FakeNic *g_nic = nullptr;

uint64_t real_netns_cookie()
{
	edge::UniqueFd s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	uint64_t c = 0;
	socklen_t len = sizeof(c);
	getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &c, &len);
	return c;
}

uint64_t netns_inode()
{
	struct stat st {};
	stat("/proc/thread-self/ns/net", &st);
	return st.st_ino;
}

std::string run_dir() { return std::getenv("XDP_HINTS_RUN_DIR"); }

// Where this namespace's record for lo is (state_record.hpp): by namespace cookie and ifindex.
std::string record_path()
{
	return run_dir() + "/netns-" + std::to_string(real_netns_cookie()) + "-" + std::to_string(if_nametoindex("lo"));
}

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

int fake_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int r = ::getsockopt(fd, level, name, val, len);
	if (r == 0 && level == SOL_SOCKET && name == SO_NETNS_COOKIE && g_nic)
		*static_cast<uint64_t *>(val) += g_nic->cookie_shift;
	return r;
}

// A newer process's record replaces the one being restored: same file, another owner
// (this test process, which runs) and another version.
void newer_writes_record()
{
	fs::path rec;
	for (auto &e : fs::directory_iterator(run_dir()))
		rec = e.path();
	std::istringstream in(slurp(rec));
	std::string out;
	for (std::string line; std::getline(in, line);) {
		if (line.rfind("pid ", 0) == 0)
			line = "pid " + std::to_string(getpid());
		else if (line.rfind("start ", 0) == 0 || line.rfind("gen ", 0) == 0)
			line = line.substr(0, line.find(' ')) + " newer";
		out += line + "\n";
	}
	std::ofstream(rec.string() + ".new") << out;
	fs::rename(rec.string() + ".new", rec);
}

int fake_ioctl(int fd, unsigned long req, void *arg)
{
	auto *ifr = static_cast<struct ifreq *>(arg);
	if (req == SIOCGIFNAME)
		return ::ioctl(fd, req, arg); // finding lo again by its index
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
		if (std::exchange(g_nic->newer_on_set, false))
			newer_writes_record();
		return 0;
	}
	errno = EINVAL;
	return -1;
}

// Run dir, fake NIC (TX on, RX off), seam in place: for the test's lifetime.
struct Fixture {
	fs::path dir;
	edge::Sys sys = edge::with_real({.getsockopt = fake_getsockopt, .ioctl = fake_ioctl});
	edge::SysOverride seam{sys};
	Fixture()
	{
		char tmpl[] = "/tmp/xh-hwts-XXXXXX";
		dir = mkdtemp(tmpl);
		setenv("XDP_HINTS_RUN_DIR", (dir / "run").c_str(), 1);
		g_nic = static_cast<FakeNic *>(
			mmap(nullptr, sizeof(FakeNic), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
		*g_nic = FakeNic{{0, HWTSTAMP_TX_ON, HWTSTAMP_FILTER_NONE}, 0, false, 0, false, 0, false};
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
		CHECK(rec.find("hwtstamp_set 0 1 1\n") != std::string::npos); // what it set: put back only while so
		CHECK(rec.find("ifindex " + std::to_string(if_nametoindex("lo")) + "\n") != std::string::npos);
		CHECK(rec.find("netns " + std::to_string(real_netns_cookie()) + " " + std::to_string(netns_inode()) + "\n") !=
		      std::string::npos);
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
	CHECK((*r)[0] == "restored hardware timestamping on lo (tx_type on, rx_filter none) left changed by pid " +
				 std::to_string(dead) + ", which ended without restoring it");
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	CHECK(!fs::exists(record_path()));
	CHECK(fs::is_directory(run_dir())); // another process may be about to write into it
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

namespace {

// ptp4l's setting: TX timestamps on, PTP v2 event packets stamped.
constexpr hwtstamp_config kPtp4l{0, HWTSTAMP_TX_ON, HWTSTAMP_FILTER_PTP_V2_EVENT};

bool is_ptp4l(const hwtstamp_config &c)
{
	return c.flags == kPtp4l.flags && c.tx_type == kPtp4l.tx_type && c.rx_filter == kPtp4l.rx_filter;
}

// A pid that ran and no longer does.
pid_t reaped_pid()
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, nullptr, 0);
	return pid;
}

void write_file(const std::string &path, const std::string &text)
{
	std::ofstream(path) << text;
}

} // namespace

TEST_CASE("hwtstamp: a setting ptp4l made while the run went on is left at exit", "[hwtstamp]")
{
	Fixture fx;
	{
		auto h = HwTimestamping::enable("lo");
		REQUIRE(h);
		CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL);
		g_nic->cfg = kPtp4l; // ptp4l starts meanwhile and sets its own
	}
	CHECK(is_ptp4l(g_nic->cfg));
	CHECK(g_nic->set_calls == 1); // ours; nothing written back over ptp4l's
	CHECK(!fs::exists(record_path()));
}

TEST_CASE("hwtstamp: restore() says what it found when it leaves someone else's setting", "[hwtstamp]")
{
	Fixture fx;
	auto h = HwTimestamping::enable("lo");
	REQUIRE(h);
	g_nic->cfg = kPtp4l;
	auto m = h->restore();
	REQUIRE(m);
	CHECK(*m == "left hardware timestamping on lo as it is: it is tx_type on, rx_filter ptpv2-event now, which "
		    "another program (ptp4l?) set after this run set tx_type on, rx_filter all; before this run it was "
		    "tx_type on, rx_filter none");
	CHECK(is_ptp4l(g_nic->cfg));
	CHECK(!fs::exists(record_path()));
	auto again = h->restore(); // once only
	REQUIRE(again);
	CHECK(again->empty());
	SECTION("still ours: put back, nothing to say")
	{
		auto h2 = HwTimestamping::enable("lo");
		REQUIRE(h2);
		auto m2 = h2->restore();
		REQUIRE(m2);
		CHECK(m2->empty());
		CHECK(is_ptp4l(g_nic->cfg)); // what it found before (ptp4l's TX and filter) is back
	}
}

TEST_CASE("hwtstamp: a killed run's setting that ptp4l changed since is left by the restore, and said", "[hwtstamp]")
{
	Fixture fx;
	pid_t dead = killed_after_enable();
	g_nic->cfg = kPtp4l;
	auto r = restore_left_behind("lo");
	REQUIRE(r);
	REQUIRE(r->size() == 1);
	std::string p = "pid " + std::to_string(dead);
	CHECK((*r)[0] == "left hardware timestamping on lo as it is: it is tx_type on, rx_filter ptpv2-event now, which "
			 "another program (ptp4l?) set after " + p + " set tx_type on, rx_filter all; before " + p +
				 " it was tx_type on, rx_filter none (" + p + " ended without restoring it)");
	CHECK(is_ptp4l(g_nic->cfg));
	CHECK(g_nic->set_calls == 1); // the killed run's only
	CHECK(!fs::exists(record_path()));
}

TEST_CASE("hwtstamp: the record of a network namespace that is gone is dropped and said, never applied to the one "
	  "that has its inode now",
	  "[hwtstamp][netns]")
{
	Fixture fx;
	uint64_t cookie = real_netns_cookie();
	g_nic->cookie_shift = 1000; // the killed run's namespace: same inode (reused), another cookie
	pid_t dead = killed_after_enable();
	g_nic->cookie_shift = 0;
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL);
	auto r = restore_left_behind("lo");
	REQUIRE(r);
	REQUIRE(r->size() == 1);
	CHECK((*r)[0] == "dropped the state record of lo (ifindex " + std::to_string(if_nametoindex("lo")) +
				 ", network namespace cookie " + std::to_string(cookie + 1000) + ") left by pid " +
				 std::to_string(dead) + ": that network namespace no longer exists (this one, cookie " +
				 std::to_string(cookie) + ", has its inode " + std::to_string(netns_inode()) +
				 "), so nothing of it was applied here; it had changed hardware timestamping (it was tx_type "
				 "on, rx_filter none)");
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL); // not touched
	CHECK(g_nic->set_calls == 1);
	CHECK(fs::is_empty(run_dir()));
	auto again = restore_left_behind("lo");
	REQUIRE(again);
	CHECK(again->empty());
}

TEST_CASE("hwtstamp: a record from an earlier boot is dropped and said, never applied", "[hwtstamp][netns]")
{
	Fixture fx;
	g_nic->cfg.rx_filter = HWTSTAMP_FILTER_ALL;
	fs::create_directories(run_dir());
	int lo = int(if_nametoindex("lo"));
	write_file(record_path(), "boot 00000000-0000-0000-0000-000000000001\nnetns " + std::to_string(real_netns_cookie()) +
					  " " + std::to_string(netns_inode()) + "\nifindex " + std::to_string(lo) +
					  "\nifname lo\npid 4242\nstart 99\ngen 4242.99.1\nhwtstamp 0 1 0\nhwtstamp_set 0 1 1\n");
	auto r = restore_left_behind("lo");
	REQUIRE(r);
	REQUIRE(r->size() == 1);
	CHECK((*r)[0] == "dropped the state record of lo (ifindex " + std::to_string(lo) + ", network namespace cookie " +
				 std::to_string(real_netns_cookie()) +
				 ") left by pid 4242: it is from an earlier boot (boot id "
				 "00000000-0000-0000-0000-000000000001), so nothing of it can be restored; it had changed "
				 "hardware timestamping (it was tx_type on, rx_filter none)");
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL);
	CHECK(g_nic->set_calls == 0);
	CHECK(fs::is_empty(run_dir()));
}

TEST_CASE("hwtstamp: a record of the older format (keyed by namespace inode) is dropped and said, never applied",
	  "[hwtstamp][netns]")
{
	Fixture fx;
	g_nic->cfg.rx_filter = HWTSTAMP_FILTER_ALL;
	fs::create_directories(run_dir());
	pid_t dead = reaped_pid();
	std::string old = run_dir() + "/" + std::to_string(netns_inode()) + "-" + std::to_string(if_nametoindex("lo"));
	write_file(old, "pid " + std::to_string(dead) + "\nstart 1\nifname lo\nhwtstamp 0 1 0\n");
	auto r = restore_left_behind("lo");
	REQUIRE(r);
	REQUIRE(r->size() == 1);
	CHECK((*r)[0] == "dropped " + old + ", a state record of lo (ifindex " + std::to_string(if_nametoindex("lo")) +
				 ") left by pid " + std::to_string(dead) +
				 " and written by an older xdp-hints: it names its network namespace by inode, which a new "
				 "namespace gets once the old one is gone, so it cannot be matched to an interface safely and "
				 "nothing of it was applied; it had changed hardware timestamping (it was tx_type on, rx_filter "
				 "none); check the timestamping setting of lo (hwstamp_ctl -i lo)");
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_ALL);
	CHECK(g_nic->set_calls == 0);
	CHECK(!fs::exists(old));
	SECTION("one whose owner still runs is its own: left alone")
	{
		std::ifstream stat("/proc/self/stat");
		std::string line;
		std::getline(stat, line);
		std::istringstream l(line.substr(line.rfind(')') + 2));
		std::string f;
		for (int i = 3; i <= 22; i++)
			l >> f;
		write_file(old, "pid " + std::to_string(getpid()) + "\nstart " + f + "\nifname lo\nhwtstamp 0 1 0\n");
		auto again = restore_left_behind("lo");
		REQUIRE(again);
		CHECK(again->empty());
		CHECK(fs::exists(old));
	}
}

TEST_CASE("hwtstamp: the end of a restore removes only the record it read", "[hwtstamp]")
{
	Fixture fx;
	(void)killed_after_enable();
	g_nic->newer_on_set = true; // while the restore puts the setting back, a newer run records its own
	auto r = restore_left_behind("lo");
	REQUIRE(r);
	CHECK(g_nic->cfg.rx_filter == HWTSTAMP_FILTER_NONE);
	REQUIRE(fs::is_directory(run_dir()));
	std::vector<fs::path> left;
	for (auto &e : fs::directory_iterator(run_dir()))
		left.push_back(e.path());
	REQUIRE(left.size() == 1);
	CHECK(slurp(left[0]).find("pid " + std::to_string(getpid()) + "\n") != std::string::npos);
}
