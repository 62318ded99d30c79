// demux_by_btf_id: two devices, each with its own hints hook (so its own layout ids: the
// BTF object id of each loaded hook is in the high half), one umem shared by a socket on
// each device, one Decoder that knows both hooks' layouts. Packets are told apart by the
// layout id in front of them, not by which socket they came from; the table at the end
// shows every id was seen on exactly one device.
//
//   demux_by_btf_id IF1 IF2 [--count N]   on two devices
//   demux_by_btf_id [--count N]           self-contained: two veth pairs in their own namespaces
#include "example_env.hpp"

#include <xdphints/af_xdp/socket.hpp>

#include <cinttypes>
#include <map>
#include <thread>

namespace {

struct Args {
	std::string if1, if2;
	uint64_t count = 30000;
};

Status run(const Args &a)
{
	std::unique_ptr<example::Veths> veths; // self-contained mode
	int ifindex[2];
	if (a.if1.empty()) {
		XDPHINTS_TRY(v, example::Veths::make("demux", true));
		veths = std::move(v);
		ifindex[0] = veths->bed.rx().ifindex;
		ifindex[1] = veths->second->a.ifindex;
	} else {
		XDPHINTS_TRY(i0, example::ifindex_of(a.if1));
		XDPHINTS_TRY(i1, example::ifindex_of(a.if2));
		ifindex[0] = i0;
		ifindex[1] = i1;
	}

	XDPHINTS_TRY(dev0, example::HookedDevice::attach(ifindex[0]));
	XDPHINTS_TRY(dev1, example::HookedDevice::attach(ifindex[1]));
	std::vector<xdphints::Layout> all = dev0.layouts;
	all.insert(all.end(), dev1.layouts.begin(), dev1.layouts.end());
	xdphints::Query q;
	auto ts = q.add<uint64_t>("rx_timestamp", xdphints::Presence::optional); // read, not needed
	XDPHINTS_TRY(dec, xdphints::Decoder::build(q, all));

	XDPHINTS_TRY(umem, ax::Umem::create({.frame_count = 8192}));
	ax::SocketConfig sc;
	sc.ifindex = ifindex[0];
	sc.xsks_map_fd = dev0.hook.xsks_map_fd();
	sc.hints_prefix = dev0.hook.hints_prefix();
	XDPHINTS_TRY(s0, ax::XskSocket::create(umem, sc));
	sc.ifindex = ifindex[1];
	sc.xsks_map_fd = dev1.hook.xsks_map_fd();
	sc.hints_prefix = dev1.hook.hints_prefix();
	XDPHINTS_TRY(s1, ax::XskSocket::create(umem, sc)); // XDP_SHARED_UMEM: same frames, own fill ring
	ax::XskSocket *socks[2] = {s0.get(), s1.get()};
	std::printf("demux_by_btf_id: one umem (%u frames) shared by %s and %s (%s mode)\n", umem->frame_count(),
		    dev0.hook.ifname().c_str(), dev1.hook.ifname().c_str(), ax::xsk_mode_name(s0->mode()));

	example::Background gen;
	std::optional<tb::LiveGen> g0, g1;
	if (veths) {
		auto &bed = veths->bed;
		auto &l2 = *veths->second;
		XDPHINTS_TRY(x0, tb::LiveGen::create(bed.tx_ns, bed.tx().ifindex, tb::GenOptions::between(bed.tx(), bed.rx())));
		XDPHINTS_TRY(x1, tb::LiveGen::create(bed.tx_ns, l2.b.ifindex, tb::GenOptions::between(l2.b, l2.a)));
		g0.emplace(std::move(x0));
		g1.emplace(std::move(x1));
		// Two thirds to device 0, one third to device 1, interleaved in small bursts.
		gen.start([&] { example::paced({{&*g0, 32}, {&*g1, 16}}, a.count, std::chrono::microseconds(30)); });
	}

	// (device, layout id) -> frames. A std::map is fine here: one lookup per packet in an
	// example; the receive path itself allocates nothing.
	std::map<std::pair<int, uint64_t>, uint64_t> seen;
	std::map<uint64_t, std::string> names;
	uint64_t got = 0, idle = 0;
	while (got < a.count && !example::stop_flag() && idle < 200) {
		uint32_t n = 0;
		for (int d = 0; d < 2; d++)
			n += socks[d]->poll_hints(dec, [&](const ax::Frame &, const xdphints::Hints &h) {
				seen[{d, h.id()}]++;
				if (h.known() && !names.count(h.id()))
					names[h.id()] = h.layout()->name;
				(void)h.get(ts);
			});
		got += n;
		idle = n ? 0 : idle + 1;
		if (!n)
			socks[0]->wait(5);
	}
	gen.stop();

	std::printf("%-8s %-18s %-10s %-8s %-24s %s\n", "device", "layout id", "btf obj", "type id", "layout", "frames");
	std::map<uint64_t, int> devices_per_id;
	for (auto &[k, n] : seen) {
		auto [d, id] = k;
		devices_per_id[id]++;
		std::printf("%-8s 0x%016" PRIx64 " %-10u %-8u %-24s %" PRIu64 "\n", (d ? dev1 : dev0).hook.ifname().c_str(), id,
			    unsigned(id >> 32), unsigned(uint32_t(id)), names.count(id) ? names[id].c_str() : "(unknown)", n);
	}
	bool apart = true;
	for (auto &[id, nd] : devices_per_id)
		apart &= nd == 1;
	std::printf("%s\n", apart ? "every layout id was seen on exactly one device: the ids keep the devices apart"
				  : "a layout id was seen on both devices");
	auto acc = umem->accounting();
	std::printf("%s\n", acc.to_string().c_str());
	if (auto st = example::print_stats({s0.get(), s1.get()}); !st)
		return st;
	if (!apart)
		return Error(Errc::system, "layout ids did not keep the devices apart");
	return {};
}

} // namespace

int main(int argc, char **argv)
{
	Args a;
	if (int rc = example::parse_args(argc, argv, "demux_by_btf_id [IF1 IF2] [--count N]", {&a.if1, &a.if2},
					 {{"--count", &a.count}});
	    rc >= 0)
		return rc;
	return example::report(run(a));
}
