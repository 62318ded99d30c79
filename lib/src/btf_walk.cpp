#include "btf_walk.hpp"

#include <fmt/format.h>

namespace xdphints::detail {

Status require_btf(const Btf &btf)
{
	if (!btf.get())
		return Error(Errc::invalid_argument, "empty Btf (default-constructed or moved from): load one first");
	return {};
}

Result<uint32_t> skip_mods(const struct btf *b, uint32_t id)
{
	for (int depth = 0; depth <= kMaxDepth; depth++) {
		if (id == 0)
			return 0u;
		const struct btf_type *t = type_at(b, id);
		if (!t)
			return Error(Errc::malformed_btf, fmt::format("type id {} is out of range (BTF has {} types)",
								      id, btf__type_cnt(b)));
		if (!is_modifier(t))
			return id;
		id = t->type;
	}
	return Error(Errc::too_deep,
		     fmt::format("type id {}: more than {} typedef/modifier levels (a type loop?)", id, kMaxDepth));
}

namespace {

std::string type_name_rec(const struct btf *b, uint32_t id, int depth)
{
	if (depth > kMaxDepth)
		return "...";
	if (id == 0)
		return "void";
	const struct btf_type *t = type_at(b, id);
	if (!t)
		return fmt::format("<bad type id {}>", id);
	std::string_view n = name_of(b, t->name_off);
	auto named = [&](const char *kw) {
		return n.empty() ? fmt::format("{} <anon>", kw) : fmt::format("{} {}", kw, n);
	};
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPEDEF:
		return std::string(n);
	case BTF_KIND_STRUCT: return named("struct");
	case BTF_KIND_UNION: return named("union");
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: return named("enum");
	case BTF_KIND_FWD: return named(btf_kflag(t) ? "union" : "struct");
	case BTF_KIND_CONST: return "const " + type_name_rec(b, t->type, depth + 1);
	case BTF_KIND_VOLATILE: return "volatile " + type_name_rec(b, t->type, depth + 1);
	case BTF_KIND_RESTRICT: return type_name_rec(b, t->type, depth + 1) + " restrict";
	case BTF_KIND_TYPE_TAG: return type_name_rec(b, t->type, depth + 1);
	case BTF_KIND_PTR: return type_name_rec(b, t->type, depth + 1) + " *";
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		return fmt::format("{}[{}]", type_name_rec(b, a->type, depth + 1), a->nelems);
	}
	case BTF_KIND_FUNC_PROTO: return "<function>";
	default: return fmt::format("<kind {}>", btf_kind(t));
	}
}

} // namespace

std::string type_name(const struct btf *b, uint32_t id)
{
	return type_name_rec(b, id, 0);
}

std::string describe_type(const struct btf *b, uint32_t id)
{
	return fmt::format("type id {} ({})", id, type_name(b, id));
}

} // namespace xdphints::detail
