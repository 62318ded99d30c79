// An XDP program written against the stable struct xdp_hints (bpf/examples/vlan_stats.bpf.c)
// runs inside the hook (linked in as its xdp_hints_user()), relocated against the layout
// the hook writes. The same object, unchanged, against two layouts gives the same counts.
#include <xdphints/hook/hook.hpp>

#include "hook_testing.hpp"

#include <bpf/btf.h>

#include <cstring>
#include <map>

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;

namespace {

struct Counts {
	std::map<uint16_t, uint64_t> by_vid;
	uint64_t dropped = 0;
	uint64_t without_hints = 0;
	bool operator==(const Counts &) const = default;
};

// A global of the user's object, read from the kernel map of its section.
uint64_t global_u64(const Hook &u, const char *section, const char *var)
{
	// Offsets from the BTF of the loaded (linked) program: linking moved the user's
	// globals behind the hook's in the merged section.
	const struct btf *btf = u.btf().get();
	int sec = btf__find_by_name_kind(btf, section, BTF_KIND_DATASEC);
	REQUIRE(sec > 0);
	const struct btf_type *t = btf__type_by_id(btf, uint32_t(sec));
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	long off = -1;
	for (unsigned i = 0; i < btf_vlen(t); i++, vs++)
		if (std::strcmp(btf__name_by_offset(btf, btf__type_by_id(btf, vs->type)->name_off), var) == 0)
			off = vs->offset;
	REQUIRE(off >= 0);
	int fd = u.map_fd(section);
	REQUIRE(fd >= 0);
	bpf_map_info mi{};
	uint32_t len = sizeof(mi);
	REQUIRE(bpf_obj_get_info_by_fd(fd, &mi, &len) == 0);
	std::vector<uint8_t> val(mi.value_size);
	uint32_t key = 0;
	REQUIRE(bpf_map_lookup_elem(fd, &key, val.data()) == 0);
	uint64_t v;
	std::memcpy(&v, val.data() + off, sizeof(v));
	return v;
}

Counts counts_of(const Hook &u)
{
	Counts c;
	int fd = u.map_fd("vlan_counts");
	REQUIRE(fd >= 0);
	uint16_t key = 0, next;
	uint16_t *prev = nullptr;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		uint64_t v = 0;
		REQUIRE(bpf_map_lookup_elem(fd, &next, &v) == 0);
		c.by_vid[next] = v;
		key = next;
		prev = &key;
	}
	c.dropped = global_u64(u, ".bss", "dropped");
	c.without_hints = global_u64(u, ".bss", "without_hints");
	return c;
}

// One run: hook with `hints` on a fresh testbed, the example attached, 5 untagged and 4
// VLAN 42 packets.
Counts run(const std::string &obj, unsigned hints, const std::string &tag, std::string *layout)
{
	auto bed = RxBed::make(tag);
	REQUIRE(bed);
	HookOptions o;
	o.ifname = bed->rx_if();
	o.hints = hints;
	o.user_object = obj;
	auto hook = Hook::attach(o);
	INFO((hook ? std::string() : hook.error().message));
	REQUIRE(hook);
	REQUIRE(hook->written_layouts().size() == 1);
	*layout = hook->written_layouts()[0];

	auto tagger = testbed::VlanTagger::attach(bed->bed.tx_ns, bed->bed.tx().ifindex, 42, 44002);
	REQUIRE(tagger);
	// No tap here: dropped packets never reach tc. Count what the hook saw instead.
	auto rx1 = xdphints::test::udp_receiver(bed->bed.rx().ipv4, 44001);
	auto rx2 = xdphints::test::udp_receiver(bed->bed.rx().ipv4, 44002);
	const uint8_t payload[40] = {3};
	for (auto [port, n] : {std::pair<uint16_t, int>{44001, 5}, {44002, 4}}) {
		auto flow = testbed::UdpFlow::open(bed->bed.tx_ns, bed->bed.tx().ipv4, uint16_t(port + 100),
						   bed->bed.rx().ipv4, port);
		REQUIRE(flow);
		for (int i = 0; i < n; i++)
			REQUIRE(flow->send(payload));
	}
	CHECK(xdphints::test::eventually([&] {
		auto st = hook->stats();
		return st && st->rx >= 9;
	}));
	auto st = hook->stats();
	REQUIRE(st);
	CHECK(st->rx == 9);
	Counts c = counts_of(*hook);
	CHECK(st->user_verdict == c.dropped); // XDP_DROP came from the user program
	return c;
}

} // namespace

TEST_CASE("one XDP program, unchanged, against two hook layouts gives the same counts", "[hook][user][core]")
{
	if (!xdphints::test::privileged())
		return;
	xdphints::test::BpfCompiler cc;
	cc.with_vmlinux_h();
	const std::string obj = cc.compile(cc.source_root() / "bpf/examples/vlan_stats.bpf.c", "vlan_stats");

	std::string l_full, l_small, l_hash;
	Counts full = run(obj, 0, "hku1", &l_full);
	Counts small = run(obj, hint::hash | hint::vlan, "hku2", &l_small);
	CHECK(l_full == "xdp_hints_veth");
	CHECK(l_small == "xdp_hints_veth_hash_vlan"); // other offsets: no timestamp before the hash

	Counts expect;
	expect.by_vid = {{0, 5}, {42, 4}};
	expect.dropped = 4; // VLAN 42 with an L4 hash type
	CHECK(full == expect);
	CHECK(small == expect);

	// A layout without the VLAN hint: the program still verifies (the VLAN read is
	// removed), every packet counts as VLAN 0, and nothing matches the drop rule.
	Counts hash_only = run(obj, hint::hash, "hku3", &l_hash);
	CHECK(l_hash == "xdp_hints_veth_hash");
	Counts expect_hash;
	expect_hash.by_vid = {{0, 9}};
	CHECK(hash_only == expect_hash);
}

TEST_CASE("user logic needs one layout and a proper object", "[hook][user]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = RxBed::make("hku4");
	REQUIRE(bed);
	xdphints::test::BpfCompiler cc;
	cc.with_vmlinux_h();
	const std::string obj = cc.compile(cc.source_root() / "bpf/examples/vlan_stats.bpf.c", "vlan_stats");

	HookOptions o;
	o.ifname = bed->rx_if();
	o.user_object = obj;
	o.ptp_split = true;
	auto split = Hook::load(o);
	REQUIRE_FALSE(split);
	CHECK(split.error().message.find("writes 2 layouts") != std::string::npos);

	o.ptp_split = false;
	o.user_object = "/nonexistent/user.bpf.o";
	auto missing = Hook::load(o);
	REQUIRE_FALSE(missing);
	CHECK(missing.error().message.find("link user object /nonexistent/user.bpf.o into the hook") !=
	      std::string::npos);
}
