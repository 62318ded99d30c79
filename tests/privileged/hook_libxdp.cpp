// An interface taken by a program that libxdp's xdp-loader attached: the hook refuses it
// and names what runs there. With a working dispatcher (freplace allowed) the refusal
// lists the dispatcher's programs (libxdp's xdp_multiprog); where the kernel refuses the
// dispatcher, xdp-loader attaches the program alone and the refusal names that program.
#include <xdphints/edge/xdp_query.hpp>
#include <xdphints/hook/hook.hpp>

#include "hook_testing.hpp"

#include <sys/mount.h>

using namespace xdphints;
using namespace xdphints::hook;
using xdphints::test::RxBed;
using xdphints::test::TempDir;

namespace {

// A bpffs of the test's own for libxdp's dispatcher state (LIBXDP_BPFFS), unmounted after.
struct OwnBpffs {
	TempDir dir{"xh-libxdp"};
	bool mounted = false;
	OwnBpffs()
	{
		mounted = mount("bpf", dir.path.c_str(), "bpf", 0, nullptr) == 0;
		if (mounted)
			setenv("LIBXDP_BPFFS", dir.path.c_str(), 1);
	}
	~OwnBpffs()
	{
		unsetenv("LIBXDP_BPFFS");
		if (mounted)
			umount2(dir.path.c_str(), MNT_DETACH);
	}
};

} // namespace

TEST_CASE("an interface with a program xdp-loader attached is refused, the programs named", "[hook][libxdp]")
{
	if (!xdphints::test::privileged())
		return;
	OwnBpffs fs;
	REQUIRE(fs.mounted);
	auto bed = RxBed::make("hkx");
	REQUIRE(bed);
	// libxdp's own pass-all filter: xdp-loader attaches it on every kernel, through the
	// dispatcher where freplace works (6.12 under QEMU), alone where it does not (here).
	const std::string obj = XDPHINTS_LIBXDP_FILTER_OBJ;
	INFO("libxdp's xdpfilt_alw_all.o: " << obj << " (package libxdp1; scripts/install-deps installs it)");
	REQUIRE(obj.find("NOTFOUND") == std::string::npos);
	auto loaded = bed->bed.rx_ns.exec({"xdp-loader", "load", "-m", "skb", bed->rx_if(), obj});
	INFO((loaded ? *loaded : loaded.error().message));
	REQUIRE(loaded);
	auto cur = edge::attached_xdp(bed->rx_index(), bed->rx_if());
	REQUIRE(cur);
	REQUIRE(cur->prog_id != 0);
	CHECK(cur->mode == edge::XdpMode::generic);

	HookOptions o;
	o.ifname = bed->rx_if();
	auto hook = Hook::attach(o);
	REQUIRE_FALSE(hook);
	const std::string &msg = hook.error().message;
	INFO(msg);
	CHECK(hook.error().code == Errc::busy);
	CHECK(msg.find(bed->rx_if() + " already has XDP program id " + std::to_string(cur->prog_id)) != std::string::npos);
	auto progs = edge::dispatcher_programs(bed->rx_index());
	if (cur->name == "xdp_dispatcher") {
		REQUIRE(progs.size() == 1);
		CHECK(progs[0].find("xdpfilt_alw_all (id ") == 0);
		CHECK(msg.find("a libxdp dispatcher running xdpfilt_alw_all (id ") != std::string::npos);
		CHECK(msg.find("xdp-loader unload " + bed->rx_if() + " --all") != std::string::npos);
	} else {
		// libxdp could not load its dispatcher (freplace refused: EPERM on this kernel)
		// and attached the program alone: named as any other program.
		WARN("xdp-loader attached " << cur->name << " without a dispatcher (the kernel refused freplace); the "
					    "dispatcher's program list is checked by the unit test only");
		CHECK(cur->name == "xdpfilt_alw_all");
		CHECK(progs.empty());
		CHECK(msg.find("(name xdpfilt_alw_all)") != std::string::npos);
		CHECK(msg.find("dispatcher") == std::string::npos);
	}
	// Left as it was.
	auto after = edge::attached_xdp(bed->rx_index(), bed->rx_if());
	REQUIRE(after);
	CHECK(after->prog_id == cur->prog_id);
	auto unloaded = bed->bed.rx_ns.exec({"xdp-loader", "unload", bed->rx_if(), "--all"});
	CHECK(unloaded);
}
