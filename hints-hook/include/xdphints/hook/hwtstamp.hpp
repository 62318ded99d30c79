#pragma once
// Hardware RX timestamping on request (--hwtstamp): SIOCSHWTSTAMP with restore. Without
// it the interface's timestamping configuration is left alone; drivers only fill the
// rx_timestamp kfunc when RX timestamping is on.
//
// The previous setting and the one set are written to a state record
// (/run/xdp-hints/netns-<cookie>-<ifindex>, see restore_left_behind() in hook.hpp) BEFORE it
// is changed, so a process killed with SIGKILL leaves behind what is needed to put it
// back: the next enable() or attach on the interface, or `xdp-hints reset IFNAME`, restores
// it and says so. Put back, at exit as after a kill, only while the interface still has
// the setting this process made: one another program (ptp4l) set meanwhile is its own.
#include <xdphints/edge/ethtool.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace xdphints::hook {

// HWTSTAMP_FILTER_* as `ethtool -T` names them ("none", "all", "ptpv2-event", ...), and
// which received packets such a filter has the NIC timestamp ("every packet", "PTP v2
// event packets over UDP and Ethernet", ...).
XDPHINTS_API const char *rx_filter_name(int filter) noexcept;
XDPHINTS_API const char *rx_filter_stamps(int filter) noexcept;
// HWTSTAMP_TX_* as `ethtool -T` names them ("off", "on", "onestep-sync", "onestep-p2p").
XDPHINTS_API const char *tx_type_name(int tx_type) noexcept;

// What hardware RX timestamping an interface gives a run, and what was done about it.
enum class HwRxState {
	unsupported, // the device cannot timestamp received packets (veth, virtio_net): software ones
	off,         // HWTSTAMP_FILTER_NONE: no hardware timestamps (probe; a run turns it on)
	enabled,     // was off; turned on for this run, put back at exit
	all,         // already on for every packet (someone else's setting): left as it is
	filtered,    // someone else (ptp4l) set a narrower filter: left; only those get stamped
	unknown,     // the driver does not answer SIOCGHWTSTAMP (before Linux 3.14): left alone
};

struct XDPHINTS_API RxTimestamping {
	HwRxState state = HwRxState::unsupported;
	int rx_filter = 0;      // HWTSTAMP_FILTER_* in effect for the run
	int phc_index = -1;     // /dev/ptpN of the clock the stamps are in, -1 when none
	uint32_t rx_filters = 0; // 1 << HWTSTAMP_FILTER_* the device supports
	std::string describe() const; // one line: the state, the filter, which packets get stamped
};

// What `ifname` does now, without changing anything (probe). In the calling thread's
// network namespace.
XDPHINTS_API Result<RxTimestamping> rx_timestamping(std::string_view ifname);

class HwTimestamping;
// What enable_if_off() did: `owned` holds the setting it changed (restored when it goes).
struct HwTimestampingRun {
	RxTimestamping info;
	std::unique_ptr<HwTimestamping> owned;
	std::string restored; // what a killed run had left changed and was put back first, or ""
};

class XDPHINTS_API HwTimestamping {
public:
	// Asks for timestamps on all received packets (HWTSTAMP_FILTER_ALL), keeping the TX
	// setting; remembers the previous configuration (SIOCGHWTSTAMP) and puts it back on
	// destruction. In the calling thread's network namespace. A setting left changed by a
	// process that no longer runs is restored first (restored() says so); one changed by a
	// process that still runs is refused (EBUSY).
	static Result<HwTimestamping> enable(std::string_view ifname);
	// For a hook that reads timestamps: when the interface can timestamp and its RX filter
	// is HWTSTAMP_FILTER_NONE, enable() (state enabled); when something else (ptp4l) set a
	// filter, leave it and say which packets get stamped (all / filtered); when it cannot,
	// say so (unsupported). Never an error for an interface that simply cannot.
	static Result<HwTimestampingRun> enable_if_off(std::string_view ifname);

	HwTimestamping(HwTimestamping &&o) noexcept = default;
	HwTimestamping(const HwTimestamping &) = delete;
	HwTimestamping &operator=(const HwTimestamping &) = delete;
	HwTimestamping &operator=(HwTimestamping &&) = delete;
	~HwTimestamping(); // restore(), silently (not fd juggling: a restore)

	// Puts the previous setting back now, on the interface with the same index in the
	// namespace it was enabled in (a rename since changes nothing), if the interface still
	// has the setting enable() made; one that another program (ptp4l) set since is left as
	// it is, and the line returned says what was found ("left hardware timestamping on eth1
	// as it is: ..."). "" when put back or nothing was left to do; once only.
	Result<std::string> restore();

	int rx_filter() const noexcept { return rx_filter_; }         // as the driver set it
	int previous_rx_filter() const noexcept { return prev_rx_; }  // restored on destruction
	// What enable() restored first (a setting left by a killed process), or "".
	const std::string &restored() const noexcept { return restored_; }

private:
	HwTimestamping() = default;
	// Its socket keeps the namespace of the interface for the restore; empty once moved.
	std::optional<edge::Ethtool> eth_;
	std::string ifname_;
	int ifindex_ = 0;
	// The state record's key (state_record.hpp): boot, namespace cookie and inode.
	std::string boot_;
	uint64_t netns_cookie_ = 0, netns_inode_ = 0;
	int prev_flags_ = 0, prev_tx_ = 0, prev_rx_ = 0;
	int set_flags_ = 0, set_tx_ = 0; // with rx_filter_: what the driver set
	int rx_filter_ = 0;
	bool configured_ = false; // SIOCSHWTSTAMP succeeded: restore on destruction
	std::string restored_;
};

// Tests answer SIOCGHWTSTAMP / SIOCSHWTSTAMP through the edge seam (xdphints/edge/sys.hpp,
// Sys::ioctl), so the enable, record and restore paths run without a NIC that timestamps.

} // namespace xdphints::hook
