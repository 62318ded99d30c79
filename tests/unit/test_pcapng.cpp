// The pcapng writer's blocks byte by byte, against the layout of the pcapng draft (block
// types, option codes and sizes are written out here, not taken from the writer). tshark
// reads the files in test_pcapng_tshark.cpp; dump's records (one whole block each, no
// allocation per packet) are in test_capture.cpp.
#include "pcapng.hpp"
#include "pcapng_blocks.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <vector>

namespace pn = xdphints::cli::pcapng;

namespace {

using namespace unit::pcapng_blocks;

std::vector<uint8_t> frame_of(std::size_t n, uint8_t seed = 1)
{
	std::vector<uint8_t> f(n);
	for (std::size_t i = 0; i < n; i++)
		f[i] = uint8_t(seed + i * 7);
	return f;
}

std::vector<std::byte> epb(const pn::Packet &p, uint32_t snaplen)
{
	std::vector<std::byte> b(pn::epb_size(p, snaplen));
	CHECK(pn::encode_epb(b, p, snaplen) == b.size());
	return b;
}

} // namespace

TEST_CASE("pcapng: section header block: magic, version 1.0, unknown section length, shb_userappl")
{
	std::vector<std::byte> b(pn::shb_size("xdp-hints 0.1.0"));
	REQUIRE(b.size() == 12 + 16 + (4 + 16) + 4); // 15 bytes of text padded to 16
	REQUIRE(pn::encode_shb(b, "xdp-hints 0.1.0") == b.size());
	check_block(b, 0x0A0D0D0A);
	CHECK(u32_at(b, 8) == 0x1A2B3C4D);
	CHECK(u16_at(b, 12) == 1);
	CHECK(u16_at(b, 14) == 0);
	CHECK(u64_at(b, 16) == UINT64_MAX);
	auto opts = options_of(b, 24);
	REQUIRE(opts.size() == 1);
	CHECK(opts[0].code == 4);
	CHECK(str_of(opts[0].value) == "xdp-hints 0.1.0");

	// No text: no options at all (not even opt_endofopt).
	std::vector<std::byte> bare(pn::shb_size(""));
	REQUIRE(bare.size() == 28);
	REQUIRE(pn::encode_shb(bare, "") == 28);
	check_block(bare, 0x0A0D0D0A);

	// dump's names the tool and its version.
	std::vector<std::byte> ours(pn::shb_size(pn::userappl));
	REQUIRE(pn::encode_shb(ours, pn::userappl) == ours.size());
	auto wopts = options_of(ours, 24);
	REQUIRE(wopts.size() == 1);
	CHECK(str_of(wopts[0].value) == std::string("xdp-hints ") + XDP_HINTS_VERSION);
}

TEST_CASE("pcapng: interface description block: Ethernet, snaplen, if_name, if_description, if_tsresol 9")
{
	pn::Interface i{"veth0", "PHC /dev/ptp0 converted to CLOCK_REALTIME", 1500};
	std::vector<std::byte> b(pn::idb_size(i));
	REQUIRE(pn::encode_idb(b, i) == b.size());
	check_block(b, 1);
	CHECK(u16_at(b, 8) == 1); // LINKTYPE_ETHERNET
	CHECK(u16_at(b, 10) == 0);
	CHECK(u32_at(b, 12) == 1500);
	auto opts = options_of(b, 16);
	REQUIRE(opts.size() == 3);
	REQUIRE(find(opts, 2));
	CHECK(str_of(find(opts, 2)->value) == "veth0");
	REQUIRE(find(opts, 3));
	CHECK(str_of(find(opts, 3)->value) == "PHC /dev/ptp0 converted to CLOCK_REALTIME");
	REQUIRE(find(opts, 9));
	REQUIRE(find(opts, 9)->value.size() == 1);
	CHECK(find(opts, 9)->value[0] == std::byte{9}); // 10^-9 s
	// 4 + 8 (5 bytes) + 4 + 44 (41) + 4 + 4 (1) + 4
	CHECK(b.size() == 12 + 8 + 12 + 48 + 8 + 4);
}

TEST_CASE("pcapng: enhanced packet block: header, padded data and every option")
{
	std::size_t len = GENERATE(60, 61, 62, 63, 64);
	auto f = frame_of(len);
	pn::Packet p;
	p.interface = 1;
	p.timestamp_ns = 1700000000123456789ull;
	p.frame = f;
	p.rss_hash = 0x9e3779b9;
	p.queue = 3;
	p.comment = "rx_hash=0x9e3779b9 rx_hash_type=L4_IPV4_UDP";
	auto b = epb(p, pn::max_snaplen);
	check_block(b, 6);
	CHECK(u32_at(b, 8) == 1);
	CHECK((uint64_t(u32_at(b, 12)) << 32 | u32_at(b, 16)) == 1700000000123456789ull);
	CHECK(u32_at(b, 20) == len); // captured
	CHECK(u32_at(b, 24) == len); // original
	CHECK(std::memcmp(b.data() + 28, f.data(), len) == 0);
	std::size_t padded = (len + 3) & ~std::size_t(3);
	CHECK(all_zero(Bytes(b).subspan(28 + len, padded - len)));

	auto opts = options_of(b, 28 + padded);
	REQUIRE(opts.size() == 4);
	REQUIRE(find(opts, 1));
	CHECK(str_of(find(opts, 1)->value) == "rx_hash=0x9e3779b9 rx_hash_type=L4_IPV4_UDP");
	REQUIRE(find(opts, 2));
	REQUIRE(find(opts, 2)->value.size() == 4);
	CHECK(u32_at(find(opts, 2)->value, 0) == 1); // inbound
	REQUIRE(find(opts, 3));
	REQUIRE(find(opts, 3)->value.size() == 5);
	CHECK(find(opts, 3)->value[0] == std::byte{5}); // Toeplitz
	CHECK(u32_at(find(opts, 3)->value, 1) == 0x9e3779b9);
	REQUIRE(find(opts, 6));
	REQUIRE(find(opts, 6)->value.size() == 4);
	CHECK(u32_at(find(opts, 6)->value, 0) == 3);
	// 12 + 20 + data + comment (4 + 44) + flags 8 + hash 12 + queue 8 + end 4
	CHECK(b.size() == 32 + padded + 48 + 8 + 12 + 8 + 4);
}

TEST_CASE("pcapng: a packet without hash, queue or comment carries epb_flags alone")
{
	auto f = frame_of(42);
	pn::Packet p;
	p.frame = f;
	p.timestamp_ns = 1;
	auto b = epb(p, pn::max_snaplen);
	check_block(b, 6);
	CHECK(u32_at(b, 12) == 0);
	CHECK(u32_at(b, 16) == 1);
	auto opts = options_of(b, 28 + 44);
	REQUIRE(opts.size() == 1);
	CHECK(opts[0].code == 2);
	CHECK(u32_at(opts[0].value, 0) == 1);
	CHECK(b.size() == 32 + 44 + 8 + 4);
}

TEST_CASE("pcapng: snaplen cuts the captured bytes and keeps the original length")
{
	auto f = frame_of(100);
	pn::Packet p;
	p.frame = f;
	auto b = epb(p, 64);
	check_block(b, 6);
	CHECK(u32_at(b, 20) == 64);
	CHECK(u32_at(b, 24) == 100);
	CHECK(std::memcmp(b.data() + 28, f.data(), 64) == 0);
	options_of(b, 28 + 64);

	// An original length the caller knows (a frame longer than the bytes handed over).
	p.original_len = 1514;
	auto b2 = epb(p, 64);
	CHECK(u32_at(b2, 20) == 64);
	CHECK(u32_at(b2, 24) == 1514);

	// Not cut where the snaplen is larger.
	auto b3 = epb(p, 1500);
	CHECK(u32_at(b3, 20) == 100);
	CHECK(u32_at(b3, 24) == 1514);
}

TEST_CASE("pcapng: a stripped VLAN tag is re-inserted after the two MAC addresses")
{
	auto f = frame_of(60);
	f[12] = 0x08; // IPv4
	f[13] = 0x00;
	pn::Packet p;
	p.frame = f;
	p.vlan = pn::Vlan{0x8100, 0x2000 | 59}; // PCP 1, VLAN 59

	auto b = epb(p, pn::max_snaplen);
	check_block(b, 6);
	CHECK(u32_at(b, 20) == 64);
	CHECK(u32_at(b, 24) == 64);
	const auto *d = reinterpret_cast<const uint8_t *>(b.data() + 28);
	CHECK(std::memcmp(d, f.data(), 12) == 0);
	CHECK(std::vector<uint8_t>(d + 12, d + 16) == std::vector<uint8_t>{0x81, 0x00, 0x20, 0x3b});
	CHECK(std::memcmp(d + 16, f.data() + 12, 48) == 0);
	options_of(b, 28 + 64);

	SECTION("802.1ad")
	{
		p.vlan = pn::Vlan{0x88a8, 0x0fff};
		auto ad = epb(p, pn::max_snaplen);
		const auto *e = reinterpret_cast<const uint8_t *>(ad.data() + 28);
		CHECK(std::vector<uint8_t>(e + 12, e + 16) == std::vector<uint8_t>{0x88, 0xa8, 0x0f, 0xff});
	}
	SECTION("a snaplen inside the tag")
	{
		auto cut = epb(p, 14);
		CHECK(u32_at(cut, 20) == 14);
		CHECK(u32_at(cut, 24) == 64);
		const auto *e = reinterpret_cast<const uint8_t *>(cut.data() + 28);
		CHECK(std::memcmp(e, f.data(), 12) == 0);
		CHECK(e[12] == 0x81);
		CHECK(e[13] == 0x00);
		CHECK(all_zero(Bytes(cut).subspan(28 + 14, 2)));
		options_of(cut, 28 + 16);
	}
	SECTION("the original length grows by the tag too")
	{
		p.original_len = 1514;
		auto big = epb(p, 64);
		CHECK(u32_at(big, 20) == 64);
		CHECK(u32_at(big, 24) == 1518);
	}
	SECTION("a frame too short for two MAC addresses is written as it is")
	{
		auto shorty = frame_of(10);
		p.frame = shorty;
		auto s = epb(p, pn::max_snaplen);
		CHECK(u32_at(s, 20) == 10);
		CHECK(u32_at(s, 24) == 10);
		CHECK(std::memcmp(s.data() + 28, shorty.data(), 10) == 0);
	}
	SECTION("copy_with_vlan into every output size")
	{
		std::vector<uint8_t> want(64);
		std::memcpy(want.data(), f.data(), 12);
		want[12] = 0x81;
		want[13] = 0x00;
		want[14] = 0x20;
		want[15] = 0x3b;
		std::memcpy(want.data() + 16, f.data() + 12, 48);
		REQUIRE(pn::with_vlan_size(60) == 64);
		for (std::size_t n = 0; n <= 70; n++) {
			std::vector<std::byte> out(n, std::byte{0xee});
			std::size_t w = pn::copy_with_vlan(out, f, *p.vlan);
			REQUIRE(w == std::min<std::size_t>(n, 64));
			CHECK((w == 0 || std::memcmp(out.data(), want.data(), w) == 0));
			for (std::size_t i = w; i < n; i++)
				CHECK(out[i] == std::byte{0xee}); // nothing written past what it returns
		}
	}
}

TEST_CASE("pcapng: a comment longer than an option holds is cut at a UTF-8 character boundary")
{
	std::string c(65534, 'a');
	c += "\xc3\xa9"; // é: its second byte would be the 65536th
	auto f = frame_of(60);
	pn::Packet p;
	p.frame = f;
	p.comment = c;
	auto b = epb(p, pn::max_snaplen);
	REQUIRE(b.size() <= pn::epb_max_size(pn::max_snaplen));
	auto opts = options_of(b, 28 + 60);
	REQUIRE(find(opts, 1));
	CHECK(find(opts, 1)->value.size() == 65534);

	// Exactly 65535 bytes fit as they are.
	c.resize(65535, 'b');
	p.comment = c;
	auto b2 = epb(p, pn::max_snaplen);
	auto opts2 = options_of(b2, 28 + 60);
	REQUIRE(find(opts2, 1));
	CHECK(find(opts2, 1)->value.size() == 65535);
}

TEST_CASE("pcapng: interface statistics block carries the counters it is given")
{
	pn::InterfaceStats s;
	s.ifrecv = 300000;
	s.ifdrop = 12;
	std::vector<std::byte> b(pn::isb_size(s));
	REQUIRE(pn::encode_isb(b, 1, 1700000001000000000ull, s) == b.size());
	check_block(b, 5);
	CHECK(u32_at(b, 8) == 1);
	CHECK((uint64_t(u32_at(b, 12)) << 32 | u32_at(b, 16)) == 1700000001000000000ull);
	auto opts = options_of(b, 20);
	REQUIRE(opts.size() == 2);
	REQUIRE(find(opts, 4));
	CHECK(u64_at(find(opts, 4)->value, 0) == 300000);
	REQUIRE(find(opts, 5));
	CHECK(u64_at(find(opts, 5)->value, 0) == 12);

	s.osdrop = 5;
	s.usrdeliv = 299988;
	std::vector<std::byte> all(pn::isb_size(s));
	pn::encode_isb(all, 0, 0, s);
	auto opts2 = options_of(all, 20);
	REQUIRE(find(opts2, 7));
	CHECK(u64_at(find(opts2, 7)->value, 0) == 5);
	REQUIRE(find(opts2, 8));
	CHECK(u64_at(find(opts2, 8)->value, 0) == 299988);

	std::vector<std::byte> none(pn::isb_size({}));
	REQUIRE(none.size() == 24); // no options, no opt_endofopt
	pn::encode_isb(none, 0, 0, {});
	check_block(none, 5);
}
