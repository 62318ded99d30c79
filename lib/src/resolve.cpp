#include <xdphints/resolve.hpp>

#include <charconv>
#include <fmt/format.h>
#include <vector>

#include "btf_walk.hpp"

namespace xdphints {
namespace {

using detail::kMaxDepth;
using detail::kMaxVisits;
using detail::name_of;
using detail::type_at;

bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

} // namespace

// path := step ('.' step)* ; step := ident ('[' digits ']')*
Result<std::vector<detail::PathStep>> detail::parse_path(std::string_view path)
{
	std::vector<PathStep> steps;
	size_t i = 0;
	auto bad = [&](const char *why) {
		return Error(Errc::invalid_argument,
			     fmt::format("field path '{}': {} at character {} (expected e.g. 'vlan.tci' or 'queue[1]')",
					 path, why, i));
	};
	if (path.empty())
		return bad("empty path");
	while (true) {
		size_t start = i;
		if (i >= path.size() || !ident_start(path[i]))
			return bad("expected a member name");
		while (i < path.size() && ident_char(path[i]))
			i++;
		PathStep s{path.substr(start, i - start), {}};
		while (i < path.size() && path[i] == '[') {
			i++;
			uint32_t v = 0;
			auto [p, ec] = std::from_chars(path.data() + i, path.data() + path.size(), v);
			if (ec != std::errc() || p == path.data() + i)
				return bad("expected an array index");
			i = p - path.data();
			if (i >= path.size() || path[i] != ']')
				return bad("expected ']'");
			i++;
			s.indices.push_back(v);
		}
		steps.push_back(std::move(s));
		if (i == path.size())
			return steps;
		if (path[i] != '.')
			return bad("unexpected character");
		i++;
	}
}

namespace {

struct Hit {
	std::string chain; // member indices through anonymous members, "2:0"
	uint32_t bit_offset;
	uint32_t bitfield_size;
	uint32_t type_id;
};

// Find member `name` of composite `comp_id`, looking through anonymous struct/union
// members as C does (libbpf: bpf_core_match_member). Collects every hit so that
// disagreeing duplicates can be reported as ambiguous instead of first-wins.
Status find_member(const struct btf *b, uint32_t comp_id, std::string_view name, uint32_t base_bits,
		   const std::string &chain, int depth, uint32_t &visits, std::vector<Hit> &hits)
{
	if (depth > kMaxDepth)
		return Error(Errc::too_deep, fmt::format("looking up '{}': anonymous members nest deeper than {} in {}",
							 name, kMaxDepth, detail::describe_type(b, comp_id)));
	const struct btf_type *t = type_at(b, comp_id);
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		if (++visits > kMaxVisits)
			return Error(Errc::too_deep, fmt::format("looking up '{}' in {}: more than {} members visited",
								 name, detail::describe_type(b, comp_id), kMaxVisits));
		std::string_view mn = name_of(b, m->name_off);
		uint64_t off = uint64_t(base_bits) + btf_member_bit_offset(t, i);
		if (off > UINT32_MAX)
			return Error(Errc::malformed_btf, fmt::format("{}: member {} lies beyond 4 GiB",
								      detail::describe_type(b, comp_id), i));
		// The access-spec chain is built only where it is used (anonymous member or hit):
		// this loop runs for every member of every candidate struct.
		auto here = [&] { return chain.empty() ? std::to_string(i) : chain + ":" + std::to_string(i); };
		if (mn.empty()) {
			auto inner = detail::skip_mods(b, m->type);
			if (!inner)
				return std::move(inner).error();
			const struct btf_type *it = type_at(b, *inner);
			if (it && btf_is_composite(it)) {
				auto st = find_member(b, *inner, name, uint32_t(off), here(), depth + 1, visits, hits);
				if (!st)
					return st;
			}
			continue;
		}
		if (mn == name)
			hits.push_back(Hit{here(), uint32_t(off), btf_member_bitfield_size(t, i), m->type});
	}
	return {};
}

bool same_location(const ResolvedField &a, const ResolvedField &b)
{
	return a.exists == b.exists && a.byte_offset == b.byte_offset && a.byte_size == b.byte_size &&
	       a.bit_offset == b.bit_offset && a.bit_size == b.bit_size && a.bitfield == b.bitfield &&
	       a.is_signed == b.is_signed;
}

} // namespace

Status detail::locate_leaf(const struct btf *b, uint32_t cur, uint32_t bit_off, uint32_t bf_size,
			   ResolvedField &r)
{
	const struct btf_type *lt = type_at(b, cur);
	if (!lt)
		return Error(Errc::type_mismatch, "the field has type void");
	r.exists = true;
	r.type_id = cur;
	r.bit_offset = bit_off;
	switch (btf_kind(lt)) {
	case BTF_KIND_INT:
		r.integral = btf_int_offset(lt) == 0; // legacy INT bit offsets are not produced by clang
		r.is_signed = btf_int_encoding(lt) & BTF_INT_SIGNED;
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		r.integral = true;
		r.is_enum = true;
		r.is_signed = btf_kflag(lt);
		break;
	default:
		break;
	}

	if (bf_size) {
		// libbpf bpf_core_calc_field_relo: the smallest naturally aligned load of at most
		// 8 bytes, starting from the member type's size, that covers the bitfield.
		uint32_t byte_sz = lt->size;
		if (!r.integral || (byte_sz != 1 && byte_sz != 2 && byte_sz != 4 && byte_sz != 8))
			return Error(Errc::malformed_btf,
				     fmt::format("bitfield of {} (size {})", detail::type_name(b, cur), byte_sz));
		uint32_t byte_off = r.bit_offset / 8 / byte_sz * byte_sz;
		while (uint64_t(r.bit_offset) + bf_size - uint64_t(byte_off) * 8 > uint64_t(byte_sz) * 8) {
			if (byte_sz >= 8)
				return Error(Errc::type_mismatch, fmt::format("bitfield of {} bits at bit {} cannot "
										    "be read with one 64-bit load",
										    bf_size, r.bit_offset));
			byte_sz *= 2;
			byte_off = r.bit_offset / 8 / byte_sz * byte_sz;
		}
		r.bitfield = true;
		r.byte_offset = byte_off;
		r.byte_size = byte_sz;
		r.bit_size = bf_size;
	} else {
		int64_t sz = btf__resolve_size(b, cur);
		if (sz < 0)
			return Error(Errc::malformed_btf, fmt::format("{} has no size", detail::type_name(b, cur)));
		if (r.bit_offset % 8)
			return Error(Errc::malformed_btf, fmt::format("non-bitfield member at bit offset {}, "
									    "not on a byte boundary",
									    r.bit_offset));
		if (sz > UINT32_MAX / 8)
			return Error(Errc::malformed_btf, "member larger than 512 MiB");
		r.byte_offset = r.bit_offset / 8;
		r.byte_size = uint32_t(sz);
		r.bit_size = uint32_t(sz) * 8;
		if (r.integral && sz != 1 && sz != 2 && sz != 4 && sz != 8)
			r.integral = false; // __int128 and odd sizes: not readable as one load
	}
	if (r.integral)
		set_core_shifts(r);

	return {};
}

namespace {

// libbpf bpf_core_is_flavor_sep: X___Y at s[0..4], X and Y not '_'.
bool is_flavor_sep(std::string_view s, size_t i) noexcept
{
	return s[i] != '_' && s[i + 1] == '_' && s[i + 2] == '_' && s[i + 3] == '_' && s[i + 4] != '_';
}

} // namespace

std::string_view essential_name(std::string_view name) noexcept
{
	// From the end: the last separator counts ("x___y___z" -> "x___y"); X is kept.
	for (size_t i = name.size() >= 5 ? name.size() - 4 : 0; i-- > 0;) { // i = size - 5 .. 0
		if (is_flavor_sep(name, i))
			return name.substr(0, i + 1);
	}
	return name;
}

Result<ResolvedField> resolve_field(const Btf &btf, uint32_t root_type_id, std::string_view path, Want want)
{
	if (auto st = detail::require_btf(btf); !st)
		return std::move(st).error();
	auto steps = detail::parse_path(path);
	if (!steps)
		return std::move(steps).error();
	return detail::resolve_steps(btf.get(), root_type_id, path, *steps, want);
}

Result<ResolvedField> detail::resolve_steps(const struct btf *b, uint32_t root_type_id, std::string_view path,
					    const std::vector<PathStep> &steps, Want want)
{
	if (want.size != 0 && want.size != 1 && want.size != 2 && want.size != 4 && want.size != 8)
		return Error(Errc::invalid_argument,
			     fmt::format("field '{}': the consumer's integer must be 1, 2, 4 or 8 bytes, not {}", path,
					 want.size));
	auto root = detail::skip_mods(b, root_type_id);
	if (!root)
		return std::move(root).error();
	const struct btf_type *rt = type_at(b, *root);
	if (!rt || !btf_is_composite(rt))
		return Error(Errc::not_a_struct, fmt::format("resolving '{}': {} is not a struct or union", path,
							      detail::describe_type(b, root_type_id)));

	ResolvedField r;
	std::string spec = "0";
	uint32_t cur = *root;      // current type, peeled
	uint32_t bf_size = 0;      // bitfield size of the last member accessed
	uint64_t bit_off = 0;
	uint32_t visits = 0;
	auto where = [&](std::string_view what) {
		return fmt::format("resolving '{}' in {} (access spec {}): {}", path,
				   detail::describe_type(b, root_type_id), spec, what);
	};

	for (const PathStep &s : steps) {
		const struct btf_type *ct = type_at(b, cur);
		if (!ct || !btf_is_composite(ct) || bf_size)
			return Error(Errc::type_mismatch,
				     where(fmt::format("'{}' is looked up in {}, which is not a struct or union", s.name,
						       detail::type_name(b, cur))));
		std::vector<Hit> hits;
		auto st = find_member(b, cur, s.name, 0, {}, 0, visits, hits);
		if (!st)
			return Error(st.error().code, where(st.error().message));
		if (hits.empty())
			return ResolvedField{}; // not there: exists == false
		for (size_t i = 1; i < hits.size(); i++) {
			if (hits[i].bit_offset != hits[0].bit_offset || hits[i].bitfield_size != hits[0].bitfield_size ||
			    hits[i].type_id != hits[0].type_id)
				return Error(Errc::ambiguous,
					     where(fmt::format("member '{}' is found twice through anonymous members "
							       "(access specs {} and {}) at different places",
							       s.name, hits[0].chain, hits[i].chain)));
		}
		bit_off += hits[0].bit_offset;
		spec += ":" + hits[0].chain;
		bf_size = hits[0].bitfield_size;
		auto t = detail::skip_mods(b, hits[0].type_id);
		if (!t)
			return Error(t.error().code, where(t.error().message));
		cur = *t;
		for (uint32_t idx : s.indices) {
			const struct btf_type *at = type_at(b, cur);
			if (!at || !btf_is_array(at) || bf_size)
				return Error(Errc::type_mismatch,
					     where(fmt::format("'{}' is indexed but is {}, not an array", s.name,
							       detail::type_name(b, cur))));
			const struct btf_array *a = btf_array(at);
			if (idx >= a->nelems)
				return ResolvedField{}; // index beyond this array: field does not exist
			int64_t esz = btf__resolve_size(b, a->type);
			if (esz < 0)
				return Error(Errc::malformed_btf,
					     where(fmt::format("element type {} has no size", a->type)));
			bit_off += uint64_t(idx) * uint64_t(esz) * 8;
			spec += ":" + std::to_string(idx);
			auto e = detail::skip_mods(b, a->type);
			if (!e)
				return Error(e.error().code, where(e.error().message));
			cur = *e;
		}
		if (bit_off > UINT32_MAX)
			return Error(Errc::malformed_btf, where("offset beyond 4 GiB"));
	}

	r.access_spec = spec;
	auto st = detail::locate_leaf(b, cur, uint32_t(bit_off), bf_size, r);
	if (!st)
		return Error(st.error().code, where(st.error().message));
	const struct btf_type *lt = type_at(b, cur);

	if (want.size) {
		if (!r.integral)
			return Error(Errc::type_mismatch,
				     where(fmt::format("the field is {}, not an integer or enum; the consumer asks for a "
						       "{}-byte integer",
						       detail::type_name(b, cur), want.size)));
		if (uint32_t(want.size) * 8 < r.bit_size)
			return Error(Errc::narrowing,
				     where(fmt::format("the field holds {} bits, the consumer's {}-byte integer only {}: "
						       "narrowing refused (read it as a {}-byte integer)",
						       r.bit_size, want.size, want.size * 8,
						       r.bit_size <= 8 ? 1 : r.bit_size <= 16 ? 2 : r.bit_size <= 32 ? 4 : 8)));
		// Widening is relative to the declared integer (a 1-bit __u16 field read as u16 is not widened).
		r.widened = uint32_t(want.size) > (r.bitfield ? lt->size : r.byte_size);
	}
	return r;
}

Result<ResolvedField> resolve_field(const Btf &btf, std::string_view local_name, std::string_view path,
				    Want want, LocalKind kind)
{
	if (auto st = detail::require_btf(btf); !st)
		return std::move(st).error();
	const struct btf *b = btf.get();
	std::string_view ess = essential_name(local_name);
	// libbpf bpf_core_add_cands: a candidate has the local type's kind.
	const uint16_t want_kind = kind == LocalKind::union_ ? BTF_KIND_UNION : BTF_KIND_STRUCT;
	const char *kind_name = kind == LocalKind::union_ ? "union" : "struct";
	std::optional<ResolvedField> chosen;
	uint32_t chosen_id = 0;
	uint32_t n = btf__type_cnt(b);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		if (btf_kind(t) != want_kind || essential_name(name_of(b, t->name_off)) != ess)
			continue;
		auto r = resolve_field(btf, id, path, want);
		if (!r)
			return std::move(r).error();
		if (!chosen) {
			chosen = std::move(*r);
			chosen_id = id;
		} else if (!same_location(*chosen, *r)) {
			return Error(Errc::ambiguous,
				     fmt::format("resolving '{}' for local {} {}: candidates {} and {} disagree "
						 "(byte offset {} vs {}, size {} vs {}, exists {} vs {})",
						 path, kind_name, local_name, detail::describe_type(b, chosen_id),
						 detail::describe_type(b, id), chosen->byte_offset, r->byte_offset,
						 chosen->byte_size, r->byte_size, chosen->exists, r->exists));
		}
	}
	if (!chosen)
		return Error(Errc::not_found, fmt::format("no {} in {} has the essential name '{}' (of {} {})",
							  kind_name, btf.origin(), ess, kind_name, local_name));
	return std::move(*chosen);
}

Result<std::optional<int64_t>> enum_value(const Btf &btf, uint32_t enum_type_id, std::string_view value_name)
{
	if (auto st = detail::require_btf(btf); !st)
		return std::move(st).error();
	const struct btf *b = btf.get();
	auto id = detail::skip_mods(b, enum_type_id);
	if (!id)
		return std::move(id).error();
	const struct btf_type *t = type_at(b, *id);
	if (t && btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++) {
			if (name_of(b, e->name_off) == value_name)
				return std::optional<int64_t>(btf_kflag(t) ? int64_t(e->val) : int64_t(uint32_t(e->val)));
		}
		return std::optional<int64_t>();
	}
	if (t && btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++) {
			if (name_of(b, e->name_off) == value_name)
				return std::optional<int64_t>(int64_t(btf_enum64_value(e)));
		}
		return std::optional<int64_t>();
	}
	return Error(Errc::type_mismatch, fmt::format("looking up enumerator {}: {} is not an enum", value_name,
						      detail::describe_type(b, enum_type_id)));
}

} // namespace xdphints
