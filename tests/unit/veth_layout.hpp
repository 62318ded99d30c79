#pragma once
// A layout like the veth hook's (struct xdp_hints_veth) built in memory, packets whose
// metadata the test writes field by field, a Decoder and a render plan for them: shared by
// test_render.cpp and test_capture.cpp.
#include "btf_builder.hpp"
#include "render.hpp"

#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

#include <cstring>
#include <optional>
#include <vector>

namespace unit::veth {

using namespace xdphints;

// struct xdp_hints_veth as the veth hook writes it (hints-hook/bpf/hook_layout.bpf.h):
//   __u64 rx_timestamp; __u32 rx_hash; enum xdp_rss_hash_type rx_hash_type;
//   __u16 rx_vlan_tci, rx_vlan_proto; struct xdp_hints_valid valid (1 bit each);
//   struct xdp_hints_status status (2 bits each, rx_timestamp_sw:1); __u64 btf_full_id
struct VethBtf {
	::unit::BtfBuilder b;
	int veth;
	VethBtf()
	{
		int u16 = b.integer("unsigned short", 2), u32 = b.integer("unsigned int", 4),
		    u64 = b.integer("unsigned long long", 8);
		int rss = b.enum_("xdp_rss_hash_type", {{"XDP_RSS_L3_IPV4", 1},
							{"XDP_RSS_L4", 8},
							{"XDP_RSS_TYPE_NONE", 0},
							{"XDP_RSS_TYPE_L3_IPV4", 1},
							{"XDP_RSS_TYPE_L4_IPV4_UDP", 41}});
		b.enum_("xdp_hints_state", {{"XDP_HINTS_STATE_NOT_REQUESTED", 0},
					    {"XDP_HINTS_STATE_OK", 1},
					    {"XDP_HINTS_STATE_NODATA", 2},
					    {"XDP_HINTS_STATE_UNSUPPORTED", 3}});
		int valid = b.struct_("xdp_hints_valid", 2,
				      {{"rx_timestamp", u16, 0, 1}, {"rx_hash", u16, 1, 1}, {"rx_hash_type", u16, 2, 1},
				       {"rx_vlan_tci", u16, 3, 1}, {"rx_vlan_proto", u16, 4, 1}});
		int status = b.struct_("xdp_hints_status", 2,
				       {{"rx_timestamp", u16, 0, 2}, {"rx_hash", u16, 2, 2}, {"rx_hash_type", u16, 4, 2},
					{"rx_vlan_tci", u16, 6, 2}, {"rx_vlan_proto", u16, 8, 2}, {"rx_timestamp_sw", u16, 10, 1}});
		veth = b.struct_("xdp_hints_veth", 32,
				 {{"rx_timestamp", u64, 0}, {"rx_hash", u32, 64}, {"rx_hash_type", rss, 96},
				  {"rx_vlan_tci", u16, 128}, {"rx_vlan_proto", u16, 144}, {"valid", valid, 160},
				  {"status", status, 176}, {"btf_full_id", u64, 192}});
	}
};

// One packet's hints as the hook writes them. States: 1 ok, 2 no data, 3 unsupported.
struct VethHints {
	uint64_t ts = 0;
	uint32_t hash = 0, hash_type = 0;
	uint16_t tci = 0, proto = 0;
	unsigned ts_state = 1, hash_state = 1, vlan_state = 1;
	bool ts_sw = true;
};

// A UDP frame 10.0.0.2:42001 -> 10.0.0.1:7001 of `len` bytes, with 32 bytes of metadata in
// front of it.
struct Packet {
	std::vector<uint8_t> buf;
	uint8_t *data;
	uint32_t len;

	Packet(const Layout &l, const VethHints &v, uint32_t frame_len = 64, uint64_t id = 0)
		: buf(64 + frame_len, 0), data(buf.data() + 64), len(frame_len)
	{
		uint8_t *m = data - 32;
		std::memcpy(m, &v.ts, 8);
		std::memcpy(m + 8, &v.hash, 4);
		std::memcpy(m + 12, &v.hash_type, 4);
		std::memcpy(m + 16, &v.tci, 2);
		std::memcpy(m + 18, &v.proto, 2);
		auto ok = [](unsigned s) { return s == 1 ? 1u : 0u; };
		uint16_t valid = uint16_t(ok(v.ts_state) | ok(v.hash_state) << 1 | ok(v.hash_state) << 2 |
					  ok(v.vlan_state) << 3 | ok(v.vlan_state) << 4);
		uint16_t status = uint16_t(v.ts_state | v.hash_state << 2 | v.hash_state << 4 | v.vlan_state << 6 |
					   v.vlan_state << 8 | unsigned(v.ts_sw) << 10);
		std::memcpy(m + 20, &valid, 2);
		std::memcpy(m + 22, &status, 2);
		uint64_t gid = id ? id : l.id();
		std::memcpy(m + 24, &gid, 8);
		const uint8_t udp[] = {0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17};
		std::memcpy(data + 12, udp, sizeof(udp));
		const uint8_t ports[] = {0xa4, 0x11, 0x1b, 0x59}; // 42001, 7001
		std::memcpy(data + 34, ports, 4);
	}
	std::span<const uint8_t> frame() const { return {data, len}; }
};

struct Veth {
	VethBtf btf;
	std::vector<Layout> layouts;
	std::optional<Decoder> dec;
	std::optional<render::RenderPlan> plan;
	Veth()
	{
		auto l = discover_layouts(btf.b.build().with_object_id(7));
		REQUIRE(l);
		REQUIRE(l->size() == 1);
		Query q;
		q.add<uint64_t>("rx_timestamp", Presence::optional);
		auto d = Decoder::build(q, *l);
		REQUIRE(d);
		dec.emplace(std::move(*d));
		auto p = render::RenderPlan::build(dec->layouts());
		INFO((p ? std::string() : p.error().message));
		REQUIRE(p);
		plan.emplace(std::move(*p));
	}
	const Layout &layout() const { return dec->layouts()[0]; }
	Hints decode(const Packet &p) const { return dec->decode(p.data, 64); }
};

// Every hint present: a software timestamp, a hash, VLAN 59 (802.1Q).
inline const VethHints kTagged{.ts = 1700000000123456789, .hash = 0xdeadbeef, .hash_type = 41, .tci = 59, .proto = 0x8100};

} // namespace unit::veth
