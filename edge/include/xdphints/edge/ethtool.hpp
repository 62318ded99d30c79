#pragma once
// One interface's ethtool and timestamping ioctls (SIOCETHTOOL, SIOC[GS]HWTSTAMP), all
// through one socket opened in the calling thread's network namespace: the socket keeps
// that namespace, so a restore from a destructor reaches the same device wherever the
// thread is then. Every request goes through request() and the seam (sys.hpp), so tests
// answer them with a fake driver. A new query (the PHC clock behind ts_info().phc_index,
// another string set) is one more typed method on request().
#include <xdphints/edge/fd.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace xdphints::edge {

struct Channels {
	uint32_t rx = 0, tx = 0, other = 0, combined = 0; // current counts
	uint32_t rx_queues() const noexcept { return rx + combined; }
};

struct TsInfo {
	uint32_t so_timestamping = 0; // SOF_TIMESTAMPING_* the device supports
	int phc_index = -1;           // /dev/ptpN of its hardware clock, -1 when none
	uint32_t tx_types = 0;        // 1 << HWTSTAMP_TX_*
	uint32_t rx_filters = 0;      // 1 << HWTSTAMP_FILTER_*
	bool hw_rx() const noexcept;  // SOF_TIMESTAMPING_RX_HARDWARE
};

struct HwtstampConfig {
	int flags = 0;
	int tx_type = 0;   // HWTSTAMP_TX_*
	int rx_filter = 0; // HWTSTAMP_FILTER_*
};

struct FeatureState {
	bool active = false;
	bool changeable = false; // ETHTOOL_GFEATURES "available"
};

class Ethtool {
public:
	// Errc::no_device for a name no interface can have; the socket's errno otherwise.
	static Result<Ethtool> open(std::string_view ifname);

	const std::string &ifname() const noexcept { return ifname_; }
	// Finds the interface again by its index in the socket's namespace (SIOCGIFNAME), so
	// the requests after a rename still reach it: Errc::device_gone when it is no more.
	Status follow(int ifindex);
	bool valid() const noexcept { return sock_.valid(); } // false once moved from

	Result<std::string> driver() const;    // ETHTOOL_GDRVINFO
	Result<Channels> channels() const;     // ETHTOOL_GCHANNELS
	Result<TsInfo> ts_info() const;        // ETHTOOL_GET_TS_INFO (Linux >= 3.5)
	Result<HwtstampConfig> hwtstamp() const; // SIOCGHWTSTAMP (Linux >= 3.14)
	// Whether feature `name` (the kernel's feature string: "rx-hashing" for what
	// `ethtool -k` calls receive-hashing, "rx-checksum" for rx-checksumming) is on:
	// ETHTOOL_GSSET_INFO + GSTRINGS (ETH_SS_FEATURES) + GFEATURES. Errc::not_found for a
	// name the driver does not list.
	Result<bool> feature(std::string_view name) const;
	// The same with whether the user can change it (ethtool -K; "[fixed]" when not).
	Result<FeatureState> feature_state(std::string_view name) const;
	// SIOCSHWTSTAMP; the driver writes back what it really set (it may widen rx_filter).
	Result<HwtstampConfig> set_hwtstamp(HwtstampConfig want, const std::string &driver = "") const;

	// One ioctl on this interface with `data` behind ifr_data: 0 or the errno.
	int request(unsigned long req, void *data) const noexcept;

private:
	Ethtool() = default;
	UniqueFd sock_;
	std::string ifname_;
};

// The driver of `ifname` (ethtool GDRVINFO), in the calling thread's network namespace.
Result<std::string> driver_of(std::string_view ifname);

} // namespace xdphints::edge
