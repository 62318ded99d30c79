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
	VlanTagger(VlanTagger &&o) noexcept;
	VlanTagger(const VlanTagger &) = delete;
	VlanTagger &operator=(const VlanTagger &) = delete;
	VlanTagger &operator=(VlanTagger &&) = delete;
	~VlanTagger();

	uint64_t tagged() const noexcept; // packets the program tagged so far

private:
	VlanTagger() = default;
	int ns_fd_ = -1;
	int ifindex_ = 0;
	::vlan_push *skel_ = nullptr;
};

// A UDP socket created inside `ns`, bound to src_ip:sport, connected to dst_ip:dport:
// one flow (one 5-tuple, so one RSS hash).
class UdpFlow {
public:
	static Result<UdpFlow> open(const Netns &ns, const std::string &src_ip, uint16_t sport,
				    const std::string &dst_ip, uint16_t dport);
	UdpFlow(UdpFlow &&o) noexcept : fd_(o.fd_), sport_(o.sport_), dport_(o.dport_) { o.fd_ = -1; }
	UdpFlow(const UdpFlow &) = delete;
	UdpFlow &operator=(const UdpFlow &) = delete;
	UdpFlow &operator=(UdpFlow &&) = delete;
	~UdpFlow();

	Status send(std::span<const uint8_t> payload) const;
	// `count` datagrams of `payload` in one sendmmsg(): back-to-back bursts for offered-load
	// tests (one system call per burst, not per packet). Returns how many the kernel took.
	Result<unsigned> send_burst(std::span<const uint8_t> payload, unsigned count) const;
	uint16_t sport() const noexcept { return sport_; }
	uint16_t dport() const noexcept { return dport_; }

private:
	UdpFlow(int fd, uint16_t s, uint16_t d) : fd_(fd), sport_(s), dport_(d) {}
	int fd_ = -1;
	uint16_t sport_ = 0, dport_ = 0;
};

} // namespace xdphints::testbed
