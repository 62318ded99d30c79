#pragma once
// Real traffic through the kernel's stack, from inside a test namespace.
#include <xdphints/result.hpp>
#include <xdphints/testbed/netns.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

struct vlan_push;

namespace xdphints::testbed {

// Tags egress UDP packets to `udp_dport` on `ifindex` (in `ns`) with VLAN `tci`, through a
// tc egress BPF program calling bpf_skb_vlan_push. Detached on destruction.
class VlanTagger {
public:
	static Result<VlanTagger> attach(const Netns &ns, int ifindex, uint16_t tci, uint16_t udp_dport);
	VlanTagger(VlanTagger &&o) noexcept = default;
	VlanTagger(const VlanTagger &) = delete;
	VlanTagger &operator=(const VlanTagger &) = delete;
	VlanTagger &operator=(VlanTagger &&) = delete;
	~VlanTagger(); // removes the clsact it created

	uint64_t tagged() const noexcept; // packets the program tagged so far

private:
	VlanTagger() = default;
	struct SkelDestroy {
		void operator()(::vlan_push *s) const noexcept;
	};
	edge::UniqueFd ns_fd_; // empty once moved from
	int ifindex_ = 0;
	std::unique_ptr<::vlan_push, SkelDestroy> skel_;
};

// A UDP socket created inside `ns`, bound to src_ip:sport, connected to dst_ip:dport:
// one flow (one 5-tuple, so one RSS hash).
class UdpFlow {
public:
	static Result<UdpFlow> open(const Netns &ns, const std::string &src_ip, uint16_t sport,
				    const std::string &dst_ip, uint16_t dport);
	UdpFlow(UdpFlow &&o) noexcept = default;
	UdpFlow(const UdpFlow &) = delete;
	UdpFlow &operator=(const UdpFlow &) = delete;
	UdpFlow &operator=(UdpFlow &&) noexcept = default;

	Status send(std::span<const uint8_t> payload) const;
	// `count` datagrams of `payload` in one sendmmsg(): back-to-back bursts for offered-load
	// tests (one system call per burst, not per packet). Returns how many the kernel took.
	Result<unsigned> send_burst(std::span<const uint8_t> payload, unsigned count) const;
	uint16_t sport() const noexcept { return sport_; }
	uint16_t dport() const noexcept { return dport_; }

private:
	UdpFlow(edge::UniqueFd fd, uint16_t s, uint16_t d) : fd_(std::move(fd)), sport_(s), dport_(d) {}
	edge::UniqueFd fd_;
	uint16_t sport_ = 0, dport_ = 0;
};

} // namespace xdphints::testbed
