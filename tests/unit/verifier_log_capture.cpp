// What libbpf prints while a hook loads is kept for the error, not printed (LibbpfCapture),
// and written out only when asked (XDP_HINTS_VERIFIER_LOG); attach refusals by the kernel's
// extended ack or, through a bpf_link, by the errno in its context. No kernel: libbpf
// prints its warnings for a file it cannot open, and the attach texts are the kernel's own
// (net/core/dev.c dev_xdp_attach, drivers/net/veth.c veth_xdp_set).
#include "../../hints-hook/src/load_failure.hpp"

#include <xdphints/hook/load_error.hpp>

#include "temp_dir.hpp"

#include <bpf/libbpf.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

// A print function of an application's: what reaches it, by level.
std::string g_printed;
int g_debug_lines = 0;

int app_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char buf[512];
	std::vsnprintf(buf, sizeof(buf), fmt, args);
	if (level == LIBBPF_DEBUG)
		g_debug_lines++;
	else
		g_printed += buf;
	return 0;
}

// libbpf warns: "libbpf: elf: failed to open PATH: No such file or directory".
void open_missing(const char *path)
{
	bpf_object *obj = bpf_object__open_file(path, nullptr);
	REQUIRE(obj == nullptr);
}

struct AppPrint {
	libbpf_print_fn_t before = libbpf_set_print(app_print);
	AppPrint()
	{
		g_printed.clear();
		g_debug_lines = 0;
	}
	~AppPrint() { libbpf_set_print(before); }
};

} // namespace

TEST_CASE("libbpf's lines during a load are kept for the error, and printed as before otherwise",
	  "[unit][load-error]")
{
	AppPrint app;

	// Taken: kept for the error, never printed.
	{
		detail::LibbpfCapture c;
		open_missing("/nonexistent/xh-a.bpf.o");
		std::string kept = c.take();
		CHECK_THAT(kept, Catch::Contains("libbpf: elf: failed to open /nonexistent/xh-a.bpf.o"));
	}
	CHECK(g_printed.empty());

	// Not taken (a load that succeeded): handed on, in order, when the capture ends.
	{
		detail::LibbpfCapture c;
		open_missing("/nonexistent/xh-b.bpf.o");
		open_missing("/nonexistent/xh-c.bpf.o");
		CHECK(g_printed.empty());
	}
	CHECK_THAT(g_printed, Catch::Contains("xh-b.bpf.o") && Catch::Contains("xh-c.bpf.o"));
	CHECK(g_printed.find("xh-b.bpf.o") < g_printed.find("xh-c.bpf.o"));

	// Another thread's lines during a capture are not this load's: printed at once.
	g_printed.clear();
	{
		detail::LibbpfCapture c;
		std::thread([] { open_missing("/nonexistent/xh-other.bpf.o"); }).join();
		CHECK_THAT(g_printed, Catch::Contains("xh-other.bpf.o"));
		CHECK(c.take().empty());
	}

	// Outside a capture the application's print function gets everything, as before.
	g_printed.clear();
	open_missing("/nonexistent/xh-d.bpf.o");
	CHECK_THAT(g_printed, Catch::Contains("xh-d.bpf.o"));
}

namespace {

libbpf_print_fn_t g_chained_to = nullptr;
int g_chained_calls = 0;

// An application's print function installed after the router, handing every line on to
// the function it replaced (the router), as the router does.
int chaining_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level != LIBBPF_DEBUG) // debug lines pass the router at once, captured or not
		g_chained_calls++;
	return g_chained_to ? g_chained_to(level, fmt, args) : 0;
}

} // namespace

TEST_CASE("an application's print function that chains to the router gets each line once", "[unit][load-error]")
{
	AppPrint app;
	size_t lines = 0;
	{
		detail::LibbpfCapture first; // the router is in front of app_print
		open_missing("/nonexistent/xh-chain.bpf.o");
		for (char ch : first.take())
			lines += ch == '\n';
	}
	REQUIRE(lines > 0);
	g_chained_to = libbpf_set_print(chaining_print);
	g_chained_calls = 0;
	{
		detail::LibbpfCapture c; // the router goes in front of chaining_print
		open_missing("/nonexistent/xh-chain.bpf.o");
	}
	// Each line handed on once, back to the router, and printed (stderr) rather than looping.
	CHECK(g_chained_calls == int(lines));
	libbpf_set_print(app.before);
}

TEST_CASE("a failed load's lines go to XDP_HINTS_VERIFIER_LOG when asked, as a recording", "[unit][load-error]")
{
	xdphints::test::TempDir dir("xh-vlog");
	const std::string path = (dir.path / "kept.log").string();
	const std::string lines = "libbpf: prog 'xdp_hints_hook': BPF program load failed: Invalid argument\n"
				  "libbpf: prog 'xdp_hints_hook': -- BEGIN PROG LOAD LOG --\n"
				  "287: (85) call bpf_xdp_adjust_meta#54\n"
				  "program of this type cannot use helper bpf_xdp_adjust_meta#54\n"
				  "processed 144 insns (limit 1000000) max_states_per_insn 0 total_states 9\n"
				  "-- END PROG LOAD LOG --\n"
				  "libbpf: prog 'xdp_hints_hook': failed to load: -22\n";
	FailureContext ctx{"load hook veth bound to eth1 (driver veth)", "veth", "", "", "eth1", "veth", true,
			   AttachMode::driver};

	unsetenv("XDP_HINTS_VERIFIER_LOG");
	Error quiet = detail::load_failure(-EINVAL, lines, ctx);
	CHECK_THAT(quiet.message, !Catch::Contains("libbpf's lines are in"));

	setenv("XDP_HINTS_VERIFIER_LOG", path.c_str(), 1);
	Error e = detail::load_failure(-EINVAL, lines, ctx);
	unsetenv("XDP_HINTS_VERIFIER_LOG");
	INFO(e.message);
	CHECK(e.message == quiet.message.substr(0, quiet.message.size() - 1) + "; libbpf's lines are in " + path + ")");
	CHECK(e.code == Errc::unsupported);

	std::ifstream in(path);
	REQUIRE(in);
	std::stringstream ss;
	ss << in.rdbuf();
	const std::string kept = ss.str();
	CHECK_THAT(kept, Catch::StartsWith("# xdp-hints: a failed BPF program load or attach, as libbpf 1."));
	for (const char *line : {"\n# op: load\n", "\n# errno: 22 (Invalid argument)\n",
				 "\n# what: load hook veth bound to eth1 (driver veth)\n", "\n# hook: veth\n",
				 "\n# ifname: eth1\n", "\n# driver: veth\n", "\n# dev_bound: 1\n", "\n# mode: driver\n"})
		CHECK_THAT(kept, Catch::Contains(line));
	CHECK(kept.substr(kept.size() - lines.size()) == lines);
}

TEST_CASE("attach refusals: the kernel's extended ack, else the errno in its context", "[unit][load-error]")
{
	FailureContext veth{"attach hook veth to v0 in driver mode", "veth", "", "", "v0", "veth", true, AttachMode::driver};
	FailureContext skb = veth;
	skb.what = "attach hook veth to v0 in generic (SKB) mode";
	skb.mode = AttachMode::skb;
	FailureContext virtio = veth;
	virtio.what = "attach hook virtio_net to nic0 in driver mode";
	virtio.hook = "virtio_net";
	virtio.ifname = "nic0";
	virtio.driver = "virtio_net";
	FailureContext e1000 = virtio;
	e1000.hook = "generic";
	e1000.driver = "e1000";
	e1000.dev_bound = false;

	struct Row {
		int err;
		const char *said; // libbpf's line with the extack, "" through a bpf_link
		const FailureContext *ctx;
		const char *cause;
		const char *says;
	} rows[] = {
		// veth_xdp_set (NL_SET_ERR_MSG_MOD: "veth: " in front).
		{ERANGE, "libbpf: Kernel error message: veth: Peer MTU is too large to set XDP\n", &veth, "mtu",
		 "attach hook veth to v0 in driver mode: the MTU of the veth peer of v0 is larger than veth allows for "
		 "XDP without fragments (kernel: \"veth: Peer MTU is too large to set XDP\"; Numerical result out of "
		 "range) (lower the peer's MTU"},
		{ERANGE, "", &veth, "mtu", "larger than veth allows for XDP without fragments (Numerical result out of range)"},
		{ENOTCONN, "", &veth, "peer_detached", "veth v0 has no peer"},
		{ENOSPC, "libbpf: Kernel error message: veth: XDP expects number of rx queues not less than peer tx queues\n",
		 &veth, "queue_count", "veth v0 has fewer RX queues than its peer has TX queues"},
		// dev_xdp_attach.
		{EINVAL, "libbpf: Kernel error message: Can't attach device-bound programs in generic mode\n", &skb,
		 "dev_bound_skb", "a device-bound program cannot run in generic (SKB) mode"},
		{EINVAL, "", &skb, "dev_bound_skb", "attach it in driver mode (HookOptions::mode automatic or driver)"},
		{EINVAL, "libbpf: Kernel error message: Program bound to different device\n", &veth, "dev_bound_elsewhere",
		 "the program is bound to another device than v0"},
		{EOPNOTSUPP, "libbpf: Kernel error message: Underlying driver does not support XDP in native mode\n",
		 &e1000, "no_native_xdp", "driver e1000 has no native XDP"},
		{EEXIST, "libbpf: Kernel error message: Native and generic XDP can't be active at the same time\n", &veth,
		 "busy", "the kernel said \"Native and generic XDP can't be active at the same time\" (File exists)"},
		{EBUSY, "", &veth, "busy", "Device or resource busy (v0 already has an XDP program"},
		{EPERM, "", &veth, "permission", "run as root or grant CAP_BPF+CAP_NET_ADMIN"},
		// virtio_net: "MTU too large to enable XDP (without frags)" (EINVAL).
		{EINVAL, "libbpf: Kernel error message: virtio_net: MTU too large to enable XDP without frags\n", &virtio,
		 "mtu", "the MTU of nic0 is larger than driver virtio_net allows for XDP without fragments"},
		// Through a bpf_link an EINVAL in driver mode has no single cause: none is made up.
		{EINVAL, "", &virtio, "other", "the kernel gave no reason (a bpf_link attach returns only the errno)"},
		// libbpf lines without the kernel's words are not quoted as the kernel's.
		{EINVAL, "libbpf: netlink: failed to get XDP info\n", &virtio, "other", "the kernel gave no reason"},
	};
	for (const auto &r : rows) {
		INFO(r.err << " " << r.said);
		auto d = diagnose_attach(r.err, r.said, *r.ctx);
		CHECK(std::string(attach_cause_name(d.cause)) == r.cause);
		Error e = attach_error(r.err, d, *r.ctx);
		INFO(e.message);
		CHECK(e.sys_errno == r.err);
		CHECK_THAT(e.message, Catch::StartsWith(r.ctx->what + ": "));
		CHECK_THAT(e.message, Catch::Contains(r.says));
	}
}
