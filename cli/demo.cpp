// xdp-hints demo: two namespaces of its own and a veth pair, the veth hints hook on the
// receiving end, UDP through the normal stack from the peer (several flows, one of them
// tagged VLAN 59 by a tc egress program), every packet's decoded hints, a summary.
// Everything it creates is removed on return, on error and on Ctrl-C (RAII + g_stop).
// -w FILE (or -w - for stdout) also writes the packets as pcapng, as `dump -w` does: one
// section per part (its interface, its layouts), every hint in each packet's comment.
#include "capture.hpp"
#include "commands.hpp"
#include "print.hpp"
#include "record.hpp"
#include "render.hpp"
#include "session.hpp"

#include <xdphints/edge/fd.hpp>

#include <xdphints/hook/clock.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <fmt/format.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

namespace xdphints::cli {

using namespace xdphints::hook;

namespace {

constexpr uint16_t kVlan = 59;
constexpr uint16_t kTaggedPort = 5959;

struct FlowSummary {
	uint64_t packets = 0;
	std::set<uint32_t> hashes;
	std::set<std::string> vlans;
	uint64_t sw_ts = 0, hw_ts = 0;
	std::vector<uint64_t> latency_ns; // hook's software timestamp -> application
};

int fail(const char *what, const Error &e)
{
	std::fprintf(stderr, "xdp-hints demo: %s: %s\n", what, e.message.c_str());
	return 1;
}

// The -w output: a file, or stdout for "-" (then the table is left out of stdout).
struct CaptureFile {
	std::string name;
	int fd = -1;
	edge::UniqueFd owned;

	static Result<CaptureFile> open(const std::string &path)
	{
		CaptureFile f;
		if (path.empty())
			return f;
		if (path == "-") {
			f.name = "stdout";
			f.fd = STDOUT_FILENO;
			return f;
		}
		f.name = path;
		f.owned.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
		if (!f.owned)
			return Error::from_errno(errno, "cannot write " + path,
						 "name a file in a writable directory, or -w - for stdout");
		f.fd = f.owned.get();
		return f;
	}
	bool on() const noexcept { return fd >= 0; }
	Status write(std::string_view b) const
	{
		while (!b.empty()) {
			ssize_t n = ::write(fd, b.data(), b.size());
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return Error::from_errno(errno, "writing the capture to " + name, "check the disk or the reader");
			b.remove_prefix(size_t(n));
		}
		return {};
	}
};

// Prints packets as dump does: a JSON line or a table row, from a plan built once; with
// -w the pcapng records too, written when the part ends.
struct Printer {
	std::unique_ptr<render::RenderPlan> plan; // the capture points to it: it does not move
	std::unique_ptr<render::Capture> capture;
	const CaptureFile *file = nullptr;
	bool json = false, table_out = true;
	std::string line, rec, pcap;

	static Result<Printer> create(const Decoder &dec, bool json, const CaptureFile &file, const std::string &ifname)
	{
		auto p = render::RenderPlan::build(dec.layouts());
		if (!p)
			return p.error();
		Printer pr;
		pr.plan = std::make_unique<render::RenderPlan>(std::move(*p));
		pr.json = json;
		pr.table_out = file.fd != STDOUT_FILENO;
		pr.line.reserve(pr.plan->max_record() + 1);
		if (file.on()) {
			render::CaptureOptions co;
			co.ifname = ifname;
			co.clock.tai_offset_ns = render::kernel_tai_offset_ns();
			auto c = render::Capture::create(*pr.plan, co);
			if (!c)
				return c.error();
			pr.capture = std::make_unique<render::Capture>(std::move(*c));
			pr.file = &file;
			pr.pcap = pr.capture->header();
			pr.rec.reserve(pr.capture->max_record());
		}
		if (!json && pr.table_out)
			std::printf("%.*s\n", int(render::table_header().size()), render::table_header().data());
		return pr;
	}
	void print(const afxdp::Frame &f, const Hints &h)
	{
		if (table_out) {
			line.clear();
			render::Recorder{json ? render::Format::json : render::Format::table, plan.get(), nullptr}.append(
				line, 0, f.bytes(), h);
			std::fwrite(line.data(), 1, line.size(), stdout);
		}
		if (capture) {
			rec.clear();
			capture->append_packet(rec, 0, f.bytes(), h);
			pcap += rec;
		}
	}
	// The part's section into the -w output.
	Status finish()
	{
		std::fflush(stdout);
		if (!capture)
			return {};
		Status st = file->write(pcap);
		if (st)
			std::fprintf(stderr, "  pcapng: %s\n", file->name.c_str());
		return st;
	}
};

// Part 2: several layouts in one hook. The hook is re-attached split: PTP event packets
// (UDP 319) get the timestamp layout, all others the hash layout; the application tells
// them apart by the id in front of each packet alone.
int demo_layouts(const testbed::Testbed &tb, const DemoArgs &a, const CaptureFile &file)
{
	Result<Session> s = [&]() -> Result<Session> {
		auto in = testbed::NetnsScope::enter(tb.rx_ns);
		if (!in)
			return in.error();
		SessionOptions so;
		so.ifname = tb.rx().ifname;
		so.hook.ptp_split = true;
		so.hook.transport = a.transport;
		return Session::open(so);
	}();
	if (!s)
		return fail("attaching the PTP-split hook", s.error());
	// One layout only (the generic hook on a kernel without kfuncs: timestamp, no hash):
	// nothing to split, said instead of failed.
	if (s->hook.written_layouts().size() < 2) {
		std::fprintf(stderr, "\nxdp-hints demo, part 2 (several layouts) left out: hook '%s' writes one layout "
				     "here (%s)\n",
			     s->hook.hook_name().c_str(), s->hook.selection_reason().c_str());
		return 0;
	}
	std::fprintf(stderr, "\nxdp-hints demo, part 2: one hook, several layouts (--ptp-split):\n");
	for (auto &l : s->decoder.layouts())
		for (auto &w : s->hook.written_layouts())
			if (w == l.name)
				std::fprintf(stderr, "  writes %-22s id %#llx size %u\n", l.name.c_str(),
					     (unsigned long long)l.id(), l.size);

	std::vector<testbed::UdpFlow> flows;
	for (auto [sp, dp] : {std::pair<uint16_t, uint16_t>{40319, 319}, {40102, 5102}}) {
		auto f = testbed::UdpFlow::open(tb.tx_ns, tb.tx().ipv4, sp, tb.rx().ipv4, dp);
		if (!f)
			return fail("opening a UDP flow", f.error());
		flows.push_back(std::move(*f));
	}
	const unsigned per_flow = std::max(1u, a.packets_per_flow / 2);
	uint8_t ptp[44] = {0x00, 0x02}; // a PTP Sync header's size; content does not matter here
	for (unsigned i = 0; i < per_flow; i++)
		for (auto &f : flows)
			if (auto r = f.send(ptp); !r)
				return fail("sending", r.error());

	auto printer = Printer::create(s->decoder, a.json, file, tb.rx().ifname);
	if (!printer)
		return fail("rendering", printer.error());
	std::map<std::string, uint64_t> per_layout;
	uint64_t got = 0;
	auto &sock = *s->group.sockets()[0];
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (got < per_flow * flows.size() && !g_stop && std::chrono::steady_clock::now() < deadline) {
		if (sock.poll_hints(s->decoder, [&](const afxdp::Frame &f, const Hints &h) {
			    printer->print(f, h);
			    auto [sp, dp] = render::udp_ports(f.bytes());
			    if (sp != 40319 && sp != 40102)
				    return;
			    got++;
			    per_layout[fmt::format("{} (id {:#x}) <- udp {}", h.layout() ? h.layout()->name : "?", h.id(),
						   dp)]++;
		    }) == 0)
			sock.wait(50);
	}
	if (auto st = printer->finish(); !st)
		return fail("part 2", st.error());
	for (auto &[k, n] : per_layout)
		std::fprintf(stderr, "  %llu packets: %s\n", (unsigned long long)n, k.c_str());
	if (got < per_flow * flows.size())
		return fail("part 2", Error{Errc::system, fmt::format("received {} of {} packets within 5 s", got,
								       per_flow * flows.size())});
	return per_layout.size() == 2 ? 0 : 1;
}

// Part 1: the full veth layout. UDP flows through the sender's stack, one of them tagged
// VLAN 59; every packet's hints, then a per-flow summary. Its hook, sockets and tagger are
// gone when it returns, so part 2 can attach to the same interface.
int demo_flows(const testbed::Testbed &tb, const DemoArgs &a, const CaptureFile &file)
{
	Result<Session> s = [&]() -> Result<Session> {
		auto in = testbed::NetnsScope::enter(tb.rx_ns);
		if (!in)
			return in.error();
		SessionOptions so;
		so.ifname = tb.rx().ifname;
		so.hook.transport = a.transport;
		return Session::open(so);
	}();
	if (!s)
		return fail("attaching the hints hook", s.error());
	std::fprintf(stderr, "xdp-hints demo: hook '%s' (prog id %u) on %s, AF_XDP on queue 0 (%s mode)\n",
		     s->hook.hook_name().c_str(), s->hook.prog_id(), tb.rx().ifname.c_str(),
		     afxdp::xsk_mode_name(s->group.sockets()[0]->mode()));
	std::fprintf(stderr, "xdp-hints demo: %s\n", s->hook.selection_reason().c_str());
	std::fprintf(stderr, "xdp-hints demo: %s\n", s->hook.transport_reason().c_str());
	// Without the VLAN kfunc (before Linux 6.8) the tagged flow arrives without a VLAN hint.
	const bool want_vlan = s->hook.hints() & hint::vlan;

	auto tagger = testbed::VlanTagger::attach(tb.tx_ns, tb.tx().ifindex, kVlan, kTaggedPort);
	if (!tagger)
		return fail("tagging VLAN traffic on the sender", tagger.error());

	std::vector<testbed::UdpFlow> flows;
	for (auto [sp, dp] : {std::pair<uint16_t, uint16_t>{40001, 5001}, {40002, 5002}, {40003, 5003},
			      {40959, kTaggedPort}}) {
		auto f = testbed::UdpFlow::open(tb.tx_ns, tb.tx().ipv4, sp, tb.rx().ipv4, dp);
		if (!f)
			return fail("opening a UDP flow", f.error());
		flows.push_back(std::move(*f));
	}

	const uint64_t expected = uint64_t(a.packets_per_flow) * flows.size();
	for (unsigned i = 0; i < a.packets_per_flow && !g_stop; i++)
		for (auto &f : flows) {
			std::string payload = fmt::format("xdp-hints demo {} -> {} #{}", f.sport(), f.dport(), i);
			if (auto r = f.send({reinterpret_cast<const uint8_t *>(payload.data()), payload.size()}); !r)
				return fail("sending", r.error());
		}

	auto printer = Printer::create(s->decoder, a.json, file, tb.rx().ifname);
	if (!printer)
		return fail("rendering", printer.error());
	std::map<uint16_t, FlowSummary> per_port;
	uint64_t got = 0, other = 0;
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	auto &sock = *s->group.sockets()[0];
	const auto &fld = s->fields;
	while (got < expected && !g_stop && std::chrono::steady_clock::now() < deadline) {
		uint32_t n = sock.poll_hints(s->decoder, [&](const afxdp::Frame &f, const Hints &h) {
			uint64_t now = software_clock_ns();
			printer->print(f, h);
			auto [sp, dp] = render::udp_ports(f.bytes());
			if (sp < 40001 || sp > 40959) {
				other++;
				return;
			}
			got++;
			FlowSummary &fs = per_port[dp];
			fs.packets++;
			if (auto hash = h.get(fld.rx_hash))
				fs.hashes.insert(*hash);
			if (auto tci = h.get(fld.rx_vlan_tci))
				fs.vlans.insert(fmt::format("{} ({:#06x})", *tci & 0x0fff, h.get(fld.rx_vlan_proto).value_or(0)));
			if (auto ts = h.get(fld.rx_timestamp)) {
				if (h.software(fld.rx_timestamp)) {
					fs.sw_ts++;
					if (now >= *ts)
						fs.latency_ns.push_back(now - *ts);
				} else {
					fs.hw_ts++;
				}
			}
		});
		if (n == 0)
			sock.wait(50);
	}
	if (auto st = printer->finish(); !st)
		return fail("part 1", st.error());

	std::fprintf(stderr, "\nsummary (%llu of %llu packets received%s):\n", (unsigned long long)got,
		     (unsigned long long)expected, other ? fmt::format(", {} other frames", other).c_str() : "");
	std::fprintf(stderr, "  %-6s %-8s %-14s %-16s %-22s %s\n", "dport", "packets", "rx_hash values", "vlan",
		     "rx_timestamp", "hook->app latency (sw ts)");
	bool tagged_ok = false;
	for (auto &[port, fs] : per_port) {
		std::string vl = fs.vlans.empty() ? "none" : *fs.vlans.begin();
		std::string lat = "-";
		if (!fs.latency_ns.empty()) {
			std::sort(fs.latency_ns.begin(), fs.latency_ns.end());
			lat = fmt::format("median {:.1f} us", double(fs.latency_ns[fs.latency_ns.size() / 2]) / 1e3);
		}
		std::fprintf(stderr, "  %-6u %-8llu %-14zu %-16s %-22s %s\n", port, (unsigned long long)fs.packets,
			     fs.hashes.size(), vl.c_str(),
			     fmt::format("{} sw / {} hw", fs.sw_ts, fs.hw_ts).c_str(), lat.c_str());
		if (port == kTaggedPort && fs.vlans.size() == 1 && fs.vlans.begin()->rfind("59 ", 0) == 0)
			tagged_ok = true;
	}
	if (s->hook.hook_name() != "generic")
		std::fprintf(stderr, "  veth gives no hardware timestamp for stack-sent frames (0): the hook wrote CLOCK_TAI "
				     "software timestamps, flagged as such.\n");
	else
		std::fprintf(stderr, "  the %s hook writes CLOCK_TAI software timestamps, flagged as such.\n",
			     s->hook.hook_name().c_str());
	std::fprintf(stderr, "%s\n", stats_line(s->group.sockets(), s->hook).c_str());

	if (g_stop) {
		std::fprintf(stderr, "xdp-hints demo: interrupted; cleaned up\n");
		return 130;
	}
	if (got < expected) {
		std::fprintf(stderr, "xdp-hints demo: received %llu of %llu packets within 5 s\n", (unsigned long long)got,
			     (unsigned long long)expected);
		return 1;
	}
	if (want_vlan && !tagged_ok) {
		std::fprintf(stderr, "xdp-hints demo: the VLAN %u flow did not arrive with rx_vlan_tci %u\n", kVlan, kVlan);
		return 1;
	}
	return 0;
}

} // namespace

int cmd_demo(const DemoArgs &a)
{
	auto tb = testbed::Testbed::create("demo");
	if (!tb)
		return fail("creating namespaces and veth", tb.error());
	std::fprintf(stderr, "xdp-hints demo: namespaces %s (receiver, %s %s) and %s (sender, %s %s)\n",
		     tb->rx_ns.name().c_str(), tb->rx().ifname.c_str(), tb->rx().ipv4.c_str(), tb->tx_ns.name().c_str(),
		     tb->tx().ifname.c_str(), tb->tx().ipv4.c_str());

	auto file = CaptureFile::open(a.write_file);
	if (!file)
		return fail("-w", file.error());
	if (int rc = demo_flows(*tb, a, *file))
		return rc;
	return demo_layouts(*tb, a, *file);
}

} // namespace xdphints::cli
