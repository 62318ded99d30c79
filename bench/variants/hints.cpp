// The hints variants: AF_XDP behind a hints hook, fields read through the Decoder.
// hints_1 (the veth hook specialised to rx_timestamp), hints_all (all groups, all five
// fields), hints_hash (rx_hash only: the mechanism without a clock read), layouts_N
// (a bring-your-own hook rotating N layouts) and queues_2 (hints_1 on two queues).
#include "afxdp.hpp"

namespace xdphints::bench {

namespace {

// hints_1 / layouts_N: rx_timestamp (demux by layout id).
struct TsReader {
	Decoder dec;
	Field<uint64_t> ts;
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		return poll_decoded(s, dec, ok, [&](const Hints &h, uint64_t &sink) {
			auto t = h.get(ts);
			sink += t.value_or(0);
			return t.has_value();
		});
	}
};

// hints_all: every field of the veth hook.
struct AllReader {
	Decoder dec;
	Field<uint64_t> ts;
	Field<uint32_t> hash, hash_type;
	Field<uint16_t> tci, proto;
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		return poll_decoded(s, dec, ok, [&](const Hints &h, uint64_t &sink) {
			auto t = h.get(ts);
			sink += t.value_or(0) + h.get(hash).value_or(0) + h.get(hash_type).value_or(0) +
				h.get(tci).value_or(0) + h.get(proto).value_or(0);
			return t.has_value();
		});
	}
};

// hints_hash: the hook specialised to rx_hash, which veth does not give for XDP frames
// (NODATA): the whole mechanism (kfunc, metadata, id, Decoder, field reads) without a
// clock read. Verified: a known layout that carries the hash field (state NODATA).
struct HashReader {
	Decoder dec;
	Field<uint32_t> hash, hash_type;
	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		return poll_decoded(s, dec, ok, [&](const Hints &h, uint64_t &sink) {
			sink += h.get(hash).value_or(0) + h.get(hash_type).value_or(0);
			return h.known() && h.state(hash) != HintState::missing;
		});
	}
};

Result<TsReader> make_ts(const Hook *hook)
{
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto dec = decoder_for(*hook, q);
	if (!dec)
		return dec.error();
	return TsReader{std::move(*dec), ts};
}

Result<AllReader> make_all(const Hook *hook)
{
	Query q;
	auto ts = q.add<uint64_t>("rx_timestamp");
	auto hash = q.add<uint32_t>("rx_hash");
	auto htype = q.add<uint32_t>("rx_hash_type");
	auto tci = q.add<uint16_t>("rx_vlan_tci");
	auto proto = q.add<uint16_t>("rx_vlan_proto");
	auto dec = decoder_for(*hook, q);
	if (!dec)
		return dec.error();
	return AllReader{std::move(*dec), ts, hash, htype, tci, proto};
}

Result<HashReader> make_hash(const Hook *hook)
{
	Query q;
	auto hash = q.add<uint32_t>("rx_hash");
	auto htype = q.add<uint32_t>("rx_hash_type");
	auto dec = decoder_for(*hook, q);
	if (!dec)
		return dec.error();
	return HashReader{std::move(*dec), hash, htype};
}

} // namespace

VariantPtr make_hints_1()
{
	return XskVariant<TsReader>::create("hints_1", "veth hook specialised to rx_timestamp, Decoder read + first byte",
					    {.tag = "bh1", .side = XdpSide::hook, .hints = hint::timestamp}, make_ts);
}

VariantPtr make_hints_hash()
{
	return XskVariant<HashReader>::create(
		"hints_hash", "veth hook specialised to rx_hash (NODATA on veth: no clock read), Decoder read + first byte",
		{.tag = "bhh", .side = XdpSide::hook, .hints = hint::hash}, make_hash);
}

VariantPtr make_hints_all()
{
	return XskVariant<AllReader>::create("hints_all", "veth hook, all groups; all 5 fields read + first byte",
					     {.tag = "bhall", .side = XdpSide::hook}, make_all);
}

// n = 1, 8 or 64: bench/bpf/layouts.bpf.c built with NLAYOUTS=n (bench/CMakeLists.txt).
VariantPtr make_layouts(unsigned n, const std::string &bpf_dir)
{
	std::string ns = std::to_string(n);
	return XskVariant<TsReader>::create(
		"layouts_" + ns, ns + " layout(s) in rotation (bench/bpf/layouts.bpf.c), rx_timestamp + first byte",
		{.tag = "bl" + ns, .side = XdpSide::object, .object = bpf_dir + "/bench_layouts_" + ns + ".bpf.o"}, make_ts);
}

VariantPtr make_queues_2()
{
	return XskVariant<TsReader>::create(
		"queues_2", "hints_1 on a 2-queue veth: a generator, its NAPI and a receive loop per CPU",
		{.tag = "bq2", .side = XdpSide::hook, .hints = hint::timestamp, .queues = 2}, make_ts);
}

} // namespace xdphints::bench
