// The cross-layout golden test: a consumer described by one build of golden.bpf.c is
// resolved on every other build's BTF and reads the clang-initialised sample of that
// build. And every member of every hint struct in the test objects is checked against
// bpftool's dump of the same object.
#include "bpftool_oracle.hpp"
#include "layout_json.hpp"

#include <bpf/btf.h>
#include <gelf.h>
#include <libelf.h>

#include <cstring>
#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

using namespace xdphints;
using namespace xdphints::render;

namespace {

const char *const kTargets[] = {"golden_t1", "golden_t2", "golden_t3", "golden_t4"};

// The bytes of global `sym` in the object's .data section (clang laid them out).
std::vector<uint8_t> data_symbol(const std::string &obj, const char *sym, size_t size)
{
	std::vector<uint8_t> file = golden::read_file(obj);
	REQUIRE(elf_version(EV_CURRENT) != EV_NONE);
	Elf *e = elf_memory(reinterpret_cast<char *>(file.data()), file.size());
	REQUIRE(e);
	size_t shstrndx = 0;
	REQUIRE(elf_getshdrstrndx(e, &shstrndx) == 0);
	std::vector<uint8_t> out;
	Elf_Data *data_sec = nullptr;
	size_t data_idx = 0;
	for (Elf_Scn *s = elf_nextscn(e, nullptr); s; s = elf_nextscn(e, s)) {
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		if (std::strcmp(elf_strptr(e, shstrndx, sh.sh_name), ".data") == 0) {
			data_sec = elf_getdata(s, nullptr);
			data_idx = elf_ndxscn(s);
		}
	}
	REQUIRE(data_sec);
	for (Elf_Scn *s = elf_nextscn(e, nullptr); s; s = elf_nextscn(e, s)) {
		GElf_Shdr sh;
		gelf_getshdr(s, &sh);
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(s, nullptr);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym symb;
			gelf_getsym(d, int(i), &symb);
			if (symb.st_shndx == data_idx && std::strcmp(elf_strptr(e, sh.sh_link, symb.st_name), sym) == 0) {
				REQUIRE(symb.st_value + size <= data_sec->d_size);
				const auto *p = static_cast<const uint8_t *>(data_sec->d_buf) + symb.st_value;
				out.assign(p, p + size);
			}
		}
	}
	elf_end(e);
	REQUIRE(out.size() == size);
	return out;
}

struct Consumer {
	const char *path;
	const char *hint; // "" = first path component
	int64_t expect;   // the value golden_sample holds in every TARGET
	bool expect_present;
};
// rx_hash has valid.rx_hash == 0 in the sample; "raw_hash" names no valid bit, so the
// same member can also be read unconditionally.
const Consumer kConsumer[] = {
	{"rx_timestamp", "", 0x1122334455667788ll, true},
	{"rx_hash", "", 0xBEEF, false},
	{"rx_hash", "raw_hash", 0xBEEF, true},
	{"vlan.tci", "", 0x123, true},
	{"vlan.proto", "", 0x88a8, true},
	{"prio", "", -3, true},
	{"queue[1]", "", 9, true},
	{"mark", "", 0xABCDE, true},
};

// The consumer's local type for `path`: the declared integer type in `btf` (what a C
// consumer compiled against that build would use).
Want local_type(const Btf &btf, const Layout &l, const char *path)
{
	auto r = resolve_field(btf, l.type_id, path);
	REQUIRE(r);
	REQUIRE(r->exists);
	int64_t sz = btf__resolve_size(btf.get(), r->type_id);
	REQUIRE(sz > 0);
	return Want{uint8_t(sz), r->is_signed};
}

} // namespace

TEST_CASE("golden: a consumer built against one layout reads every other layout")
{
	for (const char *from : kTargets) {
		auto from_btf = Btf::from_elf(golden::object_path(from));
		REQUIRE(from_btf);
		auto from_layouts = discover_layouts(*from_btf);
		REQUIRE(from_layouts);
		REQUIRE(from_layouts->size() == 1);

		for (const char *to : kTargets) {
			INFO("consumer from " << from << " on the BTF of " << to);
			const std::string obj = golden::object_path(to);
			golden::Bpftool oracle(obj);
			auto to_btf = Btf::from_elf(obj);
			REQUIRE(to_btf);
			auto layouts = discover_layouts(to_btf->with_object_id(11));
			REQUIRE(layouts);
			REQUIRE(layouts->size() == 1);
			const Layout &l = (*layouts)[0];
			auto leaves = oracle.leaves(l.type_id);

			Query q;
			bool expect_ok = true;
			for (const Consumer &c : kConsumer) {
				Want w = local_type(*from_btf, (*from_layouts)[0], c.path);
				q.add_spec(FieldSpec{c.path, c.hint, w});
				// Oracle: the bits stored in `to`, from bpftool. queue[1] is an element.
				std::string leaf = std::string(c.path).substr(0, std::string(c.path).find('['));
				const auto &lf = leaves.at(leaf);
				uint32_t t = oracle.peel(lf.type_id);
				uint32_t bits = lf.bitfield_size;
				if (!bits) {
					const auto &tj = oracle.type(t);
					uint32_t elem = tj["kind"] == "ARRAY" ? oracle.peel(tj["type_id"].get<uint32_t>()) : t;
					bits = oracle.type(elem)["size"].get<uint32_t>() * 8;
				}
				expect_ok &= bits <= w.size * 8u;
			}
			auto dec = Decoder::build(q, *layouts);
			CHECK(bool(dec) == expect_ok);
			if (!dec) {
				CHECK(dec.error().code == Errc::narrowing);
				continue;
			}

			// The sample as the hook would put it: ending at data, the id in its slot.
			std::vector<uint8_t> frame(256, 0);
			uint8_t *data = frame.data() + 128;
			auto sample = data_symbol(obj, "golden_sample", l.size);
			std::memcpy(data - l.size, sample.data(), l.size);
			if (l.id_kind == IdKind::btf_full_id) {
				uint64_t id = (uint64_t(11) << 32) | l.type_id;
				std::memcpy(data - 8, &id, 8);
			} else {
				uint32_t id = l.type_id;
				std::memcpy(data - 4, &id, 4);
			}
			Hints h = dec->decode(data, 128);
			REQUIRE(h.known());
			for (uint32_t i = 0; i < std::size(kConsumer); i++) {
				const Consumer &c = kConsumer[i];
				INFO("field " << c.path << " hint '" << c.hint << "'");
				Field<int64_t> f{i};
				auto v = h.get(f);
				CHECK(v.has_value() == c.expect_present);
				if (v)
					CHECK(*v == c.expect);
			}
			// status.rx_timestamp holds NODATA (by name; TARGET 4 shuffles the values)
			// and the software flag; status.vlan holds OK.
			CHECK(h.state(Field<int64_t>{0}) == HintState::no_data);
			CHECK(h.software(Field<int64_t>{0}));
			CHECK(h.state(Field<int64_t>{3}) == HintState::ok);
		}
	}
}

TEST_CASE("golden: layout JSON agrees with bpftool for every member of every hint struct")
{
	std::vector<std::string> objs(std::begin(kTargets), std::end(kTargets));
	objs.push_back("golden_veth_hook");
	size_t checked = 0;
	for (const std::string &name : objs) {
		INFO("object " << name);
		const std::string obj = golden::object_path(name);
		golden::Bpftool oracle(obj);
		auto btf = Btf::from_elf(obj);
		REQUIRE(btf);
		auto layouts = discover_layouts(*btf);
		REQUIRE(layouts);
		REQUIRE_FALSE(layouts->empty());
		auto j = nlohmann::json::parse(layouts_to_json_string(*layouts));
		for (const auto &jl : j["layouts"]) {
			std::string sname = jl["name"];
			INFO("struct " << sname);
			auto id = oracle.struct_id(sname);
			REQUIRE(id);
			CHECK(jl["type_id"] == *id);
			CHECK(jl["size"] == oracle.type(*id)["size"]);
			auto leaves = oracle.leaves(*id);
			CHECK(jl["fields"].size() == leaves.size());
			for (const auto &f : jl["fields"]) {
				std::string fname = f["name"];
				INFO("member " << fname);
				REQUIRE(leaves.count(fname));
				const auto &lf = leaves.at(fname);
				uint32_t t = oracle.peel(lf.type_id);
				const auto &tj = oracle.type(t);
				uint64_t type_size = tj["kind"] == "ARRAY"
							     ? tj["nr_elems"].get<uint64_t>() *
								       oracle.type(oracle.peel(tj["type_id"].get<uint32_t>()))["size"].get<uint64_t>()
							     : tj["size"].get<uint64_t>();
				if (!lf.bitfield_size) {
					CHECK(f["offset"] == lf.bit_offset / 8);
					CHECK(f["size"] == type_size);
					CHECK_FALSE(f.contains("bit_offset"));
				} else {
					CHECK(f["bit_offset"] == lf.bit_offset);
					CHECK(f["bit_size"] == lf.bitfield_size);
					// CO-RE load unit, recomputed here from bpftool's numbers.
					uint64_t sz = type_size, off = lf.bit_offset / 8 / sz * sz;
					while (lf.bit_offset + lf.bitfield_size - off * 8 > sz * 8) {
						sz *= 2;
						off = lf.bit_offset / 8 / sz * sz;
					}
					CHECK(f["offset"] == off);
					CHECK(f["size"] == sz);
				}
				checked++;
			}
		}
	}
	CHECK(checked > 60);
	WARN("members checked against bpftool: " << checked);
}
