#pragma once
// `xdp-hints dump -w FILE`: packets as pcapng blocks, each a whole record for dump's output
// queue (so a record dropped for a slow reader never leaves half a block in the file).
//
//   render::Capture cap(plan, {.ifname = "eth0", .snaplen = 262144, .clock = clock});
//   queue.push(cap.header());                    // SHB + IDB, once, before any packet
//   per packet (any receive thread, its own buffers reserved to cap.max_record()):
//     rec.clear();
//     cap.append_packet(rec, queue_id, frame, hints);
//     queue.push(rec);
//   at the end: queue.push(cap.statistics(realtime_ns(), stats));   // ISB
//
// Per packet (pcapng.hpp for the blocks): the EPB's time is the packet's rx_timestamp in
// UTC when it can be converted (timestamps.hpp), else its receive time; epb_flags inbound,
// epb_queue, epb_hash (Toeplitz) when rx_hash is present; a VLAN tag the NIC stripped
// (rx_vlan_tci, with rx_vlan_proto or 0x8100) is put back into the bytes; the comment
// carries every hint (render.hpp, append_comment).
#include "pcapng.hpp"
#include "render.hpp"
#include "timestamps.hpp"

#include <string>

namespace xdphints::render {

struct CaptureOptions {
	std::string ifname;                       // if_name
	uint32_t snaplen = cli::pcapng::max_snaplen; // bytes kept per packet (1..max_snaplen)
	PacketClock clock;                        // packet times, and the if_description
};

class Capture {
public:
	// `plan` must outlive the Capture. Errors: a snaplen out of range.
	static Result<Capture> create(const RenderPlan &plan, CaptureOptions o);

	// The Section Header Block and the interface's IDB (if_description: the clock domains).
	std::string header() const;

	// Appends the packet's EPB to `out`: no allocation when it has max_record() bytes of
	// capacity (after the thread's first record, which makes its rendering scratch).
	void append_packet(std::string &out, unsigned queue, std::span<const uint8_t> frame, const Hints &h) const;

	// An Interface Statistics Block at `timestamp_ns` (UTC).
	std::string statistics(uint64_t timestamp_ns, const cli::pcapng::InterfaceStats &s) const;

	size_t max_record() const noexcept { return max_record_; }
	const CaptureOptions &options() const noexcept { return o_; }

private:
	Capture(const RenderPlan &plan, CaptureOptions o);
	const RenderPlan *plan_;
	CaptureOptions o_;
	size_t max_record_ = 0;
};

} // namespace xdphints::render
