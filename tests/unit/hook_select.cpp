// Hook selection without a kernel: the kfuncs a kernel has (none on 6.1, timestamp and
// hash on 6.3-6.7, all from 6.8) and the driver -> the hook loaded, the groups it writes
// and the one line that says why. Every built-in hook's name and hints come from the
// real table (hook_specs.cpp), so a changed table changes these answers.
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/select.hpp>

#include <catch2/catch.hpp>

using namespace xdphints;
using namespace xdphints::hook;

namespace {

constexpr unsigned k61 = 0;                                // Debian 12: no kfuncs
constexpr unsigned k63 = hint::timestamp | hint::hash;    // 6.3 - 6.7: no VLAN kfunc
constexpr unsigned k68 = hint::all;                       // 6.8 and later

SelectionInput in(std::string driver, unsigned kernel, std::string hook = "", unsigned hints = 0)
{
	SelectionInput i;
	i.driver = std::move(driver);
	i.ifname = "eth1";
	i.kernel_kfuncs = kernel;
	i.hook = std::move(hook);
	i.hints = hints;
	return i;
}

} // namespace

TEST_CASE("select_hook: by driver, per kernel feature set")
{
	struct Row {
		const char *driver;
		unsigned kernel;
		const char *hook;
		unsigned hints;
		const char *reason; // a part of the one line
	};
	const Row rows[] = {
		// 6.8+: the driver's own hook with all it gives.
		{"veth", k68, "veth", hint::all, "driver veth implements the XDP RX metadata kfuncs"},
		{"virtio_net", k68, "virtio_net", hint::hash, "hook virtio_net (rx_hash, rx_hash_type)"},
		{"mlx4_en", k68, "mlx4", hint::timestamp | hint::hash, "driver mlx4_en implements"},
		// 6.3-6.7: the same hook without the VLAN group; a hook without VLAN is unchanged.
		{"veth", k63, "veth", hint::timestamp | hint::hash,
		 "hook veth without rx_vlan_tci, rx_vlan_proto (rx_timestamp, rx_hash, rx_hash_type): this kernel lacks "
		 "bpf_xdp_metadata_rx_vlan_tag (Linux >= 6.8)"},
		{"ice", k63, "ice", hint::timestamp | hint::hash, "lacks bpf_xdp_metadata_rx_vlan_tag"},
		{"virtio_net", k63, "virtio_net", hint::hash, "driver virtio_net implements"},
		// 6.1: no kfuncs at all -> generic, software timestamps flagged.
		{"veth", k61, "generic", hint::timestamp,
		 "hook generic (rx_timestamp in software, flagged as software; SKB mode): this kernel has none of the XDP "
		 "RX metadata kfuncs hook veth calls (Linux >= 6.3)"},
		{"virtio_net", k61, "generic", hint::timestamp, "none of the XDP RX metadata kfuncs hook virtio_net calls"},
		// A driver without a hook: generic on every kernel.
		{"e1000e", k68, "generic", hint::timestamp, "driver e1000e has no hook of its own"},
		{"", k61, "generic", hint::timestamp, "driver of eth1 (unknown) has no hook of its own"},
	};
	for (const auto &r : rows) {
		auto s = select_hook(in(r.driver, r.kernel));
		INFO(r.driver << " kernel kfuncs " << r.kernel << ": " << (s ? s->reason : s.error().message));
		REQUIRE(s);
		CHECK(s->hook == r.hook);
		CHECK(s->hints == r.hints);
		CHECK_THAT(s->reason, Catch::Contains(r.reason));
		CHECK(s->reason.find('\n') == std::string::npos);
	}
}

TEST_CASE("select_hook: hint groups asked for by name are never dropped silently")
{
	// Only the timestamp, on 6.1: the generic hook gives it (in software).
	auto ts = select_hook(in("veth", k61, "", hint::timestamp));
	REQUIRE(ts);
	CHECK(ts->hook == "generic");
	CHECK(ts->hints == hint::timestamp);
	CHECK_THAT(ts->reason, Catch::Contains("lacks bpf_xdp_metadata_rx_timestamp (Linux >= 6.3)"));

	// The hash on 6.1: nothing can give it.
	auto hash = select_hook(in("veth", k61, "", hint::hash));
	REQUIRE_FALSE(hash);
	CHECK(hash.error().code == Errc::unsupported);
	CHECK_THAT(hash.error().message, Catch::Contains("bpf_xdp_metadata_rx_hash") && Catch::Contains("6.3"));

	// VLAN on 6.3-6.7: refused, naming the kfunc and the release, not dropped.
	auto vlan = select_hook(in("veth", k63, "", hint::vlan | hint::hash));
	REQUIRE_FALSE(vlan);
	CHECK_THAT(vlan.error().message, Catch::Contains("bpf_xdp_metadata_rx_vlan_tag (Linux >= 6.8)") &&
						 Catch::Contains("ask only for rx_hash, rx_hash_type"));

	// Groups the hook cannot give on any kernel.
	auto none = select_hook(in("virtio_net", k68, "", hint::timestamp));
	REQUIRE_FALSE(none);
	CHECK_THAT(none.error().message, Catch::Contains("cannot give rx_timestamp"));
}

TEST_CASE("select_hook: a hook named explicitly")
{
	// Generic: on any kernel, said to be asked for.
	auto g = select_hook(in("veth", k68, "generic"));
	REQUIRE(g);
	CHECK(g->hook == "generic");
	CHECK_THAT(g->reason, Catch::Contains("as asked (--hook generic)"));

	// A kfunc hook on 6.3: without VLAN, said.
	auto v63 = select_hook(in("veth", k63, "veth"));
	REQUIRE(v63);
	CHECK(v63->hints == (hint::timestamp | hint::hash));
	CHECK_THAT(v63->reason, Catch::Contains("without rx_vlan_tci"));

	// A kfunc hook on 6.1: refused (it was asked for), naming the fallback.
	auto v61 = select_hook(in("veth", k61, "veth"));
	REQUIRE_FALSE(v61);
	CHECK_THAT(v61.error().message, Catch::Contains("this kernel lacks the XDP RX metadata kfuncs") &&
						Catch::Contains("--hook generic") && Catch::Contains("leave out --hook"));

	// A kfunc hook on a driver without kfuncs, unless the kernel reports them for the device.
	auto e = select_hook(in("e1000e", k68, "veth"));
	REQUIRE_FALSE(e);
	CHECK_THAT(e.error().message, Catch::Contains("does not implement XDP RX metadata kfuncs"));
	auto reported = in("new_driver", k68, "mlx5");
	reported.device_reports_kfuncs = true;
	CHECK(select_hook(reported));

	auto unknown = select_hook(in("veth", k68, "nosuch"));
	REQUIRE_FALSE(unknown);
	CHECK_THAT(unknown.error().message, Catch::Contains("no hook named 'nosuch'") && Catch::Contains("generic"));
}
