#pragma once
// Field resolution with libbpf's CO-RE vocabulary and rules (src/relo_core.c): a dotted
// path ("vlan.tci", "queue[1]") is turned into an access spec ("0:3:1") and a field
// location (byte offset/size as CO-RE FIELD_BYTE_OFFSET/FIELD_BYTE_SIZE, plus the
// LSHIFT_U64/RSHIFT_U64 pair that extracts a bitfield). Pure: no system calls, no allocation
// after it returns.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <xdphints/btf.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

namespace xdphints {

// How the consumer will read a field. size == 0: no compatibility check (offsets only,
// any kind of leaf, as for a layout dump).
struct Want {
	uint8_t size = 0;       // bytes of the consumer's integer type: 1, 2, 4 or 8
	bool is_signed = false; // the consumer's type is signed
};

struct ResolvedField {
	bool exists = false;     // false: the path is not in this struct (not an error)
	std::string access_spec; // CO-RE access spec, e.g. "0:1:2"; empty when !exists
	uint32_t type_id = 0;    // the member's type, modifiers and typedefs peeled
	uint32_t byte_offset = 0; // CO-RE FIELD_BYTE_OFFSET: start of the load unit
	uint32_t byte_size = 0;   // CO-RE FIELD_BYTE_SIZE: size of the load unit
	uint32_t bit_offset = 0;  // absolute, from the start of the root struct
	uint32_t bit_size = 0;    // bitfield size, or byte_size * 8
	bool bitfield = false;
	bool integral = false;  // int, enum or enum64: readable with the shifts below
	bool is_enum = false;
	bool is_signed = false; // stored signedness (ints: encoding; enums: kflag)
	bool widened = false;   // the consumer's integer is wider than the stored one
	uint8_t lshift = 0;     // CO-RE FIELD_LSHIFT_U64 (little endian)
	uint8_t rshift = 0;     // CO-RE FIELD_RSHIFT_U64
};

// CO-RE FIELD_LSHIFT_U64 / FIELD_RSHIFT_U64 of an integral field from its location
// (byte_offset, byte_size, bit_offset, bit_size): load byte_size bytes into a u64, shift
// left to drop the bits above the field, then right to drop those below. Also for a leaf
// located otherwise (a LayoutField: the same four numbers).
inline void set_core_shifts(ResolvedField &r) noexcept
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r.lshift = uint8_t(64 - (r.bit_offset + r.bit_size - r.byte_offset * 8));
#else
	r.lshift = uint8_t((8 - r.byte_size) * 8 + (r.bit_offset - r.byte_offset * 8));
#endif
	r.rshift = uint8_t(64 - r.bit_size);
}

// Resolve `path` in the struct/union `root_type_id` of `btf`.
// Errors (never exceptions, never a crash): malformed path, non-composite root, a path
// component through a non-composite, ambiguous anonymous members, narrowing, non-integer
// leaf when want.size != 0, type loops / too deep, out-of-range ids. Each names the type
// id, the path and the access spec reached.
XDPHINTS_API Result<ResolvedField> resolve_field(const Btf &btf, uint32_t root_type_id, std::string_view path,
				    Want want = {});

// The kind of the consumer's local type: libbpf takes as candidates only target types of
// the local type's kind, so a struct never matches a union nor the reverse.
enum class LocalKind : uint8_t { struct_, union_ };

// Resolve against every candidate: each type of `btf` of kind `kind` whose essential name
// equals the essential name of `local_name` ("xdp_hints_mark___v1" matches
// "xdp_hints_mark" and "xdp_hints_mark___v2"). Candidates that disagree (exists, offset,
// size, bit info) are an Errc::ambiguous error; no candidate at all is Errc::not_found.
XDPHINTS_API Result<ResolvedField> resolve_field(const Btf &btf, std::string_view local_name, std::string_view path,
				    Want want = {}, LocalKind kind = LocalKind::struct_);

// The name without its flavor (libbpf: bpf_core_essential_name_len). A flavor separator
// is "___" with a character other than '_' on both sides; the last one counts:
// "x___y___z" -> "x___y", "meta___v2" -> "meta", while "a____b", "___x" and "foo___"
// have no separator and are their own essential name.
XDPHINTS_API std::string_view essential_name(std::string_view name) noexcept;

// The value of enumerator `value_name` in enum/enum64 `enum_type_id` (modifiers peeled);
// nullopt when the enum has no such value; an error when the id is not an enum.
XDPHINTS_API Result<std::optional<int64_t>> enum_value(const Btf &btf, uint32_t enum_type_id,
					  std::string_view value_name);

} // namespace xdphints
