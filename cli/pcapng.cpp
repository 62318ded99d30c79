// pcapng blocks, encoded in host byte order (see pcapng.hpp for what and why).
#include "pcapng.hpp"

#include <algorithm>
#include <cstring>

namespace xdphints::cli::pcapng {

namespace {

// Block types and option codes of the pcapng draft.
constexpr uint32_t block_shb = 0x0A0D0D0A, block_idb = 1, block_isb = 5, block_epb = 6;
constexpr uint32_t byte_order_magic = 0x1A2B3C4D;
constexpr uint16_t opt_endofopt = 0, opt_comment = 1;
constexpr uint16_t shb_userappl = 4;
constexpr uint16_t if_name = 2, if_description = 3, if_tsresol = 9;
constexpr uint16_t epb_flags = 2, epb_hash = 3, epb_queue = 6;
constexpr uint16_t isb_ifrecv = 4, isb_ifdrop = 5, isb_osdrop = 7, isb_usrdeliv = 8;
constexpr uint16_t linktype_ethernet = 1;
constexpr uint8_t hash_toeplitz = 5;
constexpr uint8_t tsresol_ns = 9; // 10^-9 s

constexpr std::size_t max_option_len = 0xffff;
// Block type + total length, and the total length repeated at the end.
constexpr std::size_t block_overhead = 12;
// EPB body before the data: interface id, timestamp (2 x 32 bits), captured and original length.
constexpr std::size_t epb_fixed = 20;

constexpr std::size_t pad4(std::size_t n) { return (n + 3) & ~std::size_t(3); }
constexpr std::size_t option_size(std::size_t len) { return 4 + pad4(len); }

// Appends host-order values and padded options; the caller has sized the block.
struct Out {
	std::byte *p;

	void u16(uint16_t v) { put(&v, 2); }
	void u32(uint32_t v) { put(&v, 4); }
	void u64(uint64_t v) { put(&v, 8); }
	void put(const void *src, std::size_t n)
	{
		if (n)
			std::memcpy(p, src, n);
		p += n;
	}
	void zeros(std::size_t n)
	{
		std::memset(p, 0, n);
		p += n;
	}
	void pad_from(std::size_t len) { zeros(pad4(len) - len); }
	void option(uint16_t code, const void *v, std::size_t len)
	{
		u16(code);
		u16(uint16_t(len));
		put(v, len);
		pad_from(len);
	}
	void option_u32(uint16_t code, uint32_t v) { option(code, &v, 4); }
	void option_u64(uint16_t code, uint64_t v) { option(code, &v, 8); }
	void end_of_options() { u32(opt_endofopt); } // code 0, length 0
	// Pcapng timestamps: the upper 32 bits first, each in the section's byte order.
	void timestamp(uint64_t ts)
	{
		u32(uint32_t(ts >> 32));
		u32(uint32_t(ts));
	}
};

// Starts a block of `total` bytes; finish() repeats the length at its end.
Out begin(std::span<std::byte> out, uint32_t type, std::size_t total)
{
	Out o{out.data()};
	o.u32(type);
	o.u32(uint32_t(total));
	return o;
}

std::size_t finish(std::span<std::byte> out, Out o, std::size_t total)
{
	o.u32(uint32_t(total));
	return std::size_t(o.p - out.data());
}

// The comment as written: at most 65535 bytes, cut before a UTF-8 continuation byte.
std::string_view comment_of(std::string_view c) noexcept
{
	if (c.size() <= max_option_len)
		return c;
	std::size_t n = max_option_len;
	while (n > 0 && (uint8_t(c[n]) & 0xC0) == 0x80)
		n--;
	return c.substr(0, n);
}

uint32_t captured_len(const Packet &p, uint32_t snaplen) noexcept
{
	std::size_t full = p.vlan ? with_vlan_size(p.frame.size()) : p.frame.size();
	return uint32_t(std::min<std::size_t>(full, snaplen));
}

uint32_t original_len(const Packet &p) noexcept
{
	std::size_t len = std::max<std::size_t>(p.original_len, p.frame.size());
	if (p.vlan && p.frame.size() >= 12)
		len += 4;
	return uint32_t(std::min<std::size_t>(len, UINT32_MAX));
}

std::size_t epb_options_size(const Packet &p) noexcept
{
	std::size_t n = option_size(4); // epb_flags, always
	if (!p.comment.empty())
		n += option_size(comment_of(p.comment).size());
	if (p.rss_hash)
		n += option_size(5);
	if (p.queue)
		n += option_size(4);
	return n + 4; // opt_endofopt
}

} // namespace

std::size_t copy_with_vlan(std::span<std::byte> out, std::span<const uint8_t> frame, Vlan tag) noexcept
{
	if (frame.size() < 12) {
		std::size_t n = std::min(out.size(), frame.size());
		std::memcpy(out.data(), frame.data(), n);
		return n;
	}
	const uint8_t hdr[4] = {uint8_t(tag.tpid >> 8), uint8_t(tag.tpid), uint8_t(tag.tci >> 8), uint8_t(tag.tci)};
	// Three pieces (MAC addresses, tag, the rest), each cut at what is left of `out`.
	std::size_t left = out.size(), done = 0;
	auto piece = [&](const uint8_t *src, std::size_t n) {
		n = std::min(n, left);
		if (n)
			std::memcpy(out.data() + done, src, n);
		done += n;
		left -= n;
	};
	piece(frame.data(), 12);
	piece(hdr, 4);
	piece(frame.data() + 12, frame.size() - 12);
	return done;
}

std::size_t shb_size(std::string_view userappl)
{
	std::size_t opts = userappl.empty() ? 0 : option_size(std::min(userappl.size(), max_option_len)) + 4;
	// magic, major, minor, section length (64 bits)
	return block_overhead + 16 + opts;
}

std::size_t encode_shb(std::span<std::byte> out, std::string_view userappl)
{
	std::size_t total = shb_size(userappl);
	Out o = begin(out, block_shb, total);
	o.u32(byte_order_magic);
	o.u16(1); // version 1.0
	o.u16(0);
	o.u64(UINT64_MAX); // section length -1: not known while streaming
	if (!userappl.empty()) {
		// Only the tool's own name and version go here; a longer one is cut.
		o.option(shb_userappl, userappl.data(), std::min(userappl.size(), max_option_len));
		o.end_of_options();
	}
	return finish(out, o, total);
}

std::size_t idb_size(const Interface &i)
{
	std::size_t opts = option_size(1); // if_tsresol
	if (!i.name.empty())
		opts += option_size(i.name.size());
	if (!i.description.empty())
		opts += option_size(i.description.size());
	// linktype, reserved, snaplen
	return block_overhead + 8 + opts + 4;
}

std::size_t encode_idb(std::span<std::byte> out, const Interface &i)
{
	std::size_t total = idb_size(i);
	Out o = begin(out, block_idb, total);
	o.u16(linktype_ethernet);
	o.u16(0);
	o.u32(i.snaplen);
	if (!i.name.empty())
		o.option(if_name, i.name.data(), i.name.size());
	if (!i.description.empty())
		o.option(if_description, i.description.data(), i.description.size());
	o.option(if_tsresol, &tsresol_ns, 1);
	o.end_of_options();
	return finish(out, o, total);
}

std::size_t epb_size(const Packet &p, uint32_t snaplen) noexcept
{
	return block_overhead + epb_fixed + pad4(captured_len(p, snaplen)) + epb_options_size(p);
}

std::size_t epb_max_size(uint32_t snaplen) noexcept
{
	// flags, a full-length comment, hash, queue, end of options
	std::size_t opts = option_size(4) + option_size(max_option_len) + option_size(5) + option_size(4) + 4;
	return block_overhead + epb_fixed + pad4(snaplen) + opts;
}

std::size_t encode_epb(std::span<std::byte> out, const Packet &p, uint32_t snaplen) noexcept
{
	std::size_t total = epb_size(p, snaplen);
	uint32_t cap = captured_len(p, snaplen);
	Out o = begin(out, block_epb, total);
	o.u32(p.interface);
	o.timestamp(p.timestamp_ns);
	o.u32(cap);
	o.u32(original_len(p));
	if (p.vlan)
		o.p += copy_with_vlan({o.p, cap}, p.frame, *p.vlan);
	else
		o.put(p.frame.data(), cap);
	o.pad_from(cap);

	if (!p.comment.empty()) {
		std::string_view c = comment_of(p.comment);
		o.option(opt_comment, c.data(), c.size());
	}
	o.option_u32(epb_flags, p.flags);
	if (p.rss_hash) {
		std::byte h[5];
		h[0] = std::byte(hash_toeplitz);
		std::memcpy(h + 1, &*p.rss_hash, 4);
		o.option(epb_hash, h, 5);
	}
	if (p.queue)
		o.option_u32(epb_queue, *p.queue);
	o.end_of_options();
	return finish(out, o, total);
}

std::size_t isb_size(const InterfaceStats &s) noexcept
{
	std::size_t n = !!s.ifrecv + !!s.ifdrop + !!s.osdrop + !!s.usrdeliv;
	// interface id, timestamp
	return block_overhead + 12 + n * option_size(8) + (n ? 4 : 0);
}

std::size_t encode_isb(std::span<std::byte> out, uint32_t interface, uint64_t timestamp_ns,
		       const InterfaceStats &s) noexcept
{
	std::size_t total = isb_size(s);
	Out o = begin(out, block_isb, total);
	o.u32(interface);
	o.timestamp(timestamp_ns);
	bool any = false;
	for (auto [code, v] : {std::pair{isb_ifrecv, s.ifrecv}, std::pair{isb_ifdrop, s.ifdrop},
			       std::pair{isb_osdrop, s.osdrop}, std::pair{isb_usrdeliv, s.usrdeliv}}) {
		if (v) {
			o.option_u64(code, *v);
			any = true;
		}
	}
	if (any)
		o.end_of_options();
	return finish(out, o, total);
}

} // namespace xdphints::cli::pcapng
