#pragma once
// Reading pcapng blocks back in tests, byte by byte (types, lengths, options as the pcapng
// draft lays them out, not taken from the writer): test_pcapng.cpp for the writer,
// test_render.cpp for dump's records.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace unit::pcapng_blocks {

using Bytes = std::span<const std::byte>;

inline uint16_t u16_at(Bytes b, std::size_t off)
{
	REQUIRE(off + 2 <= b.size());
	uint16_t v;
	std::memcpy(&v, b.data() + off, 2);
	return v;
}
inline uint32_t u32_at(Bytes b, std::size_t off)
{
	REQUIRE(off + 4 <= b.size());
	uint32_t v;
	std::memcpy(&v, b.data() + off, 4);
	return v;
}
inline uint64_t u64_at(Bytes b, std::size_t off)
{
	REQUIRE(off + 8 <= b.size());
	uint64_t v;
	std::memcpy(&v, b.data() + off, 8);
	return v;
}
inline std::string str_of(Bytes b) { return std::string(reinterpret_cast<const char *>(b.data()), b.size()); }
inline bool all_zero(Bytes b)
{
	for (auto x : b)
		if (x != std::byte{0})
			return false;
	return true;
}

// A block's frame: type, total length (a multiple of 4, the block's size) at the start and
// again at the end.
inline void check_block(Bytes block, uint32_t type)
{
	REQUIRE(block.size() >= 12);
	CHECK(u32_at(block, 0) == type);
	CHECK(u32_at(block, 4) == block.size());
	CHECK(block.size() % 4 == 0);
	CHECK(u32_at(block, block.size() - 4) == block.size());
}

struct Option {
	uint16_t code;
	Bytes value;
};

// The options from `off` to the trailing length: each 32-bit aligned, padding zero, and
// the list closed by opt_endofopt (code 0, length 0) right before the trailing length.
inline std::vector<Option> options_of(Bytes block, std::size_t off)
{
	std::size_t end = block.size() - 4;
	std::vector<Option> r;
	while (off < end) {
		REQUIRE(off % 4 == 0);
		uint16_t code = u16_at(block, off), len = u16_at(block, off + 2);
		if (code == 0) {
			CHECK(len == 0);
			CHECK(off + 4 == end);
			return r;
		}
		std::size_t padded = (std::size_t(len) + 3) & ~std::size_t(3);
		REQUIRE(off + 4 + padded <= end);
		r.push_back({code, block.subspan(off + 4, len)});
		CHECK(all_zero(block.subspan(off + 4 + len, padded - len)));
		off += 4 + padded;
	}
	FAIL("options not closed by opt_endofopt");
	return r;
}

inline const Option *find(const std::vector<Option> &opts, uint16_t code)
{
	for (auto &o : opts)
		if (o.code == code)
			return &o;
	return nullptr;
}

} // namespace unit::pcapng_blocks
