// What the veth hook writes, read back without AF_XDP: the frames it passes to the stack
// keep their XDP metadata in skb->data_meta, which a tc tap copies out. The bytes are
// decoded by BTF member name with the layouts from the kernel's BTF of the hook and
// compared with what the stack knows of the same frame (skb hash, VLAN tag).
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>

#include "hook_testing.hpp"

#include <xdphints/hook/clock.hpp>
#include <time.h>

#include <algorithm>

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

namespace {

struct Sent {
	std::vector<TappedFrame> frames;
	uint64_t t0 = 0, t1 = 0;
};

// The frames of n packets to dport, with the CLOCK_TAI window they were sent in.
Sent send_and_tap(RxBed &bed, MetaTap &tap, uint16_t dport, int n)
{
	Sent s;
	s.t0 = software_clock_ns();
	s.frames = xdphints::test::send_and_tap(bed, tap, {{dport, n}});
	s.t1 = software_clock_ns();
	return s;
}

struct Fields {
	Query q;
	Field<uint64_t> ts = q.add<uint64_t>("rx_timestamp");
	Field<uint32_t> hash = q.add<uint32_t>("rx_hash");
	Field<uint32_t> hash_type = q.add<uint32_t>("rx_hash_type");
	Field<uint16_t> tci = q.add<uint16_t>("rx_vlan_tci");
	Field<uint16_t> proto = q.add<uint16_t>("rx_vlan_proto");
};

} // namespace

TEST_CASE("veth hook writes its struct ending at the packet data, decoded by member name", "[hook][veth][meta][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto t = xdphints::test::tapped_hook("hkm");
	REQUIRE(t);
	REQUIRE(t->hook.hook_name() == "veth");
	const Layout *veth = t->layout("xdp_hints_veth");
	REQUIRE(veth);

	Fields f;
	auto dec = Decoder::build(f.q, t->layouts);
	REQUIRE(dec);

	constexpr int n = 8;
	Sent s = send_and_tap(t->bed, t->tap, 41001, n);
	REQUIRE(s.frames.size() == size_t(n));
	for (const auto &fr : s.frames) {
		REQUIRE(fr.meta.size() == veth->size); // exactly one struct, ending at data
		Hints h = dec->decode(fr.meta.data() + fr.meta.size(), fr.meta.size());
		REQUIRE(h.known());
		CHECK(h.id() == veth->id());
		CHECK(uint32_t(h.id() >> 32) == t->hook.btf_obj_id());

		// veth has no timestamp for stack-sent frames (success with 0): software, TAI.
		CHECK(h.software(f.ts));
		CHECK(h.state(f.ts) == HintState::no_data);
		auto ts = h.get(f.ts);
		REQUIRE(ts);
		CHECK(*ts >= s.t0);
		CHECK(*ts <= s.t1);

		// The hash veth reports is the skb's hash, which the stack then carries.
		CHECK(h.state(f.hash) == HintState::ok);
		REQUIRE(h.get(f.hash));
		CHECK(*h.get(f.hash) == fr.skb_hash);
		CHECK(fr.skb_hash != 0);
		REQUIRE(h.get(f.hash_type));

		// Untagged: no VLAN for this packet.
		CHECK(h.state(f.tci) == HintState::no_data);
		CHECK_FALSE(h.get(f.tci));
		CHECK_FALSE(h.get(f.proto));
		CHECK_FALSE(fr.vlan_present);
	}
	// One flow, one hash.
	CHECK(std::all_of(s.frames.begin(), s.frames.end(),
			  [&](const TappedFrame &x) { return x.skb_hash == s.frames[0].skb_hash; }));
	auto st = t->hook.stats();
	REQUIRE(st);
	CHECK(st->rx == uint64_t(n));
	CHECK(st->meta_failed == 0);
}

TEST_CASE("veth hook reports the VLAN tag of tagged frames", "[hook][veth][meta][vlan][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto t = xdphints::test::tapped_hook("hkv");
	REQUIRE(t);
	constexpr uint16_t tci = (5 << 13) | 42; // PCP 5, VID 42
	constexpr uint16_t dport = 41002;
	auto tagger = testbed::VlanTagger::attach(t->bed.bed.tx_ns, t->bed.bed.tx().ifindex, tci, dport);
	REQUIRE(tagger);

	Fields f;
	auto dec = Decoder::build(f.q, t->layouts);
	REQUIRE(dec);

	constexpr int n = 4;
	Sent s = send_and_tap(t->bed, t->tap, dport, n);
	CHECK(tagger->tagged() == uint64_t(n));
	REQUIRE(s.frames.size() == size_t(n));
	for (const auto &fr : s.frames) {
		Hints h = dec->decode(fr.meta.data() + fr.meta.size(), fr.meta.size());
		REQUIRE(h.known());
		CHECK(h.state(f.tci) == HintState::ok);
		REQUIRE(h.get(f.tci));
		CHECK(*h.get(f.tci) == tci);
		REQUIRE(h.get(f.proto));
		CHECK(*h.get(f.proto) == 0x8100); // host byte order
		CHECK(fr.vlan_present);
		CHECK(fr.vlan_tci == tci);
	}
}
