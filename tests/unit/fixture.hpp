#pragma once
// The shared in-memory fixture: one hint struct exercising every resolution rule.
//
//   struct xdp_hints_t {                       bit offset
//       __u64 ts;                              0
//       const volatile hash_t hash;            64    (typedef hash_t = __u16)
//       struct vlan { __u16 tci, proto; } vlan;  96
//       union { __u32 word; struct { __u16 lo, hi; }; };   128 (anonymous)
//       __u32 queue[4];                        160
//       __u16 a:3;                             288
//       int b:5;                               291   (signed)
//       enum xdp_hints_state st:2;             296   (values shuffled: OK=2 ...)
//       __u8 flags;                            304
//       struct xdp_hints_valid valid;          312   { ts:1, hash:1 }
//       __u32 btf_id;                          320   size 44
//   };
#include "btf_builder.hpp"

namespace unit {

struct Fixture {
	BtfBuilder b;
	int u8, u16, u32, u64, s32, hash_t, cv_hash, vlan, anon_lohi, anon_union, queue, state_enum, valid, hints;

	Fixture()
	{
		u8 = b.integer("unsigned char", 1);
		u16 = b.integer("unsigned short", 2);
		u32 = b.integer("unsigned int", 4);
		u64 = b.integer("unsigned long long", 8);
		s32 = b.integer("int", 4, true);
		hash_t = b.typedef_("hash_t", u16);
		cv_hash = b.const_(b.volatile_(hash_t));
		vlan = b.struct_("vlan", 4, {{"tci", u16, 0}, {"proto", u16, 16}});
		anon_lohi = b.struct_("", 4, {{"lo", u16, 0}, {"hi", u16, 16}});
		anon_union = b.union_("", 4, {{"word", u32, 0}, {"", anon_lohi, 0}});
		queue = b.array(u32, 4, u32);
		state_enum = b.enum_("xdp_hints_state", {{"XDP_HINTS_STATE_UNSUPPORTED", 0},
							 {"XDP_HINTS_STATE_NODATA", 1},
							 {"XDP_HINTS_STATE_OK", 2},
							 {"XDP_HINTS_STATE_NOT_REQUESTED", 3}});
		valid = b.struct_("xdp_hints_valid", 1, {{"ts", u8, 0, 1}, {"hash", u8, 1, 1}});
		hints = b.struct_("xdp_hints_t", 44,
				  {{"ts", u64, 0},
				   {"hash", cv_hash, 64},
				   {"vlan", vlan, 96},
				   {"", anon_union, 128},
				   {"queue", queue, 160},
				   {"a", u16, 288, 3},
				   {"b", s32, 291, 5},
				   {"st", state_enum, 296, 2},
				   {"flags", u8, 304},
				   {"valid", valid, 312},
				   {"btf_id", u32, 320}});
	}
};

} // namespace unit
