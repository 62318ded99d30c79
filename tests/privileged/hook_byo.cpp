// Bring your own hook: other people's hook objects, compiled here with clang-19 from the
// sources below. The contract checks need no privileges; loading and decoding do.
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>

#include "hook_testing.hpp"

#include <bpf/libbpf.h>

#include <memory>

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

namespace {

const char *kPrelude = R"(
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE = 0 };
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;
char LICENSE[] SEC("license") = "GPL";
#define XSKMAP(name) struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(max_entries, 64); \
	__type(key, __u32); __type(value, __u32); } name SEC(".maps")
#define WRITE_META(T, var) do { \
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(T))) return XDP_PASS; \
	T *m = (void *)(long)ctx->data_meta; \
	if ((void *)(m + 1) > (void *)(long)ctx->data) return XDP_PASS; \
	*m = var; } while (0)
)";

// The two working hooks live in bpf/examples/ (byo_btf_id.bpf.c: the AF_XDP-interaction
// prototype's u32 btf_id, no kfuncs; byo_fixed.bpf.c: a fixed struct xdp_meta like the
// selftest xdp_hw_metadata, calling kfuncs) and are built into build/bpf/.
const std::string kExamples = XDPHINTS_BPF_EXAMPLES_DIR;

const char *kTwoProgs = R"(
XSKMAP(xsk);
struct xdp_hints_a { __u64 v; __u64 btf_full_id; };
SEC("xdp") int one(struct xdp_md *ctx) { struct xdp_hints_a a = {}; WRITE_META(struct xdp_hints_a, a); return XDP_PASS; }
SEC("xdp") int two(struct xdp_md *ctx) { return bpf_redirect_map(&xsk, 0, XDP_PASS); }
)";

const char *kTcProg = R"(
XSKMAP(xsk);
struct xdp_hints_a { __u64 v; __u64 btf_full_id; };
struct xdp_hints_a last_written;
SEC("tc") int classify(struct __sk_buff *skb) { return 0; }
)";

const char *kNoXsk = R"(
struct xdp_hints_a { __u64 v; __u64 btf_full_id; };
SEC("xdp") int one(struct xdp_md *ctx) { struct xdp_hints_a a = {}; WRITE_META(struct xdp_hints_a, a); return XDP_PASS; }
)";

const char *kIdNotLast = R"(
XSKMAP(xsk);
struct xdp_hints_bad { __u32 btf_id; __u32 pad; __u64 v; };
struct xdp_hints_bad last_written; /* a global keeps the type in BTF */
SEC("xdp") int one(struct xdp_md *ctx) { struct xdp_hints_bad a = {}; WRITE_META(struct xdp_hints_bad, a);
	return bpf_redirect_map(&xsk, 0, XDP_PASS); }
)";

const char *kNoHints = R"(
XSKMAP(xsk);
struct my_meta { __u64 v; };
SEC("xdp") int one(struct xdp_md *ctx) { struct my_meta a = {}; WRITE_META(struct my_meta, a);
	return bpf_redirect_map(&xsk, 0, XDP_PASS); }
)";

Status contract_of(const std::string &path, const std::string &layout = "")
{
	std::unique_ptr<bpf_object, void (*)(bpf_object *)> obj(bpf_object__open_file(path.c_str(), nullptr),
								 bpf_object__close);
	REQUIRE(obj);
	return check_contract(obj.get(), path, layout);
}

std::string message_of(const Status &s)
{
	return s ? std::string() : s.error().message;
}

} // namespace

TEST_CASE("bring-your-own hook: the contract check names the rule broken", "[hook][byo][contract]")
{
	xdphints::test::BpfCompiler fx;
	CHECK(contract_of(kExamples + "/byo_btf_id.bpf.o"));
	CHECK(contract_of(kExamples + "/byo_fixed.bpf.o", "xdp_meta"));

	auto fixed_no_layout = contract_of(kExamples + "/byo_fixed.bpf.o");
	CHECK(message_of(fixed_no_layout).find("rule 3") != std::string::npos);
	CHECK(message_of(fixed_no_layout).find("--layout STRUCT") != std::string::npos);

	auto two = contract_of(fx.build_text(kPrelude, "two", kTwoProgs));
	INFO(message_of(two));
	CHECK(message_of(two).find("rule 1, exactly one XDP program; it has one (xdp), two (xdp)") != std::string::npos);

	// Any one XDP program whatever its section (xdp_sock: older libbpf naming, the
	// AF_XDP-interaction prototype's), but not a program of another type.
	INFO(message_of(contract_of(kExamples + "/byo_xdp_sock.bpf.o")));
	CHECK(contract_of(kExamples + "/byo_xdp_sock.bpf.o"));
	auto tc = contract_of(fx.build_text(kPrelude, "tcprog", kTcProg));
	INFO(message_of(tc));
	CHECK(message_of(tc).find("rule 1, exactly one XDP program; it has classify (tc), a sched_cls program") !=
	      std::string::npos);

	// A struct used only through a local pointer is not in .BTF but in the DWARF (-g).
	INFO(message_of(contract_of(kExamples + "/byo_hw_metadata.bpf.o", "xdp_meta")));
	CHECK(contract_of(kExamples + "/byo_hw_metadata.bpf.o", "xdp_meta"));

	auto noxsk = contract_of(fx.build_text(kPrelude, "noxsk", kNoXsk));
	CHECK(message_of(noxsk).find("rule 2, exactly one BPF_MAP_TYPE_XSKMAP; it has 0") != std::string::npos);

	auto notlast = contract_of(fx.build_text(kPrelude, "notlast", kIdNotLast));
	INFO(message_of(notlast));
	CHECK(message_of(notlast).find("rule 4") != std::string::npos);
	CHECK(message_of(notlast).find("xdp_hints_bad") != std::string::npos);

	auto nohints = contract_of(fx.build_text(kPrelude, "nohints", kNoHints));
	CHECK(message_of(nohints).find("rule 3, hint structs found by the discovery rule; none found") !=
	      std::string::npos);

	auto nolayout = contract_of(fx.build_text(kPrelude, "nolayout", kNoHints), "no_such_struct");
	INFO(message_of(nolayout));
	CHECK(message_of(nolayout).find("rule 3") != std::string::npos);
	CHECK(message_of(nolayout).find("no_such_struct") != std::string::npos);
}

TEST_CASE("bring-your-own hook: a btf_id hook loads, attaches and is decoded by its id", "[hook][byo][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkb1");
	REQUIRE(bed);
	HookOptions o;
	o.ifname = bed->rx_if();
	o.object_path = kExamples + "/byo_btf_id.bpf.o";
	auto hook = Hook::attach(o);
	INFO((hook ? std::string() : hook.error().message));
	REQUIRE(hook);
	CHECK(hook->mode() == AttachMode::driver);
	CHECK(xdphints::test::xdp_query(bed->rx_index()).drv_prog_id == hook->prog_id());
	CHECK(hook->xsks_map_fd() >= 0);
	auto layouts = hook->layouts();
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 1);
	const Layout &l = (*layouts)[0];
	CHECK(l.name == "xdp_hints_rx_time");
	CHECK(l.id_kind == IdKind::btf_id);
	CHECK(l.object_id == hook->btf_obj_id());

	auto tap = MetaTap::attach(bed->rx_index());
	REQUIRE(tap);
	Query q;
	auto rxq = q.add<uint32_t>("xdp_rxq_index");
	auto kt = q.add<uint64_t>("rx_ktime");
	auto dec = Decoder::build(q, *layouts);
	REQUIRE(dec);
	auto frames = xdphints::test::send_and_tap(*bed, *tap, {{43001, 3}});
	for (const auto &f : frames) {
		REQUIRE(f.meta.size() == l.size);
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		REQUIRE(h.known());
		CHECK(h.id() == l.id()); // object id from the kernel, type id from the packet
		CHECK(h.get(rxq) == uint32_t(0));
		CHECK(h.get(kt).value_or(0) != 0);
	}
	CHECK_FALSE(hook->stats()); // no hook_stats map: said, not invented
}

TEST_CASE("bring-your-own hook: a fixed-layout kfunc hook is device-bound, decoded with --layout", "[hook][byo][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkb2");
	REQUIRE(bed);
	HookOptions o;
	o.ifname = bed->rx_if();
	o.object_path = kExamples + "/byo_fixed.bpf.o";
	o.layout = "xdp_meta";
	auto hook = Hook::attach(o);
	INFO((hook ? std::string() : hook.error().message));
	REQUIRE(hook);
	auto layouts = hook->layouts();
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 1);
	CHECK((*layouts)[0].name == "xdp_meta");
	CHECK((*layouts)[0].id_kind == IdKind::none);

	auto tap = MetaTap::attach(bed->rx_index());
	REQUIRE(tap);
	Query q;
	auto hash = q.add<uint32_t>("rx_hash");
	auto dec = Decoder::build(q, *layouts);
	REQUIRE(dec);
	auto frames = xdphints::test::send_and_tap(*bed, *tap, {{43002, 3}});
	for (const auto &f : frames) {
		REQUIRE(f.meta.size() == (*layouts)[0].size);
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		REQUIRE(h.known());
		// veth's rx_hash kfunc ran: the program was bound to this device.
		CHECK(h.get(hash) == f.skb_hash);
	}

	// The contract is checked before anything is loaded.
	HookOptions bad = o;
	bad.layout = "";
	auto refused = Hook::load(bad);
	REQUIRE_FALSE(refused);
	CHECK(refused.error().message.find("breaks the hook contract: rule 3") != std::string::npos);
}

TEST_CASE("bring-your-own hook: an xdp_sock section loads as XDP; a struct only in DWARF is the layout",
	  "[hook][byo][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkb3");
	REQUIRE(bed);
	auto attach = [&](const std::string &object, const std::string &layout) {
		HookOptions o;
		o.ifname = bed->rx_if();
		o.object_path = kExamples + "/" + object;
		o.layout = layout;
		auto hook = Hook::attach(o);
		INFO((hook ? std::string() : hook.error().message));
		REQUIRE(hook);
		return std::move(*hook);
	};
	{
		Hook hook = attach("byo_xdp_sock.bpf.o", "");
		// The kernel holds an XDP program attached to the interface.
		bpf_prog_info info{};
		uint32_t len = sizeof(info);
		REQUIRE(bpf_obj_get_info_by_fd(hook.prog_fd(), &info, &len) == 0);
		CHECK(info.type == BPF_PROG_TYPE_XDP);
		CHECK(xdphints::test::xdp_query(bed->rx_index()).drv_prog_id == hook.prog_id());
		auto layouts = hook.layouts();
		REQUIRE(layouts);
		REQUIRE(layouts->size() == 2);
		const Layout &rx_time = (*layouts)[0], &mark = (*layouts)[1]; // by type id (clang's order of use)
		CHECK(rx_time.name == "xdp_hints_rx_time");
		CHECK(rx_time.size == 16); // packed: no padding before btf_id
		CHECK(rx_time.id_kind == IdKind::btf_id);
		CHECK(mark.name == "xdp_hints_mark");
		CHECK(mark.id_kind == IdKind::btf_id);
	}
	Hook hook = attach("byo_hw_metadata.bpf.o", "xdp_meta");
	auto layouts = hook.layouts();
	REQUIRE(layouts);
	REQUIRE(layouts->size() == 1);
	const Layout &l = (*layouts)[0];
	CHECK(l.name == "xdp_meta");
	CHECK(l.size == 32);
	CHECK(l.btf.origin().find("DWARF of") == 0);
	bool be = false, flags = false;
	for (const auto &f : l.fields) {
		be |= f.name == "rx_vlan_proto" && f.big_endian && f.offset == 24;
		flags |= f.name == "hint_valid" && f.flags && f.offset == 28;
	}
	CHECK(be);
	CHECK(flags);
}
