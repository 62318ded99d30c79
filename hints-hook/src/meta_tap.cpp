#include <xdphints/hook/meta_tap.hpp>
#include <xdphints/hook/transport.hpp>

#include "meta_tap.skel.h"

#include <xdphints/edge/error.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

// Not in this system's uapi headers (Linux >= 6.6).
#ifndef XDPHINTS_BPF_TCX_INGRESS
#define XDPHINTS_BPF_TCX_INGRESS 46
#endif

namespace xdphints::hook {

using edge::Op;
using edge::sys_error;

namespace {

// Mirror of struct tap_record in meta_tap.bpf.c.
struct TapRecord {
	uint32_t meta_len;
	uint32_t skb_hash;
	uint32_t vlan_present;
	uint16_t vlan_tci;
	uint16_t vlan_proto;
	uint64_t meta[8];
};

int on_record(void *ctx, void *data, size_t size)
{
	auto *sink = static_cast<std::vector<TappedFrame> *>(ctx);
	if (size < sizeof(TapRecord))
		return 0;
	TapRecord r;
	std::memcpy(&r, data, sizeof(r));
	TappedFrame f;
	uint32_t n = r.meta_len < sizeof(r.meta) ? r.meta_len : uint32_t(sizeof(r.meta));
	f.meta.assign(reinterpret_cast<const uint8_t *>(r.meta), reinterpret_cast<const uint8_t *>(r.meta) + n);
	f.skb_hash = r.skb_hash;
	f.vlan_present = r.vlan_present != 0;
	f.vlan_tci = r.vlan_tci;
	f.vlan_proto = r.vlan_proto;
	sink->push_back(std::move(f));
	return 0;
}

} // namespace

Result<MetaTap> MetaTap::attach(int ifindex)
{
	// What it reads exists only where hooks can write the metadata area.
	auto allowed = metadata_area_allowed();
	if (!allowed)
		return allowed.error();
	if (!*allowed)
		return Error::detected(Errc::unsupported,
				       "MetaTap reads the XDP metadata area of frames passed to the stack, and this kernel "
				       "refuses that area in XDP programs (bpf_xdp_adjust_meta): hooks use the prefix "
				       "transport here, which leaves passed frames without hints",
				       "read the hints of redirected frames through AF_XDP (Receiver, XskSocket), or run "
				       "a kernel that allows the metadata area");
	MetaTap t;
	t.skel_.reset(meta_tap__open_and_load());
	if (!t.skel_)
		return sys_error(errno, Op::load, "load the tc metadata tap");
	int fd = bpf_program__fd(t.skel_->progs.meta_tap);
	t.link_.reset(bpf_link_create(fd, ifindex, bpf_attach_type(XDPHINTS_BPF_TCX_INGRESS), nullptr));
	if (!t.link_)
		return Error::from_errno(errno, "attach the tc metadata tap (tcx ingress) to ifindex " +
							std::to_string(ifindex),
					 "needs Linux >= 6.6 (tcx links) and root");
	t.ring_.reset(ring_buffer__new(bpf_map__fd(t.skel_->maps.tap_ring), on_record, t.sink_.get(), nullptr));
	if (!t.ring_)
		return sys_error(errno, Op::map, "open the tap's ring buffer");
	return t;
}

void MetaTap::SkelDestroy::operator()(::meta_tap *s) const noexcept
{
	meta_tap__destroy(s);
}

Result<std::vector<TappedFrame>> MetaTap::drain()
{
	int n = ring_buffer__consume(ring_.get());
	if (n < 0)
		return sys_error(n, Op::map, "read the tap's ring buffer");
	std::vector<TappedFrame> out;
	out.swap(*sink_);
	return out;
}

} // namespace xdphints::hook
