// The hints transport on veth, whichever this kernel gives (XDP_HINTS_TRANSPORT chooses
// in the guests, which run these cases under both): frames redirected to AF_XDP arrive
// byte for byte as sent, each with its own flow's hints in front of it; frames the hook
// passes to the stack are never changed; user logic inside the hook sees the packet as it
// arrived; and what needs the metadata area says so by name where the kernel refuses it.
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/meta_tap.hpp>
#include <xdphints/hook/transport.hpp>
#include <xdphints/receiver.hpp>

#include "hook_testing.hpp"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>

#include <cstring>
#include <map>
#include <set>

using namespace xdphints;
using namespace xdphints::test;

namespace {

// Payload of flow f, packet i: recognisable bytes, a length that differs per flow.
std::vector<uint8_t> payload(int f, int i)
{
	std::vector<uint8_t> p(size_t(40 + 7 * f));
	for (size_t k = 0; k < p.size(); k++)
		p[k] = uint8_t(f * 31 + i * 7 + int(k));
	return p;
}

std::array<uint8_t, 6> mac_bytes(const std::string &s)
{
	std::array<uint8_t, 6> m{};
	REQUIRE(std::sscanf(s.c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6);
	return m;
}

bool meta_allowed()
{
	auto a = hook::metadata_area_allowed();
	REQUIRE_OK(a);
	return *a;
}

} // namespace

TEST_CASE("hints transport: each redirected frame arrives unchanged, with its own flow's hints in front of it",
	  "[transport][hook]")
{
	if (!privileged())
		return;
	auto bed = RxBed::make("xtr");
	REQUIRE(bed);
	Query q;
	auto hash = q.add<uint32_t>("rx_hash");
	auto ts = q.add<uint64_t>("rx_timestamp");
	ReceiverOptions ro;
	ro.ifname = bed->rx_if();
	ro.queues = "all";
	auto rx = Receiver::open(ro, q);
	REQUIRE_OK(rx);
	const hook::Hook &hk = rx->hook();
	INFO(hk.transport_reason());
	// The choice follows the kernel (or XDP_HINTS_TRANSPORT), and the hook says which.
	CHECK_THAT(hk.transport_reason(), Catch::StartsWith(std::string("transport ") + hook::transport_name(hk.transport())));
	if (hk.transport() == hook::Transport::prefix) {
		CHECK(hk.hints_prefix() % 8 == 0);
		CHECK(hk.hints_prefix() >= 16);
		uint32_t largest = 0;
		auto layouts = hk.layouts();
		REQUIRE_OK(layouts);
		for (auto &l : *layouts)
			largest = std::max(largest, l.size);
		CHECK(hk.hints_prefix() == largest); // the largest layout, right-aligned
	} else {
		CHECK(hk.hints_prefix() == 0);
		CHECK_FALSE(meta_allowed() == false);
	}

	constexpr int kFlows = 3, kPer = 12;
	std::vector<testbed::UdpFlow> flows;
	std::vector<edge::UniqueFd> sinks; // no ICMP port-unreachable back to the sender
	for (int f = 0; f < kFlows; f++) {
		sinks.push_back(udp_receiver(bed->bed.rx().ipv4, uint16_t(7100 + f)));
		auto fl = testbed::UdpFlow::open(bed->bed.tx_ns, bed->bed.tx().ipv4, uint16_t(47100 + f), bed->bed.rx().ipv4,
						 uint16_t(7100 + f));
		REQUIRE_OK(fl);
		flows.push_back(std::move(*fl));
	}
	for (int i = 0; i < kPer; i++)
		for (int f = 0; f < kFlows; f++)
			REQUIRE_OK(flows[size_t(f)].send(payload(f, i)));

	const auto rx_mac = mac_bytes(bed->bed.rx().mac), tx_mac = mac_bytes(bed->bed.tx().mac);
	std::map<int, std::set<uint32_t>> hashes;
	std::map<int, int> seq; // next packet index per flow: arrival in order, none lost
	int got = 0, bad = 0;
	eventually([&] {
		rx->poll([&](const afxdp::Frame &fr, const Hints &h) {
			auto b = fr.bytes();
			if (b.size() < 14 + 20 + 8)
				return;
			auto *eth = reinterpret_cast<const ether_header *>(b.data());
			auto *ip = reinterpret_cast<const iphdr *>(b.data() + 14);
			auto *udp = reinterpret_cast<const udphdr *>(b.data() + 14 + ip->ihl * 4);
			if (ntohs(eth->ether_type) != ETHERTYPE_IP || ip->protocol != IPPROTO_UDP)
				return;
			int f = ntohs(udp->dest) - 7100;
			if (f < 0 || f >= kFlows)
				return;
			got++;
			// The frame is the packet as it was sent: MACs, IP length, UDP payload.
			CHECK(std::memcmp(eth->ether_dhost, rx_mac.data(), 6) == 0);
			CHECK(std::memcmp(eth->ether_shost, tx_mac.data(), 6) == 0);
			CHECK(ntohs(ip->tot_len) == b.size() - 14);
			auto want = payload(f, seq[f]++);
			std::span<const uint8_t> pl = b.subspan(14 + ip->ihl * 4 + 8);
			if (pl.size() != want.size() || std::memcmp(pl.data(), want.data(), want.size()) != 0)
				bad++;
			// Its own hints, read from in front of it (from the prefix alone, with prefix).
			CHECK(h.known());
			if (hk.transport() == hook::Transport::prefix)
				CHECK(fr.headroom == hk.hints_prefix());
			if (auto v = h.get(hash))
				hashes[f].insert(*v);
			else
				FAIL_CHECK("no rx_hash on flow " << f);
			CHECK(h.get(ts).has_value()); // software on veth for stack-sent frames
		});
		return got >= kFlows * kPer;
	});
	CHECK(got == kFlows * kPer);
	CHECK(bad == 0);
	std::set<uint32_t> all;
	for (auto &[f, hs] : hashes) {
		INFO("flow " << f);
		CHECK(hs.size() == 1); // one hash per flow: each frame carries its own packet's
		all.insert(hs.begin(), hs.end());
	}
	CHECK(all.size() == size_t(kFlows));
	auto st = rx->hook().stats();
	REQUIRE_OK(st);
	CHECK(st->meta_failed == 0);
	CHECK(st->redirected >= uint64_t(kFlows * kPer));
}

TEST_CASE("hints transport: a frame the hook passes to the stack is never changed", "[transport][hook]")
{
	if (!privileged())
		return;
	auto bed = RxBed::make("xtp");
	REQUIRE(bed);
	// A hook with no socket in its XSKMAP: it reads every packet's hints and passes it on.
	auto hk = hook::Hook::attach({.ifname = bed->rx_if()});
	REQUIRE_OK(hk);
	INFO(hk->transport_reason());
	auto sink = udp_receiver(bed->bed.rx().ipv4, 7200);
	auto fl = testbed::UdpFlow::open(bed->bed.tx_ns, bed->bed.tx().ipv4, 47200, bed->bed.rx().ipv4, 7200);
	REQUIRE_OK(fl);
	constexpr int kN = 20;
	for (int i = 0; i < kN; i++)
		REQUIRE_OK(fl->send(payload(1, i)));
	int got = 0;
	eventually([&] {
		uint8_t buf[2048];
		ssize_t n;
		while ((n = recv(sink.get(), buf, sizeof(buf), 0)) > 0) {
			auto want = payload(1, got);
			CHECK(size_t(n) == want.size());
			CHECK(std::memcmp(buf, want.data(), want.size()) == 0);
			got++;
		}
		return got >= kN;
	});
	CHECK(got == kN); // the stack took every frame: no prefix, no change
	auto st = hk->stats();
	REQUIRE_OK(st);
	CHECK(st->rx >= uint64_t(kN));
	CHECK(st->redirected == 0);
	CHECK(st->meta_failed == 0);
}

TEST_CASE("hints transport: meta asked for, brought-in hooks and MetaTap say what the metadata area needs",
	  "[transport][hook]")
{
	if (!privileged())
		return;
	auto bed = RxBed::make("xtm");
	REQUIRE(bed);
	const bool allowed = meta_allowed();
	INFO("this kernel " << (allowed ? "allows" : "refuses") << " the XDP metadata area");

	auto meta = hook::Hook::load({.ifname = bed->rx_if(), .transport = hook::Transport::meta});
	auto prefix = hook::Hook::load({.ifname = bed->rx_if(), .transport = hook::Transport::prefix});
	REQUIRE_OK(prefix); // works on every kernel XDP runs on
	CHECK(prefix->transport() == hook::Transport::prefix);
	CHECK(prefix->hints_prefix() > 0);
	auto tap = hook::MetaTap::attach(bed->rx_index());
	auto byo = hook::Hook::load({.ifname = bed->rx_if(), .object_path = std::string(XDPHINTS_TEST_BPF_DIR) + "/byo_meta40.bpf.o",
				     .layout = "xdp_meta"});
	auto byo_prefix = hook::Hook::load({.ifname = bed->rx_if(),
					    .object_path = std::string(XDPHINTS_TEST_BPF_DIR) + "/byo_meta40.bpf.o",
					    .layout = "xdp_meta", .transport = hook::Transport::prefix});
	REQUIRE_FALSE(byo_prefix); // a hook that writes the metadata area only
	CHECK_THAT(byo_prefix.error().message, Catch::Contains("writes the XDP metadata area only") &&
						       Catch::Contains("transport.bpf.h"));
	if (allowed) {
		REQUIRE_OK(meta);
		CHECK(meta->transport() == hook::Transport::meta);
		CHECK(meta->hints_prefix() == 0);
		REQUIRE_OK(tap);
	} else {
		REQUIRE_FALSE(meta);
		CHECK(meta.error().code == Errc::unsupported);
		CHECK_THAT(meta.error().message, Catch::Contains("bpf_xdp_adjust_meta") && Catch::Contains("--transport prefix"));
		REQUIRE_FALSE(tap);
		CHECK_THAT(tap.error().message, Catch::Contains("MetaTap") && Catch::Contains("prefix transport"));
		REQUIRE_FALSE(byo);
		CHECK_THAT(byo.error().message,
			   Catch::Contains("byo_meta40.bpf.o") && Catch::Contains("bpf_xdp_adjust_meta") &&
				   Catch::Contains("refuses"));
	}
}

TEST_CASE("hints transport: a hook of your own that carries both transports gets the one chosen here",
	  "[transport][hook]")
{
	if (!privileged())
		return;
	auto bed = RxBed::make("xtd");
	REQUIRE(bed);
	Query q;
	auto seq = q.add<uint64_t>("seq");
	auto flen = q.add<uint32_t>("frame_len");
	ReceiverOptions ro;
	ro.ifname = bed->rx_if();
	ro.hook.object_path = std::string(XDPHINTS_TEST_BPF_DIR) + "/byo_dual.bpf.o";
	auto rx = Receiver::open(ro, q);
	REQUIRE_OK(rx);
	const hook::Hook &hk = rx->hook();
	INFO(hk.transport_reason());
	CHECK_THAT(hk.transport_reason(), Catch::Contains("carries both transports"));
	CHECK(hk.hints_prefix() == (hk.transport() == hook::Transport::prefix ? 24u : 0u));
	auto expected = hook::choose_transport_for(hook::Transport::automatic); // the kernel, or XDP_HINTS_TRANSPORT
	REQUIRE_OK(expected);
	CHECK(hk.transport() == expected->transport);

	auto sink = udp_receiver(bed->bed.rx().ipv4, 7300);
	auto fl = testbed::UdpFlow::open(bed->bed.tx_ns, bed->bed.tx().ipv4, 47300, bed->bed.rx().ipv4, 7300);
	REQUIRE_OK(fl);
	constexpr int kN = 16;
	for (int i = 0; i < kN; i++)
		REQUIRE_OK(fl->send(payload(2, i)));
	std::vector<uint64_t> seqs;
	int wrong_len = 0;
	eventually([&] {
		rx->poll([&](const afxdp::Frame &f, const Hints &h) {
			auto s = h.get(seq);
			auto n = h.get(flen);
			REQUIRE(s.has_value());
			REQUIRE(n.has_value());
			seqs.push_back(*s);
			wrong_len += *n != f.len; // the length the hook saw is the frame's, no prefix
		});
		return seqs.size() >= size_t(kN);
	});
	REQUIRE(seqs.size() == size_t(kN));
	CHECK(wrong_len == 0);
	for (size_t i = 1; i < seqs.size(); i++)
		CHECK(seqs[i] == seqs[i - 1] + 1); // each frame its own hints, in order
}
