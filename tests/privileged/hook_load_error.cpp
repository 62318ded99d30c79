// A refused load or attach says the kernel's cause, read from what it said (load_error.hpp),
// on whatever kernel runs the test: what that kernel allows is probed first, and the
// expected answer follows from it, not from the release number. The first case is the
// demo's wrong message of issue 18: a device-bound hook calling the RX metadata kfuncs and
// bpf_xdp_adjust_meta, on a kernel that refuses the helper, was said to have a driver that
// "does not implement XDP RX metadata kfuncs".
#include "hook_testing.hpp"

#include <xdphints/hook/select.hpp>
#include <xdphints/hook/transport.hpp>

#include <catch2/catch.hpp>

#include <linux/bpf.h>

#include <cerrno>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

const std::string kExamples = XDPHINTS_BPF_EXAMPLES_DIR;

// Whether this kernel lets XDP programs call bpf_xdp_adjust_meta (transport.hpp's probe).
bool kernel_allows_adjust_meta()
{
	auto allowed = metadata_area_allowed();
	INFO((allowed ? std::string() : allowed.error().message));
	REQUIRE(allowed);
	return *allowed;
}

// Whether the kernel has the kfuncs of `hints` (its BTF says; select.hpp).
bool kernel_has(unsigned hints)
{
	auto k = kernel_kfunc_hints();
	REQUIRE(k);
	return (*k & hints) == hints;
}

// An XDP program of two instructions, not device-bound: return XDP_PASS.
edge::UniqueFd load_pass()
{
	const bpf_insn pass[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .src_reg = 0, .off = 0, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo);
	return edge::UniqueFd(bpf_prog_load(BPF_PROG_TYPE_XDP, "xh_le_pass", "Dual BSD/GPL", pass, 2, &lo));
}

bool has(const std::string &s, std::string_view part)
{
	return s.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("a refused hook load names the kernel's cause, never a driver without kfuncs", "[hook][load-error]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = xdphints::test::RxBed::make("hle");
	REQUIRE(bed);
	const bool meta = kernel_allows_adjust_meta();
	const bool kfuncs = kernel_has(hint::timestamp | hint::hash);

	// byo_fixed: device-bound (it calls the timestamp and hash kfuncs), then
	// bpf_xdp_adjust_meta: the shape of the built-in hooks with the meta transport.
	HookOptions o;
	o.ifname = bed->rx_if();
	o.object_path = kExamples + "/byo_fixed.bpf.o";
	o.layout = "xdp_meta";
	auto h = Hook::load(o);
	const std::string msg = h ? std::string() : h.error().message;
	INFO("meta area allowed: " << meta << ", kfuncs: " << kfuncs << "; " << msg);
	if (kfuncs && meta) {
		CHECK(h);
		return;
	}
	REQUIRE_FALSE(h);
	CHECK_FALSE(has(msg, "does not implement XDP RX metadata kfuncs"));
	CHECK(h.error().code == Errc::unsupported);
	if (!kfuncs) {
		// libbpf resolves the kfuncs first (in name order): rx_hash is the first missing.
		CHECK(has(msg, "this kernel has no kfunc bpf_xdp_metadata_rx_hash (Linux >= 6.3 has it)"));
		CHECK(has(msg, "not found in kernel or module BTFs"));
		CHECK(has(msg, "run Linux >= 6.3"));
		return;
	}
	// Refused for the metadata area: before load (the hook calls the helper) or by the
	// verifier, the helper named and the way out the prefix transport of the built-in hooks.
	CHECK(has(msg, "bpf_xdp_adjust_meta"));
	CHECK(has(msg, "prefix transport"));
}

TEST_CASE("a device-bound hook attached in generic (SKB) mode is refused for that", "[hook][load-error]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = xdphints::test::RxBed::make("hlg");
	REQUIRE(bed);
	HookOptions o;
	o.ifname = bed->rx_if();
	o.hook = "veth";
	o.hints = hint::timestamp | hint::hash; // whatever the kernel's VLAN kfunc
	o.mode = AttachMode::skb;
	if (!kernel_has(o.hints))
		return; // the kfuncs are missing: hook selection refuses (hook_select.cpp, unit)
	if (auto loaded = Hook::load(o); !loaded) {
		// The load is refused first: for the metadata area, on a kernel that refuses it.
		INFO(loaded.error().message);
		CHECK_FALSE(kernel_allows_adjust_meta());
		CHECK(has(loaded.error().message, "bpf_xdp_adjust_meta"));
		return;
	}
	auto h = Hook::attach(o);
	REQUIRE_FALSE(h);
	INFO(h.error().message);
	CHECK(has(h.error().message, "a device-bound program cannot run in generic (SKB) mode"));
	CHECK(has(h.error().message, "attach it in driver mode"));
	CHECK(h.error().sys_errno == EINVAL);
	CHECK(xdphints::test::xdp_query(bed->rx_index()).attach_mode == XDP_ATTACHED_NONE);
}

TEST_CASE("a veth peer MTU too large for XDP: the cause, through a bpf_link and through netlink",
	  "[hook][load-error]")
{
	if (!xdphints::test::privileged())
		return;
	testbed::VethOptions vo;
	vo.mtu = 9000; // both ends: above what veth takes for a program without XDP fragments
	auto tb = testbed::Testbed::create("hlm", vo);
	REQUIRE(tb);
	auto scope = testbed::NetnsScope::enter(tb->rx_ns);
	REQUIRE(scope);
	// The generic hook in driver mode: native XDP on veth whatever kfuncs the kernel has.
	HookOptions o;
	o.ifname = tb->rx().ifname;
	o.hook = "generic";
	o.mode = AttachMode::driver;
	if (auto loaded = Hook::load(o); !loaded) {
		INFO(loaded.error().message);
		CHECK_FALSE(kernel_allows_adjust_meta()); // the only refusal this test expects before attach
		return;
	}

	// bpf_link: the errno alone (ERANGE), which veth gives only for the peer's MTU.
	auto h = Hook::attach(o);
	REQUIRE_FALSE(h);
	INFO(h.error().message);
	CHECK(h.error().sys_errno == ERANGE);
	CHECK(has(h.error().message, "the MTU of the veth peer of " + o.ifname + " is larger than veth allows for XDP "
				     "without fragments"));
	CHECK(has(h.error().message, "lower the peer's MTU"));

	// netlink (--replace over a program in generic mode): the kernel's own words as well.
	auto pass = load_pass();
	REQUIRE(pass);
	REQUIRE(bpf_xdp_attach(tb->rx().ifindex, pass.get(), XDP_FLAGS_SKB_MODE, nullptr) == 0);
	o.replace = true;
	auto r = Hook::attach(o);
	REQUIRE_FALSE(r);
	INFO(r.error().message);
	CHECK(r.error().sys_errno == ERANGE);
	CHECK(has(r.error().message, "Peer MTU is too large to set XDP"));
	CHECK(has(r.error().message, "lower the peer's MTU"));
	// The swap failed as a whole: the generic-mode program is attached as before.
	auto q = xdphints::test::xdp_query(tb->rx().ifindex);
	CHECK(q.attach_mode == XDP_ATTACHED_SKB);
	(void)bpf_xdp_detach(tb->rx().ifindex, XDP_FLAGS_SKB_MODE, nullptr);
}

TEST_CASE("user logic the verifier refuses: its complaint quoted, where, and the fix in the user's object",
	  "[hook][load-error][user]")
{
	if (!xdphints::test::privileged())
		return;
	auto bed = xdphints::test::RxBed::make("hlu");
	REQUIRE(bed);
	xdphints::test::BpfCompiler cc;
	// The build's vmlinux.h (the running kernel's lacks enum xdp_rss_hash_type before 6.3).
	std::filesystem::copy_file(std::string(XDPHINTS_VMLINUX_DIR) + "/vmlinux.h", cc.dir / "vmlinux.h");
	// A packet byte read without the bounds check the verifier asks for.
	const std::string obj = cc.build_text("#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n"
					      "#include <xdp_hints/helpers.bpf.h>\n",
					      "unchecked_user", R"(
__attribute__((noinline)) int xdp_hints_user(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;

	return data[12] == 0x08 ? XDP_HINTS_CONTINUE : XDP_DROP;
}
char LICENSE[] SEC("license") = "Dual BSD/GPL";
)");
	HookOptions o;
	o.ifname = bed->rx_if();
	o.user_object = obj;
	auto h = Hook::load(o);
	REQUIRE_FALSE(h);
	const std::string &msg = h.error().message;
	INFO(msg);
	CHECK(has(msg, ": the verifier refused the program (verifier at insn "));
	CHECK(has(msg, "from `return data[12] == 0x08 ? XDP_HINTS_CONTINUE : XDP_DROP;")); // "@ FILE:LINE" from 6.x
	CHECK(has(msg, "invalid access to packet"));
	CHECK(has(msg, "if the verifier stopped in your XDP logic (" + obj + "), change it there"));
	CHECK(h.error().code == Errc::invalid_argument);
	CHECK(h.error().sys_errno == EACCES);
}
