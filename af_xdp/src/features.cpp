#include <xdphints/af_xdp/features.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/edge/iface.hpp>
#include <xdphints/edge/netdev.hpp>

#include <string>

namespace xdphints::afxdp {

std::string DeviceFeatures::to_string() const
{
	auto yn = [](bool b) { return b ? "yes" : "no"; };
	std::string r = std::string("zero-copy ") + yn(zero_copy());
	if (!xsk_features_known)
		return r + ", tx metadata offloads unknown (kernel < 6.8)";
	return r + ", tx-timestamp " + yn(tx_timestamp()) + ", tx-checksum " + yn(tx_checksum()) + ", tx-launch-time " +
	       yn(tx_launch_time());
}

Result<DeviceFeatures> query_device_features(int ifindex)
{
	auto nd = edge::netdev_dev_get(ifindex);
	if (!nd)
		return nd.error();
	DeviceFeatures f;
	f.xdp_features = nd->xdp_features;
	f.zc_max_segs = nd->zc_max_segs;
	f.rx_metadata = nd->rx_metadata.value_or(0);
	f.xsk_features = nd->xsk_features.value_or(0);
	f.xsk_features_known = nd->xsk_features.has_value();
	return f;
}

Result<TxMetadataReport> tx_metadata_report(const XskSocket &s)
{
	TxMetadataReport r;
	auto name = edge::ifname_of(s.ifindex());
	std::string dev = (name ? *name : std::string("?")) + " queue " + std::to_string(s.queue()) + " (" + xsk_mode_name(s.mode()) + " mode)";
	uint32_t len = s.umem().config().tx_metadata_len;
	r.registered = len >= sizeof(uapi::xsk_tx_metadata);
	if (!r.registered) {
		r.message = "TX metadata is off on " + dev + ": the umem has tx_metadata_len " + std::to_string(len) +
			    "; set UmemConfig::tx_metadata_len = " + std::to_string(sizeof(uapi::xsk_tx_metadata)) +
			    " (Linux >= 6.8) to request TX timestamps and checksum offload";
		return r;
	}
	auto f = query_device_features(s.ifindex());
	if (!f)
		return f.error();
	r.timestamp = f->tx_timestamp();
	r.checksum = f->tx_checksum();
	r.launch_time = f->tx_launch_time();
	if (r.timestamp && r.checksum) {
		r.message = "TX metadata on " + dev + ": TX timestamps and checksum offload supported";
	} else {
		std::string none;
		if (!r.timestamp)
			none += "TX timestamps";
		if (!r.checksum)
			none += std::string(none.empty() ? "" : " and ") + "checksum offload";
		r.software_timestamp = !r.timestamp && s.mode() == XskMode::copy;
		r.message = "TX metadata on " + dev + ": the device does not support " + none + " for AF_XDP (" +
			    f->to_string() + "); frames are still sent" +
			    (r.timestamp ? ""
			     : r.software_timestamp
				     ? ", completions carry a software timestamp (CLOCK_TAI when the kernel freed the copy), not the device's"
				     : ", completions carry no TX timestamp") +
			    (r.checksum ? ""
			     : s.mode() == XskMode::copy ? ", checksum requests are done by the kernel's copy path or the receiver, not the device"
							 : ", checksums must be filled by the application");
	}
	return r;
}

} // namespace xdphints::afxdp
