// Every variant by name, in the order of the table and latest.json; the names are the
// keys of latest.json and of --variants.
#include "rig.hpp"

namespace xdphints::bench {

namespace {

struct Entry {
	VariantInfo info;
	VariantPtr (*make)(const std::string &bpf_dir);
};

const std::vector<Entry> &entries()
{
	static const std::vector<Entry> e = {
		{{"xdp_drop", "throughput"}, [](const std::string &) { return make_xdp_drop(); }},
		{{"raw", "throughput"}, [](const std::string &) { return make_raw(); }},
		{{"hints_1", "throughput"}, [](const std::string &) { return make_hints_1(); }},
		{{"hints_all", "throughput"}, [](const std::string &) { return make_hints_all(); }},
		{{"dump_json", "throughput"}, [](const std::string &) { return make_dump_json(); }},
		{{"dump_pcapng", "throughput"}, [](const std::string &) { return make_dump_pcapng(); }},
		{{"name_lookup", "throughput"}, [](const std::string &) { return make_name_lookup(); }},
		{{"af_packet", "throughput"}, [](const std::string &) { return make_af_packet(); }},
		{{"hints_hash", "throughput"}, [](const std::string &) { return make_hints_hash(); }},
		{{"layouts_1", "growth"}, [](const std::string &d) { return make_layouts(1, d); }},
		{{"layouts_8", "growth"}, [](const std::string &d) { return make_layouts(8, d); }},
		{{"layouts_64", "growth"}, [](const std::string &d) { return make_layouts(64, d); }},
		{{"queues_2", "growth"}, [](const std::string &) { return make_queues_2(); }},
	};
	return e;
}

} // namespace

const std::vector<VariantInfo> &variant_names()
{
	static const std::vector<VariantInfo> v = [] {
		std::vector<VariantInfo> out;
		for (const Entry &e : entries())
			out.push_back(e.info);
		return out;
	}();
	return v;
}

Result<std::unique_ptr<Variant>> make_variant(const std::string &name, const std::string &bpf_dir)
{
	for (const Entry &e : entries())
		if (name == e.info.name)
			return e.make(bpf_dir);
	std::string names;
	for (const Entry &e : entries())
		names += std::string(names.empty() ? "" : ",") + e.info.name;
	return Error(Errc::invalid_argument, "no benchmark variant '" + name + "': --variants takes " + names);
}

} // namespace xdphints::bench
