#include "layout_json.hpp"

#include <fmt/format.h>

namespace xdphints::render {

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

} // namespace xdphints::render
