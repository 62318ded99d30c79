// Transmit: frames forwarded without a copy (reflected back to the peer), frames copied
// from the application, completions returning frames, and TX metadata on a device
// without AF_XDP TX offloads (veth): a clear report, and sending goes on.
#include "afxdp_testing.hpp"

#include <xdphints/hook/clock.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/af_xdp/features.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

using namespace xdphints;
using namespace xdphints::hook;
using namespace xdphints::test;

namespace {

// A UDP socket in `ns` bound to ip:port; counts datagrams.
struct UdpSink {
	xdphints::edge::UniqueFd sock;
	int fd = -1; // sock's
	UdpSink(const tb::Netns &ns, const std::string &ip, uint16_t port)
	{
		auto sc = take(tb::NetnsScope::enter(ns), "enter namespace");
		sock.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
		fd = sock.get();
		REQUIRE(sock);
		int big = 8 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		sockaddr_in a{};
		a.sin_family = AF_INET;
		a.sin_port = htons(port);
		inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
		REQUIRE(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
	}
	// Datagrams until none came for idle_ms; fn(payload) for each.
	template <class Fn> uint64_t count(int idle_ms, Fn &&fn)
	{
		uint64_t n = 0;
		timeval tv{0, idle_ms * 1000};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		uint8_t buf[2048];
		for (;;) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);
			if (r < 0)
				return n;
			fn(buf, size_t(r));
			n++;
		}
	}
};

// Turns a generated frame around in place: MACs, IPv4 addresses, UDP ports swapped.
// (The IPv4 checksum does not change; the UDP checksum is 0.)
void reflect(uint8_t *p)
{
	for (int i = 0; i < 6; i++)
		std::swap(p[i], p[6 + i]);
	for (int i = 0; i < 4; i++)
		std::swap(p[26 + i], p[30 + i]);
	for (int i = 0; i < 2; i++)
		std::swap(p[34 + i], p[36 + i]);
}

// Completes until `want` frames completed or 2 s passed.
template <class Fn> uint64_t complete_all(ax::XskSocket &s, uint64_t want, Fn &&fn)
{
	uint64_t done = 0;
	for (int i = 0; i < 2000 && done < want; i++) {
		uint32_t n = s.complete(fn);
		done += n;
		if (!n)
			usleep(1000);
	}
	return done;
}

} // namespace

TEST_CASE("afxdp: TX reflects received frames back to the peer without copying them", "[afxdp][tx][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axrefl");
	b->open({.frame_count = 4096, .check_ownership = true}, {.tx_size = 2048});
	auto go = b->gen_options();
	go.flows = 1; // source port 10000: where the peer listens
	UdpSink sink(b->bed.tx_ns, b->bed.tx().ipv4, 10000);
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	REQUIRE(take(gen.send(1000), "send") == 1000);

	uint64_t forwarded = 0, not_forwarded = 0;
	uint8_t *area_begin = b->umem->area(), *area_end = area_begin + b->umem->area_size();
	uint64_t got = drain(*b->xsk, 1000, [&](const ax::Frame &f) {
		reflect(f.data);
		if (b->xsk->forward(f)) {
			forwarded++;
			return ax::Disposition::keep; // the kernel's until it completes
		}
		not_forwarded++;
		return ax::Disposition::release;
	});
	CHECK(got == 1000);
	CHECK(not_forwarded == 0);
	uint64_t outside = 0;
	CHECK(complete_all(*b->xsk, forwarded, [&](const ax::TxCompletion &c) {
		outside += !(area_begin + c.addr >= area_begin && area_begin + c.addr < area_end);
	}) == forwarded);
	CHECK(outside == 0);

	// The peer's stack got them: UDP to its port 10000, the generator's stamps intact.
	uint64_t stamped = 0;
	uint64_t at_peer = sink.count(300, [&](const uint8_t *p, size_t n) {
		tb::GenStamp st;
		if (n >= sizeof(st)) {
			std::memcpy(&st, p, sizeof(st));
			stamped += st.tai_ns != 0;
		}
	});
	CHECK(at_peer == forwarded);
	CHECK(stamped == at_peer);
	auto ks = take(b->xsk->kernel_stats(), "XDP_STATISTICS");
	CHECK(ks.tx_invalid_descs == 0);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.kernel == 0);
	CHECK(acc.application == 0);
	CHECK(acc.ledger_violations == 0);
}

TEST_CASE("afxdp: frames from the hints hook, forwarded back out, are the packets without their hints",
	  "[afxdp][tx][privileged][transport]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axhfwd", {}, false);
	auto hook = take(Hook::attach({.ifname = b->bed.rx().ifname}), "hook");
	INFO(hook.transport_reason());
	b->open({.frame_count = 4096, .check_ownership = true}, {.tx_size = 2048}, hook);
	auto go = b->gen_options();
	go.flows = 1; // source port 10000: where the peer listens
	UdpSink sink(b->bed.tx_ns, b->bed.tx().ipv4, 10000);
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "generator");
	REQUIRE(take(gen.send(500), "send") == 500);

	// The frame is the packet (a prefix, when the hook writes one, stays in front of it):
	// swapped addresses, sent back as it is.
	uint64_t forwarded = 0, same_len = 0;
	uint64_t got = drain(*b->xsk, 500, [&](const ax::Frame &f) {
		same_len += f.len == gen.frame().size();
		reflect(f.data);
		if (b->xsk->forward(f)) {
			forwarded++;
			return ax::Disposition::keep;
		}
		return ax::Disposition::release;
	});
	CHECK(got == 500);
	CHECK(same_len == got);
	CHECK(complete_all(*b->xsk, forwarded, [](const ax::TxCompletion &) {}) == forwarded);
	// The peer's stack took every one: a frame sent with the hints in front of it would not
	// parse as Ethernet + IPv4 + UDP to its port.
	uint64_t stamped = 0;
	uint64_t at_peer = sink.count(300, [&](const uint8_t *p, size_t n) {
		tb::GenStamp st;
		if (n >= sizeof(st)) {
			std::memcpy(&st, p, sizeof(st));
			stamped += st.tai_ns != 0;
		}
	});
	CHECK(at_peer == forwarded);
	CHECK(stamped == at_peer);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
}

TEST_CASE("afxdp: TX copies application packets into frames and gets every frame back on completion", "[afxdp][tx][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axsend");
	b->open({.frame_count = 1024, .check_ownership = true}, {.rx_size = 256, .tx_size = 256, .fill_size = 256, .comp_size = 256});
	UdpSink sink(b->bed.tx_ns, b->bed.tx().ipv4, 7777);

	// A packet from the rx end to the peer's port 7777: the generator's frame, turned around.
	auto go = tb::GenOptions::between(b->bed.rx(), b->bed.tx());
	go.flows = 1;
	go.src_port = 5555;
	go.dst_port = 7777;
	auto model = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "frame builder");
	std::vector<uint8_t> pkt = model.frame();

	const uint64_t total = 3000; // more than the socket's frames: completions must recycle them
	uint64_t sent = 0;
	for (int spins = 0; sent < total && spins < 100000; spins++) {
		std::memcpy(pkt.data() + model.payload_offset(), &sent, sizeof(sent));
		if (b->xsk->send_copy(pkt))
			sent++;
		else
			b->xsk->complete();
	}
	b->xsk->flush_tx();
	CHECK(sent == total);
	complete_all(*b->xsk, ~uint64_t(0) >> 1, [](const ax::TxCompletion &) {});
	CHECK(b->xsk->counters().tx_completed == total);
	uint64_t in_order = 0, expect = 0;
	uint64_t at_peer = sink.count(300, [&](const uint8_t *p, size_t) {
		uint64_t v;
		std::memcpy(&v, p, sizeof(v));
		in_order += v == expect++;
	});
	CHECK(at_peer == total);
	CHECK(in_order == total);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.kernel == 0);
	CHECK(acc.ledger_violations == 0);
}

TEST_CASE("afxdp: TX metadata on veth: registered, reported as not offloaded, frames still sent", "[afxdp][tx][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axtxmd");

	SECTION("without tx_metadata_len the report says how to turn it on")
	{
		b->open({.frame_count = 512}, {.rx_size = 256, .tx_size = 256, .fill_size = 256, .comp_size = 256});
		auto r = take(ax::tx_metadata_report(*b->xsk), "report");
		CHECK_FALSE(r.registered);
		CHECK(r.message.find("tx_metadata_len") != std::string::npos);
	}
	SECTION("with tx_metadata_len = 24")
	{
		b->open({.frame_count = 512, .tx_metadata_len = 24, .check_ownership = true},
			{.rx_size = 256, .tx_size = 256, .fill_size = 256, .comp_size = 256});
		auto f = take(ax::query_device_features(b->bed.rx().ifindex), "device features");
		INFO(f.to_string());
		CHECK(f.xsk_features_known);
		CHECK_FALSE(f.zero_copy());
		CHECK_FALSE(f.tx_timestamp());
		CHECK_FALSE(f.tx_checksum());
		CHECK(f.rx_metadata == 7); // veth: timestamp, hash, vlan tag kfuncs

		auto r = take(ax::tx_metadata_report(*b->xsk), "report");
		INFO(r.message);
		CHECK(r.registered);
		CHECK_FALSE(r.timestamp);
		CHECK_FALSE(r.checksum);
		CHECK(r.software_timestamp); // copy mode
		CHECK(r.message.find("does not support TX timestamps and checksum offload") != std::string::npos);
		CHECK(r.message.find("software timestamp") != std::string::npos);

		// Requests are accepted and the frames still reach the peer.
		UdpSink sink(b->bed.tx_ns, b->bed.tx().ipv4, 7778);
		auto go = tb::GenOptions::between(b->bed.rx(), b->bed.tx());
		go.flows = 1;
		go.dst_port = 7778;
		auto model = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, go), "frame builder");
		ax::TxRequest req;
		req.timestamp = true;
		req.checksum = true;
		req.csum_start = 34; // UDP header (Ethernet 14 + IPv4 20)
		req.csum_offset = 6; // its checksum field
		uint64_t before = software_clock_ns();
		uint64_t queued = 0;
		for (int i = 0; i < 100; i++)
			queued += b->xsk->send_copy(model.frame(), &req);
		CHECK(queued == 100);
		uint64_t requested = 0, stamped = 0, plausible = 0, software = 0;
		CHECK(complete_all(*b->xsk, 100, [&](const ax::TxCompletion &c) {
			requested += c.timestamp_requested;
			software += c.software;
			stamped += c.tx_timestamp != 0;
			plausible += c.tx_timestamp >= before && c.tx_timestamp <= software_clock_ns();
		}) == 100);
		CHECK(requested == 100);
		// Copy mode: the kernel stamps completions in software, between send and now.
		CHECK(stamped == 100);
		CHECK(plausible == 100);
		CHECK(software == 100);
		CHECK(sink.count(300, [](const uint8_t *, size_t) {}) == 100);
		CHECK(b->xsk->counters().tx_metadata == 100);
		auto ks = take(b->xsk->kernel_stats(), "XDP_STATISTICS");
		CHECK(ks.tx_invalid_descs == 0);
	}
}

TEST_CASE("afxdp: a frame forwarded and completed carries no id into the next packet it receives", "[afxdp][tx][privileged]")
{
	if (!privileged())
		return;
	// 64 frames, all in the fill ring: the second burst of 64 lands in every one of them,
	// among them the 32 forwarded and completed. The redirect program writes no metadata,
	// so a frame's id slot holds what user space left there.
	auto b = AfxdpBed::make("axfwdid");
	b->open({.frame_count = 64, .check_ownership = true},
		{.rx_size = 64, .tx_size = 64, .fill_size = 64, .comp_size = 64, .frames = 64});
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	REQUIRE(take(gen.send(32), "send") == 32);

	uint64_t forwarded = 0;
	REQUIRE(drain(*b->xsk, 32, [&](const ax::Frame &f) {
		set_id_slot(f, kHookId);
		reflect(f.data);
		forwarded += b->xsk->forward(f);
		return ax::Disposition::keep;
	}) == 32);
	REQUIRE(forwarded == 32);
	REQUIRE(complete_all(*b->xsk, 32, [](const ax::TxCompletion &) {}) == 32);
	b->xsk->refill();
	CHECK(b->xsk->frames().fill_ring == 64);

	REQUIRE(take(gen.send(64), "send") == 64);
	uint64_t stale = 0;
	CHECK(drain(*b->xsk, 64, [&](const ax::Frame &f) { stale += id_slot(f) != 0; }) == 64);
	CHECK(stale == 0);
	auto acc = b->umem->accounting();
	INFO(acc.to_string());
	CHECK(acc.balanced());
	CHECK(acc.ledger_violations == 0);
}
