// lib/ against the real veth hook object (hints-hook/bpf/veth.bpf.c, compiled here).
#include "bpftool_oracle.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

using namespace xdphints;

TEST_CASE("veth hook: discover xdp_hints_veth, resolve, decode a hand-built frame")
{
	const std::string obj = golden::object_path("golden_veth_hook");
	golden::Bpftool oracle(obj);
	auto veth_id = oracle.struct_id("xdp_hints_veth");
	REQUIRE(veth_id);

	auto btf = Btf::from_elf(obj);
	REQUIRE(btf);
	// The same object held in memory (as an embedded skeleton would be).
	auto image = golden::read_file(obj);
	auto from_mem = Btf::from_elf_bytes(image.data(), image.size());
	REQUIRE(from_mem);
	CHECK(from_mem->type_count() == btf->type_count());
	auto disc = discover(*btf);
	REQUIRE(disc);
	// The hook carries one layout per specialisation; bpftool tells which structs qualify.
	size_t expected = 0;
	for (uint32_t id = 1;; id++) {
		nlohmann::json t;
		try {
			t = oracle.type(id);
		} catch (const std::out_of_range &) {
			break;
		}
		if (t["kind"] == "STRUCT" && t["name"].get<std::string>().rfind("xdp_hints", 0) == 0 &&
		    !t["members"].empty() && t["members"].back()["name"] == "btf_full_id")
			expected++;
	}
	CHECK(disc->layouts.size() == expected);
	auto it = std::find_if(disc->layouts.begin(), disc->layouts.end(),
			       [](const Layout &x) { return x.name == "xdp_hints_veth"; });
	REQUIRE(it != disc->layouts.end());
	const Layout &l = *it;
	CHECK(l.name == "xdp_hints_veth");
	CHECK(l.type_id == *veth_id);
	CHECK(l.size == oracle.type(*veth_id)["size"].get<uint32_t>());
	CHECK(l.id_kind == IdKind::btf_full_id);
	// The helper structs start with xdp_hints but carry no id: skipped, with a reason.
	std::vector<std::string> skipped;
	for (auto &d : disc->skipped)
		skipped.push_back(d.name);
	CHECK(std::count(skipped.begin(), skipped.end(), "xdp_hints_valid") == 1);
	CHECK(std::count(skipped.begin(), skipped.end(), "xdp_hints_status") == 1);

	// The kernel would give the hook's BTF an object id; pretend it is 42.
	auto layouts = discover_layouts(btf->with_object_id(42));
	REQUIRE(layouts);
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto tci = q.add<uint16_t>("rx_vlan_tci");
	auto dec = Decoder::build(q, *layouts);
	REQUIRE(dec);

	// Frame: metadata written at the offsets bpftool reports, ending at data.
	auto leaves = oracle.leaves(*veth_id);
	std::vector<uint8_t> frame(256 + 64, 0);
	uint8_t *data = frame.data() + 256;
	uint8_t *meta = data - l.size;
	auto put = [&](const std::string &name, uint64_t v, unsigned bytes) {
		std::memcpy(meta + leaves.at(name).bit_offset / 8, &v, bytes);
	};
	auto put_bit = [&](const std::string &name, uint64_t v) {
		auto &lf = leaves.at(name);
		uint64_t word;
		std::memcpy(&word, meta + lf.bit_offset / 64 * 8, 8);
		word |= v << (lf.bit_offset % 64);
		std::memcpy(meta + lf.bit_offset / 64 * 8, &word, 8);
	};
	put("rx_timestamp", 1700000000123456789ull, 8);
	put("rx_hash", 0xdeadbeef, 4);
	put("rx_vlan_tci", 0x0123, 2);
	put_bit("valid.rx_timestamp", 1);
	put_bit("valid.rx_hash", 1);
	put_bit("valid.rx_vlan_tci", 0); // no VLAN tag on this frame
	put_bit("status.rx_timestamp", 2); // NODATA: software fallback
	put_bit("status.rx_timestamp_sw", 1);
	put_bit("status.rx_hash", 1);
	put_bit("status.rx_vlan_tci", 2);
	put("btf_full_id", (uint64_t(42) << 32) | *veth_id, 8);

	Hints h = dec->decode(data, 256);
	REQUIRE(h.status() == DecodeStatus::known);
	CHECK(h.layout()->name == "xdp_hints_veth");
	CHECK(h.get(ts) == std::optional<uint64_t>(1700000000123456789ull));
	CHECK(h.state(ts) == HintState::no_data);
	CHECK(h.software(ts));
	CHECK(h.get(hash) == std::optional<uint32_t>(0xdeadbeef));
	CHECK(h.state(hash) == HintState::ok);
	CHECK_FALSE(h.software(hash));
	CHECK(h.get(tci) == std::nullopt);
	CHECK(h.state(tci) == HintState::no_data);

	// The same frame with an id from another object: unknown, never guessed.
	put("btf_full_id", (uint64_t(43) << 32) | *veth_id, 8);
	CHECK(dec->decode(data, 256).status() == DecodeStatus::unknown_id);
	// Id slot cleared by the RX loop: no metadata.
	put("btf_full_id", 0, 8);
	CHECK(dec->decode(data, 256).status() == DecodeStatus::no_metadata);
	// Headroom too small for the id / for the layout.
	put("btf_full_id", (uint64_t(42) << 32) | *veth_id, 8);
	CHECK(dec->decode(data, 7).status() == DecodeStatus::too_short);
	CHECK(dec->decode(data, l.size - 1).status() == DecodeStatus::too_short);
	CHECK(dec->decode(data, l.size).status() == DecodeStatus::known);
}
