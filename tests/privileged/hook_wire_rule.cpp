// The wire rule, seen from the kernel side: a frame with no hint to write (the PTP split
// when only the timestamp is wanted, for non-PTP packets) still carries metadata written
// for it, the id slot with id 0, never a bare frame. Read with the tc tap, so what is
// checked is what the hook wrote, not what user space made of it.
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>

#include "hook_testing.hpp"

#include <cstring>
#include <string>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

void check_split(const char *tag, const std::string &hook, unsigned hints)
{
	HookOptions o;
	o.hook = hook;
	o.hints = hints;
	o.ptp_split = true;
	auto t = xdphints::test::tapped_hook(tag, o);
	REQUIRE(t);
	REQUIRE(t->hook.written_layouts().size() == 1);
	const Layout *lts = t->layout(t->hook.written_layouts()[0]);
	REQUIRE(lts);
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = Decoder::build(q, t->layouts);
	REQUIRE(dec);

	auto frames = xdphints::test::send_and_tap(t->bed, t->tap, {{319, 3}, {42010, 5}});
	int ptp = 0, none = 0;
	for (const auto &f : frames) {
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		if (h.known()) {
			ptp++;
			CHECK(h.id() == lts->id());
			CHECK(h.get(ts));
			continue;
		}
		none++;
		// Exactly the id slot, id 0: "no hints for this frame".
		REQUIRE(f.meta.size() == 8);
		uint64_t id;
		std::memcpy(&id, f.meta.data(), 8);
		CHECK(id == 0);
		CHECK(h.status() == DecodeStatus::no_metadata);
	}
	CHECK(ptp == 3);
	CHECK(none == 5);
	auto st = t->hook.stats();
	REQUIRE(st);
	CHECK(st->meta_failed == 0);
	CHECK(st->ptp == 3);
}

} // namespace

TEST_CASE("wire rule: non-PTP frames under a timestamp-only PTP split carry id 0", "[hook][ptp][wire][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	SECTION("veth, rx_timestamp only") {
		check_split("hwv", "", hint::timestamp);
	}
	SECTION("stmmac (timestamp-only driver)") {
		check_split("hws", "stmmac", 0);
	}
	SECTION("gve (timestamp-only driver)") {
		check_split("hwg", "gve", 0);
	}
	SECTION("generic (SKB mode)") {
		check_split("hwn", "generic", 0);
	}
}
