// af_packet: what hints are compared with. An AF_PACKET TPACKET_V3 ring with
// SO_TIMESTAMPING software RX timestamps on the receiving veth; the XDP program there
// passes every frame to the stack.
#include "rig.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>

#include <arpa/inet.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace xdphints::bench {

namespace {

class AfPacketVariant final : public Variant {
public:
	static Result<std::unique_ptr<Variant>> create()
	{
		auto rig = PlainRig::create("bpkt", false);
		if (!rig)
			return rig.error();
		std::unique_ptr<AfPacketVariant> v(new AfPacketVariant(std::move(*rig)));
		if (auto st = v->open_ring(); !st)
			return st.error();
		return std::unique_ptr<Variant>(std::move(v));
	}

	~AfPacketVariant() override
	{
		if (ring_ && ring_ != MAP_FAILED)
			::munmap(ring_, ring_len_);
	}

	Result<RoundResult> round(uint64_t count) override
	{
		(void)drops(); // PACKET_STATISTICS resets on read
		auto err0 = xmit_errors(*rig_.tb);
		if (!err0)
			return err0.error();
		std::atomic<bool> gen_done{false};
		RxTally tally;
		std::thread th([&] {
			tally = rx_loop(
				kAppCpu, kNeverWait, gen_done, count, [&](uint64_t &ok) { return poll_block(ok); },
				[&] {
					pollfd p{fd_.get(), POLLIN | POLLERR, 0};
					(void)::poll(&p, 1, 1);
				});
		});
		uint64_t t0 = mono_ns();
		auto sent = rig_.gen->send(count);
		gen_done.store(true);
		th.join();
		if (!sent)
			return sent.error();
		RoundResult r;
		r.sent = *sent;
		r.received = tally.received;
		r.verified = tally.verified;
		r.seconds = double(tally.t_last - t0) / 1e9;
		r.socket_drops = drops();
		auto err1 = xmit_errors(*rig_.tb);
		if (!err1)
			return err1.error();
		r.xmit_errors = *err1 - *err0;
		return r;
	}

private:
	explicit AfPacketVariant(PlainRig rig)
		: Variant("af_packet", "AF_PACKET TPACKET_V3 ring + SO_TIMESTAMPING RX (XDP_PASS to the stack)"),
		  rig_(std::move(rig))
	{
	}

	static constexpr uint32_t kBlockSize = 1u << 18;
	static constexpr uint32_t kBlocks = 256;
	static constexpr uint32_t kFrameSize = 2048;

	Status open_ring()
	{
		const testbed::Testbed &tb = *rig_.tb;
		auto in = testbed::NetnsScope::enter(tb.rx_ns);
		if (!in)
			return in.error();
		fd_.reset(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
		if (!fd_)
			return Error::from_errno(errno, "socket(AF_PACKET)", "run as root (CAP_NET_RAW)");
		int v3 = TPACKET_V3;
		if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)))
			return Error::from_errno(errno, "PACKET_VERSION TPACKET_V3", "needs Linux >= 3.2");
		// Software RX timestamps for every packet (raw hardware when the device had one:
		// veth has none); the ring's tp_sec/tp_nsec carry it, TP_STATUS_TS_* says which.
		int ts = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
		if (::setsockopt(fd_.get(), SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts)))
			return Error::from_errno(errno, "SO_TIMESTAMPING", "needs Linux >= 2.6.30");
		int raw_hw = SOF_TIMESTAMPING_RAW_HARDWARE;
		if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_TIMESTAMP, &raw_hw, sizeof(raw_hw)))
			return Error::from_errno(errno, "PACKET_TIMESTAMP", "needs Linux >= 2.6.36");
		int one = 1;
		if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)))
			return Error::from_errno(errno, "PACKET_IGNORE_OUTGOING", "needs Linux >= 4.20");
		tpacket_req3 req{};
		req.tp_block_size = kBlockSize;
		req.tp_block_nr = kBlocks;
		req.tp_frame_size = kFrameSize;
		req.tp_frame_nr = kBlockSize / kFrameSize * kBlocks;
		req.tp_retire_blk_tov = 1; // ms: a partly filled block reaches us within 1 ms
		if (::setsockopt(fd_.get(), SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
			return Error::from_errno(errno, "PACKET_RX_RING", "lower the ring size");
		ring_len_ = size_t(kBlockSize) * kBlocks;
		ring_ = ::mmap(nullptr, ring_len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_.get(), 0);
		if (ring_ == MAP_FAILED)
			return Error::from_errno(errno, "mmap of the packet ring", "lower the ring size");
		sockaddr_ll ll{};
		ll.sll_family = AF_PACKET;
		ll.sll_protocol = htons(ETH_P_ALL);
		ll.sll_ifindex = tb.rx().ifindex;
		if (::bind(fd_.get(), reinterpret_cast<sockaddr *>(&ll), sizeof(ll)))
			return Error::from_errno(errno, "binding the packet socket to " + tb.rx().ifname, "check the interface");
		return {};
	}

	uint64_t drops()
	{
		tpacket_stats_v3 st{};
		socklen_t len = sizeof(st);
		if (::getsockopt(fd_.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len))
			return 0;
		return st.tp_drops;
	}

	// One block if the kernel has handed it over: every packet's timestamp and first byte.
	uint32_t poll_block(uint64_t &ok)
	{
		auto *bd = reinterpret_cast<tpacket_block_desc *>(static_cast<uint8_t *>(ring_) + size_t(block_) * kBlockSize);
		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return 0;
		uint32_t n = bd->hdr.bh1.num_pkts;
		auto *h = reinterpret_cast<tpacket3_hdr *>(reinterpret_cast<uint8_t *>(bd) + bd->hdr.bh1.offset_to_first_pkt);
		uint64_t sink = 0, good = 0;
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *pkt = reinterpret_cast<const uint8_t *>(h) + h->tp_mac;
			sink += pkt[0];
			if (h->tp_status & (TP_STATUS_TS_SOFTWARE | TP_STATUS_TS_RAW_HARDWARE)) {
				sink += uint64_t(h->tp_sec) * 1'000'000'000ull + h->tp_nsec;
				good++;
			}
			h = reinterpret_cast<tpacket3_hdr *>(reinterpret_cast<uint8_t *>(h) + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		block_ = (block_ + 1) % kBlocks;
		ok += good;
		consume(sink);
		return n;
	}

	PlainRig rig_; // the ring is unmapped (destructor body) and closed before it goes
	edge::UniqueFd fd_;
	void *ring_ = nullptr;
	size_t ring_len_ = 0;
	uint32_t block_ = 0;
};

} // namespace

VariantPtr make_af_packet() { return AfPacketVariant::create(); }

} // namespace xdphints::bench
