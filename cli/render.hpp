#pragma once
// Packets as `xdp-hints dump` shows them: JSON lines, the table, the pcapng comment.
//
// A RenderPlan does every by-name step once, when dump starts: each hint leaf of each layout
// taken where the layout located it, with its valid.<hint>, status.<hint> and
// status.<hint>_sw members, the status values mapped to states, enum value names listed,
// JSON keys escaped, comment keys made. Per packet the renderers read at fixed offsets and append bytes to the caller's
// buffer: no BTF, no lookup by name, no allocation once the buffer has max_record() bytes
// of capacity (std::string::append within capacity does not allocate).
//
//   auto plan = render::RenderPlan::build(decoder.layouts());   // once; Result<RenderPlan>
//   std::string line;
//   line.reserve(plan->max_record());
//   per packet:
//     line.clear();
//     render::append_json(line, *plan, queue, frame, hints);    // or append_row
//     line += '\n';
//     queue.push(line);
//
// Formats (byte-compatible with what dump printed before the plan existed):
//   JSON  {"queue":Q,"len":L,"layout":S,"id":N,"hints":{member: value, ...,
//          "rx_timestamp_source":"software"|"hardware"|"unspecified",
//          "rx_timestamp_clock":"tai"|"realtime"|"phc"|"unspecified"[,"rx_timestamp_error_ns":E,
//          "rx_timestamp_phc":RAW]},"absent":{member: state}}
//         rx_timestamp in the plan's clock (clock.hpp: --clock); error and the raw PHC value
//         only for a hardware timestamp converted through the PHC fit;
//         keys of "hints" are the layout's leaf names (nested joined with '.'), control members
//         (valid.*, status.*, the id) left out; integers as numbers, other leaves as byte
//         arrays; "absent" only when a hint is absent. A packet without a known layout:
//         {"queue":Q,"len":L,"layout":null,"id":N,"status":"no_metadata"|"unknown_id"|...}
//   table  table_header(), then one row per packet (see append_row).
//   comment (pcapng opt_comment; see append_comment).
#include "clock.hpp"

#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xdphints::render {

// The hints the table and pcapng treat specially, by BTF member name.
enum class Role : uint8_t { other, rx_timestamp, rx_hash, rx_hash_type, rx_vlan_tci, rx_vlan_proto };
inline constexpr unsigned kRoles = 6;

struct EnumName {
	uint64_t value = 0; // the enumerator's value, as stored (masked to the leaf's bits)
	std::string name;
	std::string json;    // the name as a JSON string, escaped once (flags leaves show it)
	std::string comment; // the name as one comment word (printable ASCII, no ' ', '=', '|')
};

// One hint (data) leaf of a layout: where it is and where its control members are.
struct Leaf {
	std::string name;        // BTF member path: "rx_hash", "vlan.tci", "queue"
	std::string json_key;    // "\"rx_hash\":", escaped (invalid UTF-8 as U+FFFD)
	std::string comment_key; // " rx_hash=" (bytes outside printable ASCII as '?')
	Role role = Role::other;
	bool integral = false;   // read as an integer; otherwise shown as its bytes
	bool is_signed = false;
	bool host_order = false; // declared __be16/__be32/__be64: the value is swapped to host order
	bool flags = false;      // a flags enum (LayoutField::flags): shown as the names of its set bits
	uint16_t offset = 0;     // the member's bytes, from the struct start
	uint16_t size = 0;
	uint64_t value_mask = 0; // the leaf's bits (enum names compare under it)
	detail::Bits value;      // integral leaves: the CO-RE load and shifts
	detail::Bits valid;      // load 0: no valid.<hint>: present whenever it is there
	detail::Bits status;     // load 0: no status.<hint>
	detail::Bits sw;         // load 0: no status.<hint>_sw
	// Value names: an enum leaf's enumerators; for rx_hash_type those of enum
	// xdp_rss_hash_type with "XDP_RSS_" dropped (TYPE_L4_IPV4_UDP). Declaration order: the
	// first of equal values wins.
	std::vector<EnumName> names;
};

// One leaf as one packet has it.
struct LeafValue {
	uint64_t value = 0;              // integral leaves when present (sign-extended if signed)
	HintState state = HintState::ok; // status.<hint>; without one: ok if present, else no_data
	bool present = false;            // valid.<hint> set, or no valid member
	bool software = false;           // status.<hint>_sw set
};

struct LayoutPlan {
	const Layout *layout = nullptr;
	std::string json_head;    // "\"layout\":\"NAME\",\"id\":"
	std::string comment_name; // NAME, printable ASCII
	std::string host_order_json; // ",\"host_order\":[\"rx_vlan_proto\",...]" or "" (no __be member)
	std::vector<Leaf> leaves; // declaration order, control members left out
	HintStateMap states{};    // status value -> state (unused without status members)
	bool has_ts_sw = false;   // status.rx_timestamp_sw exists: a timestamp without it is hardware
	int8_t role[kRoles];      // leaf index of each Role, -1 when the layout has none

	const Leaf *leaf(Role r) const noexcept { return role[unsigned(r)] < 0 ? nullptr : &leaves[size_t(role[unsigned(r)])]; }

	// Reads one leaf of the struct at `base` (layout->size bytes readable: Decoder::decode
	// checked it). Inline: the per-packet step.
	[[gnu::always_inline]] LeafValue read(const Leaf &l, const uint8_t *base) const noexcept
	{
		LeafValue v;
		v.present = !l.valid.load || detail::read_bits(base, l.valid) != 0;
		if (v.present && l.integral) {
			v.value = detail::read_bits(base, l.value);
			if (l.host_order)
				v.value = l.size == 2 ? __builtin_bswap16(uint16_t(v.value))
					  : l.size == 4 ? __builtin_bswap32(uint32_t(v.value))
					  : l.size == 8 ? __builtin_bswap64(v.value)
							: v.value;
		}
		if (l.status.load) {
			uint64_t s = detail::read_bits(base, l.status);
			v.state = s < detail::kStateValues ? states[s] : HintState::unknown;
		} else {
			v.state = v.present ? HintState::ok : HintState::no_data;
		}
		v.software = l.sw.load && detail::read_bits(base, l.sw) != 0;
		return v;
	}
	// The name of `v` among l.names, or "" (no allocation).
	std::string_view value_name(const Leaf &l, uint64_t v) const noexcept;
	// The same with its other forms; nullptr when `v` has no name.
	const EnumName *named(const Leaf &l, uint64_t v) const noexcept;
};

class RenderPlan {
public:
	// One LayoutPlan per layout, in order. `layouts` must outlive the plan and be the array
	// the Decoder's Hints point into (Decoder::layouts()). Each leaf is taken where the
	// layout located it (not found again by name), control members by their exact names;
	// unnamed bitfields (padding) are not hints. Errors: a member beyond its struct,
	// status values that cannot be mapped (causes Decoder::build reports too).
	static Result<RenderPlan> build(std::span<const Layout> layouts);

	// The plan of a packet's layout; nullptr for a packet without a known layout.
	const LayoutPlan *find(const Hints &h) const noexcept
	{
		const Layout *l = h.layout();
		for (const LayoutPlan &p : plans_)
			if (p.layout == l)
				return &p;
		return nullptr;
	}
	const std::vector<LayoutPlan> &layouts() const noexcept { return plans_; }
	// The most bytes one JSON line, table row or comment of these layouts takes (without
	// the newline): reserve this much and rendering never allocates.
	size_t max_record() const noexcept { return max_record_; }
	// What build() noticed: status values taken from hints.h, ...
	const std::vector<std::string> &notes() const noexcept { return notes_; }
	// The clock rx_timestamps are shown in (default: CLOCK_TAI, hardware ones not
	// converted). Set before any packet is rendered; `hardware` must outlive the plan.
	void set_clock(const ClockView &c) noexcept { clock_ = c; }
	const ClockView &clock() const noexcept { return clock_; }

private:
	std::vector<LayoutPlan> plans_;
	ClockView clock_;
	size_t max_record_ = 0;
	std::vector<std::string> notes_;
};

// --- Per packet: append to `out`; nothing else is touched. `frame` is the packet's bytes
// (for the table's UDP ports), `len` its length.
void append_json(std::string &out, const RenderPlan &plan, unsigned queue, uint32_t len, const Hints &h);

// The table:
//    q   len         udp layout                rx_timestamp (ns) src     rx_hash rx_hash_type                   vlan
//    0    60 42001>7001 xdp_hints_veth    1712345678901234567 sw   0x1a2b3c4d TYPE_L4_IPV4_UDP            59/0x8100
// absent hints show their state (no_data, unsupported, ...); "-" where the layout has no
// such member. rx_timestamp in the plan's clock; src: sw (the hook's, software), hw (the
// NIC's, converted through the PHC fit), phc (the NIC's, not converted: PHC time), ? (the
// layout does not say which). A packet without a known layout: "(unknown_id: id 0x...)"
// after udp.
std::string_view table_header() noexcept;
void append_row(std::string &out, const RenderPlan &plan, unsigned queue, std::span<const uint8_t> frame,
		const Hints &h);

// What a packet's pcapng timestamp is (the comment says it: time=...).
enum class TimeSource : uint8_t {
	rx_timestamp, // the rx_timestamp hint, converted to UTC (the interface description says how)
	receive,      // the time dump received it: no rx_timestamp, or one that cannot be converted
};
std::string_view time_source_name(TimeSource t) noexcept;

// The pcapng comment: every hint, for readers that show no epb_hash (Wireshark 4.0) and
// for the hints with no standard option. Space-separated key=value, layout order:
//   layout=xdp_hints_veth id=0x2a00000028 queue=0 time=rx_timestamp rx_timestamp=1712345678901234567
//   rx_timestamp_source=software rx_hash=0x1a2b3c4d rx_hash_type=TYPE_L4_IPV4_UDP rx_vlan_tci=no_data
//   rx_vlan_proto=no_data
// Values: decimal; rx_hash and rx_vlan_proto in hex (0x%08x, 0x%04x); enum leaves and
// rx_hash_type by name when they have one; a flags leaf as the names of its bits set,
// NAME|NAME|0x... (0 for none); non-integer leaves as hex bytes; an absent hint as its
// state (no_data, unsupported, not_requested, unknown). Every word is printable ASCII:
// bytes of a name that are not, or that are ' ', '=' or '|', show as '?'.
// rx_timestamp_source is software, hardware or unspecified (a layout without
// status.rx_timestamp_sw);
// rx_timestamp_clock, rx_timestamp_error_ns and rx_timestamp_phc as in the JSON line. A packet
// without a known layout: layout=none id=0x... queue=Q time=receive status=unknown_id.
void append_comment(std::string &out, const RenderPlan &plan, unsigned queue, const Hints &h, TimeSource t);
// The same comment without a copy: in the calling thread's scratch, valid until the
// thread renders its next record (the pcapng encoder copies it into the block).
std::string_view comment_view(const RenderPlan &plan, unsigned queue, const Hints &h, TimeSource t);

// UDP ports of an Ethernet/IPv4/UDP frame (0, 0 when it is not one).
std::pair<uint16_t, uint16_t> udp_ports(std::span<const uint8_t> frame) noexcept;

} // namespace xdphints::render
