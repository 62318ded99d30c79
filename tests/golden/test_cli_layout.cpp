// `xdp-hints layout --object F.o --json`, run as a user runs it, prints exactly the JSON of
// layouts_to_json (cli/layout_json.hpp) for the same object — which test_cross_layout.cpp checks against
// bpftool's own dump member by member. So the command agrees with bpftool too.
#include "bpftool_oracle.hpp"
#include "layout_json.hpp"
#include "child.hpp"

#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>

#include <bpf/btf.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace xdphints;
using namespace xdphints::render;

TEST_CASE("golden: `xdp-hints layout --object --json` is the library's bpftool-checked JSON")
{
	for (const char *name : {"golden_t1", "golden_t2", "golden_t3", "golden_t4", "golden_veth_hook"}) {
		INFO("object " << name);
		const std::string obj = golden::object_path(name);
		test::Child cli({XDP_HINTS_CLI, "layout", "--object", obj, "--json"});
		REQUIRE(cli.wait(20000) == 0);
		auto from_cli = nlohmann::json::parse(cli.out());

		auto btf = Btf::from_elf(obj);
		REQUIRE(btf);
		auto layouts = discover_layouts(*btf);
		REQUIRE(layouts);
		CHECK(from_cli == layouts_to_json(*layouts));
		REQUIRE(from_cli["layouts"].size() == layouts->size());
		CHECK(!from_cli["layouts"].empty());

		// Spot check against bpftool directly: every struct the command lists exists there
		// with that id and size.
		golden::Bpftool oracle(obj);
		for (const auto &l : from_cli["layouts"]) {
			auto id = oracle.struct_id(l["name"].get<std::string>());
			REQUIRE(id);
			CHECK(l["type_id"] == *id);
			CHECK(l["size"] == oracle.type(*id)["size"]);
		}
	}
}

TEST_CASE("golden: `xdp-hints layout` on a file that is not BPF says so")
{
	test::Child cli({XDP_HINTS_CLI, "layout", "--object", "/etc/hostname", "--json"});
	CHECK(cli.wait(20000) == 1);
	INFO(cli.err());
	CHECK(cli.err().find("/etc/hostname") != std::string::npos);
}

TEST_CASE("golden: a struct only in DWARF gives the layout it gives from .BTF (layout --object --struct)")
{
	auto json_of = [](const std::string &obj) {
		test::Child cli({XDP_HINTS_CLI, "layout", "--object", obj, "--struct", "golden_meta", "--json"});
		INFO(cli.err());
		REQUIRE(cli.wait(20000) == 0);
		return nlohmann::json::parse(cli.out());
	};
	const std::string in_btf = golden::object_path("golden_dwarf_btf1");
	const std::string dwarf_only = golden::object_path("golden_dwarf_btf0");
	// The premise: clang left the struct out of the second object's .BTF.
	auto b0 = Btf::from_elf(dwarf_only);
	REQUIRE(b0);
	CHECK(btf__find_by_name_kind(b0->get(), "golden_meta", BTF_KIND_STRUCT) < 0);

	auto a = json_of(in_btf), b = json_of(dwarf_only);
	REQUIRE(a["layouts"].size() == 1);
	REQUIRE(b["layouts"].size() == 1);
	const auto &la = a["layouts"][0], &lb = b["layouts"][0];
	INFO(la.dump(1) << "\n" << lb.dump(1));
	CHECK(lb["name"] == "golden_meta");
	CHECK(lb["size"] == la["size"]);
	CHECK(lb["id_kind"] == "none");
	CHECK(lb["fields"] == la["fields"]); // names, offsets, sizes, bitfields, types, marks
	// And the marks are there: network order, flags.
	for (const auto &f : la["fields"]) {
		bool be = f["name"] == "vlan.rx_vlan_proto" || f["name"] == "addr";
		CHECK(f.contains("byte_order") == be);
		CHECK(f.contains("flags") == (f["name"] == "valid"));
	}

	// bpftool agrees on the .BTF one (sizes and offsets, test_cross_layout's oracle).
	golden::Bpftool oracle(in_btf);
	auto id = oracle.struct_id("golden_meta");
	REQUIRE(id);
	CHECK(la["size"] == oracle.type(*id)["size"]);
}

TEST_CASE("golden: without pahole a struct missing from .BTF is an error naming dwarves")
{
	test::Child cli({"/usr/bin/env", "PATH=/nonexistent", XDP_HINTS_CLI, "layout", "--object",
			 golden::object_path("golden_dwarf_btf0"), "--struct", "golden_meta"});
	CHECK(cli.wait(20000) == 1);
	INFO(cli.err());
	CHECK(cli.err().find("no struct named 'golden_meta'") != std::string::npos);
	CHECK(cli.err().find("pahole is not installed") != std::string::npos);
	CHECK(cli.err().find("apt install dwarves") != std::string::npos);
}
