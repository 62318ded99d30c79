#pragma once
// Shared by the hook_*.cpp privileged tests: a testbed with the thread inside its rx
// namespace, and a few kernel-side checks that do not go through the code under test.
#include <xdphints/edge/fd.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/hook/meta_tap.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include "privileges.hpp"
#include "temp_dir.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace xdphints::test {

using namespace xdphints::hook; // test helpers speak the hook layer's names

// Two namespaces + veth, with this thread in the rx namespace until destroyed.
// Members are destroyed in reverse order: leave the namespace, then remove it.
struct RxBed {
	testbed::Testbed bed;
	std::optional<testbed::NetnsScope> scope;

	static std::optional<RxBed> make(std::string_view tag)
	{
		auto tb = testbed::Testbed::create(tag);
		if (!tb) {
			FAIL_CHECK(tb.error().message);
			return std::nullopt;
		}
		std::optional<RxBed> r{RxBed{std::move(*tb), std::nullopt}};
		auto sc = testbed::NetnsScope::enter(r->bed.rx_ns);
		if (!sc) {
			FAIL_CHECK(sc.error().message);
			return std::nullopt;
		}
		r->scope.emplace(std::move(*sc));
		return r;
	}
	~RxBed() { scope.reset(); }
	RxBed(testbed::Testbed &&b, std::optional<testbed::NetnsScope> s) : bed(std::move(b)), scope(std::move(s)) {}
	RxBed(RxBed &&) = default;

	const std::string &rx_if() const { return bed.rx().ifname; }
	int rx_index() const { return bed.rx().ifindex; }
};

// A testbed with a hook attached on its rx end (HookOptions::ifname filled in), a tap on
// what the hook writes, and the layouts from the hook's kernel BTF. Members go in reverse:
// tap, hook, then the namespaces.
struct TappedHook {
	RxBed bed;
	Hook hook;
	MetaTap tap;
	std::vector<Layout> layouts;

	const Layout *layout(const std::string &name) const
	{
		for (const auto &l : layouts)
			if (l.name == name)
				return &l;
		return nullptr;
	}
};

inline std::optional<TappedHook> tapped_hook(std::string_view tag, HookOptions o = {})
{
	auto bed = RxBed::make(tag);
	if (!bed)
		return std::nullopt;
	o.ifname = bed->rx_if();
	auto hook = Hook::attach(o);
	INFO((hook ? std::string() : hook.error().message));
	REQUIRE(hook);
	auto tap = MetaTap::attach(bed->rx_index());
	INFO((tap ? std::string() : tap.error().message));
	REQUIRE(tap);
	auto layouts = hook->layouts();
	REQUIRE(layouts);
	return TappedHook{std::move(*bed), std::move(*hook), std::move(*tap), std::move(*layouts)};
}

// What the kernel says is attached to `ifindex` (in the calling thread's namespace).
inline bpf_xdp_query_opts xdp_query(int ifindex)
{
	bpf_xdp_query_opts q{};
	q.sz = sizeof(q);
	int err = bpf_xdp_query(ifindex, 0, &q);
	REQUIRE(err == 0);
	return q;
}

// True once program `id` no longer exists (freed after an RCU grace period).
inline bool prog_gone(uint32_t id)
{
	for (int i = 0; i < 200; i++) {
		edge::UniqueFd fd(bpf_prog_get_fd_by_id(id));
		if (!fd && errno == ENOENT)
			return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return false;
}

// Polls `pred` for up to two seconds.
template <class F> bool eventually(F pred)
{
	for (int i = 0; i < 200; i++) {
		if (pred())
			return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return pred();
}

// A bound, non-blocking UDP socket in the calling thread's namespace (the rx side), so
// no ICMP port-unreachable comes back to the sender.
inline edge::UniqueFd udp_receiver(const std::string &ip, uint16_t port)
{
	edge::UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	REQUIRE(fd);
	sockaddr_in sa{};
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	REQUIRE(inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) == 1);
	REQUIRE(bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)) == 0);
	return fd;
}

// Sends `n` UDP packets from the tx namespace to each rx port (one flow per port) and
// returns every frame the tap saw, oldest first.
inline std::vector<TappedFrame> send_and_tap(RxBed &bed, MetaTap &tap,
					     const std::vector<std::pair<uint16_t, int>> &ports)
{
	std::vector<edge::UniqueFd> rx; // open until the frames are in: no ICMP back
	int total = 0;
	const uint8_t payload[44] = {9};
	for (auto [port, n] : ports) {
		rx.push_back(udp_receiver(bed.bed.rx().ipv4, port));
		auto flow = testbed::UdpFlow::open(bed.bed.tx_ns, bed.bed.tx().ipv4, uint16_t(port + 1000),
						   bed.bed.rx().ipv4, port);
		REQUIRE(flow);
		for (int i = 0; i < n; i++)
			REQUIRE(flow->send(payload));
		total += n;
	}
	std::vector<TappedFrame> frames;
	eventually([&] {
		auto got = tap.drain();
		REQUIRE(got);
		frames.insert(frames.end(), got->begin(), got->end());
		return int(frames.size()) >= total;
	});
	rx.clear();
	CHECK(int(frames.size()) == total);
	return frames;
}

// Compiles BPF C with clang-19 (a build requirement) into a temporary directory that is
// removed on destruction. For objects a test builds itself: other people's hooks, user
// programs from the source tree.
struct BpfCompiler {
	TempDir tmp{"xh-bpf"};
	const std::filesystem::path &dir = tmp.path;

	// The source tree, from this header's path (tests/privileged/hook_testing.hpp).
	static std::filesystem::path source_root()
	{
		return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
	}
	// vmlinux.h of the running kernel, made once per compiler.
	void with_vmlinux_h()
	{
		if (std::filesystem::exists(dir / "vmlinux.h"))
			return;
		std::string cmd = "bpftool btf dump file /sys/kernel/btf/vmlinux format c > " + (dir / "vmlinux.h").string();
		REQUIRE(std::system(cmd.c_str()) == 0);
	}
	std::string compile(const std::filesystem::path &src, const std::string &name)
	{
		auto obj = dir / (name + ".bpf.o");
		std::string cmd = "clang-19 -target bpf -g -O2 -D__TARGET_ARCH_x86 -I" + dir.string() +
				  " -I" + (source_root() / "bpf/include").string() +
				  " -I/usr/include/x86_64-linux-gnu -c " + src.string() + " -o " + obj.string() + " 2>&1";
		INFO(cmd);
		REQUIRE(std::system(cmd.c_str()) == 0);
		return obj.string();
	}
	std::string build_text(const char *prelude, const std::string &name, const char *body)
	{
		auto src = dir / (name + ".bpf.c");
		std::ofstream(src) << prelude << body;
		return compile(src, name);
	}
};

} // namespace xdphints::test
