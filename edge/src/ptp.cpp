#include <xdphints/edge/error.hpp>
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/edge/ptp.hpp>
#include <xdphints/edge/sys.hpp>

#include <linux/ptp_clock.h>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <optional>
#include <tuple>

namespace xdphints::edge {

namespace {

int64_t ns_of(const ptp_clock_time &t) noexcept { return int64_t(t.sec) * 1000000000 + int64_t(t.nsec); }

// The tightest of `n` [before, phc, after] readings; none when every one is torn (the
// system clock stepped back inside it), which is no reading at all, not a (0, 0) one.
template <class Get> std::optional<PhcSample> tightest(int n, Get get) noexcept
{
	std::optional<PhcSample> best;
	int64_t best_width = INT64_MAX;
	for (int i = 0; i < n; i++) {
		auto [before, phc, after] = get(i);
		int64_t width = after - before;
		if (width < 0 || width >= best_width)
			continue; // the system clock stepped inside this one
		best_width = width;
		best = PhcSample{phc, before + width / 2, (width + 1) / 2};
	}
	return best;
}

// The driver does not offer this method: try the next.
bool not_offered(int err) noexcept { return err == EOPNOTSUPP || err == ENOTTY || err == EINVAL; }

} // namespace

const char *sys_offset_name(SysOffsetMethod m) noexcept
{
	switch (m) {
	case SysOffsetMethod::precise: return "PTP_SYS_OFFSET_PRECISE";
	case SysOffsetMethod::extended: return "PTP_SYS_OFFSET_EXTENDED";
	case SysOffsetMethod::basic: return "PTP_SYS_OFFSET";
	}
	return "?";
}

Result<Phc> Phc::open(int index, std::string_view ifname)
{
	Phc p;
	p.index_ = index;
	p.ifname_ = std::string(ifname);
	p.fd_ = UniqueFd(sys().open(p.path().c_str(), O_RDONLY | O_CLOEXEC));
	if (!p.fd_)
		return sys_error(errno, Op::ptp, "open " + p.path(), {p.ifname_});
	return p;
}

Result<Phc> Phc::of_interface(std::string_view ifname)
{
	auto eth = Ethtool::open(ifname);
	if (!eth)
		return eth.error();
	auto ts = eth->ts_info();
	if (!ts)
		return ts.error();
	if (ts->phc_index < 0)
		return Error::detected(Errc::not_found, std::string(ifname) + " has no PTP hardware clock (ethtool -T)",
				       "its timestamps are the hook's software CLOCK_TAI ones; nothing to convert");
	return open(ts->phc_index, ifname);
}

Result<PhcSample> Phc::sample(int readings)
{
	readings = std::clamp(readings, 1, int(PTP_MAX_SAMPLES));
	auto usable = [&](std::optional<PhcSample> s) -> Result<PhcSample> {
		if (s)
			return *s;
		return Error::detected(Errc::io,
				       "no usable reading of " + path() + (ifname_.empty() ? "" : " (" + ifname_ + ")") +
					       ": CLOCK_REALTIME went backwards inside each of its " + std::to_string(readings) +
					       " readings (" + sys_offset_name(method_) + "), so none brackets the PHC read",
				       "the system clock was being stepped (settimeofday, a leap second); measure again");
	};
	for (;;) {
		int err = 0;
		switch (method_) {
		case SysOffsetMethod::precise: {
			ptp_sys_offset_precise p{};
			if (sys().ioctl(fd_.get(), PTP_SYS_OFFSET_PRECISE, &p) == 0) {
				settled_ = true;
				return PhcSample{ns_of(p.device), ns_of(p.sys_realtime), 0};
			}
			err = errno;
			break;
		}
		case SysOffsetMethod::extended: {
			ptp_sys_offset_extended e{};
			e.n_samples = unsigned(readings);
			if (sys().ioctl(fd_.get(), PTP_SYS_OFFSET_EXTENDED, &e) == 0) {
				settled_ = true;
				return usable(tightest(readings, [&](int i) {
					return std::tuple{ns_of(e.ts[i][0]), ns_of(e.ts[i][1]), ns_of(e.ts[i][2])};
				}));
			}
			err = errno;
			break;
		}
		case SysOffsetMethod::basic: {
			ptp_sys_offset b{};
			b.n_samples = unsigned(readings);
			if (sys().ioctl(fd_.get(), PTP_SYS_OFFSET, &b) == 0) {
				settled_ = true;
				// system, phc, system, phc, ..., system: each phc between its neighbours.
				return usable(tightest(readings, [&](int i) {
					return std::tuple{ns_of(b.ts[2 * i]), ns_of(b.ts[2 * i + 1]), ns_of(b.ts[2 * i + 2])};
				}));
			}
			err = errno;
			break;
		}
		}
		if (settled_ || !not_offered(err) || method_ == SysOffsetMethod::basic)
			return sys_error(err, Op::ptp,
					 std::string("measure ") + path() + " against CLOCK_REALTIME (" + sys_offset_name(method_) + ")",
					 {ifname_});
		method_ = SysOffsetMethod(int(method_) + 1);
	}
}

int64_t tai_offset_s() noexcept
{
	timespec tai{}, rt{};
	if (sys().clock_gettime(CLOCK_TAI, &tai) || sys().clock_gettime(CLOCK_REALTIME, &rt))
		return 0;
	int64_t d = (int64_t(tai.tv_sec) - rt.tv_sec) * 1000000000 + (tai.tv_nsec - rt.tv_nsec);
	return (d + (d >= 0 ? 500000000 : -500000000)) / 1000000000; // whole seconds; the reads are ns apart
}

} // namespace xdphints::edge
