// The pure core alone (xdphints::core / xdphints-core.pc): no hook, no AF_XDP, no root.
// A Query against no layouts is refused with Errc::not_found, naming the field.
#include <xdphints/query.hpp>
#include <xdphints/version.hpp>

#include <cstdio>
#include <vector>

int main()
{
	xdphints::Query q;
	q.add<uint64_t>("rx_timestamp");
	std::vector<xdphints::Layout> none;
	auto dec = xdphints::Decoder::build(q, none);
	if (dec || dec.error().code != xdphints::Errc::not_found) {
		std::printf("unexpected: %s\n", dec ? "built" : dec.error().to_string().c_str());
		return 1;
	}
	std::printf("core %s: %s\n", xdphints::version(), xdphints::errc_name(dec.error().code));
	return 0;
}
