// l2fwd_hints: receives on one device (through its hints hook), swaps the MAC addresses
// and sends each frame out of a second device without copying it (one umem shared by both
// sockets; completed frames go back to the receiving socket's fill ring). Every Nth
// packet's hints are printed.
//
//   l2fwd_hints IN OUT [--sample N] [--count N]   on two devices
//   l2fwd_hints [--sample N] [--count N]          self-contained: generated traffic into one
//                                                 veth, forwarded out of a second one
#include "example_env.hpp"

#include <xdphints/af_xdp/socket.hpp>

#include <nlohmann/json.hpp>

#include <cinttypes>
#include <thread>
#include <utility>

namespace {

struct Args {
	std::string in, out;
	uint64_t count = 200000;
	uint64_t sample = 50000;
};

// Link-level packets received by `ifname` in `ns` (ip -s -j link).
uint64_t rx_packets(const tb::Netns &ns, const std::string &ifname)
{
	auto out = ns.exec({"ip", "-s", "-j", "link", "show", "dev", ifname});
	if (!out)
		return 0;
	auto j = nlohmann::json::parse(*out, nullptr, false);
	if (j.is_discarded() || !j.is_array() || j.empty())
		return 0;
	return j[0]["stats64"]["rx"].value("packets", uint64_t(0));
}

Status run(const Args &a)
{
	std::unique_ptr<example::Veths> veths; // self-contained mode
	int in, out;
	if (a.in.empty()) {
		XDPHINTS_TRY(v, example::Veths::make("l2fwd", true));
		veths = std::move(v);
		in = veths->bed.rx().ifindex;
		out = veths->second->a.ifindex;
	} else {
		XDPHINTS_TRY(i, example::ifindex_of(a.in));
		XDPHINTS_TRY(o, example::ifindex_of(a.out));
		in = i;
		out = o;
	}

	XDPHINTS_TRY(dev, example::HookedDevice::attach(in));
	// Printed when the hook gives them ("-" otherwise): optional.
	xdphints::Query q;
	auto ts = q.add<uint64_t>("rx_timestamp", xdphints::Presence::optional);
	auto hash = q.add<uint32_t>("rx_hash", xdphints::Presence::optional);
	auto tci = q.add<uint16_t>("rx_vlan_tci", xdphints::Presence::optional);
	XDPHINTS_TRY(dec, xdphints::Decoder::build(q, dev.layouts));

	XDPHINTS_TRY(umem, ax::Umem::create({.frame_count = 4096}));
	ax::SocketConfig rc;
	rc.ifindex = in;
	rc.xsks_map_fd = dev.hook.xsks_map_fd();
	rc.hints_prefix = dev.hook.hints_prefix();
	rc.frames = 4096 - 64;
	XDPHINTS_TRY(rx, ax::XskSocket::create(umem, rc));
	ax::SocketConfig tc;
	tc.ifindex = out;
	tc.rx_size = 0; // transmit only (a shared umem on another device still needs its fill ring)
	tc.tx_size = 2048;
	tc.fill_size = 64;
	tc.frames = 64;
	XDPHINTS_TRY(tx, ax::XskSocket::create(umem, tc));
	std::printf("l2fwd_hints: %s -> ifindex %d, %s mode, one umem\n", dev.hook.ifname().c_str(), out,
		    ax::xsk_mode_name(rx->mode()));

	example::Background gen;
	std::optional<tb::LiveGen> lg;
	if (veths) {
		auto &bed = veths->bed;
		XDPHINTS_TRY(g, tb::LiveGen::create(bed.tx_ns, bed.tx().ifindex, tb::GenOptions::between(bed.tx(), bed.rx())));
		lg.emplace(std::move(g));
		gen.start([&] { example::paced({{&*lg, 64}}, a.count, std::chrono::microseconds(40)); });
	}

	uint64_t got = 0, fwd = 0, dropped = 0, idle = 0;
	while (got < a.count && !example::stop_flag() && idle < 500) {
		uint32_t n = rx->poll_hints(dec, [&](const ax::Frame &f, const xdphints::Hints &h) {
			if (got++ % a.sample == 0) {
				auto t = h.get(ts);
				auto hv = h.get(hash);
				auto v = h.get(tci);
				std::printf("  #%-8" PRIu64 " len %-5u layout %-18s id 0x%016" PRIx64 " rx_timestamp %s%s rx_hash %s vlan %s\n",
					    got - 1, f.len, h.known() ? h.layout()->name.c_str() : "-", h.id(),
					    t ? std::to_string(*t).c_str() : "-", t && h.software(ts) ? " (sw)" : "",
					    hv ? std::to_string(*hv).c_str() : "-", v ? std::to_string(*v).c_str() : "-");
			}
			for (int i = 0; i < 6; i++)
				std::swap(f.data[i], f.data[6 + i]);
			if (tx->forward(f)) {
				fwd++;
				return ax::Disposition::keep;
			}
			dropped++;
			return ax::Disposition::release;
		});
		tx->complete_to(*rx); // sent frames go back to the receiving side
		idle = n ? 0 : idle + 1;
		if (!n)
			rx->wait(2);
	}
	gen.stop();
	for (int i = 0; i < 1000 && tx->frames().kernel > 0; i++) {
		tx->complete_to(*rx);
		std::this_thread::sleep_for(std::chrono::microseconds(100));
	}
	std::printf("received %" PRIu64 ", forwarded %" PRIu64 ", not forwarded (tx ring full) %" PRIu64 "\n", got, fwd, dropped);
	if (veths)
		std::printf("link-level packets at the far end of the second veth: %" PRIu64 "\n",
			    rx_packets(veths->bed.tx_ns, veths->second->b.ifname));
	std::printf("%s\n", umem->accounting().to_string().c_str());
	return example::print_stats({rx.get(), tx.get()});
}

} // namespace

int main(int argc, char **argv)
{
	Args a;
	if (int rc = example::parse_args(argc, argv, "l2fwd_hints [IN OUT] [--sample N] [--count N]", {&a.in, &a.out},
					 {{"--count", &a.count}, {"--sample", &a.sample}});
	    rc >= 0)
		return rc;
	a.sample = std::max<uint64_t>(a.sample, 1);
	return example::report(run(a));
}
