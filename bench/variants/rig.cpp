// What the variants share: namespaces, generator, the XDP_DROP/XDP_PASS program, the
// Decoder for a hook, and the setup every variant runs with (for latest.json).
#include "rig.hpp"

#include "bench_xdp.skel.h"

#include <xdphints/hook/transport.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include <unistd.h>

#include <cerrno>
#include <utility>

namespace xdphints::bench {

std::atomic<bool> g_stop{false};

Result<std::unique_ptr<testbed::Testbed>> make_testbed(const std::string &tag, unsigned queues)
{
	testbed::VethOptions vo;
	vo.queues = queues;
	auto tb = testbed::Testbed::create(tag, vo);
	if (!tb)
		return tb.error();
	return std::make_unique<testbed::Testbed>(std::move(*tb));
}

Result<testbed::LiveGen> make_gen(const testbed::Testbed &tb, std::vector<int> cpus)
{
	auto o = testbed::GenOptions::between(tb.tx(), tb.rx());
	o.flows = kFlows;
	o.frame_len = kFrameLen;
	o.cpus = std::move(cpus);
	return testbed::LiveGen::create(tb.tx_ns, tb.tx().ifindex, o);
}

Result<uint64_t> xmit_errors(const testbed::Testbed &tb)
{
	auto st = testbed::veth_xdp_stats(tb.tx_ns, tb.tx().ifname);
	if (!st)
		return st.error();
	return st->xdp_xmit_errors + st->tx_dropped;
}

Result<Decoder> decoder_for(const Hook &hook, const Query &q)
{
	auto layouts = hook.layouts();
	if (!layouts)
		return layouts.error();
	return Decoder::build(q, *layouts);
}

Result<XdpProg> XdpProg::attach(const testbed::Netns &ns, int ifindex, bool drop)
{
	XdpProg p;
	p.skel_.reset(bench_xdp__open_and_load());
	if (!p.skel_)
		return Error::from_errno(errno, "loading bench/bpf/bench_xdp.bpf.c", "run as root");
	auto in = testbed::NetnsScope::enter(ns);
	if (!in)
		return in.error();
	int prog = bpf_program__fd(drop ? p.skel_->progs.bench_drop : p.skel_->progs.bench_pass);
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
	p.link_.reset(bpf_link_create(prog, ifindex, BPF_XDP, &lo));
	if (!p.link_)
		return Error::from_errno(errno, "attaching the benchmark's XDP program", "run as root");
	return p;
}

void XdpProg::SkelDestroy::operator()(bench_xdp *s) const noexcept
{
	bench_xdp__destroy(s);
}

Result<PlainRig> PlainRig::create(const std::string &tag, bool drop)
{
	PlainRig r;
	auto tb = make_testbed(tag, 1);
	if (!tb)
		return tb.error();
	r.tb = std::move(*tb);
	auto p = XdpProg::attach(r.tb->rx_ns, r.tb->rx().ifindex, drop);
	if (!p)
		return p.error();
	r.prog.emplace(std::move(*p));
	auto g = make_gen(*r.tb, {kGenCpu});
	if (!g)
		return g.error();
	r.gen.emplace(std::move(*g));
	return r;
}

nlohmann::json setup_description()
{
	auto gen = testbed::choose_backend();
	// The hook variants' transport: what Hook::load chooses for this kernel (the same probe).
	auto tr = hook::choose_transport_for(hook::Transport::automatic);
	return {{"generator", gen ? testbed::gen_backend_name(gen->backend) : "?"},
		{"generator_why", gen ? gen->why : gen.error().message},
		{"transport", tr ? hook::transport_name(tr->transport) : "?"},
		{"transport_why", tr ? tr->reason : tr.error().message},
		{"generator_cpu", kGenCpu},
		{"rx_napi_cpu", kGenCpu},
		{"app_cpu", kAppCpu},
		{"queues_2", "generator, NAPI and receive loop of queue i on CPU i"},
		{"afxdp_ring_entries", kRing},
		{"afxdp_frame_size", kUmemFrameSize},
		{"receive_batch", kBatch},
		{"af_packet_ring", {{"block_size", 1 << 18}, {"blocks", 256}, {"retire_ms", 1}}},
		{"flows", kFlows},
		{"frame_bytes", kFrameLen}};
}

} // namespace xdphints::bench
