// Stale hints: a frame must never decode as an earlier packet's hints.
//
// A stale decode needs two things: a frame whose headroom still holds an earlier packet's
// metadata, and a packet that lands in it without metadata of its own. Each case makes
// both happen on purpose and then checks every received frame against its own packet:
//
//   where the old metadata comes from
//     forward + complete: a received PTP frame is sent back out (forward), completed, and
//       the same umem frames then receive non-PTP packets;
//     RX-ring overflow: a small RX ring and a consumer that stops reading (copy mode); the
//       kernel copies each packet it cannot queue into a buffer and puts that buffer back
//       on the pool's own free list, never showing it to user space, so user-space
//       clearing cannot reach it; the next packet lands there;
//   which packets carry no hint
//     the PTP split with only the timestamp wanted: non-PTP packets have no hint to write
//     (the veth hook asked for rx_timestamp only, the timestamp-only stmmac and gve hooks,
//     the generic hook).
//
// Every packet says in its bytes what its hints must be: UDP port 319 = PTP event
// (timestamp layout, with a timestamp taken after the packet was made: the payload's
// stamp {seq, CLOCK_TAI ns}), any other port = no hints (DecodeStatus::no_metadata). A
// frame decoded otherwise is misdecoded. The assertion is misdecoded == 0, with the frame
// counts reported; each case also checks that its trap was armed (PTP metadata in the
// reused frames, or RX-ring-full drops), so it cannot pass by never trying.
#include "afxdp_testing.hpp"
#include "hook_testing.hpp"

#include <xdphints/hook/clock.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

using namespace xdphints;
using namespace xdphints::hook;
using namespace xdphints::test;

namespace {

constexpr uint16_t kPtpPort = 319;
constexpr uint16_t kPlainPort = 9000;
constexpr size_t kPayloadOff = 14 + 20 + 8; // Ethernet + IPv4 (IHL 5) + UDP, no VLAN
constexpr size_t kPtpHeader = 44;           // PTP Sync in front of the stamp

// Where the packets come from. live: the live-frames generator (frames reach the veth by
// XDP redirect: native XDP only). stack: UDP sockets in the tx namespace, through the
// kernel's stack (what the generic hook in SKB mode sees).
enum class Source { live, stack };

class Traffic {
public:
	Traffic(const tb::Testbed &bed, Source src) : bed_(bed), src_(src)
	{
		if (src == Source::live) {
			auto g = tb::GenOptions::between(bed.tx(), bed.rx());
			g.flows = 1;
			g.dst_port = kPlainPort;
			plain_.emplace(take(tb::LiveGen::create(bed.tx_ns, bed.tx().ifindex, g), "plain generator"));
			g.ptp = true;
			ptp_.emplace(take(tb::LiveGen::create(bed.tx_ns, bed.tx().ifindex, g), "PTP generator"));
		} else {
			plain_flow_.emplace(take(tb::UdpFlow::open(bed.tx_ns, bed.tx().ipv4, 10000, bed.rx().ipv4, kPlainPort),
						 "plain flow"));
			ptp_flow_.emplace(take(tb::UdpFlow::open(bed.tx_ns, bed.tx().ipv4, 10001, bed.rx().ipv4, kPtpPort),
					       "PTP flow"));
		}
	}

	void send(bool ptp, uint32_t n)
	{
		if (src_ == Source::live) {
			REQUIRE(take((ptp ? *ptp_ : *plain_).send(n), "generate") == n);
			return;
		}
		// The same payload layout as the generator's: [PTP header] stamp {seq, tai_ns}.
		uint8_t pl[kPtpHeader + sizeof(tb::GenStamp)] = {};
		size_t at = ptp ? kPtpHeader : 0;
		for (uint32_t i = 0; i < n; i++) {
			tb::GenStamp st{seq_++ << 8 | 0xff, software_clock_ns()};
			std::memcpy(pl + at, &st, sizeof(st));
			auto r = (ptp ? *ptp_flow_ : *plain_flow_).send({pl, at + sizeof(st)});
			if (!r)
				FAIL(r.error().to_string());
		}
	}

private:
	const tb::Testbed &bed_;
	Source src_;
	std::optional<tb::LiveGen> plain_, ptp_;
	std::optional<tb::UdpFlow> plain_flow_, ptp_flow_;
	uint64_t seq_ = 0;
};

// One case's world: namespaces + veth (AfxdpBed, this thread in the rx namespace), the
// hook on the rx end, one AF_XDP socket on its XSKMAP. The socket and umem go before the
// hook (the socket leaves the hook's map), the hook before the namespaces.
struct StaleBed {
	std::unique_ptr<AfxdpBed> b;
	std::optional<Hook> hook;
	std::optional<Decoder> dec;
	Field<uint64_t> ts;
	std::string ptp_layout; // what a PTP packet must decode as

	StaleBed(const char *tag, HookOptions ho, const ax::UmemConfig &uc, const ax::SocketConfig &sc)
	{
		b = AfxdpBed::make(tag, {}, false);
		ho.ifname = b->bed.rx().ifname;
		hook.emplace(take(Hook::attach(ho), "hook"));
		REQUIRE(hook->written_layouts().size() == 1); // non-PTP packets: nothing to write
		ptp_layout = hook->written_layouts()[0];
		Query q;
		ts = q.add<uint64_t>("rx_timestamp");
		auto layouts = take(hook->layouts(), "layouts");
		dec.emplace(take(Decoder::build(q, layouts), "decoder"));
		b->open(uc, sc, *hook);
	}
	~StaleBed()
	{
		if (b) {
			b->xsk.reset();
			b->umem.reset();
		}
		hook.reset();
	}
	StaleBed(const StaleBed &) = delete;
	StaleBed &operator=(const StaleBed &) = delete;

	ax::XskSocket &xsk() { return *b->xsk; }
	uint64_t hook_rx()
	{
		auto st = take(hook->stats(), "hook stats");
		return st.rx;
	}
	// Waits until the hook has seen `n` more packets than `before` (all sent ones went
	// through it, so an overflow really happened before anyone reads).
	void settle(uint64_t before, uint64_t n)
	{
		CHECK(eventually([&] { return hook_rx() >= before + n; }));
	}
};

// Every received frame judged against its own packet.
struct Tally {
	uint64_t frames = 0, ptp = 0, plain = 0, misdecoded = 0;
	uint64_t exposed = 0; // non-PTP frames received into a umem frame whose last packet had PTP metadata
	std::vector<std::string> first; // the first few misdecodes, for the report
	std::unordered_map<uint64_t, bool> last_ptp; // umem frame -> its last packet decoded with PTP metadata

	std::string report() const
	{
		std::string s = "frames " + std::to_string(frames) + " (PTP " + std::to_string(ptp) + ", non-PTP " +
				std::to_string(plain) + "), misdecoded " + std::to_string(misdecoded) +
				", non-PTP frames in a frame that held PTP metadata " + std::to_string(exposed);
		for (const auto &f : first)
			s += "\n  " + f;
		return s;
	}
};

void judge(StaleBed &sb, Tally &t, const ax::Frame &f)
{
	t.frames++;
	REQUIRE(f.len >= kPayloadOff + sizeof(tb::GenStamp));
	const uint16_t dport = uint16_t(f.data[36] << 8 | f.data[37]);
	const bool ptp = dport == kPtpPort;
	REQUIRE((ptp || dport == kPlainPort));
	tb::GenStamp st;
	REQUIRE(f.len >= kPayloadOff + (ptp ? kPtpHeader : 0) + sizeof(st));
	std::memcpy(&st, f.data + kPayloadOff + (ptp ? kPtpHeader : 0), sizeof(st));

	Hints h = sb.dec->decode(f.data, f.headroom);
	bool ok;
	if (ptp) {
		t.ptp++;
		auto v = h.get(sb.ts);
		// Its own timestamp is taken by the hook after the packet was made, within seconds.
		ok = h.known() && h.layout()->name == sb.ptp_layout && v && *v >= st.tai_ns &&
		     *v - st.tai_ns < 10'000'000'000ull;
	} else {
		t.plain++;
		ok = h.status() == DecodeStatus::no_metadata;
	}
	const uint64_t chunk = sb.b->umem->chunk_of(f.addr);
	bool &last = t.last_ptp[chunk];
	if (!ptp && last)
		t.exposed++;
	last = ptp && h.known();
	if (ok)
		return;
	t.misdecoded++;
	if (t.first.size() < 3)
		t.first.push_back(std::string(ptp ? "PTP" : "non-PTP") + " packet seq " + std::to_string(st.seq >> 8) +
				  " decoded as " + decode_status_name(h.status()) +
				  (h.layout() ? " " + h.layout()->name : std::string()) + " id " + std::to_string(h.id()));
}

// Receives until `n` frames came (or none for a while), judging each; `keep` decides what
// happens to a frame after judging (default: released).
uint64_t receive(StaleBed &sb, Tally &t, uint64_t n,
		 const std::function<ax::Disposition(const ax::Frame &)> &keep = nullptr)
{
	return drain(sb.xsk(), n, [&](const ax::Frame &f) {
		judge(sb, t, f);
		return keep ? keep(f) : ax::Disposition::release;
	});
}

// (a) PTP frames are forwarded and completed; the same umem frames then receive non-PTP
// packets. 64 umem frames, all in the fill ring, so every reuse is certain.
Tally forward_then_complete(const char *tag, const HookOptions &ho, Source src, int rounds)
{
	constexpr uint32_t kN = 64;
	StaleBed sb(tag, ho, {.frame_count = kN},
		    {.rx_size = kN, .tx_size = kN, .fill_size = kN, .comp_size = kN, .frames = kN});
	Traffic tr(sb.b->bed, src);
	Tally t;
	for (int r = 0; r < rounds; r++) {
		uint64_t before = sb.hook_rx();
		tr.send(true, kN);
		sb.settle(before, kN);
		uint64_t fwd = 0;
		REQUIRE(receive(sb, t, kN, [&](const ax::Frame &f) {
			if (sb.xsk().forward(f)) {
				fwd++;
				return ax::Disposition::keep; // the kernel's until completed
			}
			return ax::Disposition::release;
		}) == kN);
		REQUIRE(fwd == kN);
		uint64_t done = 0;
		for (int i = 0; i < 2000 && done < fwd; i++) {
			uint32_t c = sb.xsk().complete();
			done += c;
			if (!c)
				usleep(1000);
		}
		REQUIRE(done == fwd);
		sb.xsk().refill(); // the completed frames are the fill ring now

		before = sb.hook_rx();
		tr.send(false, kN);
		sb.settle(before, kN);
		REQUIRE(receive(sb, t, kN) == kN);
	}
	return t;
}

// (b) A consumer that stops reading with a 64-entry RX ring: a burst of PTP packets fills
// the ring and the rest are dropped, each copied into a buffer the kernel keeps on the
// pool's free list; after the ring is read, the next (non-PTP) packet lands in that
// buffer. Returns the tally and the kernel's RX-ring-full count.
std::pair<Tally, uint64_t> overflow_recycling(const char *tag, const HookOptions &ho, Source src, int rounds)
{
	constexpr uint32_t kRing = 64;
	StaleBed sb(tag, ho, {.frame_count = 1024}, {.rx_size = kRing, .fill_size = 512, .frames = 512});
	Traffic tr(sb.b->bed, src);
	Tally t;
	for (int r = 0; r < rounds; r++) {
		uint64_t before = sb.hook_rx();
		tr.send(true, 3 * kRing); // nobody reads meanwhile: 2/3 of them hit a full ring
		sb.settle(before, 3 * kRing);
		receive(sb, t, kRing);

		before = sb.hook_rx();
		tr.send(false, kRing);
		sb.settle(before, kRing);
		receive(sb, t, kRing);
	}
	auto k = take(sb.xsk().kernel_stats(), "XDP_STATISTICS");
	return {t, k.rx_ring_full};
}

HookOptions ts_split(const char *hook = "")
{
	HookOptions o;
	o.hook = hook;
	o.hints = hint::timestamp;
	o.ptp_split = true;
	return o;
}

void check_forward(const char *tag, const HookOptions &ho, Source src)
{
	constexpr int kRounds = 4;
	Tally t = forward_then_complete(tag, ho, src, kRounds);
	INFO(t.report());
	CHECK(t.ptp == 64 * kRounds);
	CHECK(t.plain == 64 * kRounds);
	CHECK(t.exposed > 0); // the trap was armed: non-PTP packets in frames that held PTP metadata
	CHECK(t.misdecoded == 0);
}

void check_overflow(const char *tag, const HookOptions &ho, Source src)
{
	constexpr int kRounds = 32;
	auto [t, ring_full] = overflow_recycling(tag, ho, src, kRounds);
	INFO(t.report() << "\nRX ring full (kernel drops, buffers recycled): " << ring_full);
	CHECK(t.ptp > 0);
	CHECK(t.plain > 0);
	CHECK(ring_full >= uint64_t(kRounds)); // the trap was armed every round
	CHECK(t.misdecoded == 0);
}

} // namespace

TEST_CASE("stale hints: forward + complete, the frames then receive packets without hints", "[fault][stale][transport]")
{
	if (!privileged())
		return;
	check_forward("shfw", ts_split(), Source::live);
}

TEST_CASE("stale hints: RX-ring overflow, buffers the kernel recycles without user space seeing them",
	  "[fault][stale][transport]")
{
	if (!privileged())
		return;
	check_overflow("shov", ts_split(), Source::live);
}

TEST_CASE("stale hints: PTP split on timestamp-only hooks (stmmac, gve)", "[fault][stale][transport]")
{
	if (!privileged())
		return;
	for (const char *h : {"stmmac", "gve"}) {
		SECTION(std::string(h) + ", forward + complete") {
			check_forward("shtf", ts_split(h), Source::live);
		}
		SECTION(std::string(h) + ", RX-ring overflow") {
			check_overflow("shto", ts_split(h), Source::live);
		}
	}
}

TEST_CASE("stale hints: generic hook (SKB mode) with the PTP split", "[fault][stale][transport]")
{
	if (!privileged())
		return;
	HookOptions o;
	o.hook = "generic";
	o.ptp_split = true;
	SECTION("forward + complete") {
		check_forward("shgf", o, Source::stack);
	}
	SECTION("RX-ring overflow") {
		check_overflow("shgo", o, Source::stack);
	}
}
