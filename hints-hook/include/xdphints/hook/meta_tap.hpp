#pragma once
// Diagnostics: the hints of frames the hook passed to the stack, read without AF_XDP.
// A tc ingress program (tcx link, Linux >= 6.6) copies skb->data_meta..skb->data, which
// the kernel carries over from the XDP metadata area, into a ring buffer, together with
// the stack's own view of the frame (skb hash, VLAN tag) to compare against. Needs the meta
// transport (transport.hpp): attach() refuses on a kernel that refuses the metadata area.
#include <xdphints/edge/fd.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <memory>
#include <vector>

struct meta_tap;
struct ring_buffer;

namespace xdphints::hook {

struct TappedFrame {
	std::vector<uint8_t> meta; // the metadata bytes, ending where the packet data begins
	uint32_t skb_hash = 0;
	bool vlan_present = false;
	uint16_t vlan_tci = 0;
	uint16_t vlan_proto = 0; // host byte order
};

class XDPHINTS_API MetaTap {
public:
	// Attaches to `ifindex` of the calling thread's network namespace; detached on
	// destruction (closing the link works from any namespace).
	static Result<MetaTap> attach(int ifindex);

	MetaTap(MetaTap &&) noexcept = default;
	MetaTap(const MetaTap &) = delete;
	MetaTap &operator=(const MetaTap &) = delete;
	MetaTap &operator=(MetaTap &&) noexcept = default;
	~MetaTap() = default;

	// Frames recorded since the last call, oldest first.
	Result<std::vector<TappedFrame>> drain();

private:
	MetaTap() = default;
	struct SkelDestroy {
		void operator()(::meta_tap *s) const noexcept;
	};
	// Destroyed in reverse: the ring, then the link (detached), then the programs.
	std::unique_ptr<::meta_tap, SkelDestroy> skel_;
	edge::UniqueFd link_;
	std::unique_ptr<std::vector<TappedFrame>> sink_ = std::make_unique<std::vector<TappedFrame>>();
	edge::RingBufferPtr ring_; // reads into *sink_
};

} // namespace xdphints::hook
