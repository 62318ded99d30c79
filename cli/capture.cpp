#include "capture.hpp"

#include <algorithm>

namespace xdphints::render {

namespace pn = cli::pcapng;

namespace {

// Grows `out` by n bytes for an encoder and returns where they start.
std::span<std::byte> grow(std::string &out, size_t n)
{
	size_t at = out.size();
	out.resize(at + n);
	return {reinterpret_cast<std::byte *>(out.data() + at), n};
}

} // namespace

Capture::Capture(const RenderPlan &plan, CaptureOptions o) : plan_(&plan), o_(std::move(o))
{
	// The EPB with the largest comment any layout gives, and that comment being built.
	max_record_ = pn::epb_max_size(o_.snaplen) + plan.max_record();
}

Result<Capture> Capture::create(const RenderPlan &plan, CaptureOptions o)
{
	if (o.snaplen == 0 || o.snaplen > pn::max_snaplen)
		return Error(Errc::invalid_argument, "snaplen " + std::to_string(o.snaplen) + " out of range: give 1.." +
							     std::to_string(pn::max_snaplen) + " (0: the largest)");
	return Capture(plan, std::move(o));
}

std::string Capture::header() const
{
	pn::Interface i{o_.ifname, o_.clock.describe(), o_.snaplen};
	std::string out;
	pn::encode_shb(grow(out, pn::shb_size(pn::userappl)), pn::userappl);
	pn::encode_idb(grow(out, pn::idb_size(i)), i);
	return out;
}

void Capture::append_packet(std::string &out, unsigned queue, std::span<const uint8_t> frame, const Hints &h) const
{
	const LayoutPlan *p = plan_->find(h);
	const uint8_t *base = h.struct_start();
	PacketTime t = o_.clock.time_of(p, base);
	pn::Packet pkt;
	pkt.interface = 0;
	pkt.timestamp_ns = t.utc_ns;
	pkt.frame = frame;
	pkt.queue = queue;
	if (p) {
		if (const Leaf *l = p->leaf(Role::rx_hash); l && l->integral)
			if (LeafValue v = p->read(*l, base); v.present)
				pkt.rss_hash = uint32_t(v.value);
		if (const Leaf *l = p->leaf(Role::rx_vlan_tci); l && l->integral) {
			if (LeafValue v = p->read(*l, base); v.present) {
				pn::Vlan tag;
				tag.tci = uint16_t(v.value);
				if (const Leaf *pl = p->leaf(Role::rx_vlan_proto); pl && pl->integral)
					if (LeafValue pv = p->read(*pl, base); pv.present && pv.value)
						tag.tpid = uint16_t(pv.value);
				pkt.vlan = tag;
			}
		}
	}
	pkt.comment = comment_view(*plan_, queue, h, t.source);
	size_t n = pn::epb_size(pkt, o_.snaplen);
	pn::encode_epb(grow(out, n), pkt, o_.snaplen);
}

std::string Capture::statistics(uint64_t timestamp_ns, const pn::InterfaceStats &s) const
{
	std::string out;
	pn::encode_isb(grow(out, pn::isb_size(s)), 0, timestamp_ns, s);
	return out;
}

} // namespace xdphints::render
