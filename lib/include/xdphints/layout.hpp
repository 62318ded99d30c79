#pragma once
// Hint layouts: the structs of a BTF that a hints hook writes into XDP metadata.
//
// A struct is a hint struct when its name starts with "xdp_hints" (the convention of the
// AF_XDP-interaction prototype: xdp_hints_mark, xdp_hints_rx_time) or when it carries
// btf_decl_tag("xdp_hints"); any other struct only when named explicitly (fixed-layout
// mode). A hint struct is a layout when its last member is the id:
//   btf_id      (u32): the local BTF type id (xdp-project/bpf-examples AF_XDP-interaction)
//   btf_full_id (u64): BTF object id << 32 | type id (our hooks)
// and that member ends the struct (the wire format reads it at data-4 / data-8).
// Helper structs like xdp_hints_valid have no id: they are skipped with a Diagnostic.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <xdphints/btf.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

namespace xdphints {

enum class IdKind : uint8_t {
	none,        // fixed layout: explicitly named, no id member
	btf_id,      // u32 type id at data - 4
	btf_full_id, // u64 object id << 32 | type id at data - 8
};
XDPHINTS_API const char *id_kind_name(IdKind k) noexcept;

// One leaf member (not a struct or union; arrays are leaves), as pahole would list it.
struct LayoutField {
	std::string name;        // full dotted path: "status.rx_timestamp", "vlan.tci"
	std::string type;        // C spelling of the declared type: "__u64", "enum xdp_hints_state"
	std::string access_spec; // CO-RE access spec: "0:5:0"
	uint32_t type_id = 0;    // declared type id (not peeled)
	uint32_t offset = 0;     // bytes from the struct start; bitfields: CO-RE FIELD_BYTE_OFFSET
	uint32_t size = 0;       // bytes; bitfields: CO-RE FIELD_BYTE_SIZE (the load unit)
	uint32_t bit_offset = 0; // absolute bits from the struct start
	uint32_t bit_size = 0;   // bitfield size; size * 8 for non-bitfields
	bool bitfield = false;
	bool integral = false;   // int/enum readable with one load (not arrays, structs)
	bool is_signed = false;
	// Network byte order: declared (through any typedefs) as __be16, __be32 or __be64, the
	// names that survive in BTF and DWARF. for_each_hint_field gives the value in host order.
	bool big_endian = false;
	// A flags word: an enum whose enumerators are distinct single bits (an optional zero
	// aside), e.g. the selftest's enum xdp_meta_field; shown by the names of the bits set.
	// At least two bits, and not {0, 1, 2}, which counts rather than flags.
	bool flags = false;
};

struct Layout {
	std::string name;      // struct name as in the BTF
	uint32_t type_id = 0;  // type id in `btf`
	uint32_t object_id = 0; // kernel BTF object id; 0 when unknown (files)
	uint32_t size = 0;     // sizeof(struct); the struct starts at data - size
	IdKind id_kind = IdKind::none;
	bool tagged = false;   // carries btf_decl_tag("xdp_hints")
	std::vector<LayoutField> fields; // leaves in declaration order
	Btf btf;               // where it was found (shared, cheap to copy)

	// The global id the packet carries: object_id << 32 | type_id. For btf_id layouts the
	// wire holds only the low half and the Decoder adds the object id it was told.
	uint64_t id() const noexcept { return (uint64_t(object_id) << 32) | type_id; }
};

// Why a candidate struct is not a layout (not an error: discovery goes on).
struct Diagnostic {
	uint32_t type_id = 0;
	std::string name;
	std::string reason;
};

struct DiscoverOptions {
	// Look for xdp_hints* and decl-tagged structs (default). Off: only `structs`.
	bool auto_discover = true;
	// Structs taken by exact name whatever their name; without an id member they become
	// fixed layouts (IdKind::none).
	std::vector<std::string> structs;
	// Kernel object id to assume; default: btf.kernel_object_id().
	std::optional<uint32_t> object_id;
};

struct Discovery {
	std::vector<Layout> layouts; // by type id
	std::vector<Diagnostic> skipped;
};

// Errors: a struct with an id member that breaks the wire rule (id not last / tail
// padding / wrong size) is Errc::bad_layout; an explicitly named struct that does not
// exist is Errc::not_found; malformed types are Errc::malformed_btf / too_deep.
XDPHINTS_API Result<Discovery> discover(const Btf &btf, const DiscoverOptions &opts = {});
XDPHINTS_API Result<std::vector<Layout>> discover_layouts(const Btf &btf, const DiscoverOptions &opts = {});

// Describe one struct as a layout (the checks of discover(), for one type id).
// `require_id`: a struct without id member is an error rather than a fixed layout.
XDPHINTS_API Result<Layout> describe_layout(const Btf &btf, uint32_t type_id, bool require_id = false,
			       std::optional<uint32_t> object_id = std::nullopt);

} // namespace xdphints
