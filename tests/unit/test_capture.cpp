// dump -w's records (cli/capture.hpp, timestamps.hpp): EPBs built from the render plan read
// back from their bytes: the time (rx_timestamp converted to UTC, else the receive time),
// the stripped VLAN tag put back, hash, queue and flags options, snaplen; the header's
// interface block; no allocation per packet.
#include "alloc_count.hpp"
#include "capture.hpp"
#include "pcapng_blocks.hpp"
#include "timestamps.hpp"
#include "veth_layout.hpp"

#include <sys/timex.h>

using namespace xdphints;
using namespace unit::pcapng_blocks;
using namespace unit::veth;

namespace {

// The EPB at the start of `b`: its time, captured bytes, original length and options.
// It keeps a copy of the block, which the options' values point into (the record they were
// read from is gone when record() returns); moving keeps that buffer, copying would not.
struct Epb {
	uint64_t ts = 0;
	uint32_t caplen = 0, origlen = 0;
	std::vector<uint8_t> bytes;
	std::vector<std::byte> block;
	std::vector<Option> opts;

	Epb() = default;
	Epb(Epb &&) = default;
	Epb &operator=(Epb &&) = default;
	Epb(const Epb &) = delete;
	Epb &operator=(const Epb &) = delete;
};
Epb epb_of(Bytes record)
{
	Epb e;
	e.block.assign(record.begin(), record.end());
	Bytes b(e.block);
	REQUIRE(u32_at(b, 0) == 6);
	uint32_t total = u32_at(b, 4);
	REQUIRE(total == b.size());
	e.ts = uint64_t(u32_at(b, 12)) << 32 | u32_at(b, 16);
	e.caplen = u32_at(b, 20);
	e.origlen = u32_at(b, 24);
	auto d = b.subspan(28, e.caplen);
	e.bytes.assign(reinterpret_cast<const uint8_t *>(d.data()), reinterpret_cast<const uint8_t *>(d.data()) + d.size());
	e.opts = options_of(b, 28 + ((e.caplen + 3) & ~3u));
	return e;
}
Bytes bytes_of(const std::string &s) { return {reinterpret_cast<const std::byte *>(s.data()), s.size()}; }

uint64_t fixed_receive_time() noexcept { return 1111; }

struct FakePhc : render::HardwareClock {
	// UTC = PHC + 5000 ns (TAI 37 s more), +-20 ns; nothing at or below 1000 (not measured).
	render::HwTime to_system(uint64_t hw, render::Clock to) const noexcept override
	{
		if (hw <= 1000)
			return {};
		return {int64_t(hw) + 5000 + (to == render::Clock::tai ? 37'000'000'000 : 0), 20, true};
	}
	std::string describe() const override { return "PHC /dev/ptp9 (fake) converted to UTC"; }
};

Epb record(const render::Capture &cap, const Veth &v, const Packet &p, unsigned queue = 3)
{
	std::string rec;
	cap.append_packet(rec, queue, p.frame(), v.decode(p));
	return epb_of(bytes_of(rec));
}

std::string comment_of(const Epb &e)
{
	const Option *c = find(e.opts, 1);
	REQUIRE(c);
	return str_of(c->value);
}

} // namespace

TEST_CASE("capture: the EPB's time is the rx_timestamp in UTC, else the receive time")
{
	Veth v;
	FakePhc phc;
	render::CaptureOptions o;
	o.ifname = "veth0";
	o.clock.tai_offset_ns = 37'000'000'000;
	o.clock.receive_ns = fixed_receive_time;
	auto cap = render::Capture::create(*v.plan, o);
	REQUIRE(cap);

	// Software: CLOCK_TAI minus the TAI offset.
	Epb sw = record(*cap, v, Packet(v.layout(), kTagged));
	CHECK(sw.ts == kTagged.ts - 37'000'000'000);
	CHECK(comment_of(sw).find(" time=rx_timestamp rx_timestamp=1700000000123456789 rx_timestamp_source=software "
				  "rx_timestamp_clock=tai") !=
	      std::string::npos);
	// Hardware without a PHC conversion, or no timestamp: the receive time, said so.
	VethHints hw = kTagged;
	hw.ts_sw = false;
	Epb raw = record(*cap, v, Packet(v.layout(), hw));
	CHECK(raw.ts == 1111);
	CHECK(comment_of(raw).find(" time=receive rx_timestamp=1700000000123456789 rx_timestamp_source=hardware") !=
	      std::string::npos);
	VethHints none = kTagged;
	none.ts_state = 2;
	Epb nots = record(*cap, v, Packet(v.layout(), none));
	CHECK(nots.ts == 1111);
	CHECK(comment_of(nots).find(" time=receive rx_timestamp=no_data ") != std::string::npos);
	// Hardware through the conversion seam; one it cannot convert gets the receive time.
	o.clock.hardware = &phc;
	auto cap_hw = render::Capture::create(*v.plan, o);
	REQUIRE(cap_hw);
	CHECK(record(*cap_hw, v, Packet(v.layout(), hw)).ts == kTagged.ts + 5000);
	hw.ts = 999;
	CHECK(record(*cap_hw, v, Packet(v.layout(), hw)).ts == 1111);
	CHECK(o.clock.describe().find("PHC /dev/ptp9 (fake) converted to UTC") != std::string::npos);
	CHECK(o.clock.describe().find("TAI offset 37 s") != std::string::npos);
}

TEST_CASE("capture: the stripped VLAN tag is put back, hash and queue options, snaplen")
{
	Veth v;
	render::CaptureOptions o;
	o.ifname = "veth0";
	auto cap = render::Capture::create(*v.plan, o);
	REQUIRE(cap);
	Packet p(v.layout(), kTagged, 100);
	Epb e = record(*cap, v, p, 3);
	CHECK(e.origlen == 104);
	REQUIRE(e.caplen == 104);
	CHECK(std::equal(e.bytes.begin(), e.bytes.begin() + 12, p.data));
	CHECK(e.bytes[12] == 0x81);
	CHECK(e.bytes[13] == 0x00);
	CHECK((e.bytes[14] << 8 | e.bytes[15]) == 59);
	CHECK(std::equal(e.bytes.begin() + 16, e.bytes.end(), p.data + 12));
	const Option *hash = find(e.opts, 3), *queue = find(e.opts, 6), *flags = find(e.opts, 2);
	REQUIRE(hash);
	REQUIRE(hash->value.size() == 5);
	CHECK(uint8_t(hash->value[0]) == 5); // Toeplitz
	CHECK(u32_at(hash->value, 1) == 0xdeadbeef);
	REQUIRE(queue);
	CHECK(u32_at(queue->value, 0) == 3);
	REQUIRE(flags);
	CHECK(u32_at(flags->value, 0) == 1); // inbound
	CHECK(comment_of(e).find(" rx_hash=0xdeadbeef ") != std::string::npos);

	// Without the tag and the hash: bytes as received, no epb_hash.
	VethHints plain = kTagged;
	plain.vlan_state = 2;
	plain.hash_state = 2;
	Epb pe = record(*cap, v, Packet(v.layout(), plain, 100));
	CHECK(pe.caplen == 100);
	CHECK(find(pe.opts, 3) == nullptr);

	// snaplen: 60 bytes kept, the original length said.
	o.snaplen = 60;
	auto small = render::Capture::create(*v.plan, o);
	REQUIRE(small);
	Epb s = record(*small, v, p);
	CHECK(s.caplen == 60);
	CHECK(s.origlen == 104);
	o.snaplen = 0;
	CHECK(!render::Capture::create(*v.plan, o));
}

TEST_CASE("capture: header is a Section Header and an IDB naming the clock domains")
{
	Veth v;
	render::CaptureOptions o;
	o.ifname = "veth0";
	o.clock.tai_offset_ns = 37'000'000'000;
	auto cap = render::Capture::create(*v.plan, o);
	REQUIRE(cap);
	std::string h = cap->header();
	Bytes b = bytes_of(h);
	REQUIRE(u32_at(b, 0) == 0x0A0D0D0A);
	uint32_t shb = u32_at(b, 4);
	REQUIRE(u32_at(b, shb) == 1);
	Bytes idb = b.subspan(shb, u32_at(b, shb + 4));
	REQUIRE(shb + idb.size() == b.size());
	auto opts = options_of(idb, 16);
	const Option *name = find(opts, 2), *desc = find(opts, 3), *tsresol = find(opts, 9);
	REQUIRE(name);
	CHECK(str_of(name->value) == "veth0");
	REQUIRE(desc);
	CHECK(str_of(desc->value) == o.clock.describe());
	CHECK(str_of(desc->value).find("software rx_timestamp: CLOCK_TAI from the hook, converted to UTC (TAI offset 37 s)") !=
	      std::string::npos);
	REQUIRE(tsresol);
	CHECK(uint8_t(tsresol->value[0]) == 9);
}

TEST_CASE("timestamps: the TAI offset is the kernel's (adjtimex)")
{
	timex tx{};
	REQUIRE(adjtimex(&tx) >= 0);
	CHECK(render::kernel_tai_offset_ns() == int64_t(tx.tai) * 1'000'000'000);
}

TEST_CASE("capture: per packet, within the reserved capacity: no allocation")
{
	Veth v;
	render::CaptureOptions o;
	o.ifname = "veth0";
	auto cap = render::Capture::create(*v.plan, o);
	REQUIRE(cap);
	std::string rec;
	rec.reserve(cap->max_record());
	VethHints big{.ts = ~0ull, .hash = ~0u, .hash_type = 41, .tci = 0xffff, .proto = 0xffff};
	Packet p(v.layout(), big, 9000), unknown(v.layout(), big, 9000, 1);
	// A thread's first record makes its rendering scratch (render.cpp, Cursor): once.
	cap->append_packet(rec, 0, p.frame(), v.decode(p));
	unit::allocations = 0;
	unit::counting = true;
	for (const Packet *pk : {&p, &unknown}) {
		rec.clear();
		cap->append_packet(rec, 65535, pk->frame(), v.decode(*pk));
	}
	unit::counting = false;
	CHECK(unit::allocations == 0);
	CHECK(epb_of(bytes_of(rec)).caplen == 9000);
}
