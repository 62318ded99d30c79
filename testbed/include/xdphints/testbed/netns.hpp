#pragma once
// Network namespaces and veth pairs for tests, the demo and the benchmarks.
//
// Everything here is RAII and named uniquely ("xh<pid>-<seq><tag>"): a Netns removes its
// namespace in its destructor, so a test that fails half-way leaves nothing behind. A
// process killed with SIGKILL cannot run destructors; sweep_stale() removes namespaces
// whose owning pid is gone, and every Netns::create() calls it first.
//
// Only namespaces this code created are ever touched; the root namespace's links never are.
#include <xdphints/edge/fd.hpp>
#include <xdphints/result.hpp>

#include <string>
#include <string_view>

namespace xdphints::testbed {

class Netns {
public:
	// Creates a new named network namespace with its loopback up.
	static Result<Netns> create(std::string_view tag);

	Netns(Netns &&o) noexcept = default;
	Netns &operator=(Netns &&o) noexcept;
	Netns(const Netns &) = delete;
	Netns &operator=(const Netns &) = delete;
	~Netns(); // removes the namespace (ip netns del): not fd juggling

	const std::string &name() const noexcept { return name_; }
	int fd() const noexcept { return fd_.get(); }

	// Runs argv (argv[0] looked up in PATH) inside this namespace, waits for it.
	// Output goes to the returned string (stdout+stderr); non-zero exit is an error.
	Result<std::string> exec(std::initializer_list<std::string_view> argv) const;

	// Removes namespaces named xh<pid>-... whose pid no longer runs.
	static void sweep_stale() noexcept;

private:
	Netns(std::string name, edge::UniqueFd fd) : name_(std::move(name)), fd_(std::move(fd)) {}
	void destroy() noexcept;
	std::string name_;
	edge::UniqueFd fd_;
};

// Moves the calling thread into a namespace for its lifetime, then back.
// Sockets keep the namespace they were created in, so a socket made inside the scope
// goes on working after it ends.
class NetnsScope {
public:
	static Result<NetnsScope> enter(const Netns &ns);
	// The namespace behind `ns_fd` (e.g. a dup of Netns::fd() kept by an object that may
	// outlive its Netns); `name` is for messages.
	static Result<NetnsScope> enter(int ns_fd, const std::string &name);
	NetnsScope(NetnsScope &&o) noexcept = default;
	NetnsScope(const NetnsScope &) = delete;
	NetnsScope &operator=(const NetnsScope &) = delete;
	NetnsScope &operator=(NetnsScope &&) = delete;
	~NetnsScope(); // back into the saved namespace

private:
	explicit NetnsScope(edge::UniqueFd saved) : saved_(std::move(saved)) {}
	edge::UniqueFd saved_; // empty once moved from
};

struct VethEnd {
	std::string ifname;
	int ifindex;         // in ns
	std::string mac;     // "aa:bb:..."
	std::string ipv4;    // without prefix
};

struct VethOptions {
	unsigned queues = 1;        // numrxqueues/numtxqueues on both ends
	std::string ipv4_a = "10.77.0.1";
	std::string ipv4_b = "10.77.0.2";
	unsigned mtu = 1500;
};

// A veth pair with one end in each namespace, addressed (/24), up, with static
// neighbours so the first packet is not an ARP round-trip. Removed with the namespaces.
struct VethPair {
	VethEnd a;
	VethEnd b;
	static Result<VethPair> create(const Netns &ns_a, const Netns &ns_b, const VethOptions &opt = {});
};

// Two namespaces and a veth pair between them: the usual test topology.
// `rx` is the receiving side (where hooks attach), `tx` the sender.
struct Testbed {
	Netns rx_ns;
	Netns tx_ns;
	VethPair link;
	const VethEnd &rx() const { return link.a; }
	const VethEnd &tx() const { return link.b; }
	static Result<Testbed> create(std::string_view tag, const VethOptions &opt = {});
};

} // namespace xdphints::testbed
