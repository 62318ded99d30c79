// raw: AF_XDP through the minimal redirect program, no metadata; per frame the first
// byte. The baseline every hints variant is a ratio of.
#include "afxdp.hpp"

namespace xdphints::bench {

namespace {

// raw: no metadata; the packet's first byte.
struct RawReader {
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		uint64_t sink = 0;
		uint32_t n = s.poll([&](const afxdp::Frame &f) { sink += f.data[0]; }, kBatch);
		ok += n;
		consume(sink);
		return n;
	}
};

Result<RawReader> make_raw_reader(const Hook *) { return RawReader{}; }

} // namespace

VariantPtr make_raw()
{
	return XskVariant<RawReader>::create("raw", "AF_XDP, minimal redirect program, no metadata, first byte",
					     {.tag = "braw", .side = XdpSide::redirect}, make_raw_reader);
}

} // namespace xdphints::bench
