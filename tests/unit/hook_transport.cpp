// The transport choice without a kernel: what the kernel allows (the metadata area or not),
// what was asked for (HookOptions::transport, --transport) and the environment
// (XDP_HINTS_TRANSPORT) -> the transport and the one line that says why, or the error that
// names the cause and the fix.
#include <xdphints/hook/transport.hpp>

#include <catch2/catch.hpp>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

TransportInput in(Transport requested, bool meta_allowed, std::optional<Transport> env = std::nullopt)
{
	TransportInput i;
	i.requested = requested;
	i.metadata_area = meta_allowed;
	i.from_env = env;
	return i;
}

} // namespace

TEST_CASE("choose_transport: meta where the kernel allows it, prefix where it refuses, each said", "[transport]")
{
	struct Row {
		Transport requested;
		bool meta_allowed;
		std::optional<Transport> env;
		Transport chosen;
		const char *reason; // a part of the one line
	};
	const Row rows[] = {
		{Transport::automatic, true, {}, Transport::meta, "which this kernel allows"},
		{Transport::automatic, false, {}, Transport::prefix, "this kernel refuses the XDP metadata area (bpf_xdp_adjust_meta)"},
		{Transport::prefix, true, {}, Transport::prefix, "transport prefix (asked for)"},
		{Transport::prefix, false, {}, Transport::prefix, "bpf_xdp_adjust_head"},
		{Transport::meta, true, {}, Transport::meta, "transport meta (asked for)"},
		// The environment chooses for automatic only; an explicit request wins.
		{Transport::automatic, true, Transport::prefix, Transport::prefix, "XDP_HINTS_TRANSPORT=prefix"},
		{Transport::automatic, false, Transport::prefix, Transport::prefix, "XDP_HINTS_TRANSPORT=prefix"},
		{Transport::automatic, true, Transport::meta, Transport::meta, "XDP_HINTS_TRANSPORT=meta"},
		{Transport::meta, true, Transport::prefix, Transport::meta, "asked for"},
		{Transport::prefix, true, Transport::meta, Transport::prefix, "asked for"},
	};
	for (const Row &r : rows) {
		INFO("requested " << transport_name(r.requested) << ", metadata area " << r.meta_allowed << ", env "
				   << (r.env ? transport_name(*r.env) : "-"));
		auto c = choose_transport(in(r.requested, r.meta_allowed, r.env));
		REQUIRE(c);
		CHECK(c->transport == r.chosen);
		CHECK_THAT(c->reason, Catch::Contains(r.reason));
		CHECK_THAT(c->reason, Catch::StartsWith(std::string("transport ") + transport_name(r.chosen)));
	}
}

TEST_CASE("choose_transport: meta asked for where the kernel refuses the area is an error naming cause and fix", "[transport]")
{
	for (auto [req, env] : {std::pair{Transport::meta, std::optional<Transport>{}},
				std::pair{Transport::automatic, std::optional<Transport>{Transport::meta}}}) {
		auto c = choose_transport(in(req, false, env));
		REQUIRE_FALSE(c);
		CHECK(c.error().code == Errc::unsupported);
		CHECK_THAT(c.error().message, Catch::Contains("refuses the XDP metadata area (bpf_xdp_adjust_meta)"));
		CHECK_THAT(c.error().message, Catch::Contains("--transport prefix"));
	}
	auto c = choose_transport(in(Transport::automatic, false, Transport::meta));
	REQUIRE_FALSE(c);
	CHECK_THAT(c.error().message, Catch::Contains("XDP_HINTS_TRANSPORT=meta"));
}

TEST_CASE("parse_transport: the three names, and an error listing them", "[transport]")
{
	CHECK(*parse_transport("meta") == Transport::meta);
	CHECK(*parse_transport("prefix") == Transport::prefix);
	CHECK(*parse_transport("auto") == Transport::automatic);
	auto bad = parse_transport("metadata");
	REQUIRE_FALSE(bad);
	CHECK(bad.error().code == Errc::invalid_argument);
	CHECK_THAT(bad.error().message, Catch::Contains("metadata") && Catch::Contains("prefix"));
}
