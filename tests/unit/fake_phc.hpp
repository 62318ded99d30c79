#pragma once
// A fake PHC behind the edge seam (open, ioctl, clock_gettime) for one test: a simulated
// system clock the test advances, and a PHC with a known offset, drift, read jitter and
// steps. ETHTOOL_GET_TS_INFO on "lo" names it PHC 3. Shared by phc_clock.cpp (the
// correlation) and test_clock.cpp (dump's conversion through it).
#include <xdphints/edge/ptp.hpp>
#include <xdphints/edge/sys.hpp>
#include <xdphints/hook/phc_clock.hpp>

#include "fake_seam.hpp"

#include <catch2/catch.hpp>

#include <linux/ethtool.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>
#include <net/if.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <unistd.h>

namespace fake_phc {

using namespace xdphints;
using namespace xdphints::hook;

inline constexpr int64_t kS = 1000000000;
inline constexpr int64_t kMs = 1000000;
// PhcClock::reach() with the default period of 1 s: PHC values this far from the newest
// measurement are converted, no further (check_conversions holds it to that)
inline constexpr int64_t kReach = 2 * kS;
inline constexpr int64_t kBase = 1764500000 * kS; // the fake's CLOCK_REALTIME at start

// The fake: a system clock ("now", CLOCK_REALTIME) and a PHC that reads
// phc0 + (t - t0) * (1 + drift) + stepped at true system time t.
struct FakePhc {
	int64_t now = kBase; // CLOCK_REALTIME, advanced by the test
	int64_t t0 = now;
	int64_t phc0 = now + 37 * kS; // on TAI
	double drift = 0;             // +25e-6: the PHC runs 25 ppm fast
	int64_t stepped = 0;
	int64_t jitter_ns = 0;        // each system read up to this much (plus 100 ns) from the PHC read
	bool torn = false;            // CLOCK_REALTIME stepped back inside every reading: none usable
	bool precise = true, extended = true, basic = true;
	int extended_errno = EOPNOTSUPP; // how a missing method is refused (ENOTTY: before Linux 5.0)
	int precise_errno = EOPNOTSUPP;
	int calls_precise = 0, calls_extended = 0, calls_basic = 0;
	int fd = -1;
	std::string opened;
	std::mt19937_64 rng{42};

	int64_t phc_at(int64_t t) const { return phc0 + (t - t0) + std::llround(double(t - t0) * drift) + stepped; }
	// The true system time at which the PHC reads p, relative to kBase.
	double truth_of(int64_t p) const { return double(t0 - kBase) + double(p - phc0 - stepped) / (1 + drift); }
	int64_t wobble() { return 100 + (jitter_ns ? int64_t(rng() % uint64_t(jitter_ns)) : 0); }
	static ptp_clock_time pt(int64_t ns) { return {ns / kS, uint32_t(ns % kS), 0}; }
};
inline FakePhc *F = nullptr;

inline int fake_open(const char *path, int flags)
{
	if (std::strncmp(path, "/dev/ptp", 8) != 0)
		return ::open(path, flags);
	F->opened = path;
	F->fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC); // a real fd for UniqueFd to close
	return F->fd;
}

inline int fake_clock_gettime(clockid_t c, timespec *ts)
{
	int64_t t = F->now + (c == CLOCK_TAI ? 37 * kS : 0);
	ts->tv_sec = t / kS;
	ts->tv_nsec = t % kS;
	return 0;
}

inline int fake_ioctl(int fd, unsigned long req, void *arg)
{
	if (req == SIOCETHTOOL) { // ETHTOOL_GET_TS_INFO on "lo": PHC 3
		auto *ifr = static_cast<ifreq *>(arg);
		auto *ts = reinterpret_cast<ethtool_ts_info *>(ifr->ifr_data);
		if (std::strcmp(ifr->ifr_name, "lo") != 0 || ts->cmd != ETHTOOL_GET_TS_INFO) {
			errno = ENODEV;
			return -1;
		}
		ts->phc_index = 3;
		return 0;
	}
	REQUIRE(fd == F->fd);
	F->now += 20000; // each measurement takes a while
	if (req == PTP_SYS_OFFSET_PRECISE) {
		F->calls_precise++;
		if (!F->precise) {
			errno = F->precise_errno;
			return -1;
		}
		auto *p = static_cast<ptp_sys_offset_precise *>(arg);
		p->device = FakePhc::pt(F->phc_at(F->now));
		p->sys_realtime = FakePhc::pt(F->now);
		return 0;
	}
	if (req == PTP_SYS_OFFSET_EXTENDED) {
		F->calls_extended++;
		if (!F->extended) {
			errno = F->extended_errno;
			return -1;
		}
		auto *e = static_cast<ptp_sys_offset_extended *>(arg);
		for (unsigned i = 0; i < e->n_samples; i++) {
			int64_t t = F->now + i * 5000;
			e->ts[i][0] = FakePhc::pt(t - F->wobble());
			e->ts[i][1] = FakePhc::pt(F->phc_at(t));
			e->ts[i][2] = FakePhc::pt(t + F->wobble() - (F->torn ? kS : 0));
		}
		return 0;
	}
	if (req == PTP_SYS_OFFSET) {
		F->calls_basic++;
		if (!F->basic) {
			errno = EOPNOTSUPP;
			return -1;
		}
		auto *b = static_cast<ptp_sys_offset *>(arg);
		// sys, phc, sys, ...: the PHC read at t_i, the system reads around it
		int64_t t = F->now;
		b->ts[0] = FakePhc::pt(t - F->wobble());
		for (unsigned i = 0; i < b->n_samples; i++) {
			b->ts[2 * i + 1] = FakePhc::pt(F->phc_at(t));
			b->ts[2 * i + 2] = FakePhc::pt(F->torn ? F->now - int64_t(i + 1) * 1000000 : t + F->wobble()); // torn: each before the last
			t += 2 * F->wobble() + 1000;
		}
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

inline const edge::Sys kFake = edge::with_real({.ioctl = fake_ioctl, .open = fake_open, .clock_gettime = fake_clock_gettime});

struct Fake : xdphints::unit::FakeSeam<FakePhc> {
	Fake() : FakeSeam(kFake, F) {}
};

// Converts PHC times around the newest measurement and checks each against the truth: those
// within the reach (2 s either way) converted, within the reported bound; further, not
// converted. Returns the largest bound seen.
inline int64_t check_conversions(const Fake &f, const PhcClock &clk, int n = 200)
{
	std::mt19937_64 rng(7);
	int64_t worst_bound = 0;
	int64_t phc_now = f.state.phc_at(f.state.now);
	for (int i = 0; i < n; i++) {
		int64_t p = phc_now - kReach * 95 / 100 + int64_t(rng() % uint64_t(kReach * 190 / 100));
		int64_t far = kReach + 100 * kMs + int64_t(rng() % uint64_t(20 * kS));
		for (auto base : {TimeBase::realtime, TimeBase::tai}) {
			SystemTime t = clk.to_system(uint64_t(p), base);
			REQUIRE(t);
			// relative to the epoch of the fake (a double holds 1.7e18 ns only to 256 ns)
			double truth = f.state.truth_of(p) + (base == TimeBase::tai ? 37e9 : 0);
			double miss = std::fabs(double(t.ns - kBase) - truth);
			INFO("PHC " << p << " base " << int(base) << ": converted " << t.ns << ", truth " << int64_t(truth)
				    << ", missed by " << miss << " ns, bound " << t.error_ns);
			REQUIRE(miss <= double(t.error_ns));
			worst_bound = std::max(worst_bound, t.error_ns);
			INFO("PHC " << far << " ns from the newest measurement");
			REQUIRE_FALSE(clk.to_system(uint64_t(phc_now + far), base));
			REQUIRE_FALSE(clk.to_system(uint64_t(phc_now - far), base));
		}
	}
	return worst_bound;
}

// A packet the NIC stamped at system time `at` (CLOCK_REALTIME): the PHC value then, the PHC
// stepped by `stepped` at that time (the fake's `stepped` is the PHC's state now).
struct Stamp {
	int64_t phc, at;
};
inline Stamp stamp(const FakePhc &s, int64_t at, int64_t stepped)
{
	return {s.phc_at(at) - s.stepped + stepped, at};
}

// What PhcClock promises: a stamp is converted within the bound shown with it, or not at
// all. Checks that and returns the conversion (integers: the truth is exact here).
inline SystemTime honest(const PhcClock &clk, Stamp s, TimeBase base = TimeBase::realtime)
{
	SystemTime t = clk.to_system(uint64_t(s.phc), base);
	if (t) {
		int64_t miss = t.ns - s.at - (base == TimeBase::tai ? 37 * kS : 0);
		INFO("stamped at " << s.at - kBase << " ns (PHC " << s.phc << "): converted " << t.ns << ", missed by " << miss
				   << " ns, bound " << t.error_ns << " ns");
		CHECK(std::llabs(miss) <= t.error_ns);
	}
	return t;
}

inline void run_for(Fake &f, PhcClock &clk, int seconds)
{
	for (int s = 0; s < seconds; s++) {
		f.state.now += kS;
		REQUIRE(clk.update());
	}
}

} // namespace fake_phc
