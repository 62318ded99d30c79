#include <xdphints/layout_json.hpp>

#include <fmt/format.h>
#include <xdphints/resolve.hpp>

#include "btf_walk.hpp"
#include "state_map.hpp"

namespace xdphints {

nlohmann::json layout_to_json(const Layout &l)
{
	nlohmann::json fields = nlohmann::json::array();
	for (const LayoutField &f : l.fields) {
		nlohmann::json j = {{"name", f.name}, {"offset", f.offset}, {"size", f.size}, {"type", f.type}};
		if (f.bitfield) {
			j["bit_offset"] = f.bit_offset;
			j["bit_size"] = f.bit_size;
		}
		if (f.big_endian)
			j["byte_order"] = "big";
		if (f.flags)
			j["flags"] = true;
		fields.push_back(std::move(j));
	}
	return {{"name", l.name},         {"type_id", l.type_id},
		{"id", l.id()},           {"id_kind", id_kind_name(l.id_kind)},
		{"size", l.size},         {"fields", std::move(fields)}};
}

nlohmann::json layouts_to_json(std::span<const Layout> layouts)
{
	nlohmann::json arr = nlohmann::json::array();
	for (const Layout &l : layouts)
		arr.push_back(layout_to_json(l));
	return {{"layouts", std::move(arr)}};
}

std::string layouts_to_json_string(std::span<const Layout> layouts, int indent)
{
	return layouts_to_json(layouts).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string layouts_to_text(std::span<const Layout> layouts)
{
	std::string out;
	for (const Layout &l : layouts) {
		out += fmt::format("struct {} {{ /* type id {}, id {:#x}, {} */\n", l.name, l.type_id, l.id(),
				   id_kind_name(l.id_kind));
		for (const LayoutField &f : l.fields) {
			// C declarator order, as pahole prints it: "__u8 queue[2];".
			size_t br = f.type.find('[');
			std::string type = br == std::string::npos ? f.type : f.type.substr(0, br);
			std::string dims = br == std::string::npos ? std::string() : f.type.substr(br);
			std::string decl = f.bitfield ? fmt::format("{}:{};", f.name, f.bit_size) : f.name + dims + ";";
			// pahole prints "offset size" and, for bitfields, "offset:bit size".
			std::string where = f.bitfield ? fmt::format("{:5}:{:2} {:4}", f.offset, f.bit_offset - f.offset * 8,
								     f.size)
						       : fmt::format("{:5}    {:4}", f.offset, f.size);
			std::string marks = f.big_endian ? " big-endian" : f.flags ? " flags" : "";
			out += fmt::format("\t{:<26} {:<32} /* {}{} */\n", type, decl, where, marks);
		}
		out += fmt::format("}}; /* size: {} */\n\n", l.size);
	}
	return out;
}

namespace {

bool is_control(const Layout &l, const LayoutField &f)
{
	if (f.name.rfind("valid.", 0) == 0 || f.name.rfind("status.", 0) == 0)
		return true;
	return l.id_kind != IdKind::none && !l.fields.empty() && &f == &l.fields.back();
}

std::string hint_of(const std::string &path)
{
	return path.substr(0, path.find_first_of(".["));
}

uint64_t read_field(const uint8_t *base, const ResolvedField &r)
{
	return detail::read_bits(base, detail::core_bits(r));
}

uint64_t to_host_order(uint64_t v, uint32_t size)
{
	switch (size) {
	case 2: return __builtin_bswap16(uint16_t(v));
	case 4: return __builtin_bswap32(uint32_t(v));
	case 8: return __builtin_bswap64(v);
	default: return v;
	}
}

// The enumerators of the bits set in v, then the bits no enumerator names (LayoutField::flags).
std::vector<std::string> flag_names(const Btf &btf, uint32_t type_id, uint64_t v)
{
	std::vector<std::string> names;
	const struct btf *b = btf.get();
	auto id = detail::skip_mods(b, type_id);
	const struct btf_type *t = id ? detail::type_at(b, *id) : nullptr;
	if (!t || !btf_is_enum(t))
		return names;
	const struct btf_enum *e = btf_enum(t);
	uint64_t named = 0;
	for (int bit = 0; bit < 32; bit++) {
		uint32_t m = 1u << bit;
		for (uint16_t i = 0; i < btf_vlen(t); i++)
			if (uint32_t(e[i].val) == m && (v & m)) {
				names.emplace_back(detail::name_of(b, e[i].name_off));
				named |= m;
			}
	}
	if (v & ~named)
		names.push_back(fmt::format("{:#x}", v & ~named));
	return names;
}

} // namespace

Status for_each_hint_field(const Layout &l, const uint8_t *struct_start, const std::function<void(const HintValue &)> &fn)
{
	std::vector<std::string> notes;
	detail::StateMap states;
	bool have_states = false;
	for (const LayoutField &f : l.fields) {
		if (is_control(l, f))
			continue;
		HintValue v;
		v.field = &f;
		v.integral = f.integral;
		v.is_signed = f.is_signed;
		if (uint64_t(f.offset) + f.size > l.size)
			return Error(Errc::bad_layout, fmt::format("struct {}: member {} ({} bytes at {}) lies beyond its "
								   "{} bytes",
								   l.name, f.name, f.size, f.offset, l.size));
		v.bytes = std::span<const uint8_t>(struct_start + f.offset, f.size);
		std::string hint = hint_of(f.name);
		bool valid_bit = true;
		auto valid = resolve_field(l.btf, l.type_id, "valid." + hint);
		if (valid && valid->exists && valid->integral &&
		    uint64_t(valid->byte_offset) + valid->byte_size <= l.size)
			valid_bit = read_field(struct_start, *valid) != 0;
		v.present = valid_bit;
		if (v.present && f.integral) {
			auto r = resolve_field(l.btf, l.type_id, f.name);
			if (!r)
				return std::move(r).error();
			v.value = read_field(struct_start, *r);
			if (f.big_endian) {
				v.value = to_host_order(v.value, f.size);
				v.host_order = true;
			}
			if (f.flags && v.value)
				v.flag_names = flag_names(l.btf, f.type_id, v.value);
		}
		auto status = resolve_field(l.btf, l.type_id, "status." + hint);
		if (status && status->exists && status->integral &&
		    uint64_t(status->byte_offset) + status->byte_size <= l.size) {
			if (!have_states) {
				auto m = detail::state_map(l.btf, status->type_id, notes);
				if (!m)
					return std::move(m).error();
				states = *m;
				have_states = true;
			}
			uint64_t s = read_field(struct_start, *status);
			v.state = s < detail::kStateValues ? states[s] : HintState::unknown;
		} else {
			v.state = v.present ? HintState::ok : HintState::no_data;
		}
		auto sw = resolve_field(l.btf, l.type_id, "status." + hint + "_sw");
		if (sw && sw->exists && sw->integral && uint64_t(sw->byte_offset) + sw->byte_size <= l.size)
			v.software = read_field(struct_start, *sw) != 0;
		fn(v);
	}
	return {};
}

} // namespace xdphints
