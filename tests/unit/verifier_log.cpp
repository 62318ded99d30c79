// Load and attach refusals read from what real kernels said: every file in
// tests/unit/verifier_logs was recorded by record.sh there (on this machine's 6.18, and in
// the kernel tier's Debian guests), its header the context the library wrote with it
// (XDP_HINTS_VERIFIER_LOG). Each must classify as expected here, with its cause and fix in
// the message; a new recording fails until its expectation is written down.
#include <xdphints/hook/load_error.hpp>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

namespace fs = std::filesystem;

struct Recording {
	std::map<std::string, std::string> head; // "# key: value" lines
	std::string body;                        // libbpf's lines, as printed
	int err = 0;
	FailureContext ctx;
};

Recording read_recording(const fs::path &p)
{
	std::ifstream in(p);
	REQUIRE(in);
	Recording r;
	std::string line;
	bool in_head = true;
	while (std::getline(in, line)) {
		if (in_head && line.rfind("# ", 0) == 0) {
			size_t colon = line.find(": ");
			if (colon == std::string::npos) {
				size_t c = line.find(':');
				if (c != std::string::npos)
					r.head[line.substr(2, c - 2)] = "";
			} else {
				r.head[line.substr(2, colon - 2)] = line.substr(colon + 2);
			}
			continue;
		}
		in_head = false;
		r.body += line + "\n";
	}
	r.err = std::atoi(r.head["errno"].c_str());
	r.ctx.what = r.head["what"];
	r.ctx.hook = r.head["hook"];
	r.ctx.object = r.head["object"];
	r.ctx.user_object = r.head["user_object"];
	r.ctx.ifname = r.head["ifname"];
	r.ctx.driver = r.head["driver"];
	r.ctx.dev_bound = r.head["dev_bound"] == "1";
	r.ctx.mode = r.head["mode"] == "skb" ? AttachMode::skb : AttachMode::driver;
	if (r.head.count("kernel_kfuncs"))
		r.ctx.kernel_kfuncs = unsigned(std::atoi(r.head["kernel_kfuncs"].c_str()));
	return r;
}

const fs::path kDir = XDPHINTS_VERIFIER_LOGS_DIR;

// What a recording must give: its cause, the helper or kfunc named, and parts of the
// message (the cause in words, the kernel's own line, the fix); `never`: parts it must not
// contain. `file`: a recording's name (RELEASE-CASE.log), or a case's (CASE.log) for every
// release where the kernels say the same.
struct Expect {
	std::string file;
	std::string cause; // load_cause_name / attach_cause_name
	std::string name;
	std::vector<std::string> says;
	std::vector<std::string> never;
};

const std::string kWrongKfuncs = "does not implement XDP RX metadata kfuncs";

const std::vector<Expect> &expectations()
{
	static const std::vector<Expect> e = {
		// This machine (6.18, a Firecracker build): the metadata area refused in every XDP
		// program. `make demo` said "driver veth does not implement XDP RX metadata kfuncs".
		{"6.18-demo.log", "refused_helper", "bpf_xdp_adjust_meta",
		 {"load hook veth bound to xh2a (driver veth): this kernel refuses helper bpf_xdp_adjust_meta#54 in XDP "
		  "programs, so it gives them no metadata area",
		  "(verifier: \"program of this type cannot use helper bpf_xdp_adjust_meta#54\"; Invalid argument)",
		  "(use the prefix transport: --transport prefix, or HookOptions::transport = Transport::prefix)"},
		 {kWrongKfuncs, "--hook generic"}},
		// The generic hook (no kfuncs, SKB mode) the same: "--hook generic" is no fix here.
		{"6.18-generic.log", "refused_helper", "bpf_xdp_adjust_meta",
		 {"load hook generic for v0 (driver veth): this kernel refuses helper bpf_xdp_adjust_meta#54",
		  "--transport prefix"},
		 {kWrongKfuncs, "--hook generic"}},
		// A brought-in hook: where it calls the helper, and no option of ours to turn.
		{"6.18-byo-fixed.log", "refused_helper", "bpf_xdp_adjust_meta",
		 {"this kernel refuses helper bpf_xdp_adjust_meta#54",
		  "verifier at insn 13 `call bpf_xdp_adjust_meta#54` from `if (bpf_xdp_adjust_meta(ctx, "
		  "-(int)sizeof(meta))) @ byo_fixed.bpf.c:47`",
		  "this hook writes its hints into the metadata area: use a built-in hook with the prefix transport"},
		 {kWrongKfuncs}},
		// Debian 12's 6.1: no XDP RX metadata kfuncs. libbpf resolves the externs first (in
		// name order, rx_hash before rx_timestamp), before the kernel sees the program; its
		// ESRCH ("No such process") is no cause to show.
		{"6.1-byo-fixed.log", "missing_kfunc", "bpf_xdp_metadata_rx_hash",
		 {"bound to v0 (driver veth): this kernel has no kfunc bpf_xdp_metadata_rx_hash (Linux >= 6.3 has it) "
		  "(libbpf: \"extern (func ksym) 'bpf_xdp_metadata_rx_hash': not found in kernel or module BTFs\") "
		  "(run Linux >= 6.3, or rebuild the hook without bpf_xdp_metadata_rx_hash"},
		 {kWrongKfuncs, "No such process"}},
		{"6.1-byo-fixed-lo.log", "missing_kfunc", "bpf_xdp_metadata_rx_hash",
		 {"this kernel has no kfunc bpf_xdp_metadata_rx_hash (Linux >= 6.3 has it)"},
		 {kWrongKfuncs}},
		{"6.1-kfunc-unbound.log", "missing_kfunc", "bpf_xdp_metadata_rx_hash",
		 {"this kernel has no kfunc bpf_xdp_metadata_rx_hash (Linux >= 6.3 has it)"},
		 {"No such process"}},
		// The VLAN kfunc alone: named with its own release.
		{"6.1-vlan-tag.log", "missing_kfunc", "bpf_xdp_metadata_rx_vlan_tag",
		 {": this kernel has no kfunc bpf_xdp_metadata_rx_vlan_tag (Linux >= 6.8 has it) (libbpf: \"extern (func "
		  "ksym) 'bpf_xdp_metadata_rx_vlan_tag': not found in kernel or module BTFs\") (run Linux >= 6.8"},
		 {}},
		// The built-in hook's object brought in: its kfuncs are weak (resolved to nothing),
		// so it reaches the kernel device-bound, and 6.1 refuses the flag before verifying.
		{"6.1-byo-hook-veth.log", "no_dev_bound", "",
		 {"bound to v0 (driver veth): this kernel has no device-bound XDP programs (Linux >= 6.3, with the XDP RX "
		  "metadata kfuncs, none of which it has): it refused to bind the program to v0 before verifying it "
		  "(Invalid argument) (run Linux >= 6.3, or drop the XDP RX metadata kfuncs from the hook"},
		 {kWrongKfuncs, "CONFIG_DEBUG_INFO_BTF"}},
		// Before 6.3 a helper not given to the program type is "unknown func".
		{"6.1-refused-helper.log", "refused_helper", "bpf_skb_vlan_push",
		 {"this kernel does not allow helper bpf_skb_vlan_push#18 in this program",
		  "\"unknown func bpf_skb_vlan_push#18\"", "rebuild the hook without bpf_skb_vlan_push"},
		 {}},
		// The same complaint with EFAULT: 6.1 returned it for this log (libbpf's buffer).
		{"6.1-too-complex.log", "too_complex", "",
		 {"the program is too complex for the verifier (verifier: \"The sequence of 8193 jumps is too complex.\"; "
		  "Bad address)"},
		 {}},
		// Bound to a device whose driver has no XDP (lo): refused before verification.
		{"byo-fixed-lo.log", "no_xdp_driver", "",
		 {"bound to lo (driver unknown): lo has no XDP in its driver, so no program can be bound to it "
		  "(Operation not supported) (use the generic hook (--hook generic, SKB mode))"},
		 {kWrongKfuncs}},
		// Not device-bound: the metadata kfunc of VLAN tags (6.8) on a kernel that has it.
		{"vlan-tag.log", "needs_dev_bound", "",
		 {": the program calls XDP RX metadata kfuncs but was not loaded "
		  "device-bound (verifier: \"metadata kfuncs require device-bound program\"; Invalid argument)"},
		 {}},
		{"kfunc-unbound.log", "needs_dev_bound", "",
		 {"the program calls XDP RX metadata kfuncs but was not loaded device-bound",
		  "\"metadata kfuncs require device-bound program\"", "load it device-bound"},
		 {}},
		{"refused-helper.log", "refused_helper", "bpf_skb_vlan_push",
		 {"this kernel does not allow helper bpf_skb_vlan_push#18 in this program",
		  "\"program of this type cannot use helper bpf_skb_vlan_push#18\"",
		  "rebuild the hook without bpf_skb_vlan_push"},
		 {"--transport"}},
		{"too-complex.log", "too_complex", "",
		 {"the program is too complex for the verifier", "\"The sequence of 8193 jumps is too complex.\"",
		  "Argument list too long", "stops after 1,000,000 instructions"},
		 {}},
		{"too-long.log", "too_complex", "",
		 {"the program is too complex for the verifier", "\"BPF program is too large. Processed 1000001 insn\""},
		 {}},
		// No cause of its own: the verifier's complaint quoted, with where it stopped.
		{"unchecked-packet.log", "verifier", "",
		 {": the verifier refused the program (verifier at insn 1 `r1 = *(u8 *)(r1 +12)` from `return data[12] "
		  "== 0x08 ? XDP_PASS : XDP_DROP;", // then " @ unchecked_packet.bpf.c:12" from 6.x on
		  "`: \"invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0) / R1 offset is outside of the "
		  "packet\"; Permission denied)",
		  "change the program where the verifier stopped; the verifier's full log: set "
		  "XDP_HINTS_VERIFIER_LOG=FILE and run again"},
		 {}},
		// Linux 7.x: its own wording, and a report after the complaint whose suggestion is
		// passed on.
		{"7.3-unchecked-packet.log", "verifier", "",
		 {": the verifier refused the program (verifier at insn 1 `r1 = *(u8 *)(r1 +12)` from `return data[12] "
		  "== 0x08 ? XDP_PASS : XDP_DROP; @ unchecked_packet.bpf.c:12`: \"invalid access to packet, off=12 size=1, "
		  "R1(id=0,off=12,r=0) / R1 min value is outside of the allowed memory range\"; Permission denied) (change "
		  "the program where the verifier stopped; the kernel suggests: Add or adjust a bounds check that proves "
		  "offset + access_size stays within the object; the verifier's full log: set XDP_HINTS_VERIFIER_LOG=FILE "
		  "and run again)"},
		 {"Suggestion:", "Verification failed"}},
		{"stack.log", "stack_limit", "",
		 {"the program's stack is larger than the verifier allows",
		  "\"combined stack size of 2 calls is 640. Too large\"", "512 bytes for all its calls together"},
		 {}},
		// Attach: the veth peer's MTU (9000) above what veth takes for XDP without
		// fragments. Through a bpf_link the errno alone, which veth gives for nothing else;
		// through netlink (--replace) the kernel's own words as well.
		{"veth-mtu.log", "mtu", "",
		 {"attach hook veth to v0 in driver mode: the MTU of the veth peer of v0 is larger than veth allows for "
		  "XDP without fragments (Numerical result out of range) (lower the peer's MTU (ip link set dev PEER mtu "
		  "1500), or attach in generic mode (--hook generic))"},
		 {}},
		{"veth-mtu-replace.log", "mtu", "",
		 {"(name pass) on v0 (driver mode; it stays attached): the MTU of the veth peer of v0 is larger than veth "
		  "allows for XDP without fragments (kernel: \"veth: Peer MTU is too large to set XDP\"; Numerical result "
		  "out of range) (lower the peer's MTU"},
		 {}},
	};
	return e;
}

std::string cause_of(const Recording &r, std::string &name, Error &err)
{
	if (r.head.at("op") == "attach") {
		auto d = diagnose_attach(r.err, r.body, r.ctx);
		err = attach_error(r.err, d, r.ctx);
		return attach_cause_name(d.cause);
	}
	auto d = diagnose_load(r.err, r.body, r.ctx);
	name = d.name;
	err = load_error(r.err, d, r.ctx);
	return load_cause_name(d.cause);
}

} // namespace

TEST_CASE("verifier logs recorded on real kernels: each refusal's cause and fix", "[unit][load-error]")
{
	std::vector<std::string> files;
	for (const auto &e : fs::directory_iterator(kDir))
		if (e.path().extension() == ".log")
			files.push_back(e.path().filename());
	std::set<std::string> used;
	for (const auto &f : files) {
		const Expect *x = nullptr;
		const std::string case_file = f.substr(f.find('-') + 1);
		for (const auto &e : expectations())
			if (e.file == f || (!x && e.file == case_file))
				x = &e;
		INFO(f);
		REQUIRE(x); // a recording without an expectation
		used.insert(x->file);
		Recording r = read_recording(kDir / f);
		INFO(r.head["command"]);
		REQUIRE(r.err != 0);
		std::string name;
		Error err;
		CHECK(cause_of(r, name, err) == x->cause);
		CHECK(name == x->name);
		INFO(err.message);
		CHECK(err.sys_errno == r.err);
		CHECK(err.message.rfind(r.ctx.what + ": ", 0) == 0);
		for (const auto &s : x->says)
			CHECK_THAT(err.message, Catch::Contains(s));
		for (const auto &s : x->never)
			CHECK_THAT(err.message, !Catch::Contains(s));
	}
	for (const auto &e : expectations()) {
		INFO(e.file);
		CHECK(used.count(e.file)); // an expectation without a recording
	}
}

TEST_CASE("a missing kfunc in a built-in hook's load: the hints to leave out, or the release", "[unit][load-error]")
{
	// The lines 6.1 gave for the VLAN kfunc, as a built-in hook's load would get them.
	Recording r = read_recording(kDir / "6.1-vlan-tag.log");
	FailureContext ctx{"load hook veth bound to eth1 (driver veth)", "veth", "", "", "eth1", "veth", true,
			   AttachMode::driver};
	auto d = diagnose_load(r.err, r.body, ctx);
	CHECK(d.cause == LoadCause::missing_kfunc);
	CHECK(d.since == "6.8");
	Error e = load_error(r.err, d, ctx);
	CHECK(e.code == Errc::unsupported);
	CHECK(e.message == "load hook veth bound to eth1 (driver veth): this kernel has no kfunc "
			   "bpf_xdp_metadata_rx_vlan_tag (Linux >= 6.8 has it) (libbpf: \"extern (func ksym) "
			   "'bpf_xdp_metadata_rx_vlan_tag': not found in kernel or module BTFs\") (leave out rx_vlan_tci, "
			   "rx_vlan_proto (--fields; HookOptions::hints), or leave out --hook to get the best hook this kernel "
			   "can run, or run Linux >= 6.8)");
}
