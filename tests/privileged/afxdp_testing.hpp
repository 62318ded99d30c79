#pragma once
// Shared by the afxdp_*.cpp privileged tests: a testbed whose rx side has an AF_XDP
// socket behind the minimal redirect program, a live-frames generator on the tx side, and
// a drain loop. The thread stays in the rx namespace while the fixture lives; members go
// in reverse order: socket, umem, program, namespace scope, namespaces.
#include <xdphints/af_xdp/redirect_program.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/testbed/livegen.hpp>
#include <xdphints/testbed/netns.hpp>

#include "privileges.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace xdphints::test {

namespace ax = xdphints::afxdp;
namespace tb = xdphints::testbed;

template <class T> T take(Result<T> r, const char *what)
{
	if (!r)
		FAIL(what << ": " << r.error().to_string());
	return std::move(*r);
}

struct AfxdpBed {
	testbed::Testbed bed;
	std::optional<testbed::NetnsScope> scope;
	std::optional<afxdp::RedirectProgram> prog;
	std::shared_ptr<afxdp::Umem> umem;
	std::unique_ptr<afxdp::XskSocket> xsk;

	explicit AfxdpBed(testbed::Testbed &&b) : bed(std::move(b)) {}
	~AfxdpBed()
	{
		xsk.reset();
		umem.reset();
		prog.reset();
		scope.reset();
	}

	// Testbed + redirect program on the rx end; umem and socket are the caller's to make
	// (inside the rx namespace, where this thread is).
	// Without a redirect program the caller attaches its own (e.g. the hints hook) and
	// passes its XSKMAP to open().
	static std::unique_ptr<AfxdpBed> make(std::string_view tag, const testbed::VethOptions &vo = {},
					      bool redirect = true)
	{
		auto b = std::make_unique<AfxdpBed>(take(testbed::Testbed::create(tag, vo), "testbed"));
		b->scope.emplace(take(testbed::NetnsScope::enter(b->bed.rx_ns), "enter rx namespace"));
		if (redirect)
			b->prog.emplace(take(afxdp::RedirectProgram::attach(b->bed.rx().ifindex), "redirect program"));
		return b;
	}

	void open(const afxdp::UmemConfig &uc, afxdp::SocketConfig sc, int map_fd = -1)
	{
		umem = take(afxdp::Umem::create(uc), "umem");
		sc.ifindex = bed.rx().ifindex;
		sc.xsks_map_fd = map_fd >= 0 ? map_fd : prog->xsks_map_fd();
		xsk = take(afxdp::XskSocket::create(umem, sc), "socket");
	}
	// Behind a hints hook: its XSKMAP, and its prefix stripped (the prefix transport).
	void open(const afxdp::UmemConfig &uc, afxdp::SocketConfig sc, const hook::Hook &hook)
	{
		sc.hints_prefix = hook.hints_prefix();
		open(uc, sc, hook.xsks_map_fd());
	}

	testbed::GenOptions gen_options() const { return testbed::GenOptions::between(bed.tx(), bed.rx()); }
};

// Polls `s` until `want` frames came through fn, or no frame came for idle_ms.
template <class Fn> uint64_t drain(afxdp::XskSocket &s, uint64_t want, Fn &&fn, int idle_ms = 500)
{
	uint64_t got = 0;
	while (got < want) {
		uint32_t n = s.poll(fn);
		got += n;
		if (n)
			continue;
		if (s.wait(idle_ms) != afxdp::WaitResult::readable) {
			n = s.poll(fn);
			got += n;
			if (n == 0)
				break;
		}
	}
	return got;
}

// Generates `n` frames on a thread while this thread receives with `fn`; returns frames
// received, after the generator finished and the socket ran dry. `sent` is what the
// generator sent.
template <class Fn>
uint64_t receive_while_generating(testbed::LiveGen &gen, afxdp::XskSocket &s, uint64_t n, uint64_t &sent, Fn &&fn)
{
	std::atomic<bool> done{false};
	Result<uint64_t> r = uint64_t(0);
	std::thread t([&] {
		r = gen.send(n);
		done = true;
	});
	uint64_t got = 0;
	while (!done.load(std::memory_order_relaxed))
		got += s.poll(fn);
	t.join();
	got += drain(s, ~uint64_t(0), fn, 200);
	sent = r ? *r : 0;
	if (!r)
		FAIL_CHECK(r.error().to_string());
	return got;
}

inline uint64_t id_slot(const afxdp::Frame &f)
{
	uint64_t v;
	std::memcpy(&v, f.data - 8, 8);
	return v;
}

// Writes the id slot in front of a received frame's data, as a hints hook does.
inline void set_id_slot(const afxdp::Frame &f, uint64_t id) { std::memcpy(f.data - 8, &id, 8); }
// An id as a hook writes it (layout 7 of BTF object 42).
constexpr uint64_t kHookId = 0x0000002a00000007ull;

} // namespace xdphints::test
