#pragma once
// The smallest XDP program that feeds AF_XDP sockets: an XSKMAP and
//
//     return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
//
// for receiving without a hints hook (tests, benchmarks, devices with no hook). Built
// from six instructions at run time, so it needs no compiler and no object file. Attached
// through a bpf_link (Linux >= 5.9): it goes away with this object or the process, and it
// refuses to replace a program already on the interface.
#include <xdphints/edge/fd.hpp>
#include <xdphints/export.hpp>
#include <xdphints/result.hpp>

#include <cstdint>

namespace xdphints::afxdp {

enum class XdpAttach { driver, generic };

class XDPHINTS_API RedirectProgram {
public:
	static Result<RedirectProgram> attach(int ifindex, uint32_t max_queues = 64, XdpAttach mode = XdpAttach::driver);

	int xsks_map_fd() const noexcept { return map_fd_.get(); }
	int prog_fd() const noexcept { return prog_fd_.get(); }
	int ifindex() const noexcept { return ifindex_; }

private:
	RedirectProgram() = default;
	// Destroyed in reverse: the link first, so the program leaves the interface before
	// it and its map are closed.
	edge::UniqueFd map_fd_;
	edge::UniqueFd prog_fd_;
	edge::UniqueFd link_fd_;
	int ifindex_ = 0;
};

} // namespace xdphints::afxdp
