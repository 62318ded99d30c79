#include <xdphints/hook/phc_clock.hpp>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>

namespace xdphints::hook {

const char *follows_name(PhcFollows f) noexcept
{
	switch (f) {
	case PhcFollows::unknown: return "unknown";
	case PhcFollows::tai: return "CLOCK_TAI";
	case PhcFollows::realtime: return "CLOCK_REALTIME";
	case PhcFollows::neither: return "neither";
	}
	return "?";
}

std::string PhcStatus::describe() const
{
	char b[320];
	std::snprintf(b, sizeof(b),
		      "/dev/ptp%d (%s): CLOCK_REALTIME - PHC %+" PRId64 " ns +- %" PRId64 " ns, PHC drift %+.3f ppm over %d "
		      "measurements (%.1f s), follows %s, %" PRIu64 " steps",
		      phc_index, edge::sys_offset_name(method), offset_ns, error_ns, drift_ppb / 1000, samples, span_s,
		      follows_name(follows), steps);
	if (!running)
		return std::string(b) + "; NOT RUNNING: the PHC does not advance, its timestamps cannot be converted";
	return b;
}

PhcClock::PhcClock(edge::Phc phc, Options o)
	: phc_(std::move(phc)), opt_(o), fit_(std::make_unique<Fit>()), mu_(std::make_unique<std::mutex>())
{
	opt_.window = std::max(opt_.window, 2);
	opt_.period = std::max(opt_.period, std::chrono::milliseconds(1));
	window_.reserve(size_t(opt_.window));
	st_.phc_index = phc_.index();
}

Result<PhcClock> PhcClock::measured(Result<edge::Phc> phc, Options o)
{
	if (!phc)
		return phc.error();
	PhcClock c(std::move(*phc), o);
	if (auto st = c.update(); !st)
		return st.error();
	return c;
}

Result<PhcClock> PhcClock::open(std::string_view ifname, Options o)
{
	return measured(edge::Phc::of_interface(ifname), o);
}

Result<PhcClock> PhcClock::open_index(int index, Options o)
{
	return measured(edge::Phc::open(index), o);
}

void PhcClock::publish(const Published &line) noexcept
{
	// The PHC values converted with it: within the reach of its newest measurement, and not
	// on the far side of the last step.
	Published p = line;
	p.lo = std::max(p.ref_phc - reach(), floor_);
	p.hi = p.ref_phc + reach();
	last_ = p;
	Fit &f = *fit_;
	uint32_t s = f.seq.load(std::memory_order_relaxed);
	f.seq.store(s + 1, std::memory_order_relaxed);
	std::atomic_thread_fence(std::memory_order_release);
	f.ref_phc.store(p.ref_phc, std::memory_order_relaxed);
	f.offset.store(p.offset, std::memory_order_relaxed);
	f.slope.store(p.slope, std::memory_order_relaxed);
	f.err0.store(p.err0, std::memory_order_relaxed);
	f.err_rate.store(p.err_rate, std::memory_order_relaxed);
	f.span.store(p.span, std::memory_order_relaxed);
	f.tai_ns.store(p.tai_ns, std::memory_order_relaxed);
	f.lo.store(p.lo, std::memory_order_relaxed);
	f.hi.store(p.hi, std::memory_order_relaxed);
	f.seq.store(s + 2, std::memory_order_release);
}

Status PhcClock::update()
{
	auto m = phc_.sample(opt_.readings);
	if (!m)
		return m.error();
	int64_t tai_s = edge::tai_offset_s();
	Sample s{m->phc_ns, m->realtime_ns - m->phc_ns, m->half_width_ns + 1}; // +1: the ns rounding

	std::lock_guard lock(*mu_);
	st_.tai_offset_s = tai_s;
	if (!window_.empty()) {
		// The realtime of a measurement is phc + off: how far each clock moved since the last.
		const Sample &prev = window_.back();
		int64_t drt = (s.phc + s.off) - (prev.phc + prev.off), dphc = s.phc - prev.phc;
		bool irregular = drt > 0 && std::llabs(dphc - drt) > drt / 2;
		if (irregular && irregular_) {
			// Twice in a row: the PHC is not running as a clock. Nothing to convert with.
			// The first irregular interval was taken for a step; it was the stall.
			if (step_on_irregular_) {
				st_.steps--;
				st_.last_step_ns = last_step_before_;
				step_on_irregular_ = false;
			}
			st_.running = false;
			window_.assign(1, s);
			publish({s.phc, s.off, 0, s.e, 0, 0, tai_s * 1000000000, 0, 0});
			st_.samples = 1;
			st_.offset_ns = s.off;
			st_.read_ns = s.e;
			st_.method = phc_.method();
			st_.follows = PhcFollows::neither;
			return {};
		}
		irregular_ = irregular;
	}
	if (!st_.running) {
		window_.clear(); // running again: nothing from before the stall fits
		floor_ = s.phc;  // nor is a PHC value from the stall converted
	}
	st_.running = true;
	// A step: the new measurement is far outside what the fit allows for it.
	if (!window_.empty()) {
		SystemTime pred = on_line(last_, s.phc);
		int64_t miss = s.off - (pred.ns - s.phc);
		step_on_irregular_ = false;
		if (pred && std::llabs(miss) > std::max(opt_.step_min_ns, 4 * (pred.error_ns + s.e))) {
			last_step_before_ = st_.last_step_ns;
			st_.steps++;
			st_.last_step_ns = miss;
			step_on_irregular_ = irregular_;
			window_.clear();
			// PHC values before this measurement may be from either side of the step. After a
			// step back by `miss`, so may those up to `miss` after it: a stamp taken before the
			// step reads that much ahead. Converted within the reach of being taken, such a
			// stamp is out of reach anyway when the step is more than two reaches.
			floor_ = s.phc;
			if (miss > 0 && miss < 2 * reach())
				floor_ += miss + pred.error_ns + s.e;
		}
	}
	if (window_.size() == size_t(opt_.window))
		window_.erase(window_.begin());
	window_.push_back(s);

	// Least squares of off over x = phc - newest phc (doubles: x spans seconds in ns).
	const Sample &last = window_.back();
	size_t n = window_.size();
	double slope = 0;
	if (n >= 2) {
		double mx = 0, my = 0;
		for (auto &w : window_)
			mx += double(w.phc - last.phc), my += double(w.off - last.off);
		mx /= double(n), my /= double(n);
		double sxx = 0, sxy = 0;
		for (auto &w : window_) {
			double dx = double(w.phc - last.phc) - mx;
			sxx += dx * dx;
			sxy += dx * (double(w.off - last.off) - my);
		}
		slope = sxx > 0 ? sxy / sxx : 0;
		// the intercept at x = 0, relative to last.off
		double a = my - slope * mx;
		int64_t offset = last.off + int64_t(std::llround(a));
		double r = 0; // R: the worst residual plus that measurement's own read error
		for (auto &w : window_) {
			double fit = a + slope * double(w.phc - last.phc);
			r = std::max(r, std::fabs(double(w.off - last.off) - fit) + double(w.e));
		}
		int64_t span = last.phc - window_.front().phc;
		double rate = (span > 0 ? 2 * r / double(span) : kMaxDriftPpb * 1e-9) + kWanderPpb * 1e-9;
		publish({last.phc, offset, slope, int64_t(std::ceil(r)), rate, span, tai_s * 1000000000, 0, 0});
		st_.offset_ns = offset;
		st_.error_ns = int64_t(std::ceil(r));
		st_.span_s = double(span) / 1e9;
	} else {
		publish({last.phc, last.off, 0, last.e, kMaxDriftPpb * 1e-9, 0, tai_s * 1000000000, 0, 0});
		st_.offset_ns = last.off;
		st_.error_ns = last.e;
		st_.span_s = 0;
	}
	st_.method = phc_.method();
	st_.samples = int(n);
	// off = REALTIME - PHC falls as the PHC gains: its rate is -slope.
	st_.drift_ppb = -slope * 1e9;
	st_.read_ns = last.e;
	int64_t tol = std::max(kFollowNs, st_.error_ns);
	if (tai_s && std::llabs(st_.offset_ns + tai_s * 1000000000) <= tol)
		st_.follows = PhcFollows::tai;
	else if (std::llabs(st_.offset_ns) <= tol)
		st_.follows = PhcFollows::realtime;
	else
		st_.follows = PhcFollows::neither;
	return {};
}

PhcStatus PhcClock::status() const
{
	std::lock_guard lock(*mu_);
	return st_;
}

PhcRefresher::PhcRefresher(PhcClock &clk)
	: thread_([this, &clk, period = clk.period()](std::stop_token stop) {
		  std::mutex m;
		  std::condition_variable_any cv;
		  std::unique_lock lock(m);
		  for (;;) {
			  cv.wait_for(lock, stop, period, [] { return false; }); // a period, or until stopped
			  if (stop.stop_requested())
				  return;
			  if (!clk.update())
				  failures_.fetch_add(1, std::memory_order_relaxed);
		  }
	  })
{
}

PhcRefresher::~PhcRefresher() = default; // jthread: request_stop() wakes the wait, then join

} // namespace xdphints::hook
