// Frames that reach the veth by XDP redirect (the live-frames generator), not through the
// stack: veth's kfuncs answer -ENODATA for them (no skb), so the hook must say NODATA for
// every hint and fall back to a software timestamp.
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/testbed/livegen.hpp>

#include "hook_testing.hpp"

#include <algorithm>

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

namespace {

std::vector<TappedFrame> generate_and_tap(RxBed &bed, MetaTap &tap, testbed::GenOptions g, uint64_t n)
{
	// Redirected frames: live frames only (AF_XDP TX hands veth skbs).
	g.backend = testbed::GenBackend::live_frames;
	auto gen = testbed::LiveGen::create(bed.bed.tx_ns, bed.bed.tx().ifindex, g);
	INFO((gen ? std::string() : gen.error().message));
	REQUIRE(gen);
	auto sent = gen->send(n);
	REQUIRE(sent);
	CHECK(*sent == n);
	std::vector<TappedFrame> frames;
	xdphints::test::eventually([&] {
		auto got = tap.drain();
		REQUIRE(got);
		frames.insert(frames.end(), got->begin(), got->end());
		return frames.size() >= n;
	});
	CHECK(frames.size() == n);
	return frames;
}

} // namespace

TEST_CASE("redirected frames: every veth hint is NODATA, the timestamp is software", "[hook][veth][redirect][needs:live-frames][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto t = xdphints::test::tapped_hook("hkr");
	REQUIRE(t);
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto tci = q.add<uint16_t>("rx_vlan_tci");
	auto dec = Decoder::build(q, t->layouts);
	REQUIRE(dec);

	auto frames = generate_and_tap(t->bed, t->tap, testbed::GenOptions::between(t->bed.bed.tx(), t->bed.bed.rx()), 32);
	for (const auto &f : frames) {
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		REQUIRE(h.known());
		CHECK(h.layout()->name == "xdp_hints_veth");
		CHECK(h.state(ts) == HintState::no_data); // -ENODATA, not success-with-0
		CHECK(h.software(ts));
		CHECK(h.get(ts).value_or(0) != 0);
		CHECK(h.state(hash) == HintState::no_data);
		CHECK_FALSE(h.get(hash));
		CHECK(h.state(tci) == HintState::no_data);
	}
	auto st = t->hook.stats();
	REQUIRE(st);
	CHECK(st->rx == frames.size());
}

TEST_CASE("redirected PTP frames get the timestamp layout under the PTP split", "[hook][veth][redirect][ptp][needs:live-frames][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	HookOptions o;
	o.ptp_split = true;
	auto t = xdphints::test::tapped_hook("hks", o);
	REQUIRE(t);
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = Decoder::build(q, t->layouts);
	REQUIRE(dec);

	auto g = testbed::GenOptions::between(t->bed.bed.tx(), t->bed.bed.rx());
	g.ptp = true;
	auto frames = generate_and_tap(t->bed, t->tap, g, 16);
	for (const auto &f : frames) {
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		REQUIRE(h.known());
		CHECK(h.layout()->name == "xdp_hints_veth_ts");
		CHECK(h.software(ts));
	}
	auto st = t->hook.stats();
	REQUIRE(st);
	CHECK(st->ptp == frames.size());
}
