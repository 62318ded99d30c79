#pragma once
// BTF built in memory with libbpf's writer (btf__add_*), then handed to lib/ as raw bytes
// so every test goes through the same parse path as a file: Btf::from_bytes.
#include <bpf/btf.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <xdphints/btf.hpp>

namespace unit {

class BtfBuilder {
public:
	BtfBuilder() : b_(btf__new_empty()) { REQUIRE(b_); }
	~BtfBuilder() { btf__free(b_); }
	BtfBuilder(const BtfBuilder &) = delete;
	BtfBuilder &operator=(const BtfBuilder &) = delete;

	int integer(const char *name, int size, bool is_signed = false)
	{
		return check(btf__add_int(b_, name, size, is_signed ? BTF_INT_SIGNED : 0));
	}
	int typedef_(const char *name, int ref) { return check(btf__add_typedef(b_, name, ref)); }
	int const_(int ref) { return check(btf__add_const(b_, ref)); }
	int volatile_(int ref) { return check(btf__add_volatile(b_, ref)); }
	int array(int elem, int n, int index_type) { return check(btf__add_array(b_, index_type, elem, n)); }
	int enum_(const char *name, std::vector<std::pair<const char *, long long>> values, int size = 4)
	{
		int id = check(btf__add_enum(b_, name, size));
		for (auto &[n, v] : values)
			check(btf__add_enum_value(b_, n, v));
		return id;
	}
	struct Member {
		const char *name; // nullptr / "" for anonymous
		int type;
		unsigned bit_offset;
		unsigned bitfield_size = 0;
	};
	int struct_(const char *name, unsigned size, std::vector<Member> members) { return composite(false, name, size, members); }
	int union_(const char *name, unsigned size, std::vector<Member> members) { return composite(true, name, size, members); }
	int decl_tag(const char *value, int ref) { return check(btf__add_decl_tag(b_, value, ref, -1)); }

	std::vector<uint8_t> bytes() const
	{
		uint32_t size = 0;
		const void *raw = btf__raw_data(b_, &size);
		REQUIRE(raw);
		const auto *p = static_cast<const uint8_t *>(raw);
		return std::vector<uint8_t>(p, p + size);
	}
	xdphints::Btf build() const
	{
		auto raw = bytes();
		auto r = xdphints::Btf::from_bytes(raw.data(), raw.size());
		INFO((r ? std::string() : r.error().message));
		REQUIRE(r);
		return *r;
	}
	struct btf *get() { return b_; }

private:
	int composite(bool is_union, const char *name, unsigned size, const std::vector<Member> &members)
	{
		int id = check(is_union ? btf__add_union(b_, name, size) : btf__add_struct(b_, name, size));
		for (const Member &m : members)
			check(btf__add_field(b_, m.name && *m.name ? m.name : nullptr, m.type, m.bit_offset, m.bitfield_size));
		return id;
	}
	static int check(int r)
	{
		INFO("libbpf btf__add_* returned " << r);
		REQUIRE(r >= 0);
		return r;
	}
	struct btf *b_;
};

} // namespace unit
