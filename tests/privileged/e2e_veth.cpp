// End to end on veth, through every layer: real UDP through the sender's stack -> veth ->
// the veth hints hook (kfuncs) -> metadata -> AF_XDP (copy mode) -> Decoder resolved from
// the BTF the kernel holds for the loaded hook -> typed values.
#include "privileges.hpp"

#include <xdphints/hook/clock.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <time.h>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

std::pair<uint16_t, uint16_t> ports(std::span<const uint8_t> p)
{
	if (p.size() < 42 || p[12] != 0x08 || p[13] != 0x00 || p[23] != 17)
		return {0, 0};
	const uint8_t *u = p.data() + 14 + (p[14] & 0x0f) * 4;
	return {uint16_t(u[0] << 8 | u[1]), uint16_t(u[2] << 8 | u[3])};
}

struct Rx {
	uint16_t sport = 0, dport = 0;
	DecodeStatus status{};
	uint64_t id = 0;
	std::string layout;
	std::optional<uint64_t> ts;
	bool ts_sw = false;
	HintState ts_state{};
	std::optional<uint32_t> hash, hash_type;
	std::optional<uint16_t> tci, proto;
	HintState tci_state{};
	uint64_t t_recv = 0;
};

} // namespace

TEST_CASE("veth end to end: hash, VLAN and software timestamp arrive typed through AF_XDP", "[privileged][e2e][transport]")
{
	if (!test::privileged())
		return;
	auto tb = testbed::Testbed::create("e2e");
	REQUIRE_OK(tb);

	// Everything on the receiving side is created inside its namespace.
	std::optional<Hook> hook;
	std::shared_ptr<afxdp::Umem> umem;
	std::unique_ptr<afxdp::XskSocket> sock;
	{
		auto in = testbed::NetnsScope::enter(tb->rx_ns);
		REQUIRE(in);
		auto h = Hook::attach({.ifname = tb->rx().ifname});
		REQUIRE_OK(h);
		hook.emplace(std::move(*h));
		auto u = afxdp::Umem::create({});
		REQUIRE_OK(u);
		umem = *u;
		auto s = afxdp::XskSocket::create(umem, {.ifindex = hook->ifindex(), .queue = 0,
							 .xsks_map_fd = hook->xsks_map_fd(),
							 .hints_prefix = hook->hints_prefix()});
		REQUIRE_OK(s);
		sock = std::move(*s);
	}
	CHECK(sock->mode() == afxdp::XskMode::copy); // veth has no zero-copy

	// The layouts come from the kernel's copy of the hook's BTF.
	auto layouts = hook->layouts();
	REQUIRE_OK(layouts);
	REQUIRE(!layouts->empty());

	Query q;
	auto f_ts = q.add<uint64_t>("rx_timestamp");
	auto f_hash = q.add<uint32_t>("rx_hash");
	auto f_htype = q.add<uint32_t>("rx_hash_type");
	auto f_tci = q.add<uint16_t>("rx_vlan_tci");
	auto f_proto = q.add<uint16_t>("rx_vlan_proto");
	auto dec = Decoder::build(q, *layouts);
	REQUIRE_OK(dec);

	auto tagger = testbed::VlanTagger::attach(tb->tx_ns, tb->tx().ifindex, 59, 5959);
	REQUIRE_OK(tagger);

	std::vector<testbed::UdpFlow> flows;
	for (auto [sp, dp] : {std::pair<uint16_t, uint16_t>{41001, 6001}, {41002, 6002}, {41003, 6003}, {41959, 5959}}) {
		auto f = testbed::UdpFlow::open(tb->tx_ns, tb->tx().ipv4, sp, tb->rx().ipv4, dp);
		REQUIRE_OK(f);
		flows.push_back(std::move(*f));
	}

	constexpr unsigned kPerFlow = 8;
	const uint64_t t_send = software_clock_ns();
	for (unsigned i = 0; i < kPerFlow; i++)
		for (auto &f : flows) {
			uint8_t payload[32] = {uint8_t(i)};
			REQUIRE(f.send(payload));
		}

	std::vector<Rx> got;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (got.size() < kPerFlow * flows.size() && std::chrono::steady_clock::now() < deadline) {
		uint32_t n = sock->poll_hints(*dec, [&](const afxdp::Frame &fr, const Hints &h) {
			Rx r;
			r.t_recv = software_clock_ns();
			std::tie(r.sport, r.dport) = ports(fr.bytes());
			r.status = h.status();
			r.id = h.id();
			r.layout = h.layout() ? h.layout()->name : "";
			r.ts = h.get(f_ts);
			r.ts_sw = h.software(f_ts);
			r.ts_state = h.state(f_ts);
			r.hash = h.get(f_hash);
			r.hash_type = h.get(f_htype);
			r.tci = h.get(f_tci);
			r.proto = h.get(f_proto);
			r.tci_state = h.state(f_tci);
			if (r.sport >= 41001 && r.sport <= 41959)
				got.push_back(r);
		});
		if (n == 0)
			sock->wait(50);
	}
	REQUIRE(got.size() == kPerFlow * flows.size());
	CHECK(tagger->tagged() == kPerFlow);

	std::map<uint16_t, std::set<uint32_t>> hashes;
	for (const Rx &r : got) {
		INFO("packet " << r.sport << " -> " << r.dport);
		REQUIRE(r.status == DecodeStatus::known);
		CHECK(r.layout == "xdp_hints_veth");
		CHECK((r.id >> 32) == hook->btf_obj_id()); // global id: this hook's BTF object

		// RSS hash: present, and the same for every packet of a flow (checked below).
		REQUIRE(r.hash);
		REQUIRE(r.hash_type);
		hashes[r.dport].insert(*r.hash);

		// veth gives success with 0 for stack-sent frames: no hardware timestamp, so the
		// hook wrote its CLOCK_TAI software timestamp and said so.
		REQUIRE(r.ts);
		CHECK(r.ts_sw);
		CHECK(r.ts_state == HintState::no_data);
		CHECK(*r.ts >= t_send);
		CHECK(*r.ts <= r.t_recv);

		if (r.dport == 5959) {
			REQUIRE(r.tci);
			CHECK((*r.tci & 0x0fff) == 59);
			REQUIRE(r.proto);
			CHECK(*r.proto == 0x8100); // host byte order (the kfunc gives network order)
		} else {
			CHECK(!r.tci);
			CHECK(!r.proto);
			CHECK(r.tci_state == HintState::no_data);
		}
	}
	// One hash per flow, and four flows give four different hashes.
	std::set<uint32_t> distinct;
	for (auto &[port, hs] : hashes) {
		INFO("dport " << port);
		CHECK(hs.size() == 1);
		distinct.insert(hs.begin(), hs.end());
	}
	CHECK(distinct.size() == flows.size());

	auto st = hook->stats();
	REQUIRE(st);
	CHECK(st->redirected >= got.size());
	CHECK(sock->counters().rx_with_hints >= got.size());
	CHECK(sock->counters().rx_unknown_layout == 0);
}
