// Every built-in hook, and the ways a hook is specialised: each driver's program passes
// the verifier (loaded device-bound on a veth, its kfunc calls resolve to veth's), the
// generic hook runs in SKB mode, read-only constants shrink the program and the struct,
// and PTP event packets get their own layout.
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>

#include "hook_testing.hpp"

#include <linux/bpf.h>

#include <algorithm>
#include <map>
#include <vector>

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

namespace {

HookOptions opts(const std::string &ifname, const std::string &hook, unsigned hints = 0, bool ptp = false)
{
	HookOptions o;
	o.ifname = ifname;
	o.hook = hook;
	o.hints = hints;
	o.ptp_split = ptp;
	return o;
}

const Layout *find_layout(const std::vector<Layout> &ls, const std::string &name)
{
	auto it = std::find_if(ls.begin(), ls.end(), [&](const Layout &l) { return l.name == name; });
	return it == ls.end() ? nullptr : &*it;
}

// Top-level hint members of a layout (valid./status./the id left out).
std::vector<std::string> hint_members(const Layout &l)
{
	std::vector<std::string> v;
	for (const auto &f : l.fields)
		if (f.name.rfind("rx_", 0) == 0)
			v.push_back(f.name);
	return v;
}

struct Xlated {
	uint32_t insns = 0;
	uint32_t kfunc_calls = 0;
};

// The program as the verifier left it: dead branches removed.
Xlated xlated(int prog_fd)
{
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	REQUIRE(bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0);
	std::vector<bpf_insn> insns(info.xlated_prog_len / sizeof(bpf_insn));
	bpf_prog_info again{};
	again.xlated_prog_len = info.xlated_prog_len;
	again.xlated_prog_insns = reinterpret_cast<uintptr_t>(insns.data());
	len = sizeof(again);
	REQUIRE(bpf_obj_get_info_by_fd(prog_fd, &again, &len) == 0);
	Xlated x;
	x.insns = uint32_t(insns.size());
	for (const auto &i : insns)
		if (i.code == (BPF_JMP | BPF_CALL) && i.src_reg == BPF_PSEUDO_KFUNC_CALL)
			x.kfunc_calls++;
	return x;
}

} // namespace

TEST_CASE("the hook is chosen by driver name", "[hook][select]")
{
	CHECK(hook_for_driver("veth") == "veth");
	CHECK(hook_for_driver("mlx5_core") == "mlx5");
	CHECK(hook_for_driver("mlx4_en") == "mlx4");
	CHECK(hook_for_driver("ice") == "ice");
	CHECK(hook_for_driver("igc") == "igc");
	CHECK(hook_for_driver("st_gmac") == "stmmac");
	CHECK(hook_for_driver("virtio_net") == "virtio_net");
	CHECK(hook_for_driver("gve") == "gve");
	CHECK(hook_for_driver("idpf") == "idpf");
	CHECK(hook_for_driver("bnxt_en") == "bnxt");
	CHECK(hook_for_driver("e1000e") == "generic");
	CHECK(hook_for_driver("") == "generic");
	CHECK(hook_names().size() == 11);

	auto h = hints_from_fields(std::vector<std::string>{"rx_hash_type", "rx_vlan_proto"});
	REQUIRE(h);
	CHECK(*h == (hint::hash | hint::vlan));
	auto bad = hints_from_fields(std::vector<std::string>{"rx_csum"});
	REQUIRE_FALSE(bad);
	CHECK(bad.error().message.find("no hint field 'rx_csum'") != std::string::npos);
	CHECK(fields_of_hints(hint::all) ==
	      std::vector<std::string>{"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci", "rx_vlan_proto"});
}

TEST_CASE("every built-in hook passes the verifier, in every specialisation", "[hook][verifier]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkz");
	REQUIRE(bed);

	size_t loads = 0;
	for (auto name : hook_names()) {
		std::string hook(name);
		auto full = Hook::load(opts(bed->rx_if(), hook));
		INFO("hook " << hook << ": " << (full ? std::string() : full.error().message));
		REQUIRE(full);
		CHECK_FALSE(full->attached());
		CHECK(full->hook_name() == hook);
		CHECK(full->mode() == (hook == "generic" ? AttachMode::skb : AttachMode::driver));
		const unsigned groups = full->driver_hints();
		auto layouts = full->layouts();
		REQUIRE(layouts);

		// Every non-empty subset of the driver's groups: loads, and writes a struct
		// with exactly those hint members.
		for (unsigned mask = 1; mask <= hint::all; mask++) {
			if (mask & ~groups)
				continue;
			auto h = mask == groups ? std::move(full) : Hook::load(opts(bed->rx_if(), hook, mask));
			INFO("hints " << mask << ": " << (h ? std::string() : h.error().message));
			REQUIRE(h);
			loads++;
			REQUIRE(h->written_layouts().size() == 1);
			const Layout *l = find_layout(*layouts, h->written_layouts()[0]);
			INFO("layout " << h->written_layouts()[0]);
			REQUIRE(l);
			CHECK(l->id_kind == IdKind::btf_full_id);
			CHECK(hint_members(*l) == fields_of_hints(mask));
			if (mask == groups)
				CHECK(l->name == "xdp_hints_" + hook);
		}
		// Asking for a group the driver lacks is refused, naming what it has.
		if (groups != hint::all) {
			auto no = Hook::load(opts(bed->rx_if(), hook, hint::all));
			REQUIRE_FALSE(no);
			CHECK(no.error().message.find("cannot give") != std::string::npos);
			CHECK(no.error().message.find("ask only for what it provides") != std::string::npos);
		}
	}
	CHECK(loads == 33);
	CHECK(xdphints::test::xdp_query(bed->rx_index()).attach_mode == XDP_ATTACHED_NONE);
}

TEST_CASE("specialisation: the verifier drops the kfunc calls not asked for", "[hook][specialise]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hky");
	REQUIRE(bed);
	auto all = Hook::load(opts(bed->rx_if(), "veth"));
	auto ts = Hook::load(opts(bed->rx_if(), "veth", hint::timestamp));
	auto hash = Hook::load(opts(bed->rx_if(), "veth", hint::hash));
	REQUIRE(all);
	REQUIRE(ts);
	REQUIRE(hash);
	Xlated xa = xlated(all->prog_fd()), xt = xlated(ts->prog_fd()), xh = xlated(hash->prog_fd());
	INFO("xlated insns: all " << xa.insns << ", ts " << xt.insns << ", hash " << xh.insns);
	INFO("kfunc calls: all " << xa.kfunc_calls << ", ts " << xt.kfunc_calls << ", hash " << xh.kfunc_calls);
	CHECK(xt.insns < xa.insns);
	CHECK(xh.insns < xa.insns);
	CHECK(xa.kfunc_calls == 3);
	CHECK(xt.kfunc_calls == 1);
	CHECK(xh.kfunc_calls == 1);

	auto layouts = all->layouts();
	REQUIRE(layouts);
	const Layout *full = find_layout(*layouts, "xdp_hints_veth");
	const Layout *small = find_layout(*layouts, "xdp_hints_veth_hash");
	REQUIRE(full);
	REQUIRE(small);
	CHECK(small->size < full->size);
	CHECK(small->type_id != full->type_id);
}

TEST_CASE("a specialised veth hook writes the smaller struct, decoded by its own id", "[hook][specialise][meta][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto t = xdphints::test::tapped_hook("hkx", opts("", "", hint::hash));
	REQUIRE(t);
	REQUIRE(t->hook.written_layouts() == std::vector<std::string>{"xdp_hints_veth_hash"});
	const Layout *l = t->layout("xdp_hints_veth_hash");
	REQUIRE(l);

	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto dec = Decoder::build(q, t->layouts);
	REQUIRE(dec);
	auto frames = xdphints::test::send_and_tap(t->bed, t->tap, {{42001, 5}});
	for (const auto &f : frames) {
		REQUIRE(f.meta.size() == l->size);
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		REQUIRE(h.known());
		CHECK(h.id() == l->id());
		CHECK(h.state(ts) == HintState::missing);
		CHECK_FALSE(h.get(ts));
		REQUIRE(h.get(hash));
		CHECK(*h.get(hash) == f.skb_hash);
	}
}

TEST_CASE("generic hook: no kfuncs, SKB mode, software timestamp", "[hook][generic][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto t = xdphints::test::tapped_hook("hkw", opts("", "generic"));
	REQUIRE(t);
	CHECK(t->hook.mode() == AttachMode::skb);
	auto q = xdphints::test::xdp_query(t->bed.rx_index());
	CHECK(q.attach_mode == XDP_ATTACHED_SKB);
	CHECK(q.skb_prog_id == t->hook.prog_id());
	CHECK(xlated(t->hook.prog_fd()).kfunc_calls == 0);

	Query qu;
	auto ts = qu.add<uint64_t>("rx_timestamp");
	auto hash = qu.add<uint32_t>("rx_hash", Presence::optional); // the generic hook has none
	auto dec = Decoder::build(qu, t->layouts);
	REQUIRE(dec);
	auto frames = xdphints::test::send_and_tap(t->bed, t->tap, {{42002, 3}});
	for (const auto &f : frames) {
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		REQUIRE(h.known());
		CHECK(h.layout()->name == "xdp_hints_generic");
		CHECK(h.software(ts));
		CHECK(h.state(ts) == HintState::unsupported);
		CHECK(h.get(ts));
		CHECK(h.state(hash) == HintState::missing);
	}
	auto st = t->hook.stats();
	REQUIRE(st);
	CHECK(st->rx == frames.size());
}

TEST_CASE("several layouts: PTP event packets get the timestamp layout, others the hash layout", "[hook][ptp][needs:meta]")
{
	if (!xdphints::test::privileged())
		return;
	auto t = xdphints::test::tapped_hook("hkp", opts("", "", 0, true));
	REQUIRE(t);
	CHECK(t->hook.written_layouts() == std::vector<std::string>{"xdp_hints_veth_ts", "xdp_hints_veth_hash"});
	const Layout *lts = t->layout("xdp_hints_veth_ts");
	const Layout *lhash = t->layout("xdp_hints_veth_hash");
	REQUIRE(lts);
	REQUIRE(lhash);

	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto dec = Decoder::build(q, t->layouts);
	REQUIRE(dec);
	auto frames = xdphints::test::send_and_tap(t->bed, t->tap, {{319, 4}, {42003, 6}});
	std::map<uint64_t, int> by_id;
	for (const auto &f : frames) {
		Hints h = dec->decode(f.meta.data() + f.meta.size(), f.meta.size());
		REQUIRE(h.known());
		by_id[h.id()]++;
		if (h.id() == lts->id()) {
			CHECK(h.get(ts));
			CHECK_FALSE(h.get(hash));
		} else {
			CHECK(h.id() == lhash->id());
			CHECK_FALSE(h.get(ts));
			CHECK(h.get(hash));
		}
	}
	CHECK(by_id[lts->id()] == 4);
	CHECK(by_id[lhash->id()] == 6);
	auto st = t->hook.stats();
	REQUIRE(st);
	CHECK(st->ptp == 4);
	CHECK(st->rx == 10);
}
