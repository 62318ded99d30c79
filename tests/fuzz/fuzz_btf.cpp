// libFuzzer target: BTF bytes + field specs through every lib/ entry point that takes
// untrusted input, and the tool's rendering (cli/: render plan, JSON, table, pcapng) of what
// they give. Input layout:
//   u8  n            number of field specs (n lines follow)
//   n × "path:size\n" field spec (size 1/2/4/8; ':s' suffix = signed)
//   rest             BTF bytes (also reused as packet metadata)
// Any crash, sanitizer report or leak is a bug; errors are expected and ignored.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture.hpp"
#include "layout_json.hpp"
#include "render.hpp"

#include <xdphints/btf.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>
#include <xdphints/resolve.hpp>

using namespace xdphints;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t nspecs = data[0] % 8;
	size_t pos = 1;
	std::vector<FieldSpec> specs;
	for (size_t i = 0; i < nspecs && pos < size; i++) {
		size_t end = pos;
		while (end < size && data[end] != '\n' && end - pos < 64)
			end++;
		std::string_view line(reinterpret_cast<const char *>(data + pos), end - pos);
		pos = end < size ? end + 1 : end;
		FieldSpec s;
		size_t colon = line.find(':');
		s.path = std::string(line.substr(0, colon));
		s.want.size = 8;
		if (colon != std::string_view::npos && colon + 1 < line.size()) {
			char c = line[colon + 1];
			s.want.size = c == '1' ? 1 : c == '2' ? 2 : c == '4' ? 4 : c == '0' ? 0 : 8;
			s.want.is_signed = line.find(":s", colon + 1) != std::string_view::npos;
		}
		specs.push_back(std::move(s));
	}
	const uint8_t *bytes = data + pos;
	size_t nbytes = size - pos;

	if (nbytes >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F') {
		(void)Btf::from_elf_bytes(bytes, nbytes);
		return 0;
	}
	auto btf = Btf::from_bytes(bytes, nbytes);
	if (!btf)
		return 0;

	DiscoverOptions opts;
	for (const auto &s : specs)
		if (!s.path.empty())
			opts.structs.push_back(s.path); // also try them as explicit struct names
	auto disc = discover(*btf);
	(void)discover(*btf, opts);
	if (!disc)
		return 0;

	for (const auto &s : specs) {
		(void)resolve_field(*btf, std::string_view("xdp_hints___fuzz"), s.path, s.want);
		// A few ids reach every kind the seeds have; more only multiplies error formatting.
		for (uint32_t id = 1; id < std::min<uint32_t>(btf->type_count(), 6); id++) {
			(void)resolve_field(*btf, id, s.path, s.want);
			(void)enum_value(*btf, id, s.path);
		}
	}

	auto json = render::layouts_to_json_string(disc->layouts);
	auto text = render::layouts_to_text(disc->layouts);
	(void)json;
	(void)text;

	// Optional: a required field in no layout would stop build() before the decode paths.
	Query q;
	for (auto s : specs) {
		s.presence = Presence::optional;
		q.add_spec(std::move(s));
	}
	q.add<uint64_t>("rx_timestamp", Presence::optional);
	q.add<uint16_t>("rx_vlan_tci", Presence::optional);
	auto dec = Decoder::build(q, disc->layouts);

	// Packet: the input bytes as metadata in front of `data`, every headroom length.
	std::vector<uint8_t> frame(bytes, bytes + nbytes);
	frame.resize(nbytes + 16);
	const uint8_t *pkt = frame.data() + nbytes;
	if (dec) {
		// The tool's rendering of every packet below: a plan from the same BTF, then JSON,
		// table row and pcapng record of each decoded packet.
		auto plan = render::RenderPlan::build(dec->layouts());
		std::optional<render::Capture> cap;
		if (plan)
			if (auto c = render::Capture::create(*plan, {.ifname = "fuzz", .snaplen = 64}))
				cap.emplace(std::move(*c));
		auto render_all = [&](const Hints &h) {
			if (!plan)
				return;
			std::string out;
			render::append_json(out, *plan, 1, uint32_t(nbytes), h);
			render::append_row(out, *plan, 1, {pkt, 16}, h);
			if (cap)
				cap->append_packet(out, 1, {pkt, 16}, h);
		};
		uint64_t sum = 0;
		// Headroom at and around the sizes that matter: the id widths and each layout.
		std::vector<size_t> rooms = {0, 3, 4, 7, 8, nbytes};
		for (const Layout &l : dec->layouts())
			for (size_t d : {size_t(l.size) - 1, size_t(l.size)})
				rooms.push_back(d);
		for (size_t h : rooms) {
			if (h > nbytes)
				continue;
			Hints hints = dec->decode(pkt, h);
			render_all(hints);
			for (uint32_t i = 0; i < q.fields().size(); i++) {
				Field<uint64_t> f{i};
				sum += hints.get(f).value_or(0) + uint64_t(hints.state(f)) + hints.software(f);
			}
		}
		for (size_t i = 0; i < dec->layouts().size(); i++) {
			Hints v = dec->view(i, pkt, nbytes);
			sum += v.known();
		}
		if (sum == 42)
			return 0;
	}
	return 0;
}
