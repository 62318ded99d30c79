// PHC correlation against a fake PHC behind the edge seam (open, ioctl, clock_gettime):
// a simulated system clock the test advances, and a PHC with a known offset, drift, read
// jitter and steps. What must hold: edge::Phc takes PTP_SYS_OFFSET_PRECISE, else _EXTENDED,
// else the basic ioctl, keeping the tightest reading; PhcClock's conversion of any PHC time
// stays within the error bound it reports, the bound stays useful (microseconds, not
// seconds), a step is detected, and the clock the PHC follows is named.
#include "fake_phc.hpp"

using namespace xdphints;
using namespace xdphints::hook;
using namespace fake_phc;

TEST_CASE("phc: PTP_SYS_OFFSET_PRECISE, else _EXTENDED, else the basic ioctl (linuxptp's order)", "[phc]")
{
	Fake f;
	SECTION("PRECISE offered: a cross timestamp, no read window")
	{
		auto phc = edge::Phc::open(0);
		REQUIRE(phc);
		CHECK(f.state.opened == "/dev/ptp0");
		auto s = phc->sample();
		REQUIRE(s);
		CHECK(phc->method() == edge::SysOffsetMethod::precise);
		CHECK(s->half_width_ns == 0);
		CHECK(s->phc_ns - s->realtime_ns == 37 * kS);
		CHECK(f.state.calls_extended == 0);
	}
	SECTION("no PRECISE (most drivers): EXTENDED, the tightest of the readings")
	{
		f.state.precise = false;
		f.state.jitter_ns = 3000;
		auto phc = edge::Phc::open(0);
		REQUIRE(phc);
		auto s = phc->sample(25);
		REQUIRE(s);
		CHECK(phc->method() == edge::SysOffsetMethod::extended);
		CHECK(f.state.calls_precise == 1);
		CHECK(f.state.calls_extended == 1);
		// 25 readings with windows of 200..6200 ns: the kept one is among the tightest
		CHECK(s->half_width_ns < 1500);
		CHECK(std::llabs(s->phc_ns - s->realtime_ns - 37 * kS) <= s->half_width_ns);
		// settled: the next sample asks EXTENDED only
		REQUIRE(phc->sample());
		CHECK(f.state.calls_precise == 1);
		CHECK(f.state.calls_extended == 2);
	}
	SECTION("a kernel before 5.0 (ENOTTY for EXTENDED): the basic PTP_SYS_OFFSET")
	{
		f.state.precise = false;
		f.state.extended = false;
		f.state.extended_errno = ENOTTY;
		auto phc = edge::Phc::open(0);
		REQUIRE(phc);
		auto s = phc->sample();
		REQUIRE(s);
		CHECK(phc->method() == edge::SysOffsetMethod::basic);
		CHECK(f.state.calls_basic == 1);
		CHECK(s->half_width_ns > 0);
		CHECK(std::llabs(s->phc_ns - s->realtime_ns - 37 * kS) <= s->half_width_ns);
	}
	SECTION("an error that is not 'not offered' is reported, not fallen through")
	{
		f.state.precise = false;
		f.state.precise_errno = EIO;
		auto phc = edge::Phc::open(0);
		REQUIRE(phc);
		auto s = phc->sample();
		REQUIRE_FALSE(s);
		CHECK(s.error().sys_errno == EIO);
		CHECK(s.error().message.find("PTP_SYS_OFFSET_PRECISE") != std::string::npos);
		CHECK(f.state.calls_extended == 0);
	}
	SECTION("the interface's PHC through ETHTOOL_GET_TS_INFO")
	{
		auto clk = PhcClock::open("lo");
		REQUIRE(clk);
		CHECK(f.state.opened == "/dev/ptp3");
		CHECK(clk->status().phc_index == 3);
	}
}

TEST_CASE("phc: conversions stay within their bound: offset, drift, jitter (EXTENDED)", "[phc]")
{
	Fake f;
	f.state.precise = false;
	f.state.drift = 25e-6; // 25 ppm fast
	f.state.jitter_ns = 2000;
	auto clk = PhcClock::open_index(0);
	REQUIRE(clk);
	// One measurement: the frequency is unknown, so the bound grows fast away from it
	SystemTime one = clk->to_realtime(uint64_t(f.state.phc_at(f.state.now) + kS));
	REQUIRE(one);
	CHECK(one.error_ns >= 400000); // 1 s at 500 ppm
	check_conversions(f, *clk, 50);

	run_for(f, *clk, 30);
	int64_t worst = check_conversions(f, *clk);
	CHECK(worst < 20000); // usable: tens of us at most, 1.5 s past the newest measurement
	PhcStatus st = clk->status();
	CHECK(st.samples == 16);
	CHECK(st.method == edge::SysOffsetMethod::extended);
	CHECK(st.drift_ppb == Approx(25000).margin(200));
	CHECK(st.tai_offset_s == 37);
	// 37 s ahead of REALTIME but 25 ppm fast: 750 us off TAI after 30 s, so it follows neither
	CHECK(st.offset_ns == Approx(-37 * kS - 750000).margin(5000));
	CHECK(st.follows == PhcFollows::neither);
	CHECK(st.steps == 0);
	CHECK(st.error_ns < 5000);
}

TEST_CASE("phc: PRECISE gives a tight bound; a PHC on REALTIME and a free one are told apart", "[phc]")
{
	Fake f;
	SECTION("on CLOCK_TAI (ptp4l, phc2sys)")
	{
		auto clk = PhcClock::open_index(0);
		REQUIRE(clk);
		run_for(f, *clk, 5);
		CHECK(check_conversions(f, *clk) < 200);
		CHECK(clk->status().follows == PhcFollows::tai);
		CHECK(clk->status().offset_ns == -37 * kS);
	}
	SECTION("on CLOCK_REALTIME")
	{
		f.state.phc0 = f.state.now;
		auto clk = PhcClock::open_index(0);
		REQUIRE(clk);
		run_for(f, *clk, 5);
		CHECK(check_conversions(f, *clk) < 200);
		CHECK(clk->status().follows == PhcFollows::realtime);
	}
	SECTION("free-running, 3 s off and 80 ppm slow")
	{
		f.state.phc0 = f.state.now - 3 * kS;
		f.state.drift = -80e-6;
		auto clk = PhcClock::open_index(0);
		REQUIRE(clk);
		run_for(f, *clk, 5);
		check_conversions(f, *clk);
		auto st = clk->status();
		CHECK(st.follows == PhcFollows::neither);
		CHECK(st.drift_ppb == Approx(-80000).margin(10));
		CHECK(st.offset_ns > 3 * kS);
	}
}

TEST_CASE("phc: a step is detected, the window restarts, conversions stay within the bound", "[phc]")
{
	Fake f;
	f.state.precise = false;
	f.state.drift = -12e-6;
	f.state.jitter_ns = 1000;
	auto clk = PhcClock::open_index(0);
	REQUIRE(clk);
	run_for(f, *clk, 20);
	CHECK(clk->status().steps == 0);
	check_conversions(f, *clk);

	f.state.stepped = 1000000; // ptp4l steps the PHC 1 ms forward
	f.state.now += kS;
	REQUIRE(clk->update());
	PhcStatus st = clk->status();
	CHECK(st.steps == 1);
	CHECK(st.last_step_ns == Approx(-1000000).margin(20000)); // REALTIME - PHC fell by 1 ms
	CHECK(st.samples == 1);
	// times after the step convert within the bound (the window holds only post-step data)
	run_for(f, *clk, 10);
	CHECK(clk->status().steps == 1);
	check_conversions(f, *clk, 100);
	// jitter alone is never a step
	run_for(f, *clk, 20);
	CHECK(clk->status().steps == 1);

	// ptp4l's first step is seconds (here 37 s, onto TAI): one step, and the PHC still runs
	f.state.stepped += 37 * kS;
	run_for(f, *clk, 3);
	CHECK(clk->status().steps == 2);
	CHECK(clk->status().running);
	CHECK(clk->status().last_step_ns == Approx(-37 * kS).margin(1000000)); // 37 s of PHC at -12 ppm
}

TEST_CASE("phc: a PHC that does not advance is not running: no conversion, and it is said", "[phc]")
{
	Fake f;
	f.state.precise = false;
	f.state.drift = -1; // stopped: phc_at() is phc0 whatever the time (QEMU 7.2's e1000e)
	auto clk = PhcClock::open_index(0);
	REQUIRE(clk);
	run_for(f, *clk, 3);
	PhcStatus st = clk->status();
	CHECK_FALSE(st.running);
	CHECK(st.steps == 0); // a PHC that stands still is not stepping
	CHECK(st.describe().find(", 0 steps") != std::string::npos);
	CHECK_FALSE(clk->to_realtime(uint64_t(f.state.phc0)));
	CHECK(st.describe().find("NOT RUNNING") != std::string::npos);
	// running again (the driver reset it): conversions come back, within their bound
	f.state.t0 = f.state.now;
	f.state.drift = 0;
	run_for(f, *clk, 3);
	CHECK(clk->status().running);
	SystemTime t = clk->to_realtime(uint64_t(f.state.phc_at(f.state.now)));
	REQUIRE(t);
	CHECK(std::llabs(t.ns - f.state.now) <= t.error_ns);
}

namespace {

// Packets stamped every 10 ms over [from, to) (system time), the PHC stepped by `by` from
// `step_at` on, each converted now: within its bound or not at all. How many converted.
int sweep(const Fake &f, const PhcClock &clk, int64_t from, int64_t to, int64_t step_at, int64_t by)
{
	int converted = 0;
	for (int64_t t = from; t < to; t += 10 * kMs)
		for (auto base : {TimeBase::realtime, TimeBase::tai})
			if (honest(clk, stamp(f.state, t, t >= step_at ? by : 0), base))
				converted++;
	return converted;
}

} // namespace

TEST_CASE("phc: across a step a time is converted within the bound shown with it, or not at all", "[phc][step]")
{
	// ptp4l and phc2sys step the PHC on their first correction (37 s onto TAI, or back);
	// PhcRefresher measures once a second. A step between two measurements is seen at the
	// second: packets stamped after it must not be passed off as system time meanwhile, nor
	// stamps from before it converted with the fit after it.
	Fake f;
	f.state.precise = false;
	f.state.drift = -12e-6;
	f.state.jitter_ns = 1000;
	f.state.phc0 = f.state.now; // a driver's PHC on CLOCK_REALTIME, stepped onto TAI or back
	auto clk = PhcClock::open_index(0);
	REQUIRE(clk);
	run_for(f, *clk, 20);
	const int64_t m = f.state.now; // the newest measurement (PhcRefresher's last)

	for (int64_t by : {-37 * kS, 37 * kS}) {
		DYNAMIC_SECTION("the PHC stepped by " << by / kS << " s half-way between two measurements")
		{
			Stamp before = stamp(f.state, m + 300 * kMs, 0);
			const int64_t step_at = m + 500 * kMs;
			f.state.stepped = by;
			Stamp after = stamp(f.state, step_at + 200 * kMs, by); // a packet 0.2 s after the step
			// Not seen yet: the stamp before converts, the one after is not passed off as time
			CHECK(honest(*clk, before));
			CHECK_FALSE(honest(*clk, after));
			CHECK(sweep(f, *clk, m - 1500 * kMs, step_at, step_at, by) > 0);
			sweep(f, *clk, step_at, m + 2 * kS, step_at, by);

			f.state.now = m + kS; // the next measurement sees it
			REQUIRE(clk->update());
			CHECK(clk->status().steps == 1);
			// Stamps from either side of it, converted now: neither with the new fit
			CHECK_FALSE(honest(*clk, before));
			CHECK_FALSE(honest(*clk, after));
			sweep(f, *clk, m - 3 * kS, f.state.now, step_at, by);
			// From the measurement on, the stepped PHC converts, within a usable bound
			SystemTime t = honest(*clk, stamp(f.state, f.state.now + 400 * kMs, by));
			REQUIRE(t);
			CHECK(t.error_ns < 1 * kMs);
			CHECK(sweep(f, *clk, f.state.now + kMs, f.state.now + 1501 * kMs, step_at, by) == 300);
			run_for(f, *clk, 5);
			CHECK(sweep(f, *clk, f.state.now - 1500 * kMs, f.state.now + 1500 * kMs, step_at, by) == 600);
		}
	}
	SECTION("the PHC stepped back 0.5 s just after a packet, which is converted after the step is seen")
	{
		// Its PHC value lies after the step's measurement: the new fit would put it 0.5 s late
		Stamp last = stamp(f.state, m + 950 * kMs, 0);
		const int64_t step_at = m + 960 * kMs;
		f.state.stepped = -500 * kMs;
		f.state.now = m + kS;
		REQUIRE(clk->update());
		CHECK(clk->status().steps == 1);
		CHECK_FALSE(honest(*clk, last));
		sweep(f, *clk, m - 2 * kS, f.state.now, step_at, -500 * kMs);
		CHECK(sweep(f, *clk, f.state.now + 600 * kMs, f.state.now + 1500 * kMs, step_at, -500 * kMs) == 180);
	}
	SECTION("the PHC stepped back 5 s: a packet after it lies inside the fitted window")
	{
		const int64_t step_at = m + 500 * kMs;
		f.state.stepped = -5 * kS;
		CHECK_FALSE(honest(*clk, stamp(f.state, step_at + 200 * kMs, -5 * kS)));
		sweep(f, *clk, step_at, m + 2 * kS, step_at, -5 * kS);
	}
	SECTION("no measurement for seconds (the refresher failing): stamps far from the newest are not converted")
	{
		// Nothing says whether the PHC was stepped since: here it was, 3 s forward at m + 1.5 s
		const int64_t step_at = m + 1500 * kMs;
		f.state.stepped = 3 * kS;
		CHECK_FALSE(honest(*clk, stamp(f.state, m + 2 * kS, 3 * kS)));
		sweep(f, *clk, m, m + 6 * kS, step_at, 3 * kS);
		// and stamps long before it are not converted either, stepped or not
		CHECK_FALSE(honest(*clk, stamp(f.state, m + 5 * kS, 0)));
		CHECK_FALSE(honest(*clk, stamp(f.state, m - 10 * kS, 0)));
	}
}

TEST_CASE("phc: a measurement with no usable reading is an error, not a sample", "[phc][step]")
{
	Fake f;
	f.state.precise = false;
	f.state.phc0 = f.state.now + 5 * kS;
	for (bool extended : {true, false}) {
		// CLOCK_REALTIME stepped back inside every reading (settimeofday while measuring)
		f.state.extended = extended;
		f.state.torn = true;
		auto phc = edge::Phc::open(0);
		REQUIRE(phc);
		auto s = phc->sample();
		INFO((extended ? "EXTENDED" : "basic") << ": " << (s ? "a sample" : s.error().message));
		REQUIRE_FALSE(s);
		CHECK(s.error().message.find("no usable reading of /dev/ptp0") != std::string::npos);
		CHECK(s.error().message.find(extended ? "PTP_SYS_OFFSET_EXTENDED" : "PTP_SYS_OFFSET)") != std::string::npos);
	}
	f.state.extended = true;
	f.state.torn = false;
	auto clk = PhcClock::open_index(0);
	REQUIRE(clk);
	run_for(f, *clk, 5);
	const PhcStatus was = clk->status();
	const uint64_t p = uint64_t(f.state.phc_at(f.state.now + 500 * kMs));
	SystemTime before = clk->to_realtime(p);
	REQUIRE(before);

	f.state.torn = true;
	f.state.now += kS;
	auto st = clk->update();
	REQUIRE_FALSE(st);
	CHECK(st.error().message.find("no usable reading") != std::string::npos);
	// Nothing of it reached the fit: the status and the conversions are as before
	PhcStatus now = clk->status();
	CHECK(now.samples == was.samples);
	CHECK(now.offset_ns == was.offset_ns);
	CHECK(now.follows == PhcFollows::neither);
	CHECK(now.steps == 0);
	SystemTime after = clk->to_realtime(p);
	REQUIRE(after);
	CHECK(after.ns == before.ns);
	CHECK(after.error_ns == before.error_ns);
	// the next usable measurement goes on from there
	f.state.torn = false;
	run_for(f, *clk, 2);
	CHECK(clk->status().samples == was.samples + 2);
	CHECK(clk->status().steps == 0);
	check_conversions(f, *clk, 50);
}
