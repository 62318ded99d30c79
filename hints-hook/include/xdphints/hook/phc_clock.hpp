#pragma once
// Hardware RX timestamps in system time. A hardware rx_timestamp is a reading of the NIC's
// PTP hardware clock (PHC), which may be seconds away from the system clocks (37 s when
// it keeps TAI and is compared with CLOCK_REALTIME) and drift by tens of ppm unless
// phc2sys/ptp4l steer it. PhcClock measures the PHC against CLOCK_REALTIME (edge::Phc:
// PTP_SYS_OFFSET_PRECISE, else _EXTENDED, else the basic ioctl) and fits offset and
// frequency over a sliding window of measurements, as chrony's hwclock.c does; a packet's
// timestamp is then converted with that line, inline and lock-free, with an error bound.
//
//   auto clk = hook::PhcClock::open("eth0");            // ETHTOOL_GET_TS_INFO -> /dev/ptpN
//   hook::PhcRefresher ref(*clk);                       // update() once a second, own thread
//   ... per packet:
//   auto t = clk->rx_time(hints, ts, hook::TimeBase::tai); // hardware: converted; software: as is
//   if (t) use(t.ns, t.error_ns);
//
// The bound. Each measurement i gives o_i = REALTIME - PHC within +-e_i (half the read
// window; linuxptp's tightest-of-N). The fit is the least-squares line o(x) over the window,
// x = PHC - PHC of the newest measurement. If the true offset is a line, the fit misses it by
// at most R = max_i(|o_i - o(x_i)| + e_i) at every measurement, so by at most R between the
// oldest and the newest (a difference of two lines is extreme at the ends) and by
// R + d * 2R/span at a distance d outside them (span = the window's PHC range), plus
// kWanderPpb for the frequency changing (temperature, a servo). Worked example: 16
// measurements 1 s apart, each +-400 ns, residuals up to 300 ns: R = 700 ns; a packet 0.5 s
// after the newest: 700 + 0.5e9 * 1400 / 15e9 + 0.5e9 * 10e-9 = 752 ns.
// One measurement only: the frequency is unknown, the bound grows by kMaxDriftPpb.
//
// A step (ptp4l stepping the PHC, settimeofday or a leap on the system side): a measurement
// off the fit by more than 4x its bound and step_min_ns is one. The window restarts from it
// and steps() counts it; conversions keep working from the first measurement after it.
// A PHC that advances by less than half or more than 1.5x the system time between two
// measurements twice in a row is not running (status().running false; to_system()
// invalid) until it does again.
//
// What a step does to a converted time. A PHC value does not say on which side of a step it
// was taken, and a step is seen only at the first measurement after it (PhcRefresher: up to a
// period later). So a PHC value is converted only
//   - within reach() = 2 periods (PHC time) of the newest measurement, either way. Further,
//     nothing says whether the PHC was stepped since; a refresher failing or late for a
//     period ends conversions there too;
//   - after a seen step, not before the measurement that saw it: a stamp from just before
//     may be from either side. After a step back by S (less than 2 reaches), not within S
//     after it either: a stamp taken before the step has those PHC values too.
// Otherwise it is invalid, never converted with a bound that does not hold. Two conditions
// the PHC value cannot show remain: the stamp is converted within the reach of being taken
// (dump converts at receive; one converted later can, after a step back, pass for a later
// one), and no step happened since the newest measurement. A step forward by less than the
// reach, or back by less than the reach plus the time to the next measurement, leaves the
// stamps after it within the reach: until that measurement sees it they are converted with
// the fit from before it, off by the step, which their bound does not include. Larger steps
// (ptp4l's 37 s onto TAI) put every later stamp out of reach: none is converted. A step
// undone before the next measurement is never seen; one below the detection threshold
// counts as noise and widens the bound.
//
// Threads: update() from one thread (yours, or PhcRefresher's); to_system()/rx_time() from
// any thread at any time (a seqlock: the reader retries the rare read that overlaps a
// publish; no lock, no allocation, no system call).
#include <xdphints/edge/ptp.hpp>
#include <xdphints/export.hpp>
#include <xdphints/query.hpp>
#include <xdphints/result.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace xdphints::hook {

enum class TimeBase { tai, realtime };

// The system clock the PHC already follows (within kFollowNs). With ptp4l the PHC keeps
// PTP time, which is TAI (phc2sys -s eth0 -c CLOCK_REALTIME -w then steers the system
// clock from it, 37 s behind); phc2sys -s CLOCK_REALTIME -c eth0 -O 37 puts it on TAI from
// the system clock; -O 0 on UTC. Many drivers start their PHC at CLOCK_REALTIME and let it
// drift.
enum class PhcFollows {
	unknown,  // not measured yet
	tai,      // PHC = CLOCK_TAI: ptp4l/phc2sys as PTP wants (PTP time is TAI)
	realtime, // PHC = CLOCK_REALTIME (UTC): phc2sys -O 0 with a UTC offset, or a driver's init
	neither,  // free-running or synchronised to something else: convert before comparing
};
XDPHINTS_API const char *follows_name(PhcFollows f) noexcept; // "CLOCK_TAI", "CLOCK_REALTIME", "neither", "unknown"

// A time in the asked system clock, ns since the epoch; |ns - truth| <= error_ns.
struct SystemTime {
	int64_t ns = 0;
	int64_t error_ns = 0;
	// false: not converted: no timestamp, no usable fit (none yet, the PHC not running), or
	// the PHC value out of the fit's reach or on the far side of a step (see above)
	bool valid = false;
	explicit operator bool() const noexcept { return valid; }
};

// A snapshot for display and statistics.
struct XDPHINTS_API PhcStatus {
	int phc_index = -1;
	edge::SysOffsetMethod method = edge::SysOffsetMethod::precise;
	int samples = 0;          // measurements in the window
	double span_s = 0;        // PHC time the window covers
	int64_t offset_ns = 0;    // CLOCK_REALTIME - PHC at the newest measurement (the fit)
	double drift_ppb = 0;     // the PHC's rate against CLOCK_REALTIME: + runs fast
	int64_t error_ns = 0;     // the bound at the newest measurement
	int64_t read_ns = 0;      // half the read window of the newest measurement
	int64_t tai_offset_s = 0; // CLOCK_TAI - CLOCK_REALTIME as the kernel has it
	PhcFollows follows = PhcFollows::unknown;
	// false: the PHC did not advance at a clock's rate over the last two measurements
	// (stopped, as QEMU 7.2's e1000e PHC; or broken): no conversions until it does.
	bool running = true;
	uint64_t steps = 0;       // steps detected since open()
	int64_t last_step_ns = 0; // how far the last one moved REALTIME - PHC
	std::string describe() const; // one line
};

struct PhcOptions {
	int window = 16;             // measurements fitted (16 s at one update a second)
	int readings = 9;            // PHC readings per measurement, the tightest kept
	int64_t step_min_ns = 20000; // smaller moves are noise, not steps
	// How often update() runs (PhcRefresher's period). PHC values further than two periods
	// from the newest measurement are not converted (reach()): a step since could not be seen.
	std::chrono::milliseconds period{1000};
};

class XDPHINTS_API PhcClock {
public:
	static constexpr double kMaxDriftPpb = 500000; // one measurement: +-500 ppm (servos' max_adj)
	static constexpr double kWanderPpb = 10;       // the frequency changing within a window
	static constexpr int64_t kFollowNs = 100000;   // "follows" a system clock: within 100 us

	using Options = PhcOptions;

	// The PHC of `ifname` (ETHTOOL_GET_TS_INFO -> /dev/ptpN), measured once: Errc::not_found
	// when it has none. In the calling thread's network namespace.
	static Result<PhcClock> open(std::string_view ifname, Options o = {});
	static Result<PhcClock> open_index(int index, Options o = {});

	// One measurement and a new fit. Off the packet path (about once a second).
	Status update();

	// A PHC time (a hardware rx_timestamp) in CLOCK_TAI or CLOCK_REALTIME; invalid when it
	// cannot be converted within a bound that holds (see "What a step does" above).
	SystemTime to_system(uint64_t phc_ns, TimeBase base) const noexcept
	{
		const Fit &f = *fit_;
		Published p;
		for (;;) {
			uint32_t s1 = f.seq.load(std::memory_order_acquire);
			if (s1 & 1)
				continue;
			p = {f.ref_phc.load(std::memory_order_relaxed), f.offset.load(std::memory_order_relaxed),
			     f.slope.load(std::memory_order_relaxed), f.err0.load(std::memory_order_relaxed),
			     f.err_rate.load(std::memory_order_relaxed), f.span.load(std::memory_order_relaxed),
			     f.tai_ns.load(std::memory_order_relaxed), f.lo.load(std::memory_order_relaxed),
			     f.hi.load(std::memory_order_relaxed)};
			std::atomic_thread_fence(std::memory_order_acquire);
			if (f.seq.load(std::memory_order_relaxed) == s1)
				break;
		}
		if (int64_t(phc_ns) < p.lo || int64_t(phc_ns) > p.hi)
			return {};
		SystemTime t = on_line(p, int64_t(phc_ns));
		if (t && base == TimeBase::tai)
			t.ns += p.tai_ns;
		return t;
	}
	SystemTime to_tai(uint64_t phc_ns) const noexcept { return to_system(phc_ns, TimeBase::tai); }
	SystemTime to_realtime(uint64_t phc_ns) const noexcept { return to_system(phc_ns, TimeBase::realtime); }

	// A packet's rx_timestamp in `base`: hardware ones converted; the hook's software ones
	// (CLOCK_TAI, exact readings) only moved to `base`; invalid when it has none.
	SystemTime rx_time(const Hints &h, Field<uint64_t> ts, TimeBase base) const noexcept
	{
		auto t = h.get(ts);
		if (!t)
			return {};
		if (!h.software(ts))
			return to_system(*t, base);
		int64_t tai = fit_->tai_ns.load(std::memory_order_relaxed);
		return {base == TimeBase::tai ? int64_t(*t) : int64_t(*t) - tai, 0, true};
	}

	PhcStatus status() const;
	// How far (PHC ns) from the newest measurement a PHC value is converted: two periods.
	int64_t reach() const noexcept { return 2 * std::chrono::nanoseconds(opt_.period).count(); }
	std::chrono::milliseconds period() const noexcept { return opt_.period; }
	int index() const noexcept { return phc_.index(); }
	std::string path() const { return phc_.path(); }

private:
	struct Published {
		int64_t ref_phc, offset;
		double slope;
		int64_t err0;
		double err_rate; // 0: no line to convert with
		int64_t span, tai_ns;
		int64_t lo, hi; // the PHC values converted: the reach, and not before the last step
	};
	// What to_system() reads, under a seqlock (odd seq: being written).
	struct Fit {
		std::atomic<uint32_t> seq{0};
		std::atomic<int64_t> ref_phc{0}, offset{0}, err0{0}, span{0}, tai_ns{0}, lo{1}, hi{0};
		std::atomic<double> slope{0}, err_rate{0}; // err_rate 0: nothing published yet
	};
	// `phc` in CLOCK_REALTIME by the line of `p`, with its bound; invalid without a line.
	static SystemTime on_line(const Published &p, int64_t phc) noexcept
	{
		if (p.err_rate == 0)
			return {};
		int64_t dx = phc - p.ref_phc;
		double d = dx > 0 ? double(dx) : dx < -p.span ? double(-p.span - dx) : 0.0; // outside the window
		return {phc + p.offset + int64_t(p.slope * double(dx)), p.err0 + int64_t(d * p.err_rate) + 1, true};
	}
	struct Sample {
		int64_t phc, off, e;
	};
	Published last_{};       // what was published last (update()'s thread)
	int64_t floor_ = INT64_MIN; // no PHC value below this is converted: the last step's far side
	bool irregular_ = false; // the last interval's PHC advance was no clock's (a step, or stopped)
	bool step_on_irregular_ = false; // the last step was counted on such an interval (undone if it was a stall)
	int64_t last_step_before_ = 0;   // status().last_step_ns before that step
	PhcClock(edge::Phc phc, Options o);
	static Result<PhcClock> measured(Result<edge::Phc> phc, Options o); // and measured once
	void publish(const Published &p) noexcept;

	edge::Phc phc_;
	Options opt_;
	std::unique_ptr<Fit> fit_; // stays put when the PhcClock moves
	std::unique_ptr<std::mutex> mu_; // the window and status, against status() from another thread
	std::vector<Sample> window_;
	PhcStatus st_;
};

// Calls clk.update() every clk.period() (PhcOptions::period) on a thread of its own until
// destroyed; `clk` must outlive it. Failed updates are counted; meanwhile the bound keeps
// growing, and two periods after the last good one nothing is converted.
class XDPHINTS_API PhcRefresher {
public:
	explicit PhcRefresher(PhcClock &clk);
	~PhcRefresher();
	PhcRefresher(const PhcRefresher &) = delete;
	PhcRefresher &operator=(const PhcRefresher &) = delete;
	uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

private:
	std::atomic<uint64_t> failures_{0};
	std::jthread thread_;
};

} // namespace xdphints::hook
