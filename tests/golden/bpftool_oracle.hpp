#pragma once
// The independent oracle: bpftool's own JSON dump of an object's BTF
// (`bpftool btf dump file X.o format raw -j`), walked here without lib/.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace golden {

inline std::string object_path(const std::string &name)
{
	return std::string(XDPHINTS_GOLDEN_DIR) + "/" + name + ".bpf.o";
}

inline std::vector<uint8_t> read_file(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

class Bpftool {
public:
	explicit Bpftool(const std::string &obj)
	{
		std::string cmd = std::string(XDPHINTS_BPFTOOL) + " btf dump file " + obj + " format raw -j";
		FILE *p = popen(cmd.c_str(), "r");
		REQUIRE(p);
		std::string out;
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
			out.append(buf, n);
		REQUIRE(pclose(p) == 0);
		auto j = nlohmann::json::parse(out);
		for (auto &t : j["types"])
			types_[t["id"].get<uint32_t>()] = t;
	}

	const nlohmann::json &type(uint32_t id) const { return types_.at(id); }

	std::optional<uint32_t> struct_id(const std::string &name) const
	{
		for (auto &[id, t] : types_)
			if ((t["kind"] == "STRUCT" || t["kind"] == "UNION") && t["name"] == name)
				return id;
		return std::nullopt;
	}

	uint32_t peel(uint32_t id) const
	{
		for (int i = 0; i < 32 && id; i++) {
			const auto &k = type(id)["kind"];
			if (k != "TYPEDEF" && k != "CONST" && k != "VOLATILE" && k != "RESTRICT" && k != "TYPE_TAG")
				return id;
			id = type(id)["type_id"].get<uint32_t>();
		}
		return id;
	}

	// Every leaf below struct `id`: dotted name -> {absolute bit offset, bitfield size}.
	struct Leaf {
		uint64_t bit_offset;
		uint32_t bitfield_size;
		uint32_t type_id;
	};
	std::map<std::string, Leaf> leaves(uint32_t id) const
	{
		std::map<std::string, Leaf> out;
		walk(id, "", 0, out);
		return out;
	}

private:
	void walk(uint32_t id, const std::string &prefix, uint64_t base, std::map<std::string, Leaf> &out) const
	{
		for (auto &m : type(id)["members"]) {
			std::string name = m["name"];
			uint64_t off = base + m["bits_offset"].get<uint64_t>();
			uint32_t bf = m.contains("bitfield_size") ? m["bitfield_size"].get<uint32_t>() : 0;
			uint32_t t = peel(m["type_id"].get<uint32_t>());
			const auto &k = type(t)["kind"];
			if (!bf && (k == "STRUCT" || k == "UNION")) {
				walk(t, name == "(anon)" ? prefix : prefix + name + ".", off, out);
				continue;
			}
			out[prefix + name] = Leaf{off, bf, m["type_id"].get<uint32_t>()};
		}
	}
	std::map<uint32_t, nlohmann::json> types_;
};

} // namespace golden
