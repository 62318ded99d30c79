#pragma once
// Internal helpers over libbpf's parsed BTF, shared by discovery, resolution and the
// layout dump. Every walk is depth-capped and budgeted: libbpf's btf__new checks that ids
// are in range but lets type loops (typedef A -> const -> typedef A) and exponential
// anonymous-member nesting through.
#include <bpf/btf.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <xdphints/btf.hpp>
#include <xdphints/resolve.hpp>
#include <xdphints/result.hpp>

namespace xdphints::detail {

// Deeper than any real C type (libbpf's MAX_RESOLVE_DEPTH is 32 too).
inline constexpr int kMaxDepth = 32;
// Members visited by one walk; bounds hostile anonymous-member fan-out (2^32 paths in a
// 32-deep nest of structs with two anonymous members each).
inline constexpr uint32_t kMaxVisits = 1u << 16;

inline const struct btf_type *type_at(const struct btf *b, uint32_t id) noexcept
{
	if (id >= btf__type_cnt(b))
		return nullptr;
	return btf__type_by_id(b, id);
}

inline std::string_view name_of(const struct btf *b, uint32_t name_off) noexcept
{
	const char *s = btf__name_by_offset(b, name_off);
	return s ? std::string_view(s) : std::string_view();
}

inline bool is_modifier(const struct btf_type *t) noexcept
{
	switch (btf_kind(t)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return true;
	default:
		return false;
	}
}

// Error unless `btf` holds a parsed BTF.
Status require_btf(const Btf &btf);

// Peel typedef/const/volatile/restrict/type_tag. Result: the underlying id (0 = void).
Result<uint32_t> skip_mods(const struct btf *b, uint32_t id);

// A C-like spelling of a type for dumps: "__u64", "enum xdp_rss_hash_type",
// "struct xdp_hints_valid", "__u32[4]", "const char *". Never fails; loops print "...".
std::string type_name(const struct btf *b, uint32_t id);

// "type id 12 (struct xdp_hints_veth)"
std::string describe_type(const struct btf *b, uint32_t id);

struct PathStep {
	std::string_view name;         // points into the parsed path string
	std::vector<uint32_t> indices; // "queue[1][2]" -> {1, 2}
};
Result<std::vector<PathStep>> parse_path(std::string_view path);

// resolve_field() on an already parsed path (`path` is for messages).
Result<ResolvedField> resolve_steps(const struct btf *b, uint32_t root_type_id, std::string_view path,
				    const std::vector<PathStep> &steps, Want want);

// Fill the location of a leaf of peeled type `type_id` at absolute `bit_off` (bitfield
// size `bf_size`, 0 if none) into r: exists, type, kind, CO-RE byte offset/size, shifts.
Status locate_leaf(const struct btf *b, uint32_t type_id, uint32_t bit_off, uint32_t bf_size,
		   ResolvedField &r);

} // namespace xdphints::detail
