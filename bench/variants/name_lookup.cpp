// name_lookup: the prototype's way, kept as the figure resolving once is measured
// against. Per frame: find the layout by the id in front of the data, resolve each field
// (and its valid bit) by name in the layout's BTF, then read.
#include "afxdp.hpp"

#include <xdphints/resolve.hpp>

#include <cstring>

namespace xdphints::bench {

namespace {

struct NameLookupReader {
	std::vector<Layout> layouts;
	static constexpr const char *kNames[5] = {"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci",
						  "rx_vlan_proto"};
	static constexpr const char *kValid[5] = {"valid.rx_timestamp", "valid.rx_hash", "valid.rx_hash_type",
						  "valid.rx_vlan_tci", "valid.rx_vlan_proto"};
	static constexpr uint8_t kSizes[5] = {8, 4, 4, 2, 2};

	static uint64_t read(const uint8_t *base, const ResolvedField &r) noexcept
	{
		uint64_t v = 0;
		std::memcpy(&v, base + r.byte_offset, std::min<uint32_t>(r.byte_size, 8));
		return (v << r.lshift) >> r.rshift;
	}

	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		uint64_t sink = 0, good = 0;
		uint32_t n = s.poll(
			[&](const afxdp::Frame &f) {
				sink += f.data[0];
				uint64_t id;
				std::memcpy(&id, f.data - 8, 8);
				const Layout *l = nullptr;
				for (const Layout &x : layouts)
					if (x.id() == id) {
						l = &x;
						break;
					}
				if (!l || f.headroom < l->size)
					return;
				const uint8_t *base = f.data - l->size;
				for (int i = 0; i < 5; i++) {
					auto r = resolve_field(l->btf, l->type_id, kNames[i], Want{kSizes[i], false});
					if (!r || !r->exists)
						continue;
					auto v = resolve_field(l->btf, l->type_id, kValid[i]);
					if (v && v->exists && read(base, *v) == 0)
						continue;
					sink += read(base, *r);
					good += i == 0;
				}
			},
			kBatch);
		ok += good;
		consume(sink);
		return n;
	}
};

Result<NameLookupReader> make_reader(const Hook *hook)
{
	auto layouts = hook->layouts();
	if (!layouts)
		return layouts.error();
	return NameLookupReader{std::move(*layouts)};
}

} // namespace

VariantPtr make_name_lookup()
{
	return XskVariant<NameLookupReader>::create(
		"name_lookup", "veth hook, all groups; 5 fields resolved by name per packet (prototype) + first byte",
		{.tag = "bname", .side = XdpSide::hook}, make_reader);
}

} // namespace xdphints::bench
