#pragma once
// Shared by the dump_*.cpp fault tests: the real `xdp-hints dump` run in a testbed's
// receiving namespace, traffic from the sending one, and checks made on the kernel's side
// (which program is attached, which XDP sockets exist) rather than through the code under
// test. Every process a test starts inside its namespaces is killed when the test ends,
// whatever path it takes, so a hung dump never outlives its test.
#include "child.hpp"
#include "privileges.hpp"

#include <xdphints/edge/fd.hpp>
#include <xdphints/testbed/netns.hpp>
#include <xdphints/testbed/traffic.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <catch2/catch.hpp>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace xdphints::test {

inline std::vector<std::string> in_ns(const testbed::Netns &ns, std::vector<std::string> argv)
{
	std::vector<std::string> a{"ip", "netns", "exec", ns.name()};
	a.insert(a.end(), argv.begin(), argv.end());
	return a;
}

// `xdp-hints dump IFNAME args...` in the testbed's receiving namespace.
inline std::vector<std::string> dump_argv(const testbed::Testbed &tb, std::vector<std::string> args)
{
	std::vector<std::string> a{XDP_HINTS_CLI, "dump", tb.rx().ifname};
	a.insert(a.end(), args.begin(), args.end());
	return in_ns(tb.rx_ns, a);
}

struct XdpState {
	uint32_t prog_id = 0;
	uint8_t mode = XDP_ATTACHED_NONE; // XDP_ATTACHED_*
};

// What the kernel says is attached to `ifname` in `ns`.
inline XdpState xdp_on(const testbed::Netns &ns, const std::string &ifname)
{
	XdpState s;
	auto in = testbed::NetnsScope::enter(ns);
	if (!in)
		return s;
	bpf_xdp_query_opts q{};
	q.sz = sizeof(q);
	int idx = int(if_nametoindex(ifname.c_str()));
	if (idx > 0 && bpf_xdp_query(idx, 0, &q) == 0) {
		s.mode = q.attach_mode;
		s.prog_id = q.prog_id ? q.prog_id : (q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id);
	}
	return s;
}

// An AF_XDP socket of the test's own (copy mode, its own small umem) bound to `queue` of
// `ifindex` in `ns`: while it lives, nobody else can bind that queue.
struct QueueHolder {
	edge::UniqueFd fd;
	int err = 0; // errno of the failed step, 0 when bound
	void *area = MAP_FAILED;
	static constexpr size_t kSize = 1 << 20;

	QueueHolder(const testbed::Netns &ns, int ifindex, uint32_t queue)
	{
		auto in = testbed::NetnsScope::enter(ns);
		fd.reset(in ? socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0) : -1);
		area = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!fd || area == MAP_FAILED) {
			err = errno;
			return;
		}
		xdp_umem_reg reg{};
		reg.addr = uint64_t(uintptr_t(area));
		reg.len = kSize;
		reg.chunk_size = 4096;
		int sz = 64;
		sockaddr_xdp sa{};
		sa.sxdp_family = AF_XDP;
		sa.sxdp_ifindex = uint32_t(ifindex);
		sa.sxdp_queue_id = queue;
		sa.sxdp_flags = XDP_COPY;
		if (setsockopt(fd.get(), SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) ||
		    setsockopt(fd.get(), SOL_XDP, XDP_UMEM_FILL_RING, &sz, sizeof(sz)) ||
		    setsockopt(fd.get(), SOL_XDP, XDP_UMEM_COMPLETION_RING, &sz, sizeof(sz)) ||
		    setsockopt(fd.get(), SOL_XDP, XDP_RX_RING, &sz, sizeof(sz)) ||
		    bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)))
			err = errno;
	}
	~QueueHolder()
	{
		fd.reset(); // the socket before the area it registered
		if (area != MAP_FAILED)
			munmap(area, kSize);
	}
	QueueHolder(const QueueHolder &) = delete;
	QueueHolder &operator=(const QueueHolder &) = delete;
	bool bound() const { return fd && err == 0; }
};

// No AF_XDP socket is bound to the queue (ours binds; it is closed again at once). This
// kernel has no xsk_diag, so `ss --xdp` cannot list them.
inline bool queue_free(const testbed::Netns &ns, int ifindex, uint32_t queue = 0)
{
	QueueHolder h(ns, ifindex, queue);
	return h.bound();
}

// Kills every process left in the namespaces when the test ends (a dump that did not
// exit, a pipeline's other end); `ip netns pids` lists them.
struct KillLeftovers {
	std::vector<const testbed::Netns *> ns;
	~KillLeftovers()
	{
		for (auto *n : ns) {
			Child pids({"ip", "netns", "pids", n->name()});
			(void)pids.wait(5000);
			std::istringstream in(pids.out());
			for (long pid; in >> pid;)
				kill(pid_t(pid), SIGKILL);
		}
		usleep(100000);
	}
};

// A trivial XDP program (XDP_PASS) standing for the user's own program, attached through
// netlink as `ip link set dev X xdp ...` would. The test keeps its fd: the program's id
// stays valid whatever happens on the interface, and comparing ids tells whether it is the
// one attached.
struct UserProg {
	edge::UniqueFd fd;
	uint32_t id = 0;
	UserProg()
	{
		struct bpf_insn insns[] = {
			{BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_PASS},
			{BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
		};
		fd.reset(bpf_prog_load(BPF_PROG_TYPE_XDP, "user_pass", "GPL", insns, 2, nullptr));
		bpf_prog_info info{};
		uint32_t len = sizeof(info);
		if (fd && bpf_obj_get_info_by_fd(fd.get(), &info, &len) == 0)
			id = info.id;
	}

	// Attaches in `xdp_flags` mode (XDP_FLAGS_SKB_MODE / XDP_FLAGS_DRV_MODE); 0 or -errno.
	int attach(const testbed::Netns &ns, const std::string &ifname, uint32_t xdp_flags) const
	{
		auto in = testbed::NetnsScope::enter(ns);
		if (!in)
			return -EINVAL;
		return bpf_xdp_attach(int(if_nametoindex(ifname.c_str())), fd.get(), xdp_flags, nullptr);
	}
	// Detaches it if (and only if) it is the program attached in that mode; 0 or -errno.
	int detach(const testbed::Netns &ns, const std::string &ifname, uint32_t xdp_flags) const
	{
		auto in = testbed::NetnsScope::enter(ns);
		if (!in)
			return -EINVAL;
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = fd.get());
		return bpf_xdp_detach(int(if_nametoindex(ifname.c_str())), xdp_flags | XDP_FLAGS_REPLACE, &o);
	}
};

inline uint8_t attached_mode(uint32_t xdp_flags)
{
	return xdp_flags == XDP_FLAGS_SKB_MODE ? XDP_ATTACHED_SKB : XDP_ATTACHED_DRV;
}

inline double ms_since(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Polls `pred` every 10 ms until it holds or `ms` pass; whether it held. For what the kernel
// finishes asynchronously after a process dies (an AF_XDP pool is released by a worker).
template <class Pred> bool eventually(Pred pred, int ms = 2000)
{
	auto t0 = std::chrono::steady_clock::now();
	while (!pred()) {
		if (ms_since(t0) > ms)
			return false;
		usleep(10000);
	}
	return true;
}

// Sends `n` UDP packets of `size` payload bytes on `flow`.
inline void send_n(const testbed::UdpFlow &flow, unsigned n, size_t size = 18)
{
	std::vector<uint8_t> payload(size, 0x5a);
	for (unsigned i = 0; i < n; i++)
		REQUIRE(flow.send(payload));
}

inline unsigned count_lines(const std::string &s)
{
	unsigned n = 0;
	for (char c : s)
		n += c == '\n';
	return n;
}

// A pipe whose ends the test hands to children; both closed on destruction.
struct Pipe {
	edge::UniqueFd r, w;
	Pipe()
	{
		int p[2];
		if (pipe2(p, O_CLOEXEC) == 0)
			r.reset(p[0]), w.reset(p[1]);
	}
	void close_r() { r.reset(); }
	void close_w() { w.reset(); }
};

// The usual bed of a dump test: a testbed, one UDP flow from the sender to the receiver,
// and every process left in its namespaces killed before they are removed (members go in
// reverse order). Not movable: `guard` points into `tb`.
struct DumpBed {
	testbed::Testbed tb;
	std::optional<testbed::UdpFlow> flow;
	KillLeftovers guard;

	explicit DumpBed(std::string_view tag, bool with_flow = true) : tb(make(tag)), guard{{&tb.rx_ns, &tb.tx_ns}}
	{
		if (!with_flow)
			return;
		auto f = testbed::UdpFlow::open(tb.tx_ns, tb.tx().ipv4, 42001, tb.rx().ipv4, 7001);
		REQUIRE_OK(f);
		flow.emplace(std::move(*f));
	}
	DumpBed(const DumpBed &) = delete;
	DumpBed &operator=(const DumpBed &) = delete;

	const std::string &ifname() const { return tb.rx().ifname; }
	int ifindex() const { return tb.rx().ifindex; }
	XdpState xdp() const { return xdp_on(tb.rx_ns, tb.rx().ifname); }
	bool queue_free(uint32_t queue = 0) const { return test::queue_free(tb.rx_ns, tb.rx().ifindex, queue); }
	std::vector<std::string> dump(std::vector<std::string> args) const { return dump_argv(tb, std::move(args)); }

private:
	static testbed::Testbed make(std::string_view tag)
	{
		auto tb = testbed::Testbed::create(tag);
		REQUIRE_OK(tb);
		return std::move(*tb);
	}
};

} // namespace xdphints::test
