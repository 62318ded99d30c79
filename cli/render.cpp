#include "render.hpp"

#include <xdphints/resolve.hpp>

#include <bpf/btf.h>
#include <fmt/compile.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>

namespace xdphints::render {

using namespace std::string_view_literals;

namespace {

// ---- Setup (once per layout) --------------------------------------------------------

// valid.*, status.* and the id member (the last member of a layout with an id) are not
// hints: they say things about hints.
bool is_control(const Layout &l, const LayoutField &f)
{
	if (f.name.rfind("valid.", 0) == 0 || f.name.rfind("status.", 0) == 0)
		return true;
	return l.id_kind != IdKind::none && !l.fields.empty() && &f == &l.fields.back();
}

// The hint a leaf belongs to: its first path component ("vlan.tci" -> "vlan").
std::string hint_of(const std::string &path)
{
	return path.substr(0, path.find_first_of(".["));
}

Role role_of(const std::string &name)
{
	static constexpr std::pair<const char *, Role> roles[] = {
		{"rx_timestamp", Role::rx_timestamp}, {"rx_hash", Role::rx_hash},
		{"rx_hash_type", Role::rx_hash_type}, {"rx_vlan_tci", Role::rx_vlan_tci},
		{"rx_vlan_proto", Role::rx_vlan_proto},
	};
	for (auto &[n, r] : roles)
		if (name == n)
			return r;
	return Role::other;
}

// A JSON string literal; names are BTF bytes, not necessarily UTF-8 (U+FFFD then).
std::string json_string(const std::string &s)
{
	return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// For the comment: one word of printable ASCII that cannot be taken for the comment's own
// syntax (' ' between words, '=' after a key, '|' between flag names): those bytes as '?'.
std::string printable(const std::string &s)
{
	std::string out = s;
	for (char &c : out)
		if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7f || c == '=' || c == '|')
			c = '?';
	return out.empty() ? "?" : out;
}

// An integral leaf's CO-RE load and shifts from where describe_layout located it
// (FIELD_BYTE_OFFSET/SIZE, LSHIFT_U64/RSHIFT_U64). The plan takes each leaf as the layout
// lists it rather than resolving its name again: a member whose name no path can spell
// (bytes outside an identifier, one name twice among anonymous members) is still a leaf
// `layout --json` shows, and dump renders it.
detail::Bits leaf_bits(const LayoutField &f)
{
	ResolvedField r;
	r.byte_offset = f.offset;
	r.byte_size = f.size;
	r.bit_offset = f.bit_offset;
	r.bit_size = f.bit_size;
	r.is_signed = f.is_signed;
	set_core_shifts(r);
	return detail::core_bits(r);
}

// A member's type with modifiers and typedefs peeled (an enum behind `typedef enum x y`).
uint32_t peeled(const Layout &l, uint32_t type_id)
{
	int id = btf__resolve_type(l.btf.get(), type_id);
	return id > 0 ? uint32_t(id) : type_id;
}

// A control member (valid.<hint>, status.<hint>, status.<hint>_sw) by its exact name among
// the layout's leaves, usable when it is an integer inside the struct; otherwise the leaf
// has none (load 0), as for a member that is not there.
detail::Bits control(const Layout &l, const std::string &name, uint32_t *type_id = nullptr)
{
	auto f = std::find_if(l.fields.begin(), l.fields.end(), [&](const LayoutField &x) { return x.name == name; });
	if (f == l.fields.end() || !f->integral || uint64_t(f->offset) + f->size > l.size)
		return {};
	if (type_id)
		*type_id = peeled(l, f->type_id);
	return leaf_bits(*f);
}

// The enumerators of enum/enum64 `id` of `btf`, masked to `mask`, in declaration order.
std::vector<EnumName> enumerators(const struct btf *b, uint32_t id, uint64_t mask, std::string_view drop_prefix = {})
{
	std::vector<EnumName> out;
	const btf_type *t = btf__type_by_id(b, id);
	if (!t || !(btf_is_enum(t) || btf_is_enum64(t)))
		return out;
	for (unsigned i = 0; i < btf_vlen(t); i++) {
		uint32_t name_off;
		uint64_t v;
		if (btf_is_enum(t)) {
			name_off = btf_enum(t)[i].name_off;
			v = uint32_t(btf_enum(t)[i].val);
		} else {
			name_off = btf_enum64(t)[i].name_off;
			v = btf_enum64_value(&btf_enum64(t)[i]);
		}
		const char *n = btf__name_by_offset(b, name_off);
		if (!n || !*n)
			continue;
		std::string name = n;
		if (!drop_prefix.empty() && name.rfind(drop_prefix, 0) == 0)
			name.erase(0, drop_prefix.size());
		out.push_back({v & mask, std::move(name)});
	}
	return out;
}

size_t longest_name(const Leaf &l)
{
	size_t n = 0;
	for (auto &e : l.names)
		n = std::max(n, e.name.size());
	return n;
}

// The value names of an integral leaf, in the forms each format shows them. An enum leaf
// has its own enumerators; rx_hash_type without an enum of its own (an integer), or of
// enum xdp_rss_hash_type, takes those of xdp_rss_hash_type with "XDP_RSS_" dropped. A
// leaf of another enum keeps its own: a brought-in layout's flags word says what its bits
// mean, and xdp_rss_hash_type (in any BTF made with vmlinux.h) does not.
std::vector<EnumName> value_names(const Layout &l, const LayoutField &f, uint64_t mask, bool flags)
{
	const struct btf *b = l.btf.get();
	const uint32_t type = peeled(l, f.type_id);
	const btf_type *t = btf__type_by_id(b, type);
	const bool is_enum = t && (btf_is_enum(t) || btf_is_enum64(t));
	std::vector<EnumName> names;
	if (is_enum)
		names = enumerators(b, type, mask);
	if (role_of(f.name) == Role::rx_hash_type) {
		const char *own = is_enum ? btf__name_by_offset(b, t->name_off) : nullptr;
		int id = btf__find_by_name_kind(b, "xdp_rss_hash_type", BTF_KIND_ENUM);
		if (id > 0 && (!is_enum || (own && std::string_view(own) == "xdp_rss_hash_type")))
			names = enumerators(b, uint32_t(id), mask, "XDP_RSS_");
	}
	if (flags) {
		// Shown in bit order, as the names of the bits set. Stable (the first of equal
		// values wins), without std::stable_sort's deprecated temporary buffer: a handful
		// of enumerators.
		for (size_t i = 1; i < names.size(); i++)
			for (size_t k = i; k > 0 && names[k].value < names[k - 1].value; k--)
				std::swap(names[k], names[k - 1]);
	}
	// Every name in every form, whichever list was taken.
	for (EnumName &e : names) {
		e.json = json_string(e.name);
		e.comment = printable(e.name);
	}
	return names;
}

// Bytes one record of this layout can take, in each format; generous where a bound is
// easy (numbers: 20 digits and a sign; states: 13 letters and quotes).
size_t max_record_of(const LayoutPlan &p)
{
	constexpr size_t number = 21, state = 16, frame_part = 96;
	size_t json = frame_part + p.json_head.size() + p.host_order_json.size() + 64, row = 160 + p.comment_name.size(),
	       comment = frame_part + p.comment_name.size() + 64;
	for (const Leaf &l : p.leaves) {
		size_t names = longest_name(l);
		size_t value = std::max({number, size_t(l.size) * 4 + 2, state + 2}), comment_value = value;
		if (l.flags) { // ["NAME",...,"0x..."] and NAME|...|0x...
			size_t all = 2 + number, words = number;
			for (const EnumName &e : l.names) {
				all += e.json.size() + 1;
				words += e.comment.size() + 1;
			}
			value = std::max(value, all);
			comment_value = std::max(comment_value, words);
		}
		json += l.json_key.size() + value + 1;
		comment += l.comment_key.size() + std::max({number, size_t(l.size) * 2, names, state, comment_value});
		if (l.role == Role::rx_timestamp) { // its source, clock, error bound and raw PHC value
			json += 160;
			comment += 160;
		}
		row += names;
	}
	return std::max({json, row, comment});
}

// ---- Per packet ------------------------------------------------------------------------

// A small fixed buffer for one table cell.
struct Cell {
	char b[48];
	size_t n = 0;
	std::string_view view() const noexcept { return {b, n}; }
	void set(std::string_view s) noexcept
	{
		n = std::min(s.size(), sizeof(b));
		std::copy_n(s.data(), n, b);
	}
	template <class... A> void format(const A &...a) noexcept
	{
		n = fmt::format_to_n(b, sizeof(b), a...).size;
		n = std::min(n, sizeof(b));
	}
};

// lib's state and status names measured once: per packet no strlen.
template <class E, size_t N> std::string_view name_of(E e, const char *(*name)(E) noexcept) noexcept
{
	static const auto names = [name] {
		std::array<std::string_view, N> a{};
		for (size_t i = 0; i < N; i++)
			a[i] = name(E(i));
		return a;
	}();
	return size_t(e) < N ? names[size_t(e)] : std::string_view(name(e));
}
std::string_view state_name(HintState s) noexcept { return name_of<HintState, 8>(s, hint_state_name); }
std::string_view status_name(DecodeStatus s) noexcept { return name_of<DecodeStatus, 8>(s, decode_status_name); }

std::string_view timestamp_source(const LayoutPlan &p, const LeafValue &v) noexcept
{
	if (v.software)
		return "software";
	return p.has_ts_sw ? "hardware" : "unspecified";
}

} // namespace

const EnumName *LayoutPlan::named(const Leaf &l, uint64_t v) const noexcept
{
	v &= l.value_mask;
	for (const EnumName &e : l.names)
		if (e.value == v)
			return &e;
	return nullptr;
}

std::string_view LayoutPlan::value_name(const Leaf &l, uint64_t v) const noexcept
{
	const EnumName *e = named(l, v);
	return e ? std::string_view(e->name) : std::string_view();
}

Result<RenderPlan> RenderPlan::build(std::span<const Layout> layouts)
{
	RenderPlan plan;
	for (const Layout &l : layouts) {
		LayoutPlan p;
		p.layout = &l;
		p.json_head = "\"layout\":" + json_string(l.name) + ",\"id\":";
		p.comment_name = printable(l.name);
		std::fill(std::begin(p.role), std::end(p.role), int8_t(-1));
		bool have_states = false;
		for (const LayoutField &f : l.fields) {
			if (f.name == "status.rx_timestamp_sw")
				p.has_ts_sw = true;
			if (is_control(l, f))
				continue;
			// An unnamed bitfield (`__u32 :4;`) is padding, not a hint: nothing names it.
			if (f.name.empty() || f.name.back() == '.')
				continue;
			if (uint64_t(f.offset) + f.size > l.size)
				return Error(Errc::bad_layout, fmt::format("struct {}: member {} ({} bytes at {}) lies beyond its "
									   "{} bytes",
									   l.name, f.name, f.size, f.offset, l.size));
			Leaf leaf;
			leaf.name = f.name;
			leaf.json_key = json_string(f.name) + ":";
			leaf.comment_key = " " + printable(f.name) + "=";
			leaf.role = role_of(f.name);
			leaf.integral = f.integral;
			leaf.is_signed = f.is_signed;
			leaf.host_order = f.big_endian && f.integral;
			leaf.flags = f.flags && f.integral;
			if (leaf.host_order)
				p.host_order_json += (p.host_order_json.empty() ? ",\"host_order\":[" : ",") + json_string(f.name);
			leaf.offset = uint16_t(f.offset);
			leaf.size = uint16_t(f.size);
			leaf.value_mask = f.bit_size >= 64 ? ~uint64_t(0) : (uint64_t(1) << f.bit_size) - 1;
			if (f.integral) {
				leaf.value = leaf_bits(f);
				leaf.names = value_names(l, f, leaf.value_mask, leaf.flags);
			}
			std::string hint = hint_of(f.name);
			leaf.valid = control(l, "valid." + hint);
			uint32_t status_type = 0;
			leaf.status = control(l, "status." + hint, &status_type);
			if (leaf.status.load && !have_states) {
				auto m = hint_state_map(l.btf, status_type, plan.notes_);
				if (!m)
					return Error(m.error().code,
						     fmt::format("struct {}: status values: {}", l.name, m.error().message));
				p.states = *m;
				have_states = true;
			}
			leaf.sw = control(l, "status." + hint + "_sw");
			if (leaf.role != Role::other && p.role[unsigned(leaf.role)] < 0 && p.leaves.size() < 127)
				p.role[unsigned(leaf.role)] = int8_t(p.leaves.size());
			p.leaves.push_back(std::move(leaf));
		}
		if (!p.host_order_json.empty())
			p.host_order_json += ']';
		plan.max_record_ = std::max(plan.max_record_, max_record_of(p));
		plan.plans_.push_back(std::move(p));
	}
	plan.max_record_ = std::max<size_t>(plan.max_record_, 256); // packets without a known layout
	return plan;
}

namespace {

// The keys that follow an rx_timestamp value, per format.
struct TimeKeys {
	std::string_view source, clock, close, error, phc;
};
constexpr TimeKeys kJsonTime{",\"rx_timestamp_source\":\"", "\",\"rx_timestamp_clock\":\"", "\"",
			     ",\"rx_timestamp_error_ns\":", ",\"rx_timestamp_phc\":"};
constexpr TimeKeys kCommentTime{" rx_timestamp_source=", " rx_timestamp_clock=", "", " rx_timestamp_error_ns=",
				" rx_timestamp_phc="};

// Writes at a cursor into bytes the caller has made room for (max_record(), which bounds
// every record: max_record_of): a std::string append per word (capacity check, call to
// memcpy) cost more than the rest of a pcapng record together.
struct Cursor {
	char *p, *start, *end;
	// A record of `plan` is written into this thread's scratch (max_record() bytes, made
	// once per thread, and again only for a plan with longer records), then appended to
	// `out` (within the caller's reserve: no allocation). Writing straight into `out` would
	// need resize(), which zero-fills max_record() bytes for every record: that cost
	// dump -w a tenth of its rate.
	static Cursor at_end(std::string &, const RenderPlan &plan) { return scratch(plan); }
	static Cursor scratch(const RenderPlan &plan)
	{
		thread_local std::unique_ptr<char[]> scratch;
		thread_local size_t size = 0;
		if (size < plan.max_record()) {
			scratch = std::make_unique_for_overwrite<char[]>(plan.max_record());
			size = plan.max_record();
		}
		return {scratch.get(), scratch.get(), scratch.get() + size};
	}
	// Appends what was written to `out`. Past the scratch would mean max_record_of is
	// wrong: stop loudly rather than go on with a corrupted heap.
	void done(std::string &out) const noexcept
	{
		out.append(view());
	}
	// What was written, in the thread's scratch (valid until its next record).
	std::string_view view() const noexcept
	{
		if (p > end)
			std::abort();
		return {start, size_t(p - start)};
	}
	void put(char ch) noexcept { *p++ = ch; }
	void put(std::string_view s) noexcept
	{
		std::memcpy(p, s.data(), s.size());
		p += s.size();
	}
	void u64(uint64_t v) noexcept { p = std::to_chars(p, p + 20, v).ptr; }
	void i64(int64_t v) noexcept { p = std::to_chars(p, p + 21, v).ptr; }
	// A flags leaf: the names of the bits set, in bit order, then the bits without a name
	// as one 0x...; JSON ["NAME",...,"0x..."] (json), the comment NAME|...|0x... or 0
	// (!json). max_record_of counts every name of the leaf.
	void flags(const Leaf &l, uint64_t v, bool json) noexcept
	{
		const char sep = json ? ',' : '|';
		if (json)
			put('[');
		bool first = true;
		uint64_t named = 0;
		for (const EnumName &e : l.names) {
			if (!e.value || (e.value & (e.value - 1)) || !(v & e.value) || (named & e.value))
				continue;
			if (!first)
				put(sep);
			first = false;
			put(json ? e.json : e.comment);
			named |= e.value;
		}
		if (uint64_t rest = v & ~named) {
			if (!first)
				put(sep);
			if (json)
				put('"');
			hex(rest, 1);
			if (json)
				put('"');
		} else if (first && !json) {
			put('0');
		}
		if (json)
			put(']');
	}
	// A present rx_timestamp in the plan's clock, then its source and clock, and for a
	// converted hardware one the bound and the PHC value (keys: kJsonTime, kCommentTime).
	[[gnu::always_inline]] void timestamp(const LayoutPlan &p, const ClockView &cv, const LeafValue &v,
					      const TimeKeys &k) noexcept
	{
		ShownTime t = cv.show(v.value, v.software, p.has_ts_sw);
		u64(t.ns);
		put(k.source);
		put(timestamp_source(p, v));
		put(k.clock);
		put(clock_name(t.clock));
		put(k.close);
		if (t.converted) {
			put(k.error);
			i64(t.error_ns);
			put(k.phc);
			u64(t.raw);
		}
	}
	// "0x" and at least `digits` hex digits (fmt's {:#0Nx} with N = digits + 2).
	void hex(uint64_t v, int digits) noexcept
	{
		static constexpr char x[] = "0123456789abcdef";
		int n = 1;
		while (n < 16 && (v >> (4 * n)))
			n++;
		n = std::max(n, digits);
		*p++ = '0';
		*p++ = 'x';
		for (int i = n - 1; i >= 0; i--)
			*p++ = x[(v >> (4 * i)) & 15];
	}
};

} // namespace

void append_json(std::string &out, const RenderPlan &plan, unsigned queue, uint32_t len, const Hints &h)
{
	Cursor c = Cursor::at_end(out, plan);
	c.put("{\"queue\":"sv);
	c.u64(queue);
	c.put(",\"len\":"sv);
	c.u64(len);
	const LayoutPlan *p = plan.find(h);
	if (!p) {
		c.put(",\"layout\":null,\"id\":"sv);
		c.u64(h.id());
		c.put(",\"status\":\""sv);
		c.put(status_name(h.status()));
		c.put("\"}"sv);
		c.done(out);
		return;
	}
	c.put(',');
	c.put(p->json_head);
	c.u64(h.id());
	c.put(",\"hints\":{"sv);
	const uint8_t *base = h.struct_start();
	bool first = true, any_absent = false;
	for (const Leaf &l : p->leaves) {
		LeafValue v = p->read(l, base);
		if (!v.present) {
			any_absent = true;
			continue;
		}
		if (!first)
			c.put(',');
		first = false;
		c.put(l.json_key);
		if (!l.integral) {
			c.put('[');
			for (uint16_t i = 0; i < l.size; i++) {
				if (i)
					c.put(',');
				c.u64(base[l.offset + i]);
			}
			c.put(']');
		} else if (l.role == Role::rx_timestamp) {
			c.timestamp(*p, plan.clock(), v, kJsonTime);
		} else if (l.flags) {
			c.flags(l, v.value, true);
		} else if (l.is_signed) {
			c.i64(int64_t(v.value));
		} else {
			c.u64(v.value);
		}
	}
	c.put('}');
	c.put(p->host_order_json);
	if (any_absent) {
		c.put(",\"absent\":{"sv);
		first = true;
		for (const Leaf &l : p->leaves) {
			LeafValue v = p->read(l, base);
			if (v.present)
				continue;
			if (!first)
				c.put(',');
			first = false;
			c.put(l.json_key);
			c.put('"');
			c.put(state_name(v.state));
			c.put('"');
		}
		c.put('}');
	}
	c.put('}');
	c.done(out);
}

std::string_view table_header() noexcept
{
	// fmt::format("{:>2} {:>5} {:>11} {:<16} {:>22} {:<4} {:>10} {:<22} {:>12}", "q", "len", "udp", "layout",
	//             "rx_timestamp (ns)", "src", "rx_hash", "rx_hash_type", "vlan")
	return " q   len         udp layout                rx_timestamp (ns) src     rx_hash rx_hash_type                   vlan";
}

void append_row(std::string &out, const RenderPlan &plan, unsigned queue, std::span<const uint8_t> frame,
		const Hints &h)
{
	auto [sp, dp] = udp_ports(frame);
	Cell udp;
	if (sp)
		udp.format(FMT_COMPILE("{}>{}"), sp, dp);
	else
		udp.set("-");
	auto it = std::back_inserter(out);
	const LayoutPlan *p = plan.find(h);
	if (!p) {
		fmt::format_to(it, FMT_COMPILE("{:>2} {:>5} {:>11} ({}: id {:#x})"), queue, frame.size(), udp.view(),
			       decode_status_name(h.status()), h.id());
		return;
	}
	const uint8_t *base = h.struct_start();
	Cell ts, src, hash, htype, vlan;
	ts.set("-");
	hash.set("-");
	htype.set("-");
	vlan.set("-");
	if (const Leaf *l = p->leaf(Role::rx_timestamp)) {
		LeafValue v = p->read(*l, base);
		if (v.present) {
			ShownTime t = plan.clock().show(v.value, v.software, p->has_ts_sw);
			ts.format(FMT_COMPILE("{}"), t.ns);
			src.set(v.software ? "sw" : t.converted ? "hw" : t.clock == Clock::phc ? "phc" : "?");
		} else {
			ts.set(hint_state_name(v.state));
		}
	}
	if (const Leaf *l = p->leaf(Role::rx_hash)) {
		LeafValue v = p->read(*l, base);
		if (v.present)
			hash.format(FMT_COMPILE("{:#010x}"), v.value);
		else
			hash.set(hint_state_name(v.state));
	}
	if (const Leaf *l = p->leaf(Role::rx_hash_type)) {
		LeafValue v = p->read(*l, base);
		if (!v.present)
			htype.set(hint_state_name(v.state));
		else if (std::string_view n = p->value_name(*l, v.value); !n.empty())
			htype.set(n);
		else
			htype.format(FMT_COMPILE("{}"), v.value);
	}
	if (const Leaf *l = p->leaf(Role::rx_vlan_tci)) {
		LeafValue v = p->read(*l, base);
		if (v.present) {
			uint64_t proto = 0;
			if (const Leaf *pl = p->leaf(Role::rx_vlan_proto))
				proto = p->read(*pl, base).value;
			vlan.format(FMT_COMPILE("{}/{:#06x}"), v.value & 0x0fff, proto);
		} else {
			vlan.set(hint_state_name(v.state));
		}
	}
	// Cells are at most 48 bytes and the name is the layout's: max_record() covers it.
	fmt::format_to(it, FMT_COMPILE("{:>2} {:>5} {:>11} {:<16} {:>22} {:<4} {:>10} {:<22} {:>12}"), queue, frame.size(),
		       udp.view(), std::string_view(p->layout->name), ts.view(), src.view(), hash.view(), htype.view(),
		       vlan.view());
}

std::string_view time_source_name(TimeSource t) noexcept
{
	return t == TimeSource::rx_timestamp ? "rx_timestamp" : "receive";
}

void append_comment(std::string &out, const RenderPlan &plan, unsigned queue, const Hints &h, TimeSource t)
{
	out.append(comment_view(plan, queue, h, t));
}

std::string_view comment_view(const RenderPlan &plan, unsigned queue, const Hints &h, TimeSource t)
{
	Cursor c = Cursor::scratch(plan);
	const LayoutPlan *p = plan.find(h);
	c.put("layout="sv);
	c.put(p ? std::string_view(p->comment_name) : std::string_view("none"));
	c.put(" id="sv);
	c.hex(h.id(), 1);
	c.put(" queue="sv);
	c.u64(queue);
	c.put(" time="sv);
	c.put(time_source_name(t));
	if (!p) {
		c.put(" status="sv);
		c.put(status_name(h.status()));
		return c.view();
	}
	const uint8_t *base = h.struct_start();
	for (const Leaf &l : p->leaves) {
		LeafValue v = p->read(l, base);
		c.put(l.comment_key);
		if (!v.present) {
			c.put(state_name(v.state));
			continue;
		}
		if (!l.integral) {
			static constexpr char hex[] = "0123456789abcdef";
			for (uint16_t i = 0; i < l.size; i++) {
				*c.p++ = hex[base[l.offset + i] >> 4];
				*c.p++ = hex[base[l.offset + i] & 15];
			}
		} else if (l.role == Role::rx_timestamp) {
			c.timestamp(*p, plan.clock(), v, kCommentTime);
		} else if (const EnumName *n = p->named(l, v.value)) {
			c.put(n->comment);
		} else if (l.role == Role::rx_hash) {
			c.hex(v.value, 8);
		} else if (l.role == Role::rx_vlan_proto) {
			c.hex(v.value, 4);
		} else if (l.flags) {
			c.flags(l, v.value, false);
		} else if (l.is_signed) {
			c.i64(int64_t(v.value));
		} else {
			c.u64(v.value);
		}
	}
	return c.view();
}

std::pair<uint16_t, uint16_t> udp_ports(std::span<const uint8_t> p) noexcept
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

} // namespace xdphints::render
