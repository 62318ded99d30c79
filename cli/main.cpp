// xdp-hints: probe, layout, dump, demo, reset.
#include "commands.hpp"

#include <CLI/CLI.hpp>
#include <xdphints/version.hpp>

#include <csignal>
#include <cstdio>

namespace xdphints::cli {
std::atomic<bool> g_stop{false};
}

namespace {

void on_signal(int) { xdphints::cli::g_stop.store(true); }

constexpr const char *kTransportHelp =
	"how hints reach AF_XDP: meta (the XDP metadata area), prefix (written in front of each "
	"redirected packet, stripped before you see it; for kernels that refuse the metadata area), "
	"auto (default: meta where the kernel allows it; XDP_HINTS_TRANSPORT=meta|prefix chooses too)";

void install_signals()
{
	struct sigaction sa {};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; // no SA_RESTART: blocking calls return EINTR and loops see g_stop
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGHUP, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN);
}

} // namespace

int main(int argc, char **argv)
{
	using namespace xdphints::cli;
	CLI::App app{"xdp-hints: XDP RX metadata (timestamps, RSS hash, VLAN) for AF_XDP applications"};
	app.require_subcommand(1);
	app.set_version_flag("--version", std::string("xdp-hints ") + XDPHINTS_VERSION_STRING + " (library " + xdphints::version() + ")");

	ProbeArgs probe;
	auto *p = app.add_subcommand("probe", "What the interface's driver provides, and the hook that would be used");
	p->add_option("IFNAME", probe.ifname, "interface")->required();
	p->add_flag("--json", probe.json, "one JSON object");

	LayoutArgs layout;
	auto *l = app.add_subcommand("layout", "Every hint struct with its fields (pahole-like)");
	auto *l_if = l->add_option("IFNAME", layout.ifname, "the XDP program attached to IFNAME");
	auto *l_obj = l->add_option("--object", layout.object, "a BPF object file (.BTF section)");
	auto *l_btf = l->add_option("--btf", layout.btf, "a raw BTF file");
	l_if->excludes(l_obj)->excludes(l_btf);
	l_obj->excludes(l_btf);
	l->add_option("--struct", layout.structs, "also treat this struct as a (fixed) layout; with --object, one "
						  "missing from .BTF is taken from the object's DWARF (pahole)");
	l->add_option("--layout-btf", layout.layout_btf, "with --object: --struct structs missing from .BTF are "
							   "described here (raw BTF, or an object built with -g)")
		->needs(l_obj);
	l->add_flag("--json", layout.json, "JSON");

	DumpArgs dump;
	bool copy = false, zc = false;
	auto *d = app.add_subcommand("dump", "Attach the hints hook, receive with AF_XDP, print each packet's hints");
	d->add_option("IFNAME", dump.ifname, "interface")->required();
	d->add_option("--queue", dump.queues, "queue id, a list (0,2) or 'all': one AF_XDP socket and thread per queue");
	d->add_option("--pin", dump.pin_cpus, "pin the receive threads to these CPUs (queue i -> CPU i mod n)")->delimiter(',');
	d->add_flag("--busy-poll", dump.busy_poll, "busy polling (SO_PREFER_BUSY_POLL, SO_BUSY_POLL_BUDGET)");
	d->add_option("--count", dump.count, "stop after N packets (default: until Ctrl-C)");
	auto *d_json = d->add_flag("--json", dump.json, "one JSON object per packet per line");
	d->add_option("-w", dump.write_file, "write the packets to FILE as pcapng (- for stdout: `-w - | tshark -r -`), "
					     "hints in each packet's comment")
		->option_text("FILE")
		->excludes(d_json);
	d->add_option("-s,--snaplen", dump.snaplen, "bytes of each packet written by -w (default and 0: 262144)")
		->check(CLI::Range(uint32_t(0), uint32_t(262144)));
	d->add_option("--hook", dump.hook, "hook to use instead of the one chosen from the driver (e.g. veth, generic)");
	auto *d_obj = d->add_option("--hook-object", dump.hook_object,
				    "bring your own hook: a BPF object with one XDP program (any section) and one XSKMAP");
	auto *d_layout = d->add_option("--layout", dump.layout, "decode every packet with this struct (hooks that write "
								"no id); from the object's BTF, else its DWARF (-g)");
	d->add_option("--layout-btf", dump.layout_btf, "where the --layout struct is described when the object has it "
						       "in neither BTF nor DWARF: raw BTF, or an object built with -g")
		->needs(d_obj)
		->needs(d_layout);
	d->add_option("--fields", dump.fields, "specialise the hook to these hints (e.g. rx_timestamp,rx_hash): "
					      "the verifier drops the other kfunc calls and a smaller layout is written")
		->delimiter(',');
	d->add_flag("--ptp-split", dump.ptp_split, "PTP event packets get the timestamp layout, others the hash layout");
	d->add_option("--user-object", dump.user_object, "your XDP logic (xdp_hints_user) run inside the hook, "
							 "CO-RE-relocated against the layout it writes");
	d->add_flag("--replace", dump.replace, "swap out an XDP program already attached to IFNAME (atomically, after "
					       "every other step succeeded); it is put back when dump exits");
	auto *d_hw = d->add_flag("--hwtstamp", dump.hwtstamp, "enable RX hardware timestamping for every packet "
							      "(SIOCSHWTSTAMP), restored on exit, even over a filter "
							      "someone else set");
	d->add_flag("--leave-hwtstamp", dump.leave_hwtstamp,
		    "leave the interface's hardware timestamping as it is (by default, when the hook reads "
		    "timestamps and RX timestamping is off, dump turns it on for the run and restores it)")
		->excludes(d_hw);
	std::string clock = "tai";
	d->add_option("--clock", clock, "the clock rx_timestamps are shown in: tai (default; hardware ones "
					"converted through the PHC), realtime (UTC), phc (as written, unconverted)")
		->check(CLI::IsMember({"tai", "realtime", "phc"}));
	std::string dump_transport = "auto";
	d->add_option("--transport", dump_transport, kTransportHelp)->check(CLI::IsMember({"auto", "meta", "prefix"}));
	d->add_flag("--copy", copy, "force copy mode");
	d->add_flag("--zero-copy", zc, "force zero-copy mode (fail if unsupported)");
	d->add_option("--stats-interval", dump.stats_interval, "seconds between statistics lines on stderr (0: only at exit)");
	d->add_option("--ring-size", dump.ring_size, "fill and RX ring descriptors per queue, a power of two (default: 8192 "
						      "up to 4 queues, 4096 up to 8, else 2048; 8192 is 40 ms of packets at 200,000/s "
						      "before the kernel drops); umem: that + 2048 frames of 4 KiB per queue")
		->check(CLI::IsMember({256u, 512u, 1024u, 2048u, 4096u, 8192u, 16384u, 32768u}));
	d->add_option("--buffer-size", dump.buffer_size, "bytes of output queued for a slow reader; records beyond "
							"are dropped and counted (default 32 MiB)")
		->check(CLI::Range(size_t(4096), size_t(1) << 32));

	ResetArgs reset;
	auto *r = app.add_subcommand("reset", "Put back what a killed dump left on IFNAME: the XDP program --replace "
					      "swapped out, the --hwtstamp setting");
	r->add_option("IFNAME", reset.ifname, "interface")->required();

	DemoArgs demo;
	auto *m = app.add_subcommand("demo", "Self-contained demo: own namespaces + veth, real traffic, decoded hints");
	m->add_option("--packets-per-flow", demo.packets_per_flow, "packets sent on each flow");
	m->add_flag("--json", demo.json, "JSON lines instead of the table");
	m->add_option("-w", demo.write_file, "also write the packets as pcapng to FILE, as dump -w (\"-\": stdout, "
						     "instead of the table): open it with tshark -r FILE or Wireshark");
	std::string demo_transport = "auto";
	m->add_option("--transport", demo_transport, kTransportHelp)->check(CLI::IsMember({"auto", "meta", "prefix"}));

	CLI11_PARSE(app, argc, argv);
	install_signals();

	if (*p)
		return cmd_probe(probe);
	if (*l) {
		if (layout.ifname.empty() && layout.object.empty() && layout.btf.empty()) {
			std::fprintf(stderr, "xdp-hints layout: name an interface, --object FILE.o or --btf FILE\n");
			return 2;
		}
		return cmd_layout(layout);
	}
	if (*d) {
		if (copy && zc) {
			std::fprintf(stderr, "xdp-hints dump: --copy and --zero-copy exclude each other\n");
			return 2;
		}
		if (copy)
			dump.zero_copy = false;
		if (zc)
			dump.zero_copy = true;
		dump.clock = clock == "realtime" ? xdphints::render::Clock::realtime
			     : clock == "phc"    ? xdphints::render::Clock::phc
						 : xdphints::render::Clock::tai;
		dump.transport = *xdphints::hook::parse_transport(dump_transport);
		return cmd_dump(dump);
	}
	if (*m) {
		demo.transport = *xdphints::hook::parse_transport(demo_transport);
		return cmd_demo(demo);
	}
	if (*r)
		return cmd_reset(reset);
	return 2;
}
