// dump's clocks end to end without a NIC: hardware rx_timestamps written into packets, a
// PHC behind the edge seam (fake_phc.hpp: known offset, 25 ppm drift, read jitter, a step),
// hook::PhcClock fitting it, render::PhcTime handing it to the render plan and the capture
// as dump wires them (cli/dump.cpp). What dump shows must be the truth within the bound it
// shows with it, in the clock it says; the pcapng time must be the truth in UTC.
#include "fake_phc.hpp"
#include "phc_time.hpp"
#include "capture.hpp"
#include "render.hpp"
#include "veth_layout.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <optional>

using namespace xdphints;
using namespace fake_phc;
using ::unit::veth::Packet;
using ::unit::veth::Veth;
using ::unit::veth::VethHints;

namespace {

constexpr int64_t kTai = 37 * kS; // the TAI offset the fake's system keeps

nlohmann::json hints_of(const Veth &v, const Packet &p)
{
	std::string s;
	render::append_json(s, *v.plan, 0, p.len, v.decode(p));
	return nlohmann::json::parse(s)["hints"];
}

// A packet the NIC stamped with PHC time `phc`.
Packet stamped(const Veth &v, int64_t phc)
{
	VethHints h = ::unit::veth::kTagged;
	h.ts = uint64_t(phc);
	h.ts_sw = false;
	return Packet(v.layout(), h);
}

// The EPB time of the packet's pcapng record (bytes 12..19 of the block: high, low).
uint64_t epb_time(const render::Capture &cap, const Veth &v, const Packet &p)
{
	std::string rec;
	cap.append_packet(rec, 0, p.frame(), v.decode(p));
	REQUIRE(rec.size() >= 28);
	uint32_t hi, lo;
	std::memcpy(&hi, rec.data() + 12, 4);
	std::memcpy(&lo, rec.data() + 16, 4);
	return uint64_t(hi) << 32 | lo;
}

// |shown - truth| <= the bound shown with it (truth relative to kBase: doubles hold 1.7e18
// only to 256 ns).
void check_within(const nlohmann::json &h, double truth, int64_t base)
{
	int64_t shown = h["rx_timestamp"].get<int64_t>(), bound = h["rx_timestamp_error_ns"].get<int64_t>();
	double miss = std::fabs(double(shown - base) - truth);
	INFO("shown " << shown << ", truth " << int64_t(truth) << " + " << base << ", missed by " << miss << " ns, bound "
		      << bound);
	CHECK(miss <= double(bound));
	CHECK(bound < 20000); // microseconds, not seconds: usable
}

// A PhcClock as dump wires it: into the render plan's clock and a capture's, the capture's
// receive time 4242.
struct DumpView {
	render::PhcTime phc_time;
	Veth v;
	std::optional<render::Capture> cap;
	explicit DumpView(const PhcClock &clk) : phc_time(clk)
	{
		render::ClockView cv;
		cv.tai_offset_ns = kTai;
		cv.hardware = &phc_time;
		v.plan->set_clock(cv);
		render::CaptureOptions co;
		co.clock.tai_offset_ns = kTai;
		co.clock.hardware = &phc_time;
		co.clock.receive_ns = []() noexcept -> uint64_t { return 4242; };
		auto c = render::Capture::create(*v.plan, co);
		REQUIRE(c);
		cap.emplace(std::move(*c));
	}
};

// Not converted: shown as the PHC value the NIC gave, said to be, without a bound; the
// pcapng time is the receive time.
void check_raw(const DumpView &d, int64_t phc)
{
	auto h = hints_of(d.v, stamped(d.v, phc));
	CHECK(h["rx_timestamp"] == uint64_t(phc));
	CHECK(h["rx_timestamp_clock"] == "phc");
	CHECK_FALSE(h.contains("rx_timestamp_error_ns"));
	CHECK(epb_time(*d.cap, d.v, stamped(d.v, phc)) == 4242);
}

} // namespace

TEST_CASE("dump's clock: hardware rx_timestamps through the PHC fit, in TAI and UTC, within the bound shown", "[phc]")
{
	Fake f;
	f.state.precise = false;  // most drivers: PTP_SYS_OFFSET_EXTENDED
	f.state.drift = 25e-6;    // 25 ppm fast
	f.state.jitter_ns = 2000;
	f.state.phc0 = f.state.now + 5 * kS; // 5 s ahead of REALTIME: neither TAI nor UTC
	auto clk = PhcClock::open("lo");
	REQUIRE(clk);
	run_for(f, *clk, 20);
	render::PhcTime phc_time(*clk);
	CHECK(phc_time.describe() == "PHC /dev/ptp3 fitted against CLOCK_REALTIME");

	Veth v;
	render::ClockView cv;
	cv.tai_offset_ns = kTai;
	cv.hardware = &phc_time;
	render::CaptureOptions co;
	co.ifname = "lo";
	co.clock.tai_offset_ns = kTai;
	co.clock.hardware = &phc_time;
	auto cap = render::Capture::create(*v.plan, co);
	REQUIRE(cap);

	// Packets stamped from 1.5 s before the newest measurement to 0.8 s after it.
	for (int64_t back : {kS * 3 / 2, kS, kS / 2, int64_t(0), -kS * 8 / 10}) {
		int64_t phc = f.state.phc_at(f.state.now - back);
		double truth = f.state.truth_of(phc); // CLOCK_REALTIME - kBase
		Packet p = stamped(v, phc);
		INFO("stamped " << back << " ns before the newest measurement");

		cv.clock = render::Clock::tai;
		v.plan->set_clock(cv);
		auto tai = hints_of(v, p);
		CHECK(tai["rx_timestamp_clock"] == "tai");
		CHECK(tai["rx_timestamp_phc"] == uint64_t(phc));
		check_within(tai, truth, kBase + kTai);

		cv.clock = render::Clock::realtime;
		v.plan->set_clock(cv);
		auto utc = hints_of(v, p);
		CHECK(utc["rx_timestamp_clock"] == "realtime");
		check_within(utc, truth, kBase);
		// The raw value is 5 s and 25 ppm away from either: what --clock phc shows.
		CHECK(std::fabs(double(phc - kBase) - truth) > 4.9e9);

		// pcapng: the time is UTC (what the file format wants), whatever --clock shows.
		uint64_t t = epb_time(*cap, v, p);
		CHECK(std::fabs(double(int64_t(t) - kBase) - truth) <= double(utc["rx_timestamp_error_ns"].get<int64_t>()));
	}
	// One stamped 10 s before it is out of the fit's reach (a step since could not be seen):
	// shown as the PHC value, said to be.
	int64_t old_phc = f.state.phc_at(f.state.now - 10 * kS);
	auto old = hints_of(v, stamped(v, old_phc));
	CHECK(old["rx_timestamp"] == uint64_t(old_phc));
	CHECK(old["rx_timestamp_clock"] == "phc");

	// ptp4l steps the PHC by 2 ms: detected at the next measurement; from then on the
	// conversion follows the stepped PHC, still within its bound.
	f.state.stepped = 2000000;
	f.state.now += kS;
	REQUIRE(clk->update());
	CHECK(clk->status().steps == 1);
	run_for(f, *clk, 3);
	int64_t phc = f.state.phc_at(f.state.now - kS / 4);
	cv.clock = render::Clock::tai;
	v.plan->set_clock(cv);
	check_within(hints_of(v, stamped(v, phc)), f.state.truth_of(phc), kBase + kTai);
}

TEST_CASE("dump's clock: a PHC that does not run converts nothing: PHC values, said to be", "[phc]")
{
	Fake f;
	f.state.precise = false;
	f.state.drift = -1.0; // reads the same forever (QEMU 7.2's e1000e)
	auto clk = PhcClock::open("lo");
	REQUIRE(clk);
	run_for(f, *clk, 3);
	REQUIRE_FALSE(clk->status().running);
	DumpView d(*clk);
	check_raw(d, f.state.phc_at(f.state.now));
}

TEST_CASE("dump's clock: across a 37 s step of the PHC, a time within the bound shown or the PHC value", "[phc][step]")
{
	// ptp4l's first step, between two of PhcRefresher's measurements: what dump shows (and
	// writes as the pcapng time) for packets stamped on either side of it, before and after
	// the next measurement sees it.
	Fake f;
	f.state.precise = false;
	f.state.jitter_ns = 2000;
	f.state.phc0 = f.state.now; // the driver started it on CLOCK_REALTIME
	auto clk = PhcClock::open("lo");
	REQUIRE(clk);
	run_for(f, *clk, 20);
	DumpView d(*clk);
	// Converted: TAI within the bound shown, the pcapng time UTC within it
	auto converted = [&](const Stamp &s) {
		auto h = hints_of(d.v, stamped(d.v, s.phc));
		REQUIRE(h["rx_timestamp_clock"] == "tai");
		int64_t bound = h["rx_timestamp_error_ns"].get<int64_t>();
		INFO("stamped at " << s.at << ", shown " << h["rx_timestamp"] << " +- " << bound);
		CHECK(std::llabs(h["rx_timestamp"].get<int64_t>() - kTai - s.at) <= bound);
		CHECK(bound < 1000000); // one measurement since the step: the frequency is unknown
		CHECK(std::llabs(int64_t(epb_time(*d.cap, d.v, stamped(d.v, s.phc))) - s.at) <= bound);
	};

	const int64_t m = f.state.now;
	for (int64_t by : {-37 * kS, 37 * kS}) {
		DYNAMIC_SECTION("stepped by " << by / kS << " s")
		{
			Stamp before = stamp(f.state, m + 300 * kMs, 0);
			f.state.stepped = by; // at m + 0.5 s
			Stamp after = stamp(f.state, m + 700 * kMs, by);
			converted(before);
			check_raw(d, after.phc);
			f.state.now = m + kS;
			REQUIRE(clk->update());
			REQUIRE(clk->status().steps == 1);
			check_raw(d, before.phc);
			check_raw(d, after.phc);
			converted(stamp(f.state, f.state.now + 300 * kMs, by));
		}
	}
}
