// The ring views on plain memory: reserve/submit and peek/release follow the kernel's
// protocol (free-running u32 indices, cached peer index), including index wrap-around.
#include <xdphints/af_xdp/ring.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

using namespace xdphints::afxdp;

namespace {

struct FakeRing {
	uint32_t producer = 0, consumer = 0, flags = 0;
	std::vector<uint64_t> descs;
	explicit FakeRing(uint32_t n, uint32_t start = 0) : producer(start), consumer(start), descs(n) {}
	RingMap map() { return RingMap{&producer, &consumer, &flags, descs.data(), uint32_t(descs.size())}; }
};

} // namespace

TEST_CASE("afxdp rings: a producer reserves at most the free slots and publishes on submit", "[afxdp][unit]")
{
	FakeRing r(8);
	ProdRing<uint64_t> p(r.map());
	uint32_t idx = 0;
	CHECK(p.reserve(5, idx) == 5);
	CHECK(idx == 0);
	for (uint32_t i = 0; i < 5; i++)
		p.slot(idx + i) = 100 + i;
	CHECK(r.producer == 0); // nothing visible before submit
	p.submit();
	CHECK(r.producer == 5);
	CHECK(p.reserve(5, idx) == 3); // only 3 free until the consumer moves
	p.submit();
	CHECK(p.reserve(1, idx) == 0);
	r.consumer = 4; // the kernel took four
	CHECK(p.reserve(10, idx) == 4);
	CHECK(idx == 8);
	CHECK(r.descs[8 & 7] == 100); // slot 8 is slot 0 again
}

TEST_CASE("afxdp rings: a consumer sees only published entries, releases what it peeked", "[afxdp][unit]")
{
	FakeRing r(4);
	ConsRing<uint64_t> c(r.map());
	uint32_t idx = 0;
	CHECK(c.peek(4, idx) == 0);
	r.descs[0] = 7;
	r.descs[1] = 8;
	r.producer = 2;
	CHECK(c.pending() == 2);
	CHECK(c.peek(1, idx) == 1);
	CHECK(c.slot(idx) == 7);
	CHECK(c.peek(4, idx) == 1);
	CHECK(c.slot(idx) == 8);
	CHECK(r.consumer == 0);
	c.release();
	CHECK(r.consumer == 2);
}

TEST_CASE("afxdp rings: indices wrap around 2^32", "[afxdp][unit]")
{
	const uint32_t start = 0xfffffffe;
	FakeRing r(4, start);
	ProdRing<uint64_t> p(r.map());
	ConsRing<uint64_t> c(r.map()); // both sides on one ring: a loopback
	for (uint64_t round = 0; round < 10; round++) {
		uint32_t idx;
		REQUIRE(p.reserve(3, idx) == 3);
		for (uint32_t i = 0; i < 3; i++)
			p.slot(idx + i) = round * 10 + i;
		p.submit();
		REQUIRE(c.peek(8, idx) == 3);
		for (uint32_t i = 0; i < 3; i++)
			CHECK(c.slot(idx + i) == round * 10 + i);
		c.release();
	}
	CHECK(r.producer == start + 30); // wrapped
	CHECK(r.consumer == r.producer);
}

TEST_CASE("afxdp rings: need_wakeup follows the kernel's flag", "[afxdp][unit]")
{
	FakeRing r(4);
	ProdRing<uint64_t> p(r.map());
	CHECK_FALSE(p.needs_wakeup());
	r.flags = XDP_RING_NEED_WAKEUP;
	CHECK(p.needs_wakeup());
}
