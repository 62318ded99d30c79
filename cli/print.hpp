#pragma once
// How dump and demo show a packet's hints: one JSON object per line, or a table row.
// Not the fast path: this names members and formats strings.
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>

#include <nlohmann/json.hpp>
#include <string>

namespace xdphints::cli {

// {"queue":Q,"len":L,"layout":S,"id":N,"hints":{member: value, ...,
//  "rx_timestamp_source":"software"|"hardware"}, "absent":{member: state}}
// Keys of "hints" are the layout's BTF member names (nested joined with '.'); absent
// hints are left out of "hints" and listed in "absent" with the reason. Members declared
// __be16/__be32/__be64 are given in host order and listed in "host_order":[member, ...];
// a flags enum member (LayoutField::flags) is the list of its set bits' enumerator names.
nlohmann::ordered_json packet_json(unsigned queue, const afxdp::Frame &f, const Hints &h);

// One table row for the same packet.
std::string packet_row(unsigned queue, const afxdp::Frame &f, const Hints &h);
std::string packet_header();

// Statistics line for stderr: XDP_STATISTICS, the hook's counters, and ours. While receive
// threads run, pass `frames` (counted by the caller): the sockets' own counters belong to
// their threads and are read only after they stop.
std::string stats_line(const std::vector<std::unique_ptr<afxdp::XskSocket>> &socks, const xdphints::hook::Hook &hook,
		       std::optional<uint64_t> frames = std::nullopt);

// The enumerator of enum `enum_name` with value v in `btf`, or "" (e.g. XDP_RSS_TYPE_L4_IPV4_UDP).
std::string enum_value_name(const Btf &btf, const char *enum_name, uint64_t v);

// UDP ports of an Ethernet/IPv4/UDP frame (0, 0 when it is not one).
std::pair<uint16_t, uint16_t> udp_ports(std::span<const uint8_t> frame);

} // namespace xdphints::cli
