// xdp_drop: generator -> veth -> XDP_DROP, the ceiling of the pipe every other variant
// shares. Counted from veth's own counters; no application receives anything.
#include "rig.hpp"

namespace xdphints::bench {

namespace {

class DropVariant final : public Variant {
public:
	static Result<std::unique_ptr<Variant>> create()
	{
		auto rig = PlainRig::create("bdrop", true);
		if (!rig)
			return rig.error();
		return std::unique_ptr<Variant>(new DropVariant(std::move(*rig)));
	}

	Result<RoundResult> round(uint64_t count) override
	{
		const testbed::Testbed &tb = *rig_.tb;
		auto rx0 = testbed::veth_xdp_stats(tb.rx_ns, tb.rx().ifname);
		auto err0 = xmit_errors(tb);
		if (!rx0 || !err0)
			return !rx0 ? rx0.error() : err0.error();
		uint64_t t0 = mono_ns();
		auto sent = rig_.gen->send(count);
		uint64_t t1 = mono_ns();
		if (!sent)
			return sent.error();
		auto rx1 = testbed::veth_xdp_stats(tb.rx_ns, tb.rx().ifname);
		auto err1 = xmit_errors(tb);
		if (!rx1 || !err1)
			return !rx1 ? rx1.error() : err1.error();
		RoundResult r;
		r.sent = *sent;
		r.received = rx1->rx_xdp_drops - rx0->rx_xdp_drops;
		r.verified = r.received;
		r.seconds = double(t1 - t0) / 1e9;
		r.xmit_errors = *err1 - *err0;
		return r;
	}

private:
	explicit DropVariant(PlainRig rig)
		: Variant("xdp_drop", "generator -> veth -> XDP_DROP: the ceiling of this pipe"), rig_(std::move(rig))
	{
	}
	PlainRig rig_;
};

} // namespace

VariantPtr make_xdp_drop() { return DropVariant::create(); }

} // namespace xdphints::bench
