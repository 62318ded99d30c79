// The testbed's generator itself: the live-frames probe agrees with what the kernel does,
// and the AF_XDP TX backend (what runs where live frames are refused) hands the receiving
// veth exactly the frames it says, on the queue of the sending CPU, with the bytes the
// live-frames program writes.
#include "afxdp_testing.hpp"

#include <xdphints/af_xdp/redirect_program.hpp>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <cstdlib>
#include <set>

using namespace xdphints;
using namespace xdphints::test;

namespace {

uint64_t tai_ns()
{
	timespec ts;
	clock_gettime(CLOCK_TAI, &ts);
	return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

uint16_t be16(const uint8_t *p) { return uint16_t(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t *p) { return uint32_t(be16(p)) << 16 | be16(p + 2); }

// Counts of the receiving veth's own XDP counter (rx_queue_N_xdp_packets), by queue.
std::vector<uint64_t> xdp_packets(const tb::Testbed &bed)
{
	auto s = take(tb::veth_xdp_stats(bed.rx_ns, bed.rx().ifname), "veth stats");
	return s.rx_queue_xdp_packets;
}

// A packet socket on the receiving veth: every frame that reaches its stack, with the VLAN
// tag the stack took off (PACKET_AUXDATA).
struct Tap {
	edge::UniqueFd fd;
	Tap(const tb::Testbed &bed)
	{
		auto in = take(tb::NetnsScope::enter(bed.rx_ns), "enter rx namespace");
		fd.reset(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
		REQUIRE(fd);
		int big = 64 << 20, one = 1;
		REQUIRE(setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) == 0);
		REQUIRE(setsockopt(fd.get(), SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) == 0);
		sockaddr_ll a{};
		a.sll_family = AF_PACKET;
		a.sll_protocol = htons(ETH_P_ALL);
		a.sll_ifindex = bed.rx().ifindex;
		REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
	}
	// fn(bytes, len, vlan tci or -1) for each incoming frame until none came for 300 ms.
	template <class Fn> void each(Fn &&fn)
	{
		uint8_t buf[2048];
		alignas(cmsghdr) uint8_t ctl[CMSG_SPACE(sizeof(tpacket_auxdata))];
		for (;;) {
			pollfd p{fd.get(), POLLIN, 0};
			if (poll(&p, 1, 300) <= 0)
				return;
			sockaddr_ll from{};
			iovec iov{buf, sizeof(buf)};
			msghdr m{};
			m.msg_name = &from;
			m.msg_namelen = sizeof(from);
			m.msg_iov = &iov;
			m.msg_iovlen = 1;
			m.msg_control = ctl;
			m.msg_controllen = sizeof(ctl);
			ssize_t n = recvmsg(fd.get(), &m, 0);
			REQUIRE(n >= 0);
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			int vlan = -1;
			for (cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
				if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
					tpacket_auxdata aux;
					std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
					if (aux.tp_status & TP_STATUS_VLAN_VALID)
						vlan = aux.tp_vlan_tci;
				}
			fn(buf, size_t(n), vlan);
		}
	}
	uint64_t drops()
	{
		tpacket_stats st{};
		socklen_t len = sizeof(st);
		REQUIRE(getsockopt(fd.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0);
		return st.tp_drops;
	}
};

} // namespace

TEST_CASE("testbed generator: the live-frames probe says what the kernel does; automatic follows it", "[privileged][testbed][livegen]")
{
	if (!privileged())
		return;
	const Status &live = tb::live_frames_support();
	auto choice = take(tb::choose_backend(), "choose backend");
	INFO("probe: " << (live ? std::string("live frames run") : live.error().to_string()) << "; chosen: " << choice.why);
	const char *env = std::getenv("XDPHINTS_GENERATOR");
	const std::string env_was = env ? env : "";
	if (!env_was.empty())
		CHECK(choice.why.find("XDPHINTS_GENERATOR") != std::string::npos);
	else
		CHECK(choice.backend == (live ? tb::GenBackend::live_frames : tb::GenBackend::afxdp_tx));

	// The environment names a generator for `automatic`, or says what it should name.
	setenv("XDPHINTS_GENERATOR", "afxdp-tx", 1);
	auto named = tb::choose_backend();
	setenv("XDPHINTS_GENERATOR", "afxdp", 1);
	auto bad = tb::choose_backend();
	auto asked = tb::choose_backend(tb::GenBackend::live_frames);
	if (env_was.empty())
		unsetenv("XDPHINTS_GENERATOR");
	else
		setenv("XDPHINTS_GENERATOR", env_was.c_str(), 1);
	REQUIRE_OK(named);
	CHECK(named->backend == tb::GenBackend::afxdp_tx);
	REQUIRE_FALSE(bad);
	CHECK(bad.error().code == Errc::invalid_argument);
	CHECK_THAT(bad.error().message, Catch::Contains("'afxdp'") && Catch::Contains("live-frames or afxdp-tx"));
	REQUIRE_OK(asked);
	CHECK(asked->backend == tb::GenBackend::live_frames);

	// The probe against the real thing: live frames into a veth whose peer has an XDP
	// program run exactly when the probe said so, and fail with the same errno otherwise.
	auto b = AfxdpBed::make("gprobe");
	auto go = b->gen_options();
	go.backend = tb::GenBackend::live_frames;
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "live-frames generator");
	CHECK(gen.backend() == tb::GenBackend::live_frames);
	auto before = xdp_packets(b->bed);
	auto sent = gen.send(10);
	if (live) {
		REQUIRE_OK(sent);
		CHECK(*sent == 10);
		CHECK(xdp_packets(b->bed).at(0) - before.at(0) == 10);
	} else {
		REQUIRE_FALSE(sent);
		INFO(sent.error().to_string());
		CHECK(sent.error().sys_errno == live.error().sys_errno);
		CHECK(xdp_packets(b->bed).at(0) == before.at(0));
	}
}

TEST_CASE("testbed generator (afxdp-tx): CPUs 0 and 1 fill queues 0 and 1, every frame counted by the peer's XDP", "[privileged][testbed][livegen]")
{
	if (!privileged())
		return;
	// The redirect program with no socket in its map passes every frame on; veth counts
	// each one it ran on per rx queue.
	auto b = AfxdpBed::make("gq", {.queues = 2});
	auto go = b->gen_options();
	go.backend = tb::GenBackend::afxdp_tx;
	go.flows = 8;
	go.cpus = {0, 1};
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	REQUIRE(gen.backend() == tb::GenBackend::afxdp_tx);
	auto before = xdp_packets(b->bed);
	REQUIRE(before.size() == 2);
	auto t0 = std::chrono::steady_clock::now();
	REQUIRE(take(gen.send(200'000), "send") == 200'000);
	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	auto after = xdp_packets(b->bed);
	INFO("queue 0: " << after[0] - before[0] << ", queue 1: " << after[1] - before[1] << ", refused " << gen.refused());
	CHECK(after[0] - before[0] == 100'000);
	CHECK(after[1] - before[1] == 100'000);
	CHECK(gen.generated() == 200'000);
	WARN("afxdp-tx, CPUs {0, 1}, 64-byte frames into a redirect program: " << 200'000 / secs / 1e6 << " Mpps; refused and sent again: "
									 << gen.refused());

	// And from the calling thread, unpinned: all on one queue, none lost.
	go.cpus.clear();
	auto one = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator on the calling thread");
	before = xdp_packets(b->bed);
	REQUIRE(take(one.send(5000), "send") == 5000);
	after = xdp_packets(b->bed);
	CHECK((after[0] - before[0]) + (after[1] - before[1]) == 5000);
}

TEST_CASE("testbed generator (afxdp-tx): the live-frames program's bytes, stamps and PTP fields, into a peer without XDP", "[privileged][testbed][livegen]")
{
	if (!privileged())
		return;
	auto bed = take(tb::Testbed::create("gbytes"), "testbed");
	Tap tap(bed);
	auto go = tb::GenOptions::between(bed.tx(), bed.rx());
	go.backend = tb::GenBackend::afxdp_tx;
	go.vlan_tci = 59;
	go.ptp = true;
	go.flows = 3;
	go.frame_len = 120;
	auto gen = take(tb::LiveGen::create(bed.tx_ns, bed.tx().ifindex, go), "generator");
	CHECK(gen.stamp_offset() == 18 + 20 + 8 + 44);
	const uint64_t n = 3000;
	uint64_t t0 = tai_ns();
	REQUIRE(take(gen.send(n), "send") == n);
	uint64_t t1 = tai_ns();

	const std::vector<uint8_t> &model = gen.frame();
	uint64_t got = 0, bad_l2 = 0, bad_ip = 0, bad_ptp = 0, bad_stamp = 0;
	std::set<uint64_t> seqs;
	std::set<uint16_t> sports;
	tap.each([&](const uint8_t *p, size_t len, int vlan) {
		// The stack took the tag off: the frame is the model without it.
		if (len < 14 || be16(p + 12) != ETH_P_IP || len < 14 + 20 + 8 || p[14 + 9] != IPPROTO_UDP)
			return;
		got++;
		const uint8_t *ip = p + 14, *udp = ip + 20, *ptp = udp + 8;
		bad_l2 += !(len == 116 && vlan == 59 && std::memcmp(p, model.data(), 12) == 0);
		// The IPv4 header as built (checksum included): nothing per frame changes it.
		bad_ip += std::memcmp(ip, model.data() + 18, 20) != 0;
		sports.insert(be16(udp));
		bad_ptp += !(be16(udp + 2) == 319 && std::memcmp(ptp, model.data() + 18 + 28, 30) == 0 &&
			     std::memcmp(ptp + 32, model.data() + 18 + 28 + 32, 2) == 0);
		tb::GenStamp st;
		std::memcpy(&st, ptp + 44, sizeof(st));
		seqs.insert(st.seq >> 8);
		uint64_t sec = uint64_t(be16(ptp + 34)) << 32 | be32(ptp + 36);
		bad_stamp += !(st.tai_ns >= t0 && st.tai_ns <= t1 && sec * 1'000'000'000ull + be32(ptp + 40) == st.tai_ns &&
			       be16(ptp + 30) == uint16_t(st.seq >> 8) && be16(udp) == 10000 + (st.seq >> 8) % 3);
	});
	INFO("received " << got << ", refused and sent again " << gen.refused() << ", packet socket drops " << tap.drops());
	CHECK(tap.drops() == 0);
	CHECK(got == n);
	CHECK(bad_l2 == 0);
	CHECK(bad_ip == 0);
	CHECK(bad_ptp == 0);
	CHECK(bad_stamp == 0);
	CHECK(sports == std::set<uint16_t>{10000, 10001, 10002});
	// One sender (the calling thread): one CPU's sequence, every number once, gaps only
	// where the peer refused a frame that was then sent again.
	CHECK(seqs.size() == n);
	CHECK((!seqs.empty() && *seqs.rbegin() < n + gen.refused()));
}

TEST_CASE("testbed generator (afxdp-tx): generators on one device share its queue; a peer that drops everything is an error", "[privileged][testbed][livegen]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("gshare");
	auto go = b->gen_options();
	go.backend = tb::GenBackend::afxdp_tx;
	auto g1 = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator 1");
	go.ptp = true;
	auto g2 = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator 2");
	auto before = xdp_packets(b->bed);
	for (int i = 0; i < 3; i++) {
		REQUIRE(take(g1.send(700), "send 1") == 700);
		REQUIRE(take(g2.send(300), "send 2") == 300);
	}
	CHECK(xdp_packets(b->bed).at(0) - before.at(0) == 3000);
	CHECK(g1.generated() == 2100);
	CHECK(g2.generated() == 900);

	// The peer down: veth drops what it is given and counts it in the sender's tx_dropped;
	// the generator says so instead of reporting frames nobody took.
	auto d0 = take(tb::veth_xdp_stats(b->bed.tx_ns, b->bed.tx().ifname), "sender stats").tx_dropped;
	REQUIRE_OK(b->bed.rx_ns.exec({"ip", "link", "set", b->bed.rx().ifname, "down"}));
	auto r = g1.send(100);
	REQUIRE_FALSE(r);
	INFO(r.error().to_string());
	CHECK_THAT(r.error().message, Catch::Contains(b->bed.tx().ifname) && Catch::Contains("dropped all 100"));
	CHECK(take(tb::veth_xdp_stats(b->bed.tx_ns, b->bed.tx().ifname), "sender stats").tx_dropped - d0 == 100);
}
