#include <xdphints/layout.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <unordered_set>

#include "btf_walk.hpp"

namespace xdphints {
namespace {

using detail::kMaxDepth;
using detail::kMaxVisits;
using detail::name_of;
using detail::type_at;

constexpr std::string_view kHintPrefix = "xdp_hints";
constexpr std::string_view kDeclTag = "xdp_hints";

// Declared network order: a typedef named __be16/__be32/__be64 on the way to the integer.
bool is_big_endian(const struct btf *b, uint32_t id)
{
	for (int depth = 0; depth < kMaxDepth; depth++) {
		const struct btf_type *t = type_at(b, id);
		if (!t || !detail::is_modifier(t))
			return false;
		std::string_view n = btf_is_typedef(t) ? name_of(b, t->name_off) : std::string_view();
		if (n == "__be16" || n == "__be32" || n == "__be64")
			return true;
		id = t->type;
	}
	return false;
}

// See LayoutField::flags.
bool is_flags_enum(const struct btf_type *t)
{
	if (!t || !btf_is_enum(t))
		return false;
	const struct btf_enum *e = btf_enum(t);
	uint32_t seen = 0;
	unsigned bits = 0;
	bool zero = false;
	for (uint16_t i = 0; i < btf_vlen(t); i++) {
		uint32_t v = uint32_t(e[i].val);
		if (v == 0) {
			zero = true;
			continue;
		}
		if ((v & (v - 1)) != 0 || (seen & v) != 0)
			return false;
		seen |= v;
		bits++;
	}
	return bits >= 2 && !(zero && seen <= 3);
}

// Leaves of a composite, depth first, in declaration order. Named struct/union members
// add "name." to the path; anonymous ones are transparent; arrays are leaves.
Status collect_leaves(const struct btf *b, uint32_t comp_id, const std::string &prefix, uint32_t base_bits,
		      const std::string &spec, int depth, uint32_t &visits, std::vector<LayoutField> &out)
{
	if (depth > kMaxDepth)
		return Error(Errc::too_deep, fmt::format("{}: members nest deeper than {} (a type loop?)",
							 detail::describe_type(b, comp_id), kMaxDepth));
	const struct btf_type *t = type_at(b, comp_id);
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		if (++visits > kMaxVisits)
			return Error(Errc::too_deep, fmt::format("{}: more than {} members", detail::describe_type(b, comp_id),
								 kMaxVisits));
		uint64_t off = uint64_t(base_bits) + btf_member_bit_offset(t, i);
		if (off > UINT32_MAX)
			return Error(Errc::malformed_btf, fmt::format("{}: member {} lies beyond 4 GiB",
								      detail::describe_type(b, comp_id), i));
		std::string_view mn = name_of(b, m->name_off);
		std::string here = spec + ":" + std::to_string(i);
		auto peeled = detail::skip_mods(b, m->type);
		if (!peeled)
			return std::move(peeled).error();
		const struct btf_type *pt = type_at(b, *peeled);
		uint32_t bf = btf_member_bitfield_size(t, i);
		if (pt && btf_is_composite(pt) && !bf) {
			std::string p = mn.empty() ? prefix : prefix + std::string(mn) + ".";
			auto st = collect_leaves(b, *peeled, p, uint32_t(off), here, depth + 1, visits, out);
			if (!st)
				return st;
			continue;
		}
		ResolvedField r;
		auto st = detail::locate_leaf(b, *peeled, uint32_t(off), bf, r);
		if (!st)
			return Error(st.error().code, fmt::format("{} member '{}{}': {}", detail::describe_type(b, comp_id),
								  prefix, mn, st.error().message));
		LayoutField f;
		f.name = prefix + std::string(mn);
		f.type = detail::type_name(b, m->type);
		f.access_spec = std::move(here);
		f.type_id = m->type;
		f.offset = r.byte_offset;
		f.size = r.byte_size;
		f.bit_offset = r.bit_offset;
		f.bit_size = r.bit_size;
		f.bitfield = r.bitfield;
		f.integral = r.integral;
		f.is_signed = r.is_signed;
		f.big_endian = r.integral && !r.bitfield && is_big_endian(b, m->type);
		f.flags = r.integral && is_flags_enum(pt);
		out.push_back(std::move(f));
	}
	return {};
}

bool is_hint_name(std::string_view n)
{
	return n.substr(0, kHintPrefix.size()) == kHintPrefix;
}

} // namespace

const char *id_kind_name(IdKind k) noexcept
{
	switch (k) {
	case IdKind::none: return "none";
	case IdKind::btf_id: return "btf_id";
	case IdKind::btf_full_id: return "btf_full_id";
	}
	return "?";
}

Result<Layout> describe_layout(const Btf &btf, uint32_t type_id, bool require_id, std::optional<uint32_t> object_id)
{
	if (auto st = detail::require_btf(btf); !st)
		return std::move(st).error();
	const struct btf *b = btf.get();
	const struct btf_type *t = type_at(b, type_id);
	if (!t || !btf_is_struct(t))
		return Error(Errc::not_a_struct, fmt::format("{} in {} is not a struct", detail::describe_type(b, type_id),
							      btf.origin()));
	Layout l;
	l.name = std::string(name_of(b, t->name_off));
	l.type_id = type_id;
	l.object_id = object_id.value_or(btf.kernel_object_id());
	l.size = t->size;
	l.btf = btf;
	auto ctx = [&] { return fmt::format("struct {} ({} type id {})", l.name, btf.origin(), type_id); };
	if (t->size == 0 || t->size > UINT16_MAX)
		return Error(Errc::bad_layout, fmt::format("{}: size {} is not a metadata size (1..65535 bytes)", ctx(),
							   t->size));

	uint16_t vlen = btf_vlen(t);
	std::string_view last = vlen ? name_of(b, btf_members(t)[vlen - 1].name_off) : std::string_view();
	if (last == "btf_id" || last == "btf_full_id") {
		l.id_kind = last == "btf_id" ? IdKind::btf_id : IdKind::btf_full_id;
		uint32_t want = l.id_kind == IdKind::btf_id ? 4 : 8;
		uint32_t bits = btf_member_bit_offset(t, vlen - 1);
		auto idt = detail::skip_mods(b, btf_members(t)[vlen - 1].type);
		if (!idt)
			return Error(idt.error().code, ctx() + ": " + idt.error().message);
		const struct btf_type *it = type_at(b, *idt);
		if (!it || !btf_is_int(it) || it->size != want || btf_member_bitfield_size(t, vlen - 1))
			return Error(Errc::bad_layout,
				     fmt::format("{}: the id member {} must be a {}-byte integer, not {} (wire rule: "
						 "the id is read at data - {})",
						 ctx(), last, want, detail::type_name(b, btf_members(t)[vlen - 1].type), want));
		if (bits % 8 || bits / 8 + want != t->size)
			return Error(Errc::bad_layout,
				     fmt::format("{}: the id member {} ends at byte {} but the struct is {} bytes (wire "
						 "rule: the id must end the struct, no tail padding, because it is read "
						 "at data - {}); reorder or pad before it",
						 ctx(), last, bits / 8 + want, t->size, want));
	} else if (require_id) {
		return Error(Errc::bad_layout,
			     fmt::format("{}: the last member is '{}', not btf_id (u32) or btf_full_id (u64), so it "
					 "is not a layout (a helper struct?)",
					 ctx(), last));
	}
	uint32_t visits = 0;
	auto st = collect_leaves(b, type_id, {}, 0, "0", 0, visits, l.fields);
	if (!st)
		return std::move(st).error();
	return l;
}

Result<Discovery> discover(const Btf &btf, const DiscoverOptions &opts)
{
	if (auto st = detail::require_btf(btf); !st)
		return std::move(st).error();
	const struct btf *b = btf.get();
	Discovery d;
	uint32_t n = btf__type_cnt(b);
	// Split BTF: the base (vmlinux) holds no hooks; start at the split's own types.
	const struct btf *base = btf__base_btf(b);
	uint32_t first = base ? btf__type_cnt(base) : 1;

	if (opts.auto_discover) {
		std::unordered_set<uint32_t> tagged;
		for (uint32_t id = first; id < n; id++) {
			const struct btf_type *t = btf__type_by_id(b, id);
			if (btf_is_decl_tag(t) && btf_decl_tag(t)->component_idx == -1 &&
			    name_of(b, t->name_off) == kDeclTag)
				tagged.insert(t->type);
		}
		for (uint32_t id = first; id < n; id++) {
			const struct btf_type *t = btf__type_by_id(b, id);
			if (!btf_is_composite(t))
				continue;
			std::string_view name = name_of(b, t->name_off);
			bool is_tagged = tagged.count(id) != 0;
			if (!is_tagged && !is_hint_name(name))
				continue;
			if (!btf_is_struct(t)) {
				d.skipped.push_back({id, std::string(name), "a union, not a struct: not a layout"});
				continue;
			}
			uint16_t vlen = btf_vlen(t);
			std::string_view last = vlen ? name_of(b, btf_members(t)[vlen - 1].name_off) : std::string_view();
			if (last != "btf_id" && last != "btf_full_id") {
				d.skipped.push_back({id, std::string(name),
						     fmt::format("last member is '{}', not btf_id (u32) or btf_full_id "
								 "(u64): not a layout (a helper struct?); name it "
								 "explicitly for fixed-layout mode",
								 last)});
				continue;
			}
			auto l = describe_layout(btf, id, true, opts.object_id);
			if (!l)
				return std::move(l).error();
			l->tagged = is_tagged;
			d.layouts.push_back(std::move(*l));
		}
	}
	for (const std::string &name : opts.structs) {
		int id = btf__find_by_name_kind(b, name.c_str(), BTF_KIND_STRUCT);
		if (id <= 0)
			return Error(Errc::not_found, fmt::format("no struct named '{}' in {}", name, btf.origin()));
		auto dup = std::find_if(d.layouts.begin(), d.layouts.end(),
					[&](const Layout &l) { return l.type_id == uint32_t(id); });
		if (dup != d.layouts.end())
			continue;
		auto l = describe_layout(btf, uint32_t(id), false, opts.object_id);
		if (!l)
			return std::move(l).error();
		d.layouts.push_back(std::move(*l));
	}
	std::sort(d.layouts.begin(), d.layouts.end(),
		  [](const Layout &a, const Layout &c) { return a.type_id < c.type_id; });
	return d;
}

Result<std::vector<Layout>> discover_layouts(const Btf &btf, const DiscoverOptions &opts)
{
	auto d = discover(btf, opts);
	if (!d)
		return std::move(d).error();
	return std::move(d->layouts);
}

} // namespace xdphints
