#pragma once
// Layouts for people and tools: the `xdp-hints layout [--json]` model and renderings, and
// the generic (slow path) per-packet decoder that `xdp-hints dump` prints.
//
// JSON schema:
//   {"layouts":[{"name":S,"type_id":N,"id":N,"size":N,
//                "fields":[{"name":S,"offset":N,"size":N,"type":S,
//                           "bit_offset":N,"bit_size":N}]}]}
// name: full dotted path of each leaf member (anonymous members are transparent; arrays
// are leaves). offset/size: bytes from the struct start. For bitfields they are the load
// unit that libbpf's CO-RE computes (FIELD_BYTE_OFFSET / FIELD_BYTE_SIZE: the smallest
// naturally aligned 1/2/4/8-byte load, starting at the member type's size, that covers
// the bits), so `offset` is where a BPF_CORE_READ_BITFIELD would load; bit_offset
// (absolute, in bits) and bit_size are present for bitfields only.
// "byte_order":"big" marks a network-order member (__be16/__be32/__be64), whose values
// dump shows in host order; "flags":true an enum of single bits, shown by bit names.
// "id" is the global id (object id << 32 | type id; the type id when the object id is
// unknown); "id_kind" says which member carries it ("btf_id", "btf_full_id", "none").
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

namespace xdphints {

// BTF names are bytes, not necessarily UTF-8: dump these with
// nlohmann::json::error_handler_t::replace (or use layouts_to_json_string), since a plain
// dump() throws on invalid UTF-8.
nlohmann::json layout_to_json(const Layout &l);
nlohmann::json layouts_to_json(std::span<const Layout> layouts);
// The JSON text; invalid UTF-8 in names becomes U+FFFD. indent < 0: one line.
std::string layouts_to_json_string(std::span<const Layout> layouts, int indent = 2);

// pahole-like text:
//   struct xdp_hints_veth {                 /* type id 40, id 0x2a00000028, btf_full_id */
//           __u64                      rx_timestamp;          /*     0     8 */
//           __u16                      valid.rx_hash:1;       /*    20: 1  2 */
//           __be16                     rx_vlan_proto;         /*    24     2 big-endian */
//   };                                      /* size: 32 */
std::string layouts_to_text(std::span<const Layout> layouts);

// One hint (data) member of a packet's layout, for the dump command.
struct HintValue {
	const LayoutField *field = nullptr;
	bool exists_in_layout = true; // false only for names asked for but not in the layout
	bool present = false;          // valid.<hint> set (or no valid member)
	bool integral = false;         // value is meaningful; otherwise see bytes
	bool is_signed = false;
	uint64_t value = 0;            // sign-extended into 64 bits when is_signed
	std::span<const uint8_t> bytes; // the member's bytes (arrays, odd sizes)
	HintState state = HintState::ok; // from status.<hint>; ok when there is no status
	bool software = false;           // status.<hint>_sw
	bool host_order = false;         // a big_endian member: `value` was swapped to host order
	// A flags member (LayoutField::flags) with a value: the enumerators of the bits set,
	// in bit order; bits without an enumerator as one hex number ("0x8"). Empty for 0.
	std::vector<std::string> flag_names;
};

// Every leaf of `l` except the control members (valid.*, status.*, the id member), in
// declaration order, with its value read from the struct at `struct_start` (l.size bytes
// must be readable). Absent hints are reported with present == false and no value.
// Not the per-packet fast path (it looks members up by name); Status errors only for
// layouts whose members cannot be read (never for packet contents).
Status for_each_hint_field(const Layout &l, const uint8_t *struct_start,
			   const std::function<void(const HintValue &)> &fn);

} // namespace xdphints
