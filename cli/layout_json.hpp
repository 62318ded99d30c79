#pragma once
// Layouts for people and tools: the `xdp-hints layout [--json]` model and renderings (the
// tool's, not the core's: lib/ describes layouts, this shows them). Packets are rendered
// by render.hpp, from a plan built once.
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
// "id" is the global id (object id << 32 | type id; the type id when the object id is
// unknown); "id_kind" says which member carries it ("btf_id", "btf_full_id", "none").
#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include <xdphints/layout.hpp>

namespace xdphints::render {

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
//   };                                      /* size: 32 */
std::string layouts_to_text(std::span<const Layout> layouts);

} // namespace xdphints::render
