// AF_XDP receive on one queue of a veth, fed by the live-frames generator through the
// minimal redirect program: every generated frame arrives or is counted as dropped, frame
// contents are the generator's, and the frame ledger balances.
#include "afxdp_testing.hpp"

#include <set>

using namespace xdphints;
using namespace xdphints::test;

TEST_CASE("afxdp: 1000 generated frames all arrive on queue 0, contents intact, frames accounted", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axrx");
	b->open({.frame_count = 4096, .check_ownership = true}, {.queue = 0});
	CHECK(b->xsk->mode() == ax::XskMode::copy); // veth: no zero-copy, automatic fallback

	auto go = b->gen_options();
	go.flows = 4;
	go.frame_len = 128;
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	REQUIRE(take(gen.send(1000), "send") == 1000);

	std::set<uint16_t> sports;
	uint64_t bad_len = 0, small_headroom = 0, bad_stamp = 0;
	uint64_t got = drain(*b->xsk, 1000, [&](const ax::Frame &f) {
		bad_len += f.len != 128;
		small_headroom += f.headroom < 256;
		if (f.len >= 42)
			sports.insert(uint16_t(f.data[34] << 8 | f.data[35]));
		tb::GenStamp st;
		std::memcpy(&st, f.data + gen.stamp_offset(), sizeof(st));
		bad_stamp += st.tai_ns == 0;
	});
	CHECK(got == 1000);
	CHECK(bad_len == 0);
	CHECK(small_headroom == 0);
	CHECK(bad_stamp == 0);
	CHECK(sports == std::set<uint16_t>{10000, 10001, 10002, 10003});

	auto ks = take(b->xsk->kernel_stats(), "XDP_STATISTICS");
	CHECK(ks.rx_dropped == 0);
	CHECK(ks.rx_ring_full == 0);
	CHECK(b->xsk->counters().rx_frames == 1000);

	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);
	auto by_ledger = b->umem->ledger().count();
	CHECK(by_ledger[size_t(ax::FrameOwner::fill_ring)] == acc.fill_ring);
	CHECK(by_ledger[size_t(ax::FrameOwner::free_list)] == acc.free_list);
}

TEST_CASE("afxdp: held frames stay the application's until released; release clears the id slot", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axhold");
	b->open({.frame_count = 1024, .check_ownership = true}, {.rx_size = 512, .fill_size = 512});
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	REQUIRE(take(gen.send(100), "send") == 100);

	std::vector<ax::Frame> held;
	uint64_t got = drain(*b->xsk, 100, [&](const ax::Frame &f) {
		held.push_back(f);
		return ax::Disposition::keep;
	});
	REQUIRE(got == 100);
	CHECK(b->umem->accounting().application == 100);
	CHECK(b->xsk->frames().application == 100);

	// A hook would have written an id here; release must wipe it before the frame can be
	// filled again, so a later packet without metadata never shows these hints.
	for (auto &f : held)
		set_id_slot(f, kHookId);
	b->xsk->release(held.data(), uint32_t(held.size()));
	for (auto &f : held)
		CHECK(id_slot(f) == 0);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.application == 0);
	CHECK(acc.balanced());

	// The released frames went back to the fill ring: all 512 of the socket's frames are
	// there again, so a burst of 500 arrives in full.
	CHECK(b->xsk->frames().fill_ring == 512);
	REQUIRE(take(gen.send(500), "send") == 500);
	got = drain(*b->xsk, 500, [&](const ax::Frame &f) { CHECK(id_slot(f) == 0); });
	CHECK(got == 500);
	CHECK(b->umem->accounting().ledger_violations == 0);
}

TEST_CASE("afxdp: a double release is caught by the ledger, not turned into a duplicate frame", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axdbl");
	b->open({.frame_count = 256, .check_ownership = true}, {.rx_size = 128, .fill_size = 128, .comp_size = 128});
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	REQUIRE(take(gen.send(1), "send") == 1);
	ax::Frame f{};
	REQUIRE(drain(*b->xsk, 1, [&](const ax::Frame &x) {
		f = x;
		return ax::Disposition::keep;
	}) == 1);
	b->xsk->release(f);
	CHECK(b->umem->ledger().violations() == 0);
	b->xsk->release(f);
	CHECK(b->umem->ledger().violations() == 1);
	auto v = b->umem->ledger().first_violation();
	CHECK(v.expected == ax::FrameOwner::application);
	CHECK(v.actual == ax::FrameOwner::free_list);
}

TEST_CASE("afxdp: the generator's VLAN-tagged PTP frames arrive byte for byte", "[afxdp][privileged][livegen]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axptp");
	b->open({.frame_count = 1024}, {.rx_size = 512, .fill_size = 512});
	auto go = b->gen_options();
	go.vlan_tci = 59;
	go.ptp = true;
	go.flows = 2;
	go.frame_len = 120;
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	CHECK(gen.payload_offset() == 18 + 20 + 8);
	CHECK(gen.stamp_offset() == gen.payload_offset() + 44);
	REQUIRE(take(gen.send(200), "send") == 200);

	auto be16 = [](const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); };
	uint64_t bad_vlan = 0, bad_ptp = 0, seq_mismatch = 0, n = 0;
	std::set<uint16_t> sports;
	uint64_t got = drain(*b->xsk, 200, [&](const ax::Frame &f) {
		const uint8_t *p = f.data;
		bad_vlan += !(be16(p + 12) == 0x8100 && be16(p + 14) == 59 && be16(p + 16) == 0x0800);
		const uint8_t *udp = p + 18 + 20;
		sports.insert(be16(udp));
		const uint8_t *ptp = udp + 8;
		bad_ptp += !(be16(udp + 2) == 319 && ptp[0] == 0x00 && ptp[1] == 0x02 && be16(ptp + 2) == 44);
		tb::GenStamp st;
		std::memcpy(&st, p + gen.stamp_offset(), sizeof(st));
		// sequenceId is the low 16 bits of the generator's per-CPU sequence number.
		seq_mismatch += be16(ptp + 30) != uint16_t(st.seq >> 8);
		// originTimestamp (48-bit seconds, 32-bit ns) is the stamp's TAI time.
		uint64_t sec = uint64_t(be16(ptp + 34)) << 32 | uint32_t(ptp[36] << 24 | ptp[37] << 16 | ptp[38] << 8 | ptp[39]);
		uint32_t nsec = uint32_t(ptp[40] << 24 | ptp[41] << 16 | ptp[42] << 8 | ptp[43]);
		seq_mismatch += sec * 1000000000ull + nsec != st.tai_ns;
		n++;
	});
	CHECK(got == 200);
	CHECK(bad_vlan == 0);
	CHECK(bad_ptp == 0);
	CHECK(seq_mismatch == 0);
	CHECK(sports == std::set<uint16_t>{10000, 10001});
	CHECK(gen.generated() == 200);
}
