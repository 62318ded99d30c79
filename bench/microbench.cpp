// xdp-hints-microbench: the cost of reading a hint per packet.
//
//   BM_FixedStruct          a hand-written C struct (the layout compiled in), presence bit + field
//   BM_ResolvedField        our accessor: Hints view + Field<T> read through the relocation table
//   BM_NameLookupPerPacket  resolving the member by name on every packet (what the prototype does)
//   BM_Demux/N              id -> layout among N layouts (decode()) + the same field read
//
// Each iteration processes a batch of 64 frames laid out as in an AF_XDP umem (2 KiB
// frames, 256 bytes of headroom, metadata ending at the packet data), so every variant
// touches the same cache lines. items_per_second is packets per second.
#include <benchmark/benchmark.h>
#include <bpf/btf.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>
#include <xdphints/resolve.hpp>

using namespace xdphints;

namespace {

constexpr size_t kBatch = 64;
constexpr size_t kFrame = 2048;
constexpr size_t kHeadroom = 256;

[[noreturn]] void die(const Error &e)
{
	std::fprintf(stderr, "microbench fixture: %s\n", e.to_string().c_str());
	std::exit(1);
}

// What a consumer compiled against layout 0 would hand-write. Every layout of the
// fixture is 64 bytes (one cache line before the packet data) so that the demux
// variants touch the same memory as the single-layout ones; they differ in where the
// members sit (k * 4 bytes of padding in front, k = layout index % 8).
struct FixedValid {
	uint16_t rx_timestamp : 1, rx_hash : 1, rx_hash_type : 1, rx_vlan_tci : 1, rx_vlan_proto : 1;
};
struct FixedHints {
	uint64_t rx_timestamp;
	uint32_t rx_hash;
	uint32_t rx_hash_type;
	uint16_t rx_vlan_tci;
	uint16_t rx_vlan_proto;
	FixedValid valid;
	uint16_t status;
	uint8_t filler[32];
	uint64_t btf_full_id;
};
static_assert(sizeof(FixedHints) == 64);
constexpr uint32_t kSize = 64;

struct Fixture {
	Btf btf;
	std::vector<Layout> layouts;
	std::vector<uint8_t> umem;

	explicit Fixture(size_t n)
	{
		struct btf *b = btf__new_empty();
		int u16 = btf__add_int(b, "unsigned short", 2, 0);
		int u32 = btf__add_int(b, "unsigned int", 4, 0);
		int u64 = btf__add_int(b, "unsigned long long", 8, 0);
		int valid = btf__add_struct(b, "xdp_hints_valid", 2);
		const char *bits[] = {"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci", "rx_vlan_proto"};
		for (int i = 0; i < 5; i++)
			btf__add_field(b, bits[i], u16, i, 1);
		// Padding arrays first: adding a type ends the struct being built.
		int pads[8] = {};
		for (int p = 1; p < 8; p++)
			pads[p] = btf__add_array(b, u32, u16, p * 2);
		for (size_t k = 0; k < n; k++) {
			uint32_t pad = uint32_t(k % 8) * 4; // bytes in front of rx_timestamp
			std::string name = "xdp_hints_bench" + std::to_string(k);
			btf__add_struct(b, name.c_str(), kSize);
			if (pad)
				btf__add_field(b, "pad", pads[k % 8], 0, 0);
			btf__add_field(b, "rx_timestamp", u64, (pad + 0) * 8, 0);
			btf__add_field(b, "rx_hash", u32, (pad + 8) * 8, 0);
			btf__add_field(b, "rx_hash_type", u32, (pad + 12) * 8, 0);
			btf__add_field(b, "rx_vlan_tci", u16, (pad + 16) * 8, 0);
			btf__add_field(b, "rx_vlan_proto", u16, (pad + 18) * 8, 0);
			btf__add_field(b, "valid", valid, (pad + 20) * 8, 0);
			btf__add_field(b, "status", u16, (pad + 22) * 8, 0);
			btf__add_field(b, "btf_full_id", u64, (kSize - 8) * 8, 0);
		}
		uint32_t size = 0;
		const void *raw = btf__raw_data(b, &size);
		auto parsed = Btf::from_bytes(raw, size);
		btf__free(b);
		if (!parsed)
			die(parsed.error());
		btf = parsed->with_object_id(77);
		auto found = discover_layouts(btf);
		if (!found)
			die(found.error());
		layouts = std::move(*found);
		if (layouts.size() != n)
			die(Error(Errc::bad_layout, "fixture: expected " + std::to_string(n) + " layouts"));

		// Frame i carries layout i % n.
		umem.assign(kBatch * kFrame, 0);
		for (size_t i = 0; i < kBatch; i++) {
			const Layout &l = layouts[i % n];
			uint8_t *data = umem.data() + i * kFrame + kHeadroom;
			uint8_t *m = data - l.size;
			uint32_t pad = uint32_t(i % n % 8) * 4;
			uint64_t ts = 1000 + i;
			std::memcpy(m + pad, &ts, 8);
			uint16_t v = 1; // valid.rx_timestamp
			std::memcpy(m + pad + 20, &v, 2);
			uint64_t id = l.id();
			std::memcpy(data - 8, &id, 8);
		}
	}
	const uint8_t *data(size_t i) const { return umem.data() + i * kFrame + kHeadroom; }
};

void BM_FixedStruct(benchmark::State &state)
{
	Fixture fx(1);
	for (auto _ : state) {
		uint64_t sum = 0;
		for (size_t i = 0; i < kBatch; i++) {
			// The two members only (a whole-struct copy would not be the best hand-written
			// read); memcpy rather than a pointer cast keeps it free of aliasing UB.
			const uint8_t *m = fx.data(i) - sizeof(FixedHints);
			FixedValid valid;
			std::memcpy(&valid, m + offsetof(FixedHints, valid), sizeof(valid));
			if (valid.rx_timestamp) {
				uint64_t ts;
				std::memcpy(&ts, m + offsetof(FixedHints, rx_timestamp), sizeof(ts));
				sum += ts;
			}
		}
		benchmark::DoNotOptimize(sum);
	}
	state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_FixedStruct);

void BM_ResolvedField(benchmark::State &state)
{
	Fixture fx(1);
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = Decoder::build(q, fx.layouts);
	if (!dec)
		die(dec.error());
	for (auto _ : state) {
		uint64_t sum = 0;
		for (size_t i = 0; i < kBatch; i++) {
			Hints h = dec->view(0, fx.data(i), kHeadroom);
			if (auto v = h.get(ts))
				sum += *v;
		}
		benchmark::DoNotOptimize(sum);
	}
	state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_ResolvedField);

void BM_NameLookupPerPacket(benchmark::State &state)
{
	Fixture fx(1);
	const Layout &l = fx.layouts[0];
	for (auto _ : state) {
		uint64_t sum = 0;
		for (size_t i = 0; i < kBatch; i++) {
			const uint8_t *base = fx.data(i) - l.size;
			auto valid = resolve_field(fx.btf, l.type_id, "valid.rx_timestamp");
			auto r = resolve_field(fx.btf, l.type_id, "rx_timestamp", Want{8, false});
			if (valid && r && r->exists && (base[valid->byte_offset] & 1)) {
				uint64_t v;
				std::memcpy(&v, base + r->byte_offset, 8);
				sum += v;
			}
		}
		benchmark::DoNotOptimize(sum);
	}
	state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_NameLookupPerPacket);

void BM_Demux(benchmark::State &state)
{
	Fixture fx(size_t(state.range(0)));
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = Decoder::build(q, fx.layouts);
	if (!dec)
		die(dec.error());
	for (auto _ : state) {
		uint64_t sum = 0;
		for (size_t i = 0; i < kBatch; i++) {
			Hints h = dec->decode(fx.data(i), kHeadroom);
			if (auto v = h.get(ts))
				sum += *v;
		}
		benchmark::DoNotOptimize(sum);
	}
	state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Demux)->Arg(1)->Arg(64);

// Startup cost: discover 1,000 hint structs and resolve a 2-field query on all of them.
// Budget: 10 ms (RelWithDebInfo, one core). The figure lives here, not in the unit tier,
// where a wall-clock assertion failed at -O0 and on a loaded machine.
void BM_Resolve1000Structs(benchmark::State &state)
{
	Fixture fx(1000);
	for (auto _ : state) {
		auto layouts = discover_layouts(fx.btf);
		if (!layouts)
			die(layouts.error());
		Query q;
		q.add<uint64_t>("rx_timestamp");
		q.add<uint16_t>("rx_vlan_tci");
		auto dec = Decoder::build(q, *layouts);
		if (!dec)
			die(dec.error());
		benchmark::DoNotOptimize(dec);
	}
	state.SetLabel("budget 10 ms");
}
BENCHMARK(BM_Resolve1000Structs)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
