#pragma once
// Consumer API. Describe the wanted fields once (Query), resolve them against every
// layout once (Decoder::build: one relocation table per layout id), then per packet:
// read the id before the packet data, pick the table (O(1): a collision-free hash on the
// 64-bit id, built once), read fields at fixed offsets with the CO-RE shift pair.
//
//   Query q;
//   Field<uint64_t> ts = q.add<uint64_t>("rx_timestamp");
//   auto dec = Decoder::build(q, layouts);          // Result<Decoder>
//   Hints h = dec->decode(data, headroom);          // per packet, noexcept, no allocation
//   if (auto t = h.get(ts)) use(*t);                // absent hints are nullopt, never stale
//
// Per-packet code is inline here; nothing on that path allocates, throws, hashes a
// string or makes a virtual call. Host byte order: metadata is written by the same host.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <xdphints/layout.hpp>
#include <xdphints/resolve.hpp>
#include <xdphints/result.hpp>

namespace xdphints {

// Why a hint is or is not there, from status.<hint> (enum xdp_hints_state, by value name).
enum class HintState : uint8_t {
	ok,            // XDP_HINTS_STATE_OK
	no_data,       // XDP_HINTS_STATE_NODATA: the driver had no value for this packet
	unsupported,   // XDP_HINTS_STATE_UNSUPPORTED: the driver does not provide it
	not_requested, // XDP_HINTS_STATE_NOT_REQUESTED: the hook was built without it
	unknown,       // a status value that matches no enumerator we know
	missing,       // the layout has no such field at all
	no_metadata,   // the packet has no (known) hints: see Hints::status()
};
const char *hint_state_name(HintState s) noexcept;

enum class DecodeStatus : uint8_t {
	known,       // a known layout: fields can be read
	no_metadata, // id 0 (type id 0 is void): the hook wrote nothing
	unknown_id,  // an id that matches no layout of this Decoder; never guessed
	too_short,   // the headroom cannot hold the id or the layout it names
};
const char *decode_status_name(DecodeStatus s) noexcept;

// What Decoder::build does with a Query field that no layout has.
enum class Presence : uint8_t {
	required, // an error naming the field and the layouts searched (a typo, or hooks that
		  // cannot give it)
	optional, // accepted: a hint only some hooks or drivers give; in a layout without it,
		  // every packet reads it as HintState::missing
};

// One wanted field. `hint` is the name under valid./status. (default: the first path
// component, so "rx_vlan_tci" uses valid.rx_vlan_tci and status.rx_vlan_tci).
struct FieldSpec {
	std::string path;
	std::string hint;
	Want want;
	Presence presence = Presence::required;
};

// A typed handle to a Query field; indexes the per-layout relocation table.
template <class T> struct Field {
	uint32_t index = 0;
};

template <class T> inline constexpr bool is_field_type_v =
	(std::is_integral_v<T> || std::is_enum_v<T>) && sizeof(T) <= 8;

class Query {
public:
	// T: an integer (bool included) or an enum type; its size and signedness are the
	// consumer's "local type" checked against each layout (widening allowed and noted,
	// narrowing refused). A field some layouts lack is fine; one that every layout lacks
	// fails Decoder::build unless it is Presence::optional:
	//   q.add<uint16_t>("rx_vlan_tci", Presence::optional)
	template <class T>
	Field<T> add(std::string path, Presence presence = Presence::required, std::string hint = {})
	{
		static_assert(is_field_type_v<T>, "a hint field reads as an integer or enum type");
		using U = std::conditional_t<std::is_enum_v<T>, std::underlying_type<T>, std::type_identity<T>>;
		Want w{uint8_t(sizeof(T)), std::is_signed_v<typename U::type>};
		return Field<T>{add_spec(FieldSpec{std::move(path), std::move(hint), w, presence})};
	}
	// Untyped form (e.g. from a command line); returns the field index.
	uint32_t add_spec(FieldSpec spec);
	const std::vector<FieldSpec> &fields() const noexcept { return fields_; }

private:
	std::vector<FieldSpec> fields_;
};

namespace detail {

// One integer read: load `load` bytes at `off` from the struct start into a u64, then
// (v << lshift) >> rshift, arithmetic when signed (libbpf's BPF_CORE_READ_BITFIELD).
struct Bits {
	uint64_t mask = 0; // load == 8: the field's bits in the window (flag tests: one AND)
	uint16_t off = 0;
	uint8_t load = 0; // 0: not in this layout
	uint8_t lshift = 0;
	uint8_t rshift = 0;
	uint8_t is_signed = 0;
};

// How get<T>() reads a field in one layout, decided once by build(): a packet costs one
// compare before the loads a hand-written struct read would do (valid word, value).
enum class Read : uint8_t {
	general,        // bitfield, widened or signed: the CO-RE shift pair (read_bits)
	absent,         // not in this layout
	plain,          // a byte-aligned integer of the consumer's size, no valid bit
	plain_if_valid, // the same behind a valid bit in an 8-byte window (valid.mask)
};

struct FieldRef {
	// The fast path first: one cache line holds it with the valid window.
	Read read = Read::absent;
	uint16_t plain_off = 0;
	Bits value;  // load == 0: the field does not exist in this layout
	Bits valid;  // load == 0: no valid.<hint>: present whenever it exists
	Bits status; // load == 0: no status.<hint>
	Bits sw;     // status.<hint>_sw: 1 = software value (e.g. rx_timestamp_sw)
	// Non-zero when the field is a byte-aligned integer of exactly the consumer's size:
	// then it is read as that type at plain_off, no shifts (the common case).
	uint8_t plain_size = 0;
};

inline constexpr unsigned kStateValues = 8; // status values mapped; others are "unknown"

struct Table {
	uint64_t id = 0;
	uint32_t size = 0; // the struct starts at data - size
	const Layout *layout = nullptr;
	const FieldRef *refs = nullptr;
	HintState state_of[kStateValues]; // raw status value -> state, by enumerator name
};

inline uint64_t load_bytes(const uint8_t *p, uint8_t n) noexcept
{
	// build() widens every load to 8 bytes inside the struct when the struct has 8
	// (see widen()), so this is the one case on the hot path.
	if (n == 8) [[likely]] {
		uint64_t v;
		std::memcpy(&v, p, 8);
		return v;
	}
	switch (n) {
	case 1: return p[0];
	case 2: { uint16_t v; std::memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; std::memcpy(&v, p, 4); return v; }
	default: { uint64_t v; std::memcpy(&v, p, 8); return v; }
	}
}

inline uint64_t read_bits(const uint8_t *base, const Bits &b) noexcept
{
	uint64_t v = load_bytes(base + b.off, b.load) << b.lshift;
	return b.is_signed ? uint64_t(int64_t(v) >> b.rshift) : v >> b.rshift;
}

// The CO-RE load of a resolved location: byte offset/size and the shift pair.
inline Bits core_bits(const ResolvedField &r) noexcept
{
	Bits b;
	b.off = uint16_t(r.byte_offset);
	b.load = uint8_t(r.byte_size);
	b.lshift = r.lshift;
	b.rshift = r.rshift;
	b.is_signed = r.is_signed;
	return b;
}

// The field is non-zero (valid bits, software flags).
inline bool test_bits(const uint8_t *base, const Bits &b) noexcept
{
	if (b.load == 8) [[likely]] {
		uint64_t v;
		std::memcpy(&v, base + b.off, 8);
		return (v & b.mask) != 0;
	}
	return read_bits(base, b) != 0;
}

} // namespace detail

// The hints of one packet: a small view (no ownership) into the packet's metadata and
// the Decoder's table for its layout. Valid as long as both are.
class Hints {
public:
	Hints() = default;
	DecodeStatus status() const noexcept { return st_; }
	bool known() const noexcept { return st_ == DecodeStatus::known; }
	// The id read from the packet (global form for btf_id layouts); 0 when none.
	uint64_t id() const noexcept { return id_; }
	const Layout *layout() const noexcept { return t_ ? t_->layout : nullptr; }
	const uint8_t *struct_start() const noexcept { return base_; }

	// The value when the layout has the field and its valid bit (if any) is set.
	template <class T> std::optional<T> get(Field<T> f) const noexcept
	{
		if (!refs_)
			return std::nullopt;
		const detail::FieldRef &r = refs_[f.index];
		// bool is excluded from the plain reads: a stored byte of 2 copied into a bool is
		// not a bool.
		if constexpr (!std::is_same_v<T, bool>) {
			if (r.read == detail::Read::plain_if_valid) [[likely]] {
				uint64_t w;
				std::memcpy(&w, base_ + r.valid.off, 8);
				if (!(w & r.valid.mask))
					return std::nullopt;
				T v;
				std::memcpy(&v, base_ + r.plain_off, sizeof(T));
				return v;
			}
			if (r.read == detail::Read::plain) {
				T v;
				std::memcpy(&v, base_ + r.plain_off, sizeof(T));
				return v;
			}
		}
		if (!r.value.load || (r.valid.load && !detail::test_bits(base_, r.valid)))
			return std::nullopt;
		if constexpr (!std::is_same_v<T, bool>) {
			if (r.plain_size == sizeof(T))
				return read_plain<T>(r);
		}
		return T(detail::read_bits(base_, r.value));
	}
	template <class T> bool present(Field<T> f) const noexcept
	{
		if (!refs_)
			return false;
		const detail::FieldRef &r = refs_[f.index];
		return r.value.load && (!r.valid.load || detail::test_bits(base_, r.valid));
	}
	// From status.<hint>. Without a status member: ok when present, else no_data /
	// missing.
	template <class T> HintState state(Field<T> f) const noexcept
	{
		if (!refs_)
			return HintState::no_metadata;
		const detail::FieldRef &r = refs_[f.index];
		if (!r.value.load)
			return HintState::missing;
		if (!r.status.load)
			return present(f) ? HintState::ok : HintState::no_data;
		uint64_t v = detail::read_bits(base_, r.status);
		return v < detail::kStateValues ? t_->state_of[v] : HintState::unknown;
	}
	// status.<hint>_sw: the value is the hook's software fallback (rx_timestamp: CLOCK_TAI
	// from bpf_ktime_get_tai_ns), not the NIC's.
	template <class T> bool software(Field<T> f) const noexcept
	{
		if (!refs_)
			return false;
		const detail::FieldRef &r = refs_[f.index];
		return r.sw.load && detail::test_bits(base_, r.sw);
	}

private:
	friend class Decoder;
	Hints(DecodeStatus st, uint64_t id, const detail::Table *t, const uint8_t *base) noexcept
		: t_(t), refs_(t ? t->refs : nullptr), base_(base), id_(id), st_(st)
	{
	}
	template <class T> T read_plain(const detail::FieldRef &r) const noexcept
	{
		T v;
		std::memcpy(&v, base_ + r.plain_off, sizeof(T));
		return v;
	}
	const detail::Table *t_ = nullptr;
	const detail::FieldRef *refs_ = nullptr; // t_->refs, one load less per field read
	const uint8_t *base_ = nullptr;
	uint64_t id_ = 0;
	DecodeStatus st_ = DecodeStatus::no_metadata;
};

// The XDP metadata area a hook can reserve in front of a packet (bpf_xdp_adjust_meta; the
// kernel's xdp_metalen_invalid(): a multiple of 4 bytes, at most 255 from Linux 6.8, 32
// before). No hook can write a layout larger than that.
inline constexpr uint32_t kMetadataLimitMax = 252;    // the largest any kernel allows (6.8+)
inline constexpr uint32_t kMetadataLimitBefore68 = 32; // Linux < 6.8

struct DecoderOptions {
	// The kernel BTF object id of the source of btf_id (u32) layouts; default: the
	// layouts' own object_id. Ignored for btf_full_id layouts (the id carries it).
	std::optional<uint32_t> object_id;
	// The metadata limit in bytes: build() refuses a layout larger than this, since no
	// hook could have written it, and an id naming it could only be stale or foreign (the
	// Decoder would read headroom no hook wrote). Default: the largest any kernel allows;
	// the running kernel's is xdphints::hook::kernel_metadata_limit() (hints-hook/, probed).
	uint32_t metadata_limit = kMetadataLimitMax;
};

class Decoder {
public:
	// Resolve every Query field in every layout. Errors: narrowing, type mismatch,
	// ambiguous, layouts with different id conventions, duplicate ids, a field whose
	// load would leave the struct, a layout larger than opts.metadata_limit, a required
	// field in none of the layouts (Errc::not_found). A field missing from some layouts
	// is not an error: there it reads as HintState::missing.
	static Result<Decoder> build(const Query &q, std::span<const Layout> layouts,
				     const DecoderOptions &opts = {});

	Decoder(Decoder &&) noexcept = default;
	Decoder &operator=(Decoder &&) noexcept = default;
	Decoder(const Decoder &) = delete;
	Decoder &operator=(const Decoder &) = delete;

	// Per packet. `data` is the packet start (ctx->data); `headroom` the bytes before it
	// that may be read (the metadata ends at data). Reads nothing outside
	// [data - headroom, data).
	Hints decode(const uint8_t *data, size_t headroom) const noexcept
	{
		if (fixed_) {
			if (headroom < fixed_->size)
				return Hints(DecodeStatus::too_short, 0, nullptr, nullptr);
			return Hints(DecodeStatus::known, 0, fixed_, data - fixed_->size);
		}
		uint64_t id;
		if (id_kind_ == IdKind::btf_full_id) {
			if (headroom < 8)
				return Hints(DecodeStatus::too_short, 0, nullptr, nullptr);
			std::memcpy(&id, data - 8, 8);
		} else {
			if (headroom < 4)
				return Hints(DecodeStatus::too_short, 0, nullptr, nullptr);
			uint32_t v;
			std::memcpy(&v, data - 4, 4);
			id = obj_high_ | v;
		}
		if (uint32_t(id) == 0) // type id 0 is void: nothing written
			return Hints(DecodeStatus::no_metadata, 0, nullptr, nullptr);
		// Linear probing; build() picks a multiplier under which the layout ids do not
		// collide, so a known id is found at the first slot whatever the layout count.
		for (size_t i = size_t((id * mult_) >> shift_);; i = (i + 1) & mask_) {
			const Slot &s = slots_[i];
			if (s.id == id) {
				if (headroom < s.table->size)
					return Hints(DecodeStatus::too_short, id, nullptr, nullptr);
				return Hints(DecodeStatus::known, id, s.table, data - s.table->size);
			}
			if (s.id == 0)
				return Hints(DecodeStatus::unknown_id, id, nullptr, nullptr);
		}
	}

	// Hints of a packet whose layout is already known (fixed-layout consumers,
	// benchmarks): no id read. `layout_index` indexes layouts(); headroom as decode().
	Hints view(size_t layout_index, const uint8_t *data, size_t headroom) const noexcept
	{
		const detail::Table &t = tables_[layout_index];
		// Built before the check: its loads do not depend on the packet, so a loop over
		// packets of one layout keeps them out of the loop.
		Hints h(DecodeStatus::known, t.id, &t, data - t.size);
		if (headroom < t.size) [[unlikely]]
			return Hints(DecodeStatus::too_short, t.id, nullptr, nullptr);
		return h;
	}

	const std::vector<Layout> &layouts() const noexcept { return layouts_; }
	IdKind id_kind() const noexcept { return id_kind_; }
	// What build() noticed without failing: widened integers, enumerator values taken
	// from hints.h because the BTF lacks enum xdp_hints_state, ...
	const std::vector<std::string> &notes() const noexcept { return notes_; }
	// The resolution of Query field `field` in layout `layout_index` (for tools/tests).
	const ResolvedField &resolved(size_t layout_index, uint32_t field) const
	{
		return resolved_[layout_index * nfields_ + field];
	}

private:
	Decoder() = default;
	struct Builder; // build()'s steps (query.cpp)
	struct Slot {
		uint64_t id = 0; // 0: empty (no layout has type id 0)
		const detail::Table *table = nullptr;
	};
	std::vector<Layout> layouts_;
	std::vector<detail::Table> tables_;
	std::vector<detail::FieldRef> refs_;
	std::vector<ResolvedField> resolved_;
	std::vector<Slot> slots_{2}; // power of two, at least one empty slot
	uint64_t mult_ = 0;
	unsigned shift_ = 63;
	size_t mask_ = 1;
	uint64_t obj_high_ = 0; // object id << 32, for btf_id layouts
	IdKind id_kind_ = IdKind::btf_full_id;
	const detail::Table *fixed_ = nullptr;
	size_t nfields_ = 0;
	std::vector<std::string> notes_;
};

} // namespace xdphints
