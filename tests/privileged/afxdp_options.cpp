// Umem and socket options on a real veth: frame sizes and headroom, huge pages, forced
// modes, busy polling, need_wakeup off.
#include "afxdp_testing.hpp"

#include <fstream>

using namespace xdphints;
using namespace xdphints::test;

TEST_CASE("afxdp: frame size 2048/4096 and umem headroom place the data where the frame says", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	uint32_t frame_size = GENERATE(2048u, 4096u);
	uint32_t headroom = GENERATE(0u, 128u);
	auto b = AfxdpBed::make("axfs");
	b->open({.frame_size = frame_size, .frame_count = 1024, .headroom = headroom, .check_ownership = true},
		{.rx_size = 512, .fill_size = 512});
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	REQUIRE(take(gen.send(300), "send") == 300);
	uint64_t wrong_headroom = 0, outside_frame = 0;
	uint64_t got = drain(*b->xsk, 300, [&](const ax::Frame &f) {
		wrong_headroom += f.headroom != headroom + 256; // ours + XDP_PACKET_HEADROOM
		outside_frame += f.headroom + f.len > frame_size;
	});
	INFO("frame size " << frame_size << ", headroom " << headroom);
	CHECK(got == 300);
	CHECK(wrong_headroom == 0);
	CHECK(outside_frame == 0);
	auto v = b->umem->verify();
	INFO((v ? std::string("ok") : v.error().message));
	CHECK(v);
}

namespace {

// Sets vm.nr_hugepages for the test's lifetime and puts the old value back, on every path.
struct HugePages {
	unsigned long saved = 0;
	bool ok = false;
	static unsigned long read()
	{
		unsigned long n = 0;
		std::ifstream("/proc/sys/vm/nr_hugepages") >> n;
		return n;
	}
	static bool write(unsigned long n)
	{
		std::ofstream f("/proc/sys/vm/nr_hugepages");
		f << n;
		f.close();
		return bool(f);
	}
	HugePages() : saved(read()) {}
	bool set(unsigned long n) { return write(n) && read() == n; }
	~HugePages() { write(saved); }
};

} // namespace

TEST_CASE("afxdp: huge pages work when reserved, and fail with the fix when not", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	HugePages hp;
	// None reserved: a clear error that names the sysctl.
	REQUIRE(hp.set(0));
	auto none = ax::Umem::create({.frame_count = 1024, .huge_pages = true});
	REQUIRE_FALSE(none);
	INFO(none.error().message);
	CHECK(none.error().message.find("vm.nr_hugepages") != std::string::npos);

	// Reserved: the umem lives on 2 MiB pages and frames flow through it.
	REQUIRE(hp.set(4));
	auto b = AfxdpBed::make("axhp");
	b->open({.frame_count = 1024, .huge_pages = true, .check_ownership = true}, {.rx_size = 512, .fill_size = 512});
	CHECK(b->umem->huge_pages());
	CHECK(b->umem->area_size() % (2u << 20) == 0);
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	REQUIRE(take(gen.send(300), "send") == 300);
	CHECK(drain(*b->xsk, 300, [](const ax::Frame &) {}) == 300);
	CHECK(b->umem->verify());
}

TEST_CASE("afxdp: forcing zero-copy on veth fails clearly; forcing copy works", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	auto b = AfxdpBed::make("axzc");
	b->umem = take(ax::Umem::create({.frame_count = 512}), "umem");
	ax::SocketConfig c{.ifindex = b->bed.rx().ifindex, .rx_size = 256, .fill_size = 256, .comp_size = 256};
	c.mode = ax::BindMode::zero_copy;
	auto zc = ax::XskSocket::create(b->umem, c);
	REQUIRE_FALSE(zc);
	INFO(zc.error().message);
	CHECK(zc.error().message.find("zero-copy") != std::string::npos);
	CHECK(zc.error().message.find("use copy mode") != std::string::npos);

	c.mode = ax::BindMode::copy;
	c.xsks_map_fd = b->prog->xsks_map_fd();
	auto cp = ax::XskSocket::create(b->umem, c);
	REQUIRE(cp);
	CHECK((*cp)->mode() == ax::XskMode::copy);
	CHECK((*cp)->need_wakeup());
}

TEST_CASE("afxdp: busy polling and need_wakeup off still receive every frame", "[afxdp][privileged]")
{
	if (!privileged())
		return;
	bool busy = GENERATE(true, false);
	auto b = AfxdpBed::make("axbp");
	ax::SocketConfig c{.rx_size = 512, .fill_size = 512};
	if (busy) {
		c.busy_poll.enabled = true;
		c.busy_poll.usecs = 20;
		c.busy_poll.budget = 64;
	} else {
		c.need_wakeup = false;
	}
	b->open({.frame_count = 1024}, c);
	CHECK(b->xsk->need_wakeup() == busy); // default on; off when asked
	auto gen = take(tb::LiveGen::create(b->bed.tx_ns, b->bed.tx().ifindex, b->gen_options()), "generator");
	REQUIRE(take(gen.send(400), "send") == 400);
	CHECK(drain(*b->xsk, 400, [](const ax::Frame &) {}) == 400);
	if (busy) {
		CHECK(b->xsk->poll([](const ax::Frame &) {}) == 0);
		CHECK(b->xsk->counters().rx_wakeups > 0); // an empty poll drives the busy loop (recvfrom)
	}
	CHECK(b->umem->verify());
}
