#include <xdphints/query.hpp>

#include <bpf/btf.h>

#include <bit>
#include <deque>
#include <fmt/format.h>
#include <unordered_map>

#include "btf_walk.hpp"
#include "state_map.hpp"

namespace xdphints {

const char *hint_state_name(HintState s) noexcept
{
	switch (s) {
	case HintState::ok: return "ok";
	case HintState::no_data: return "no_data";
	case HintState::unsupported: return "unsupported";
	case HintState::not_requested: return "not_requested";
	case HintState::unknown: return "unknown";
	case HintState::missing: return "missing";
	case HintState::no_metadata: return "no_metadata";
	}
	return "?";
}

const char *decode_status_name(DecodeStatus s) noexcept
{
	switch (s) {
	case DecodeStatus::known: return "known";
	case DecodeStatus::no_metadata: return "no_metadata";
	case DecodeStatus::unknown_id: return "unknown_id";
	case DecodeStatus::too_short: return "too_short";
	}
	return "?";
}

uint32_t Query::add_spec(FieldSpec spec)
{
	fields_.push_back(std::move(spec));
	return uint32_t(fields_.size() - 1);
}

namespace {

// enum xdp_hints_state, by enumerator name (bpf/include/xdp_hints/hints.h).
constexpr std::pair<const char *, HintState> kStateNames[] = {
	{"XDP_HINTS_STATE_NOT_REQUESTED", HintState::not_requested},
	{"XDP_HINTS_STATE_OK", HintState::ok},
	{"XDP_HINTS_STATE_NODATA", HintState::no_data},
	{"XDP_HINTS_STATE_UNSUPPORTED", HintState::unsupported},
};

// The raw status value -> HintState map of one BTF. Clang emits an enum's BTF only when
// a member, variable or function uses the type, so a hook that only uses the constants
// has no enum xdp_hints_state; then the values of hints.h are assumed, and said so.
} // namespace

Result<detail::StateMap> detail::state_map(const Btf &btf, uint32_t status_type_id, std::vector<std::string> &notes)
{
	const struct btf *b = btf.get();
	StateMap m;
	m.fill(HintState::unknown);
	uint32_t enum_id = 0;
	if (status_type_id) {
		const struct btf_type *t = detail::type_at(b, status_type_id);
		if (t && (btf_is_enum(t) || btf_is_enum64(t)))
			enum_id = status_type_id;
	}
	if (!enum_id) {
		int id = btf__find_by_name_kind(b, "xdp_hints_state", BTF_KIND_ENUM);
		if (id > 0)
			enum_id = uint32_t(id);
	}
	if (!enum_id) {
		for (unsigned i = 0; i < std::size(kStateNames); i++)
			m[i] = kStateNames[i].second; // hints.h: NOT_REQUESTED=0, OK=1, NODATA=2, UNSUPPORTED=3
		notes.push_back(fmt::format("{} has no enum xdp_hints_state: status values taken from "
					    "xdp_hints/hints.h (0 not requested, 1 ok, 2 no data, 3 unsupported)",
					    btf.origin()));
		return m;
	}
	for (const auto &[name, state] : kStateNames) {
		auto v = enum_value(btf, enum_id, name);
		if (!v)
			return std::move(v).error();
		if (*v && **v >= 0 && **v < int64_t(detail::kStateValues))
			m[size_t(**v)] = state;
	}
	return m;
}

namespace {

// The per-packet read of a resolved location in a struct of `struct_size` bytes.
//
// CO-RE loads 1/2/4/8 bytes; a switch on that size per read costs as much as the read.
// Instead, when the struct has at least 8 bytes, every field is read with one 8-byte load
// of a window inside the struct that covers it, and the CO-RE shift pair is recomputed
// for that window. Example (little endian): a u16 at byte 16 of a 32-byte struct is
// loaded from bytes 10..17 (window W = 18 - 8 = 10), lshift = 64 - (16*8 + 16 - 10*8) = 0,
// rshift = 48: the u16 is the top 16 bits of the window. The window never leaves
// [0, struct_size), so the read stays inside the metadata that decode() checked.
detail::Bits bits_of(const ResolvedField &r, uint32_t struct_size)
{
	detail::Bits b = detail::core_bits(r);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t end_byte = (r.bit_offset + r.bit_size + 7) / 8;
	if (struct_size >= 8 && end_byte <= struct_size) {
		uint32_t w = end_byte >= 8 ? end_byte - 8 : 0;
		if (w <= r.bit_offset / 8) {
			b.off = uint16_t(w);
			b.load = 8;
			b.lshift = uint8_t(64 - (r.bit_offset + r.bit_size - w * 8));
			uint64_t ones = r.bit_size >= 64 ? ~uint64_t(0) : (uint64_t(1) << r.bit_size) - 1;
			b.mask = ones << (r.bit_offset - w * 8);
		}
	}
#endif
	return b;
}

} // namespace

// Decoder::build, step by step. A member of Decoder, so the steps fill its tables.
struct Decoder::Builder {
	// A Query field's paths, parsed once rather than once per layout: its value and its
	// control members valid.<hint>, status.<hint>, status.<hint>_sw.
	struct ParsedSpec {
		std::string hint;
		std::vector<detail::PathStep> value;
		std::string valid_path, status_path, sw_path;
		std::vector<detail::PathStep> valid, status, sw;
	};
	using Specs = std::deque<ParsedSpec>; // deque: PathSteps point into the strings
	using StateMaps = std::unordered_map<const struct btf *, detail::StateMap>;

	static Result<Specs> parse_fields(const Query &q);
	static Status check_layouts(const Decoder &d, const DecoderOptions &opts);
	static Status choose_id_convention(Decoder &d, const DecoderOptions &opts);
	static Status resolve_layout(Decoder &d, size_t i, const Query &q, const Specs &specs, StateMaps &maps);
	static detail::Read read_of(const detail::FieldRef &ref);
	static Status resolve_controls(Decoder &d, const Layout &l, const ParsedSpec &p, detail::FieldRef &ref,
				       uint32_t &status_type);
	static Status map_states(Decoder &d, size_t i, uint32_t status_type, StateMaps &maps);
	static Status check_required(const Decoder &d, const Query &q);
	static Status usable(const Layout &l, const ResolvedField &r, std::string_view what);
	static Status build_demux(Decoder &d);
};

Result<Decoder::Builder::Specs> Decoder::Builder::parse_fields(const Query &q)
{
	Specs specs;
	for (const FieldSpec &f : q.fields()) {
		ParsedSpec &p = specs.emplace_back();
		auto steps = detail::parse_path(f.path);
		if (!steps)
			return std::move(steps).error();
		p.value = std::move(*steps);
		p.hint = f.hint.empty() ? std::string(p.value[0].name) : f.hint;
		p.valid_path = "valid." + p.hint;
		p.status_path = "status." + p.hint;
		p.sw_path = "status." + p.hint + "_sw";
		for (auto [path, out] : {std::pair{&p.valid_path, &p.valid}, std::pair{&p.status_path, &p.status},
					 std::pair{&p.sw_path, &p.sw}}) {
			auto s = detail::parse_path(*path);
			if (!s)
				return Error(Errc::invalid_argument,
					     fmt::format("field '{}': hint name '{}' is not a member name", f.path, p.hint));
			*out = std::move(*s);
		}
	}
	return specs;
}

// Every layout has its BTF and fits in the metadata a hook can write.
Status Decoder::Builder::check_layouts(const Decoder &d, const DecoderOptions &opts)
{
	for (const Layout &l : d.layouts_) {
		if (!l.btf.get())
			return Error(Errc::invalid_argument,
				     fmt::format("layout {} (type id {}) has no BTF: build layouts with discover()",
						 l.name, l.type_id));
	}
	for (const Layout &l : d.layouts_) {
		if (l.size > opts.metadata_limit)
			return Error(Errc::bad_layout,
				     fmt::format("struct {} (type id {}) is {} bytes, more than the {} bytes of XDP "
						 "metadata a hook can write (bpf_xdp_adjust_meta refuses more; the kernel "
						 "allows {} from Linux 6.8, {} before): an id naming it could only be "
						 "stale or foreign; fix: shrink the struct to at most {} bytes, or leave "
						 "it out of the layouts given to the Decoder (DecoderOptions::metadata_limit "
						 "is the limit)",
						 l.name, l.type_id, l.size, opts.metadata_limit, kMetadataLimitMax,
						 kMetadataLimitBefore68, opts.metadata_limit));
	}
	return {};
}

// One id convention for all layouts (data - 8, data - 4, or a single fixed layout), and
// for btf_id layouts the one BTF object the u32 type ids belong to.
Status Decoder::Builder::choose_id_convention(Decoder &d, const DecoderOptions &opts)
{
	size_t fixed = 0;
	for (const Layout &l : d.layouts_)
		fixed += l.id_kind == IdKind::none;
	if (fixed && d.layouts_.size() != 1)
		return Error(Errc::invalid_argument,
			     fmt::format("a fixed layout (struct {}, no id member) cannot share a Decoder with other "
					 "layouts: without an id the packet cannot say which one it carries",
					 d.layouts_[0].name));
	d.id_kind_ = d.layouts_[0].id_kind;
	for (const Layout &l : d.layouts_) {
		if (l.id_kind != d.id_kind_)
			return Error(Errc::invalid_argument,
				     fmt::format("struct {} uses {} but struct {} uses {}: a Decoder reads one id "
						 "convention (data - 8 or data - 4); build one Decoder per convention",
						 l.name, id_kind_name(l.id_kind), d.layouts_[0].name,
						 id_kind_name(d.id_kind_)));
	}
	if (d.id_kind_ == IdKind::btf_id) {
		uint64_t obj = opts.object_id.value_or(d.layouts_[0].object_id);
		for (const Layout &l : d.layouts_) {
			if (!opts.object_id && l.object_id != obj)
				return Error(Errc::invalid_argument,
					     fmt::format("btf_id layouts from BTF objects {} and {}: a u32 type id "
							 "cannot say which object it belongs to; one Decoder per source",
							 obj, l.object_id));
		}
		d.obj_high_ = obj << 32;
	}
	return {};
}

// A resolved location the per-packet code may load: an integer inside the struct, one load.
Status Decoder::Builder::usable(const Layout &l, const ResolvedField &r, std::string_view what)
{
	if (!r.integral)
		return Error(Errc::type_mismatch, fmt::format("struct {} (type id {}): {} is {}, not an integer", l.name,
							      l.type_id, what, detail::type_name(l.btf.get(), r.type_id)));
	if (uint64_t(r.byte_offset) + r.byte_size > l.size)
		return Error(Errc::bad_layout, fmt::format("struct {} (type id {}): {} is read with a {}-byte load at "
							   "byte {}, beyond the struct's {} bytes",
							   l.name, l.type_id, what, r.byte_size, r.byte_offset, l.size));
	return {};
}

// Layout i's relocation table: every Query field and its control members.
Status Decoder::Builder::resolve_layout(Decoder &d, size_t i, const Query &q, const Specs &specs, StateMaps &maps)
{
	const Layout &l = d.layouts_[i];
	const size_t nf = d.nfields_;
	detail::Table &t = d.tables_[i];
	t.id = d.id_kind_ == IdKind::btf_id ? (d.obj_high_ | l.type_id) : l.id();
	t.size = l.size;
	t.layout = &l;
	t.refs = d.refs_.data() + i * nf;
	std::fill(std::begin(t.state_of), std::end(t.state_of), HintState::unknown);
	uint32_t status_type = 0; // non-zero once a status.<hint> member is found

	for (size_t j = 0; j < nf; j++) {
		const FieldSpec &f = q.fields()[j];
		auto r = detail::resolve_steps(l.btf.get(), l.type_id, f.path, specs[j].value, f.want);
		if (!r)
			return Error(r.error().code, fmt::format("struct {}: {}", l.name, r.error().message));
		detail::FieldRef &ref = d.refs_[i * nf + j];
		d.resolved_[i * nf + j] = *r;
		if (!r->exists)
			continue;
		if (auto st = usable(l, *r, "field '" + f.path + "'"); !st)
			return st;
		ref.value = bits_of(*r, l.size);
		if (!r->bitfield && r->byte_size == f.want.size) {
			ref.plain_size = uint8_t(r->byte_size);
			ref.plain_off = uint16_t(r->byte_offset);
		}
		if (r->widened)
			d.notes_.push_back(fmt::format("struct {}: field '{}' is {} bits, read widened into {} bytes",
						       l.name, f.path, r->bit_size, f.want.size));
		if (auto st = resolve_controls(d, l, specs[j], ref, status_type); !st)
			return st;
		ref.read = read_of(ref);
	}
	if (status_type)
		if (auto st = map_states(d, i, status_type, maps); !st)
			return st;
	if (d.id_kind_ == IdKind::btf_full_id && l.object_id == 0)
		d.notes_.push_back(fmt::format("struct {}: BTF object id unknown ({}); packets from a loaded "
					       "hook carry the kernel's object id and will read as unknown "
					       "(set DiscoverOptions::object_id or Btf::with_object_id)",
					       l.name, l.btf.origin()));
	return {};
}

// The path get<T>() takes for a resolved field (see detail::Read).
detail::Read Decoder::Builder::read_of(const detail::FieldRef &ref)
{
	if (!ref.value.load)
		return detail::Read::absent;
	if (!ref.plain_size)
		return detail::Read::general;
	if (!ref.valid.load)
		return detail::Read::plain;
	// test_bits' one-AND form needs the valid bit widened into an 8-byte window.
	return ref.valid.load == 8 ? detail::Read::plain_if_valid : detail::Read::general;
}

// Control members of one field: valid.<hint>, status.<hint>, status.<hint>_sw.
Status Decoder::Builder::resolve_controls(Decoder &d, const Layout &l, const ParsedSpec &p, detail::FieldRef &ref,
					  uint32_t &status_type)
{
	struct {
		const std::string &path;
		const std::vector<detail::PathStep> &steps;
		detail::Bits &out;
	} ctl[] = {{p.valid_path, p.valid, ref.valid}, {p.status_path, p.status, ref.status}, {p.sw_path, p.sw, ref.sw}};
	for (auto &c : ctl) {
		auto cr = detail::resolve_steps(l.btf.get(), l.type_id, c.path, c.steps, Want{});
		if (!cr) {
			// "valid" that is not a struct, etc.: the convention is not followed;
			// treat as no control member, but say so.
			d.notes_.push_back(fmt::format("struct {}: {} ignored: {}", l.name, c.path, cr.error().message));
			continue;
		}
		if (!cr->exists)
			continue;
		if (auto st = usable(l, *cr, c.path); !st)
			return st;
		c.out = bits_of(*cr, l.size);
		if (&c.out == &ref.status)
			status_type = cr->type_id;
	}
	return {};
}

// Raw status values -> HintState for a layout with status members, once per BTF.
Status Decoder::Builder::map_states(Decoder &d, size_t i, uint32_t status_type, StateMaps &maps)
{
	const Layout &l = d.layouts_[i];
	auto it = maps.find(l.btf.get());
	if (it == maps.end()) {
		auto m = detail::state_map(l.btf, status_type, d.notes_);
		if (!m)
			return Error(m.error().code, fmt::format("struct {}: status values: {}", l.name, m.error().message));
		it = maps.emplace(l.btf.get(), *m).first;
	}
	std::copy(it->second.begin(), it->second.end(), d.tables_[i].state_of);
	return {};
}

// A required field that no layout has is a typo or hooks that cannot give it: said now,
// not discovered later as a hint that is never there.
Status Decoder::Builder::check_required(const Decoder &d, const Query &q)
{
	const size_t n = d.layouts_.size(), nf = d.nfields_;
	for (size_t j = 0; j < nf; j++) {
		const FieldSpec &f = q.fields()[j];
		if (f.presence == Presence::optional)
			continue;
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = d.resolved_[i * nf + j].exists;
		if (found)
			continue;
		constexpr const char *fix = "mark the field optional (Query::add<T>(path, Presence::optional), or "
					    "FieldSpec::presence) when only some hooks give it";
		if (n == 0)
			return Error(Errc::not_found,
				     fmt::format("field '{}' is required but no layouts were given: fix: build the Decoder "
						 "with the layouts of the hook (discover_layouts), or {}",
						 f.path, fix));
		std::string searched;
		bool one_btf = true;
		for (size_t i = 0; i < n; i++) {
			const Layout &l = d.layouts_[i];
			one_btf &= l.btf.get() == d.layouts_[0].btf.get();
			if (i < 4)
				searched += fmt::format("{}struct {} (type id {})", i ? ", " : "", l.name, l.type_id);
		}
		if (n > 4)
			searched += fmt::format(" and {} more", n - 4);
		if (one_btf)
			searched += " of " + d.layouts_[0].btf.origin();
		return Error(Errc::not_found,
			     fmt::format("field '{}' is in none of the {} layout{} searched ({}): fix: check the path "
					 "against the layouts' members (xdp-hints layout lists them), or {}",
					 f.path, n, n == 1 ? "" : "s", searched, fix));
	}
	return {};
}

// Open addressing on the 64-bit id. Pick a multiplier (Fibonacci hashing first) under
// which no two layout ids share a slot, so a known id is found in one probe; at most
// half the slots are used so that an unknown id meets an empty slot quickly.
Status Decoder::Builder::build_demux(Decoder &d)
{
	const size_t n = d.tables_.size();
	for (const auto &t : d.tables_) {
		for (const auto &u : d.tables_) {
			if (&u == &t)
				break;
			if (t.id == u.id)
				return Error(Errc::invalid_argument,
					     fmt::format("structs {} and {} have the same id {:#x}: the same layout "
							 "given twice?",
							 t.layout->name, u.layout->name, t.id));
		}
	}
	unsigned bits = std::max(1u, unsigned(std::bit_width(2 * n - 1)));
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	auto next_mult = [&] { // splitmix64, odd
		seed += 0x9E3779B97F4A7C15ull;
		uint64_t z = seed;
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		return (z ^ (z >> 31)) | 1;
	};
	for (int attempt = 0;; attempt++) {
		uint64_t mult = attempt == 0 ? 0x9E3779B97F4A7C15ull : next_mult();
		size_t size = size_t(1) << bits;
		unsigned shift = 64 - bits;
		std::vector<Slot> slots(size);
		bool clean = true;
		for (const auto &t : d.tables_) {
			size_t k = size_t((t.id * mult) >> shift);
			if (slots[k].id)
				clean = false;
			while (slots[k].id)
				k = (k + 1) & (size - 1);
			slots[k] = Slot{t.id, &t};
		}
		// Give up on "clean" after a few tries per size, and grow at most to 16x.
		if (clean || (attempt % 8 == 7 && bits >= std::bit_width(2 * n - 1) + 4)) {
			d.slots_ = std::move(slots);
			d.mult_ = mult;
			d.shift_ = shift;
			d.mask_ = size - 1;
			return {};
		}
		if (attempt % 8 == 7)
			bits++;
	}
}

Result<Decoder> Decoder::build(const Query &q, std::span<const Layout> layouts, const DecoderOptions &opts)
{
	Decoder d;
	d.layouts_.assign(layouts.begin(), layouts.end());
	const size_t n = d.layouts_.size();
	const size_t nf = q.fields().size();
	d.nfields_ = nf;

	auto specs = Builder::parse_fields(q);
	if (!specs)
		return std::move(specs).error();
	if (n == 0) {
		if (auto st = Builder::check_required(d, q); !st)
			return std::move(st).error();
		return d;
	}
	if (auto st = Builder::check_layouts(d, opts); !st)
		return std::move(st).error();
	if (auto st = Builder::choose_id_convention(d, opts); !st)
		return std::move(st).error();

	d.tables_.resize(n);
	d.refs_.resize(n * nf);
	d.resolved_.resize(n * nf);
	Builder::StateMaps state_maps;
	for (size_t i = 0; i < n; i++) {
		if (auto st = Builder::resolve_layout(d, i, q, *specs, state_maps); !st)
			return std::move(st).error();
	}
	if (auto st = Builder::check_required(d, q); !st)
		return std::move(st).error();

	if (d.id_kind_ == IdKind::none) { // one fixed layout: no id to demux on
		d.fixed_ = &d.tables_[0];
		return d;
	}
	if (auto st = Builder::build_demux(d); !st)
		return std::move(st).error();
	return d;
}

} // namespace xdphints
