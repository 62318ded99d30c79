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
	return r;
}

const fs::path kDir = XDPHINTS_VERIFIER_LOGS_DIR;

// What a recording must give: its cause, the helper or kfunc named, and parts of the
// message (the cause in words, the kernel's own line, the fix); `never`: parts it must not
// contain.
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
		// Bound to a device whose driver has no XDP (lo): refused before verification.
		{"6.18-byo-fixed-lo.log", "no_xdp_driver", "",
		 {"bound to lo (driver unknown): lo has no XDP in its driver, so no program can be bound to it "
		  "(Operation not supported) (use the generic hook (--hook generic, SKB mode))"},
		 {kWrongKfuncs}},
		{"6.18-kfunc-unbound.log", "needs_dev_bound", "",
		 {"the program calls XDP RX metadata kfuncs but was not loaded device-bound",
		  "\"metadata kfuncs require device-bound program\"", "load it device-bound"},
		 {}},
		{"6.18-refused-helper.log", "refused_helper", "bpf_skb_vlan_push",
		 {"this kernel does not allow helper bpf_skb_vlan_push#18 in this program",
		  "\"program of this type cannot use helper bpf_skb_vlan_push#18\"",
		  "rebuild the hook without bpf_skb_vlan_push"},
		 {"--transport"}},
		{"6.18-too-complex.log", "too_complex", "",
		 {"the program is too complex for the verifier", "\"The sequence of 8193 jumps is too complex.\"",
		  "Argument list too long", "stops after 1,000,000 instructions"},
		 {}},
		{"6.18-too-long.log", "too_complex", "",
		 {"the program is too complex for the verifier", "\"BPF program is too large. Processed 1000001 insn\""},
		 {}},
		// No cause of its own: the verifier's complaint quoted, with where it stopped.
		{"6.18-unchecked-packet.log", "verifier", "",
		 {"load unchecked_packet.bpf.o (bpftool): the verifier refused the program (verifier at insn 1 "
		  "`r1 = *(u8 *)(r1 +12)` from `return data[12] == 0x08 ? XDP_PASS : XDP_DROP; @ "
		  "unchecked_packet.bpf.c:12`: \"invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0) / R1 "
		  "offset is outside of the packet\"; Permission denied)",
		  "change the program where the verifier stopped; the verifier's full log: set "
		  "XDP_HINTS_VERIFIER_LOG=FILE and run again"},
		 {}},
		{"6.18-stack.log", "stack_limit", "",
		 {"the program's stack is larger than the verifier allows",
		  "\"combined stack size of 2 calls is 640. Too large\"", "512 bytes for all its calls together"},
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
	REQUIRE(files.size() >= expectations().size());
	for (const auto &f : files) {
		const Expect *x = nullptr;
		for (const auto &e : expectations())
			if (e.file == f)
				x = &e;
		INFO(f);
		REQUIRE(x); // a recording without an expectation
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
}
