#pragma once
// dump's guardian: what --replace and --hwtstamp change on an interface outlives dump (a
// netlink-attached program, the driver's timestamping setting), so a SIGKILL would leave
// it changed. Before changing anything, dump forks this small process; it holds the
// replaced program (an fd passed over a socket keeps it alive) and waits. When dump ends
// it says so and the guardian exits; when the socket closes without that (dump was
// killed), the guardian puts back what dump's state record says (restore_left_behind_at:
// the interface by its index, in the namespace both share, so a rename changes nothing)
// and exits. It ignores terminal signals (Ctrl-C reaches dump, which cleans up itself).
// If both are killed, the next attach or `xdp-hints reset IFNAME` restores from the record.
#include <xdphints/edge/fd.hpp>
#include <xdphints/result.hpp>

#include <string>
#include <sys/types.h>

namespace xdphints::cli {

class Guardian {
public:
	// Forks the guardian for `ifname` (the calling thread's network namespace). Call while
	// the process has one thread.
	static Result<Guardian> start(const std::string &ifname);

	Guardian(Guardian &&o) noexcept = default;
	Guardian(const Guardian &) = delete;
	Guardian &operator=(const Guardian &) = delete;
	Guardian &operator=(Guardian &&) = delete;
	// Tells the guardian dump restored everything itself: it exits without acting.
	~Guardian();

	// Passes the guardian an fd to hold (the replaced program): it outlives dump.
	Status hold(int fd);
	pid_t pid() const noexcept { return pid_; }

private:
	Guardian(edge::UniqueFd sock, pid_t pid) : sock_(std::move(sock)), pid_(pid) {}
	edge::UniqueFd sock_; // empty once moved from
	pid_t pid_ = -1;
};

} // namespace xdphints::cli
