#include <xdphints/hook.hpp>
#include <xdphints/hwtstamp.hpp>

#include "hwtstamp_restore.hpp"
#include "state_record.hpp"
#include "sys_error.hpp"

#include <linux/net_tstamp.h>
#include <linux/sockios.h>

#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace xdphints {

namespace {

int real_ioctl(int fd, unsigned long req, struct ifreq *ifr)
{
	return ioctl(fd, req, ifr);
}

HwtstampIoctl g_ioctl = real_ioctl;

int hwtstamp_ioctl(int sock, const std::string &ifname, unsigned long req, hwtstamp_config &cfg)
{
	ifreq ifr{};
	std::memcpy(ifr.ifr_name, ifname.c_str(), ifname.size());
	ifr.ifr_data = reinterpret_cast<char *>(&cfg);
	return g_ioctl(sock, req, &ifr) == 0 ? 0 : errno;
}

Error hw_error(int err, const std::string &ifname, const std::string &what)
{
	std::string driver;
	if (auto d = driver_of(ifname))
		driver = *d;
	std::string who = ifname + (driver.empty() ? "" : " (driver " + driver + ")");
	if (err == EPERM || err == EACCES)
		return detail::sys_error(err, detail::Op::ethtool, what, {ifname, driver, "", false});
	if (err == ENODEV)
		return detail::sys_error(err, detail::Op::resolve_ifname, what, {ifname, driver, "", false});
	if (err == ERANGE)
		return Error::from_errno(err, what, who + " cannot timestamp all received packets in hardware; "
							  "drop --hwtstamp (the hook then writes software timestamps)");
	return Error::from_errno(err, what,
				 who + " has no hardware timestamping; drop --hwtstamp (the hook then writes "
				       "software timestamps)");
}

} // namespace

HwtstampIoctlOverride::HwtstampIoctlOverride(HwtstampIoctl fn) noexcept : saved_(g_ioctl)
{
	g_ioctl = fn;
}

HwtstampIoctlOverride::~HwtstampIoctlOverride()
{
	g_ioctl = saved_;
}

namespace detail {

int set_hwtstamp(const std::string &ifname, int flags, int tx, int rx) noexcept
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return errno;
	hwtstamp_config cfg{flags, tx, rx};
	int err = hwtstamp_ioctl(sock, ifname, SIOCSHWTSTAMP, cfg);
	close(sock);
	return err;
}

} // namespace detail

Result<HwTimestamping> HwTimestamping::enable(std::string_view ifname)
{
	HwTimestamping h;
	h.ifname_ = std::string(ifname);
	if (h.ifname_.empty() || h.ifname_.size() >= IF_NAMESIZE)
		return hw_error(ENODEV, h.ifname_, "look up interface " + h.ifname_);
	h.ifindex_ = int(if_nametoindex(h.ifname_.c_str()));
	if (h.ifindex_ == 0)
		return hw_error(ENODEV, h.ifname_, "look up interface " + h.ifname_);
	auto key = detail::state_key(h.ifindex_);
	if (!key)
		return key.error();
	h.netns_ = key->netns;
	// A setting a killed process left changed is the one to remember, not what it set.
	auto left = restore_left_behind(h.ifname_);
	if (!left)
		return left.error();
	for (auto &m : *left)
		h.restored_ += (h.restored_.empty() ? "" : "; ") + m;
	auto rec = detail::read_state(*key);
	if (rec && rec->pid != getpid())
		return Error::from_errno(EBUSY, h.ifname_ + " is in use by " + detail::pid_comm(rec->pid) + " (pid " +
							std::to_string(rec->pid) + ")",
					 "stop that process first; it restores the interface when it ends");
	h.sock_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (h.sock_ < 0)
		return Error::from_errno(errno, "open a socket for SIOCSHWTSTAMP", "check the fd limit (ulimit -n)");

	hwtstamp_config cur{};
	if (int err = hwtstamp_ioctl(h.sock_, h.ifname_, SIOCGHWTSTAMP, cur)) {
		// Drivers from before SIOCGHWTSTAMP (Linux 3.14) only set: assume it was off.
		if (err != EOPNOTSUPP && err != EINVAL)
			return hw_error(err, h.ifname_, "read the timestamping setting of " + h.ifname_ + " (SIOCGHWTSTAMP)");
		cur = hwtstamp_config{0, HWTSTAMP_TX_OFF, HWTSTAMP_FILTER_NONE};
	}
	// Written down before the change: a SIGKILL after it leaves what is needed to undo it.
	detail::StateRecord r = rec ? *rec : detail::StateRecord{};
	r.ifname = h.ifname_;
	r.hwtstamp = true;
	r.hw_flags = cur.flags, r.hw_tx = cur.tx_type, r.hw_rx = cur.rx_filter;
	if (auto st = detail::write_state(*key, r); !st)
		return st.error();
	hwtstamp_config want = cur;
	want.rx_filter = HWTSTAMP_FILTER_ALL;
	if (int err = hwtstamp_ioctl(h.sock_, h.ifname_, SIOCSHWTSTAMP, want)) {
		r.hwtstamp = false;
		(void)detail::write_state(*key, r);
		return hw_error(err, h.ifname_, "enable hardware RX timestamping on " + h.ifname_ + " (SIOCSHWTSTAMP)");
	}
	h.prev_flags_ = cur.flags;
	h.prev_tx_ = cur.tx_type;
	h.prev_rx_ = cur.rx_filter;
	h.rx_filter_ = want.rx_filter; // the driver writes back what it really set
	h.configured_ = true;
	return h;
}

HwTimestamping::HwTimestamping(HwTimestamping &&o) noexcept
	: sock_(std::exchange(o.sock_, -1)), ifname_(std::move(o.ifname_)), ifindex_(o.ifindex_), netns_(o.netns_),
	  prev_flags_(o.prev_flags_), prev_tx_(o.prev_tx_), prev_rx_(o.prev_rx_), rx_filter_(o.rx_filter_),
	  configured_(std::exchange(o.configured_, false)), restored_(std::move(o.restored_))
{
}

HwTimestamping::~HwTimestamping()
{
	if (sock_ < 0)
		return;
	if (configured_) {
		hwtstamp_config prev{prev_flags_, prev_tx_, prev_rx_};
		(void)hwtstamp_ioctl(sock_, ifname_, SIOCSHWTSTAMP, prev);
		// Restored: nothing left to undo. The record may hold a replaced program too.
		detail::StateKey key{netns_, ifindex_};
		if (auto r = detail::read_state(key); r && r->pid == getpid()) {
			r->hwtstamp = false;
			(void)detail::write_state(key, *r);
		}
	}
	close(sock_);
}

} // namespace xdphints
