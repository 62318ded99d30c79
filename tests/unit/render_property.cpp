// Property: for every layout `layout --json` can describe, every JSON line dump writes is
// JSON and every pcapng comment is well formed, whatever the hint bytes.
//
// Random layouts are built in memory (BTF through libbpf's writer, as btf_builder.hpp):
// integers of every size and sign, __be16/32/64 members, plain and flags enums (enum64
// too), bitfields of both, byte arrays, nested named structs and anonymous unions,
// valid/status members, the generic xdp_rss_hash_type and xdp_hints_state enums or not,
// and names with bytes JSON must escape and a comment must not carry (quotes, backslashes,
// spaces, '=', '|', control bytes, invalid UTF-8). Each is rendered for random bytes.
//
// A well-formed comment: printable ASCII words separated by single spaces, each word
// key=value with both non-empty; layout=, id=, queue=, time= first, then one word per hint
// member in declaration order (rx_timestamp followed by its source, clock and, when
// converted, error bound and PHC value); a flags value is NAME|NAME|0x... .
// Seeds 1..300; a failure names its seed, and XH_SEED=N starts there.
#include "btf_builder.hpp"
#include "render.hpp"

#include <xdphints/layout.hpp>
#include <xdphints/query.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace xdphints;

namespace {

constexpr const char *kRoleNames[] = {"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci", "rx_vlan_proto"};

class LayoutGen {
public:
	explicit LayoutGen(uint64_t seed) : rng_(seed) {}

	// One BTF with 1..3 layouts; returns it with object id 7.
	Btf build()
	{
		u8_ = b_.integer("unsigned char", 1);
		ints_ = {u8_, b_.integer("unsigned short", 2), b_.integer("unsigned int", 4),
			 b_.integer("unsigned long long", 8), b_.integer("signed char", 1, true),
			 b_.integer("short", 2, true), b_.integer("int", 4, true), b_.integer("long long", 8, true)};
		u32_ = ints_[2];
		u64_ = ints_[3];
		be_ = {b_.typedef_("__be16", b_.typedef_("__u16", ints_[1])), b_.typedef_("__be32", b_.typedef_("__u32", u32_)),
		       b_.typedef_("__be64", b_.typedef_("__u64", u64_))};
		if (coin())
			b_.enum_("xdp_rss_hash_type", {{"XDP_RSS_L3_IPV4", 1},
						       {"XDP_RSS_L3_IPV6", 2},
						       {"XDP_RSS_L3_DYNHDR", 4},
						       {"XDP_RSS_L4", 8},
						       {"XDP_RSS_L4_TCP", 16},
						       {"XDP_RSS_L4_UDP", 32},
						       {"XDP_RSS_TYPE_NONE", 0},
						       {"XDP_RSS_TYPE_L3_IPV4", 1},
						       {"XDP_RSS_TYPE_L4_IPV4_UDP", 41},
						       {"XDP_RSS_TYPE_L4_IPV6_TCP", 26}});
		if (coin()) {
			std::vector<long long> v = {0, 1, 2, 3};
			std::shuffle(v.begin(), v.end(), rng_);
			state_ = b_.enum_("xdp_hints_state", {{"XDP_HINTS_STATE_NOT_REQUESTED", v[0]},
							      {"XDP_HINTS_STATE_OK", v[1]},
							      {"XDP_HINTS_STATE_NODATA", v[2]},
							      {"XDP_HINTS_STATE_UNSUPPORTED", v[3]}});
		}
		for (int i = 0, n = int(pick(3)) + 1; i < n; i++)
			enums_.push_back(coin() ? flags_enum() : plain_enum());
		enums_.push_back(flags_enum());
		full_id_ = coin(); // one id convention per Decoder
		for (int i = 0, n = int(pick(3)) + 1; i < n; i++)
			layout(i);
		return b_.build().with_object_id(7);
	}

private:
	uint64_t pick(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
	bool coin() { return pick(2) == 0; }

	// A name: mostly identifiers (the hint names among them), sometimes bytes that need
	// escaping in JSON or replacing in a comment.
	std::string name()
	{
		static const char *plain[] = {"queue", "mark", "a", "b", "flags", "hint_valid", "x_1"};
		static const char *odd[] = {"\"", "\\", " ", "=", "|", "\x01", "\x1f", "\x7f", "\xc3", "\xff", "\xc3\xa9", "/",
					    "[", "}", "\t", "\n", "\xe2\x82"};
		switch (pick(4)) {
		case 0: return kRoleNames[pick(std::size(kRoleNames))];
		case 1: return plain[pick(std::size(plain))];
		case 2: {
			std::string s = "n";
			for (int i = 0, n = int(pick(4)) + 1; i < n; i++)
				s += odd[pick(std::size(odd))];
			return s;
		}
		default: return "f" + std::to_string(serial_++);
		}
	}
	int plain_enum()
	{
		std::vector<std::string> names;
		std::vector<std::pair<const char *, long long>> v;
		int n = int(pick(5)) + 1;
		names.reserve(size_t(n));
		for (int i = 0; i < n; i++) {
			names.push_back(name() + "_" + std::to_string(i));
			v.emplace_back(names.back().c_str(), coin() ? i : (long long)(pick(1u << 31)));
		}
		return b_.enum_(name().c_str(), v, coin() ? 4 : int(1u << pick(3)));
	}
	int flags_enum()
	{
		std::vector<std::string> names;
		std::vector<std::pair<const char *, long long>> v;
		std::vector<int> bits(32);
		for (int i = 0; i < 32; i++)
			bits[size_t(i)] = i;
		std::shuffle(bits.begin(), bits.end(), rng_);
		int n = int(pick(6)) + 2;
		names.reserve(size_t(n) + 1);
		if (coin()) {
			names.push_back(name() + "_NONE");
			v.emplace_back(names.back().c_str(), 0);
		}
		for (int i = 0; i < n; i++) {
			names.push_back(name() + "_B" + std::to_string(i));
			v.emplace_back(names.back().c_str(), (long long)(1ull << bits[size_t(i)]));
		}
		return b_.enum_(name().c_str(), v, 4);
	}
	int enum64()
	{
		int id = btf__add_enum64(b_.get(), name().c_str(), 8, false);
		REQUIRE(id > 0);
		for (int i = 0, n = int(pick(4)) + 1; i < n; i++) {
			std::string nm = name() + "_" + std::to_string(i);
			REQUIRE(btf__add_enum64_value(b_.get(), nm.c_str(), coin() ? uint64_t(i) : rng_()) == 0);
		}
		return id;
	}

	struct Cursor {
		unsigned bits = 0; // next free bit
		void align(unsigned bytes) { bits = (bits + bytes * 8 - 1) / (bytes * 8) * (bytes * 8); }
	};

	// A bitfield of a 4-byte type, inside one 32-bit unit.
	static void bitfield(std::vector<unit::BtfBuilder::Member> &m, Cursor &c, int type, unsigned width)
	{
		if (c.bits % 32 + width > 32)
			c.align(4);
		m.push_back({nullptr, type, c.bits, width});
		c.bits += width;
	}

	// Leaf members (and nested composites) appended to `m`, starting at `c`.
	void members(std::vector<unit::BtfBuilder::Member> &m, std::vector<std::string> &names, Cursor &c, int depth,
		     unsigned limit_bits, std::set<std::string> &hints)
	{
		int n = int(pick(depth ? 3 : 8)) + 1;
		for (int i = 0; i < n && c.bits + 128 < limit_bits; i++) {
			names.push_back(name());
			std::string nm = names.back();
			switch (pick(depth < 2 ? 9 : 6)) {
			case 0:
			case 1: { // an integer
				size_t k = pick(ints_.size());
				unsigned size = 1u << (k % 4);
				c.align(size);
				m.push_back({nullptr, ints_[k], c.bits});
				c.bits += size * 8;
				break;
			}
			case 2: { // network order
				size_t k = pick(3);
				unsigned size = 2u << k;
				c.align(size);
				m.push_back({nullptr, be_[k], c.bits});
				c.bits += size * 8;
				break;
			}
			case 3: { // an enum (plain, flags, 64-bit)
				int e = pick(5) == 0 ? enum64() : enums_[pick(enums_.size())];
				unsigned size = btf__type_by_id(b_.get(), uint32_t(e))->size;
				c.align(size);
				m.push_back({nullptr, e, c.bits});
				c.bits += size * 8;
				break;
			}
			case 4: { // a bitfield of an int or an enum
				int t = coin() ? u32_ : enums_[pick(enums_.size())];
				if (btf__type_by_id(b_.get(), uint32_t(t))->size != 4)
					t = u32_;
				bitfield(m, c, t, unsigned(pick(31)) + 1);
				break;
			}
			case 5: { // an array of bytes
				c.align(1);
				int arr = b_.array(u8_, int(pick(8)) + 1, u32_);
				m.push_back({nullptr, arr, c.bits});
				c.bits += 8 * unsigned(btf__resolve_size(b_.get(), uint32_t(arr)));
				break;
			}
			case 6: // a nested named struct
			case 7: { // an anonymous struct or union
				c.align(4);
				std::vector<unit::BtfBuilder::Member> inner;
				std::vector<std::string> inner_names;
				Cursor ic;
				members(inner, inner_names, ic, depth + 1, limit_bits - c.bits, hints);
				ic.align(4);
				bool anon = pick(2) == 0;
				bool is_union = anon && coin();
				if (is_union) // every member at 0
					for (auto &im : inner)
						im.bit_offset = 0;
				for (size_t k = 0; k < inner.size(); k++)
					inner[k].name = inner_names[k].c_str();
				unsigned size = std::max(ic.bits / 8, 4u);
				int t = is_union ? b_.union_(anon ? "" : name().c_str(), size, inner)
						 : b_.struct_(anon ? "" : name().c_str(), size, inner);
				if (anon)
					nm.clear();
				m.push_back({nullptr, t, c.bits});
				c.bits += size * 8;
				break;
			}
			default: // an anonymous padding bitfield
				nm.clear();
				bitfield(m, c, u32_, unsigned(pick(7)) + 1);
				break;
			}
			names.back() = nm;
			hints.insert(nm);
		}
	}

	void layout(int i)
	{
		std::vector<unit::BtfBuilder::Member> m;
		std::vector<std::string> names;
		std::set<std::string> hints;
		Cursor c;
		members(m, names, c, 0, 180 * 8, hints);
		hints.erase("");
		// valid.<hint> (1 bit) and status.<hint> (2 bits) and status.rx_timestamp_sw.
		if (coin() && !hints.empty()) {
			c.align(4);
			std::vector<unit::BtfBuilder::Member> v, s;
			std::vector<std::string> keep;
			keep.reserve(hints.size() + 1);
			unsigned bit = 0;
			for (const std::string &h : hints) {
				if (bit >= 30)
					break;
				keep.push_back(h);
				v.push_back({keep.back().c_str(), u32_, bit, 1});
				s.push_back({keep.back().c_str(), state_ && coin() ? state_ : u32_, bit * 2 % 32, 2});
				bit++;
			}
			s.resize(std::min<size_t>(s.size(), 15));
			s.push_back({"rx_timestamp_sw", u32_, 31, 1});
			m.push_back({"valid", b_.struct_("", 4, v), c.bits});
			c.bits += 32;
			m.push_back({"status", b_.struct_("", 4, s), c.bits});
			c.bits += 32;
			names.push_back("valid");
			names.push_back("status");
		}
		bool full = full_id_;
		c.align(full ? 8 : 4);
		m.push_back({nullptr, full ? u64_ : u32_, c.bits});
		names.push_back(full ? "btf_full_id" : "btf_id");
		c.bits += full ? 64 : 32;
		for (size_t k = 0; k < m.size(); k++)
			m[k].name = names[k].c_str();
		// A hint struct by name, or by the decl tag with any name.
		if (coin()) {
			b_.struct_(("xdp_hints_r" + std::to_string(i)).c_str(), c.bits / 8, m);
		} else {
			int id = b_.struct_((name() + std::to_string(i)).c_str(), c.bits / 8, m);
			b_.decl_tag("xdp_hints", id);
		}
	}

	std::mt19937_64 rng_;
	unit::BtfBuilder b_;
	int u8_ = 0, u32_ = 0, u64_ = 0, state_ = 0;
	bool full_id_ = false;
	std::vector<int> ints_, be_, enums_;
	unsigned serial_ = 0;
};

// Converts every PHC value, with a bound as wide as it gets.
struct Hw : render::HardwareClock {
	render::HwTime to_system(uint64_t hw, render::Clock) const noexcept override
	{
		return {int64_t(hw ^ 0x5555), hw & 1 ? INT64_MIN : int64_t(hw % 1000), true};
	}
	std::string describe() const override { return "fake"; }
};

bool printable_word_char(char ch)
{
	return uint8_t(ch) > 0x20 && uint8_t(ch) < 0x7f;
}

// The comment's words as key/value, checked for form. Empty when it is not well formed.
std::vector<std::pair<std::string, std::string>> words(const std::string &c)
{
	std::vector<std::pair<std::string, std::string>> out;
	size_t i = 0;
	while (i <= c.size()) {
		size_t sp = c.find(' ', i);
		if (sp == std::string::npos)
			sp = c.size();
		std::string w = c.substr(i, sp - i);
		size_t eq = w.find('=');
		if (w.empty() || eq == 0 || eq == std::string::npos || eq + 1 == w.size() ||
		    !std::all_of(w.begin(), w.end(), printable_word_char))
			return {};
		out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
		i = sp + 1;
	}
	return out;
}

} // namespace

TEST_CASE("render property: random layouts and random bytes give JSON lines and well-formed comments", "[render][unit]")
{
	const uint64_t seeds = 300;
	uint64_t lines = 0, layouts_seen = 0, flags_seen = 0;
	const uint64_t first = getenv("XH_SEED") ? std::stoull(getenv("XH_SEED")) : 1;
	for (uint64_t seed = first; seed <= seeds; seed++) {
		INFO("seed " << seed);
		LayoutGen gen(seed);
		Btf btf = gen.build();
		auto layouts = discover_layouts(btf);
		REQUIRE(layouts);
		REQUIRE(!layouts->empty());
		// What `layout --json` describes is what dump must render.
		auto dec = Decoder::build(Query{}, *layouts);
		INFO((dec ? std::string() : dec.error().message));
		REQUIRE(dec);
		auto plan = render::RenderPlan::build(dec->layouts());
		INFO((plan ? std::string() : plan.error().message));
		REQUIRE(plan);
		Hw hw;
		std::mt19937_64 rng(seed * 7919);
		for (const render::LayoutPlan &lp : plan->layouts()) {
			const Layout &l = *lp.layout;
			layouts_seen++;
			for (const render::Leaf &lf : lp.leaves)
				flags_seen += lf.flags;
			const LayoutField &idf = l.fields.back();
			for (int k = 0; k < 24; k++) {
				render::ClockView cv;
				if (k % 3 == 1)
					cv.hardware = &hw;
				if (k % 3 == 2)
					cv.clock = render::Clock::realtime;
				plan->set_clock(cv);
				std::vector<uint8_t> buf(l.size + 64);
				uint8_t fill = k % 4 == 0 ? 0xff : k % 4 == 1 ? 0x00 : 0;
				for (auto &x : buf)
					x = k % 4 >= 2 ? uint8_t(rng()) : fill;
				uint8_t *data = buf.data() + l.size;
				uint64_t id = l.id();
				std::memcpy(data - l.size + idf.offset, &id, idf.size);
				Hints h = dec->decode(data, l.size);
				REQUIRE(h.known());
				REQUIRE(h.layout() == &l);
				auto ts = render::TimeSource(k & 1);
				std::string j, c;
				render::append_json(j, *plan, unsigned(rng() % 65536), 64, h);
				render::append_comment(c, *plan, unsigned(rng() % 65536), h, ts);
				INFO("layout " << l.name << "\nJSON    " << j << "\ncomment " << c);
				lines++;
				CHECK(j.size() <= plan->max_record());
				CHECK(c.size() <= plan->max_record());

				auto parsed = nlohmann::json::parse(j, nullptr, false);
				REQUIRE_FALSE(parsed.is_discarded());
				REQUIRE(parsed.is_object());
				CHECK(parsed["id"] == id);
				REQUIRE(parsed["hints"].is_object());
				for (auto &[key, v] : parsed["hints"].items()) {
					CHECK((v.is_number() || v.is_string() || v.is_array()));
					if (v.is_array())
						for (auto &e : v)
							CHECK((e.is_number_unsigned() || e.is_string()));
				}
				if (parsed.contains("absent"))
					CHECK(parsed["absent"].is_object());

				// The comment: its words, then the keys in order.
				auto w = words(c);
				REQUIRE_FALSE(w.empty());
				REQUIRE(w.size() >= 4);
				CHECK(w[0].first == "layout");
				CHECK(w[1].first == "id");
				CHECK(w[2].first == "queue");
				CHECK(w[3].first == "time");
				size_t at = 4;
				for (const render::Leaf &lf : lp.leaves) {
					REQUIRE(at < w.size());
					CHECK(" " + w[at].first + "=" == lf.comment_key);
					render::LeafValue v = lp.read(lf, h.struct_start());
					if (lf.flags && v.present && lf.integral) {
						// NAME|NAME|0x...: no empty part.
						const std::string &val = w[at].second;
						CHECK(val.find("||") == std::string::npos);
						CHECK(val.front() != '|');
						CHECK(val.back() != '|');
					}
					at++;
					if (lf.role == render::Role::rx_timestamp && v.present && lf.integral) {
						for (const char *extra : {"rx_timestamp_source", "rx_timestamp_clock"}) {
							REQUIRE(at < w.size());
							CHECK(w[at++].first == extra);
						}
						if (at < w.size() && w[at].first == "rx_timestamp_error_ns") {
							at++;
							REQUIRE(at < w.size());
							CHECK(w[at++].first == "rx_timestamp_phc");
						}
					}
				}
				CHECK(at == w.size());
			}
		}
	}
	INFO(layouts_seen << " layouts, " << lines << " lines, " << flags_seen << " flags members");
	if (first == 1) { // the whole run covers what it is for
		CHECK(flags_seen > 50);
		CHECK(layouts_seen >= seeds);
	}
}
