// `xdp-hints layout --object F.o --json`, run as a user runs it, prints exactly the JSON of
// layouts_to_json (cli/layout_json.hpp) for the same object — which test_cross_layout.cpp checks against
// bpftool's own dump member by member. So the command agrees with bpftool too.
#include "bpftool_oracle.hpp"
#include "layout_json.hpp"
#include "child.hpp"

#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>

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
