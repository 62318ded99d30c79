// The veth hints hook on its own (no AF_XDP): attach/detach through a bpf_link, refusal
// to replace, errors, the kernel's BTF of the loaded program, and counting real packets.
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/kernel_btf.hpp>

#include "hook_testing.hpp"

#include <bpf/btf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

namespace {

HookOptions opts(std::string ifname, std::string hook = "", bool replace = false)
{
	HookOptions o;
	o.ifname = std::move(ifname);
	o.hook = std::move(hook);
	o.replace = replace;
	return o;
}

// A netlink-attached (not bpf_link) XDP_PASS program, as `ip link set xdp` would leave.
edge::UniqueFd attach_plain_pass(int ifindex)
{
	const bpf_insn insns[] = {
		{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
		{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	edge::UniqueFd fd(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_plain_pass", "GPL", insns, 2, nullptr));
	REQUIRE(fd);
	REQUIRE(bpf_xdp_attach(ifindex, fd.get(), XDP_FLAGS_DRV_MODE, nullptr) == 0);
	return fd;
}

uint32_t prog_id_of(int fd)
{
	bpf_prog_info info{};
	uint32_t len = sizeof(info);
	REQUIRE(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
	return info.id;
}

// The value of the hook's .bss `xdp_hints_btf_obj_id`, read from the kernel's map (found
// through the program's map ids), at the offset the kernel's BTF gives the variable.
uint32_t bss_obj_id_from_kernel(uint32_t prog_id)
{
	edge::UniqueFd pfd(bpf_prog_get_fd_by_id(prog_id));
	REQUIRE(pfd);
	std::array<uint32_t, 16> map_ids{};
	bpf_prog_info info{};
	info.nr_map_ids = map_ids.size();
	info.map_ids = reinterpret_cast<uintptr_t>(map_ids.data());
	uint32_t len = sizeof(info);
	REQUIRE(bpf_obj_get_info_by_fd(pfd.get(), &info, &len) == 0);

	for (uint32_t i = 0; i < info.nr_map_ids; i++) {
		edge::UniqueFd mfd(bpf_map_get_fd_by_id(map_ids[i]));
		REQUIRE(mfd);
		bpf_map_info mi{};
		uint32_t mlen = sizeof(mi);
		REQUIRE(bpf_obj_get_info_by_fd(mfd.get(), &mi, &mlen) == 0);
		std::string name = mi.name;
		if (name.size() < 4 || name.compare(name.size() - 4, 4, ".bss") != 0)
			continue;
		struct btf *btf = btf__load_from_kernel_by_id(mi.btf_id);
		REQUIRE(btf);
		int sec = btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC);
		REQUIRE(sec > 0);
		const struct btf_type *t = btf__type_by_id(btf, uint32_t(sec));
		const struct btf_var_secinfo *vs = btf_var_secinfos(t);
		long off = -1;
		for (unsigned k = 0; k < btf_vlen(t); k++, vs++)
			if (std::strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off),
					"xdp_hints_btf_obj_id") == 0)
				off = vs->offset;
		btf__free(btf);
		REQUIRE(off >= 0);
		std::vector<uint8_t> val(mi.value_size);
		uint32_t key = 0;
		REQUIRE(bpf_map_lookup_elem(mfd.get(), &key, val.data()) == 0);
		uint32_t id;
		std::memcpy(&id, val.data() + off, sizeof(id));
		return id;
	}
	FAIL("the hook has no .bss map");
	return 0;
}

} // namespace

TEST_CASE("veth hook attaches in driver mode through a bpf_link and goes away with the Hook", "[hook][veth]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hka");
	REQUIRE(bed);

	uint32_t id = 0;
	{
		auto hook = Hook::attach(opts(bed->rx_if()));
		REQUIRE(hook);
		CHECK(hook->attached());
		CHECK(hook->hook_name() == "veth");
		CHECK(hook->driver() == "veth");
		CHECK(hook->mode() == AttachMode::driver);
		CHECK(hook->ifindex() == bed->rx_index());
		id = hook->prog_id();
		REQUIRE(id != 0);

		auto q = xdphints::test::xdp_query(bed->rx_index());
		CHECK(q.attach_mode == XDP_ATTACHED_DRV);
		CHECK(q.drv_prog_id == id);
		CHECK(q.skb_prog_id == 0);

		// Held by a bpf_link of type XDP on this interface, not by netlink.
		bool via_link = false;
		uint32_t link_id = 0;
		while (bpf_link_get_next_id(link_id, &link_id) == 0) {
			edge::UniqueFd lfd(bpf_link_get_fd_by_id(link_id));
			if (!lfd)
				continue;
			bpf_link_info li{};
			uint32_t len = sizeof(li);
			if (bpf_obj_get_info_by_fd(lfd.get(), &li, &len) == 0 && li.type == BPF_LINK_TYPE_XDP &&
			    li.prog_id == id && int(li.xdp.ifindex) == bed->rx_index())
				via_link = true;
		}
		CHECK(via_link);
	}
	auto q = xdphints::test::xdp_query(bed->rx_index());
	CHECK(q.drv_prog_id == 0);
	CHECK(q.attach_mode == XDP_ATTACHED_NONE);
	CHECK(xdphints::test::prog_gone(id));
}

TEST_CASE("a second hook is refused and the first stays attached", "[hook][veth]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkb");
	REQUIRE(bed);

	auto first = Hook::attach(opts(bed->rx_if()));
	REQUIRE(first);
	for (bool replace : {false, true}) { // a bpf_link is never replaced, even when asked
		auto second = Hook::attach(opts(bed->rx_if(), "", replace));
		REQUIRE_FALSE(second);
		const auto &msg = second.error().message;
		INFO(msg);
		CHECK(second.error().code == Errc::busy);
		CHECK(msg.find(bed->rx_if() + " already has XDP program id " + std::to_string(first->prog_id())) !=
		      std::string::npos);
		CHECK(msg.find("xdp_hints_hook") != std::string::npos);
		CHECK(msg.find("attached through a bpf_link") != std::string::npos);
		CHECK(msg.find("stop the process that holds the link") != std::string::npos);
		CHECK(xdphints::test::xdp_query(bed->rx_index()).drv_prog_id == first->prog_id());
	}
}

TEST_CASE("a netlink-attached program is kept unless --replace, then replaced and put back", "[hook][veth]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkc");
	REQUIRE(bed);

	auto plain = attach_plain_pass(bed->rx_index());
	uint32_t plain_id = prog_id_of(plain.get());

	auto refused = Hook::attach(opts(bed->rx_if()));
	REQUIRE_FALSE(refused);
	INFO(refused.error().message);
	CHECK(refused.error().code == Errc::busy);
	CHECK(refused.error().message.find(bed->rx_if() + " already has XDP program id " + std::to_string(plain_id) +
					   " (name xh_plain_pass)") != std::string::npos);
	CHECK(refused.error().message.find("detach it (ip link set dev " + bed->rx_if() +
					   " xdp off) or pass --replace") != std::string::npos);
	CHECK(xdphints::test::xdp_query(bed->rx_index()).drv_prog_id == plain_id);

	{
		auto hook = Hook::attach(opts(bed->rx_if(), "", true));
		REQUIRE(hook);
		CHECK(hook->replaced_prog_id() == plain_id);
		CHECK(xdphints::test::xdp_query(bed->rx_index()).drv_prog_id == hook->prog_id());
	}
	// The user's program is back when the hook goes (it was lost before: issue 9).
	CHECK(xdphints::test::xdp_query(bed->rx_index()).drv_prog_id == plain_id);
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = plain.get());
	CHECK(bpf_xdp_detach(bed->rx_index(), XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &o) == 0);
}

TEST_CASE("bad input gives an error naming cause and fix", "[hook]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkd");
	REQUIRE(bed);

	auto nosuch = Hook::attach(opts("xhnosuch0"));
	REQUIRE_FALSE(nosuch);
	INFO(nosuch.error().message);
	CHECK(nosuch.error().code == Errc::no_device);
	CHECK(nosuch.error().message.find("no interface xhnosuch0 in this network namespace (ip link)") !=
	      std::string::npos);

	HookOptions byidx;
	byidx.ifindex = 99999;
	auto byindex = Hook::attach(byidx);
	REQUIRE_FALSE(byindex);
	CHECK(byindex.error().code == Errc::no_device);

	// lo has no XDP RX metadata kfuncs: naming a kfunc hook for it is refused with the fix.
	auto lo = Hook::attach(opts("lo", "veth"));
	REQUIRE_FALSE(lo);
	INFO(lo.error().message);
	CHECK(lo.error().message.find("does not implement XDP RX metadata kfuncs") != std::string::npos);
	CHECK(lo.error().message.find("--hook generic") != std::string::npos);

	auto unknown = Hook::attach(opts(bed->rx_if(), "nosuchhook"));
	REQUIRE_FALSE(unknown);
	CHECK(unknown.error().message.find("no hook named 'nosuchhook'") != std::string::npos);
	CHECK(xdphints::test::xdp_query(bed->rx_index()).attach_mode == XDP_ATTACHED_NONE);
}

TEST_CASE("the hook's layouts come from the kernel's BTF of the loaded program", "[hook][veth][btf]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hke");
	REQUIRE(bed);
	auto hook = Hook::attach(opts(bed->rx_if()));
	REQUIRE(hook);

	CHECK(hook->btf().kernel_object_id() == hook->btf_obj_id());
	CHECK(hook->btf_obj_id() != 0);

	auto layouts = hook->layouts();
	REQUIRE(layouts);
	auto it = std::find_if(layouts->begin(), layouts->end(), [](const Layout &l) { return l.name == "xdp_hints_veth"; });
	REQUIRE(it != layouts->end());
	CHECK(it->id_kind == IdKind::btf_full_id);
	CHECK(it->object_id == hook->btf_obj_id());
	CHECK(it->size % 8 == 0);
	std::vector<std::string> names;
	for (const auto &f : it->fields)
		names.push_back(f.name);
	for (const char *want : {"rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci", "rx_vlan_proto",
				 "valid.rx_timestamp", "valid.rx_hash", "status.rx_timestamp",
				 "status.rx_timestamp_sw", "btf_full_id"}) {
		INFO(want);
		CHECK(std::find(names.begin(), names.end(), want) != names.end());
	}
	REQUIRE_FALSE(it->fields.empty());
	CHECK(it->fields.back().name == "btf_full_id");
	CHECK(it->fields.back().offset + 8 == it->size);

	// The same BTF object through the other kernel sources.
	auto by_prog = btf_from_prog_id(hook->prog_id());
	REQUIRE(by_prog);
	CHECK(by_prog->kernel_object_id() == hook->btf_obj_id());
	auto by_if = btf_from_ifname(bed->rx_if());
	REQUIRE(by_if);
	CHECK(by_if->kernel_object_id() == hook->btf_obj_id());
	auto by_if_layouts = discover_layouts(*by_if);
	REQUIRE(by_if_layouts);
	CHECK(std::any_of(by_if_layouts->begin(), by_if_layouts->end(),
			  [&](const Layout &l) { return l.id() == it->id(); }));

	auto none = btf_from_ifname("lo");
	REQUIRE_FALSE(none);
	CHECK(none.error().message.find("no XDP program attached to lo") != std::string::npos);
}

TEST_CASE("the .bss object id equals the kernel object id of the hook's BTF", "[hook][veth][btf]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkf");
	REQUIRE(bed);
	auto hook = Hook::attach(opts(bed->rx_if()));
	REQUIRE(hook);
	uint32_t in_bss = bss_obj_id_from_kernel(hook->prog_id());
	CHECK(in_bss == hook->btf_obj_id());
	CHECK(in_bss == hook->btf().kernel_object_id());
}

TEST_CASE("split module BTF of veth is on top of vmlinux", "[hook][btf]")
{
	if (!xdphints::test::privileged())
		return;
	// By name, vmlinux is found too (not split: it is the base).
	auto vmlinux = btf_from_module("vmlinux");
	REQUIRE(vmlinux);
	CHECK(vmlinux->kernel_object_id() != 0);
	CHECK(btf__find_by_name_kind(vmlinux->get(), "sk_buff", BTF_KIND_STRUCT) > 0);
	CHECK(btf__base_btf(vmlinux->get()) == nullptr);

	auto veth = btf_from_module("veth");
	if (!veth) {
		// veth may be built in: then it has no module BTF and the error says so.
		INFO(veth.error().message);
		CHECK(veth.error().message.find("no kernel BTF named 'veth'") != std::string::npos);
		return;
	}
	CHECK(veth->kernel_object_id() != 0);
	// Split: the module's own types come after all of vmlinux's.
	CHECK(btf__find_by_name_kind(veth->get(), "veth_priv", BTF_KIND_STRUCT) > 0);
	CHECK(btf__find_by_name_kind(veth->get(), "sk_buff", BTF_KIND_STRUCT) > 0);
	CHECK(btf__base_btf(veth->get()) != nullptr);
}

TEST_CASE("stack-sent UDP increments the hook's rx counter", "[hook][veth][traffic]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hkg");
	REQUIRE(bed);
	auto hook = Hook::attach(opts(bed->rx_if()));
	REQUIRE(hook);
	auto before = hook->stats();
	REQUIRE(before);
	CHECK(before->rx == 0);

	// A receiver in the rx namespace (this thread is in it), so no ICMP port-unreachable
	// comes back, and so we see the stack still gets the packets after the hook.
	auto rx = xdphints::test::udp_receiver(bed->bed.rx().ipv4, 40002);

	auto flow = testbed::UdpFlow::open(bed->bed.tx_ns, bed->bed.tx().ipv4, 40001, bed->bed.rx().ipv4, 40002);
	REQUIRE(flow);
	constexpr int n = 10;
	const uint8_t payload[32] = {1, 2, 3};
	for (int i = 0; i < n; i++) {
		auto st = flow->send(payload);
		INFO((st ? std::string() : st.error().message));
		REQUIRE(st);
	}
	HookStats s;
	CHECK(xdphints::test::eventually([&] {
		auto r = hook->stats();
		s = r ? *r : HookStats{};
		return s.rx >= n;
	}));
	CHECK(s.rx == n); // the namespace is quiet: only our packets (IPv6 is off, neighbours static)
	CHECK(s.meta_failed == 0);
	CHECK(s.redirected == 0); // no AF_XDP socket in xsks_map: passed to the stack
	int got = 0;
	xdphints::test::eventually([&] {
		uint8_t buf[64];
		while (recv(rx.get(), buf, sizeof(buf), 0) == ssize_t(sizeof(payload)))
			got++;
		return got >= n;
	});
	CHECK(got == n);
}
