#include "print.hpp"

#include <xdphints/layout_json.hpp>

#include <bpf/btf.h>
#include <fmt/format.h>

#include <cstring>

namespace xdphints::cli {

using namespace xdphints::hook;

namespace {

bool has_member(const Layout &l, std::string_view name)
{
	for (auto &f : l.fields)
		if (f.name == name)
			return true;
	return false;
}

// hardware / software, or "unspecified" for layouts that do not say (no status.*_sw).
const char *timestamp_source(const Layout &l, const HintValue &v)
{
	if (v.software)
		return "software";
	return has_member(l, "status.rx_timestamp_sw") ? "hardware" : "unspecified";
}

} // namespace

std::string enum_value_name(const Btf &btf, const char *enum_name, uint64_t v)
{
	const struct btf *b = btf.get();
	int id = btf__find_by_name_kind(b, enum_name, BTF_KIND_ENUM);
	if (id <= 0)
		return {};
	const btf_type *t = btf__type_by_id(b, uint32_t(id));
	const struct btf_enum *e = ::btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++)
		if (uint32_t(e[i].val) == uint32_t(v))
			return btf__name_by_offset(b, e[i].name_off);
	return {};
}

std::pair<uint16_t, uint16_t> udp_ports(std::span<const uint8_t> p)
{
	if (p.size() < 14 + 20 + 8 || p[12] != 0x08 || p[13] != 0x00)
		return {0, 0};
	const uint8_t *ip = p.data() + 14;
	unsigned ihl = (ip[0] & 0x0f) * 4u;
	if (ip[9] != 17 || ihl < 20 || p.size() < 14 + ihl + 8)
		return {0, 0};
	const uint8_t *udp = ip + ihl;
	return {uint16_t(udp[0] << 8 | udp[1]), uint16_t(udp[2] << 8 | udp[3])};
}

nlohmann::ordered_json packet_json(unsigned queue, const afxdp::Frame &f, const Hints &h)
{
	nlohmann::ordered_json j;
	j["queue"] = queue;
	j["len"] = f.len;
	if (!h.known()) {
		j["layout"] = nullptr;
		j["id"] = h.id();
		j["status"] = decode_status_name(h.status());
		return j;
	}
	const Layout &l = *h.layout();
	j["layout"] = l.name;
	j["id"] = h.id();
	nlohmann::ordered_json hints = nlohmann::ordered_json::object();
	nlohmann::ordered_json absent = nlohmann::ordered_json::object();
	std::vector<std::string> host_order;
	(void)for_each_hint_field(l, h.struct_start(), [&](const HintValue &v) {
		const std::string &name = v.field->name;
		if (!v.present) {
			absent[name] = hint_state_name(v.state);
			return;
		}
		if (v.field->flags)
			hints[name] = v.flag_names;
		else if (v.integral)
			hints[name] = v.is_signed ? nlohmann::ordered_json(int64_t(v.value)) : nlohmann::ordered_json(v.value);
		else
			hints[name] = std::vector<uint8_t>(v.bytes.begin(), v.bytes.end());
		if (name == "rx_timestamp")
			hints["rx_timestamp_source"] = timestamp_source(l, v);
		if (v.host_order)
			host_order.push_back(name);
	});
	j["hints"] = std::move(hints);
	if (!host_order.empty())
		j["host_order"] = std::move(host_order);
	if (!absent.empty())
		j["absent"] = std::move(absent);
	return j;
}

std::string packet_header()
{
	return fmt::format("{:>2} {:>5} {:>11} {:<16} {:>22} {:<4} {:>10} {:<22} {:>12}", "q", "len", "udp",
			   "layout", "rx_timestamp (ns)", "src", "rx_hash", "rx_hash_type", "vlan");
}

std::string packet_row(unsigned queue, const afxdp::Frame &f, const Hints &h)
{
	auto [sp, dp] = udp_ports(f.bytes());
	std::string udp = sp ? fmt::format("{}>{}", sp, dp) : "-";
	if (!h.known())
		return fmt::format("{:>2} {:>5} {:>11} ({}: id {:#x})", queue, f.len, udp, decode_status_name(h.status()),
				   h.id());
	const Layout &l = *h.layout();
	std::string ts = "-", src = "", hash = "-", htype = "-", vlan = "-";
	uint64_t tci = 0, proto = 0;
	bool have_tci = false;
	(void)for_each_hint_field(l, h.struct_start(), [&](const HintValue &v) {
		const std::string &n = v.field->name;
		if (n == "rx_timestamp")
			ts = v.present ? std::to_string(v.value) : hint_state_name(v.state),
			src = v.present ? (v.software ? "sw" : "hw") : "";
		else if (n == "rx_hash")
			hash = v.present ? fmt::format("{:#010x}", v.value) : hint_state_name(v.state);
		else if (n == "rx_hash_type") {
			if (v.present) {
				std::string e = enum_value_name(l.btf, "xdp_rss_hash_type", v.value);
				htype = e.empty() ? std::to_string(v.value) : e.substr(e.rfind("XDP_RSS_") == 0 ? 8 : 0);
			} else {
				htype = hint_state_name(v.state);
			}
		} else if (n == "rx_vlan_tci") {
			have_tci = v.present, tci = v.value;
			if (!v.present)
				vlan = hint_state_name(v.state);
		} else if (n == "rx_vlan_proto") {
			proto = v.value;
		}
	});
	if (have_tci)
		vlan = fmt::format("{}/{:#06x}", tci & 0x0fff, proto);
	return fmt::format("{:>2} {:>5} {:>11} {:<16} {:>22} {:<4} {:>10} {:<22} {:>12}", queue, f.len, udp, l.name, ts,
			   src, hash, htype, vlan);
}

std::string stats_line(const std::vector<std::unique_ptr<afxdp::XskSocket>> &socks, const Hook &hook,
		       std::optional<uint64_t> running_frames)
{
	uint64_t frames = 0, hints = 0, unknown = 0;
	afxdp::XdpStatistics k{};
	for (auto &s : socks) {
		if (!running_frames) {
			frames += s->counters().rx_frames;
			hints += s->counters().rx_with_hints;
			unknown += s->counters().rx_unknown_layout;
		}
		if (auto ks = s->kernel_stats()) {
			k.rx_dropped += ks->rx_dropped;
			k.rx_invalid_descs += ks->rx_invalid_descs;
			k.rx_ring_full += ks->rx_ring_full;
			k.rx_fill_ring_empty_descs += ks->rx_fill_ring_empty_descs;
			k.tx_invalid_descs += ks->tx_invalid_descs;
			k.tx_ring_empty_descs += ks->tx_ring_empty_descs;
		}
	}
	std::string hs;
	if (auto h = hook.stats())
		hs = fmt::format(" | hook: rx {} redirected {} meta_failed {}", h->rx, h->redirected, h->meta_failed);
	std::string ours = running_frames ? fmt::format("stats: frames {}", *running_frames)
					  : fmt::format("stats: frames {} with_hints {} unknown_layout {}", frames, hints, unknown);
	return fmt::format("{} | kernel: rx_dropped {} rx_invalid {} "
			   "rx_ring_full {} fill_ring_empty {} tx_invalid {} tx_ring_empty {}{}",
			   ours, k.rx_dropped, k.rx_invalid_descs, k.rx_ring_full,
			   k.rx_fill_ring_empty_descs, k.tx_invalid_descs, k.tx_ring_empty_descs, hs);
}

} // namespace xdphints::cli
