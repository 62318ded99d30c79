#pragma once
// What XDP program is attached to an interface, in which mode, through a bpf_link or
// netlink, and held by which process: the one query behind attach's refusal, probe, the
// BTF of an interface's program and restore. All bpf(2) calls go through the seam.
#include <xdphints/edge/fd.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace xdphints::edge {

enum class XdpMode : uint8_t { none, driver, generic, offload };
const char *xdp_mode_word(XdpMode m) noexcept;  // "driver", "generic (SKB)", "offload"
uint32_t xdp_mode_flag(XdpMode m) noexcept;     // XDP_FLAGS_DRV_MODE, ..._SKB_MODE, ..._HW_MODE
XdpMode xdp_mode_of_flag(uint32_t flag) noexcept;

struct ProgInfo {
	uint32_t id = 0;
	uint32_t btf_id = 0; // 0: loaded without BTF
	std::string name;
};
// BPF_OBJ_GET_INFO_BY_FD of a program.
Result<ProgInfo> prog_info(int prog_fd);
// BPF_PROG_GET_FD_BY_ID.
Result<UniqueFd> prog_fd_by_id(uint32_t id);

struct AttachedXdp {
	uint32_t prog_id = 0; // 0: nothing attached
	std::string name;     // "" when it could not be read
	XdpMode mode = XdpMode::none;
	uint32_t link_id = 0; // the bpf_link that holds it; 0: attached through netlink
	bool is_link() const noexcept { return link_id != 0; }
};

// The program on `ifindex` (calling thread's network namespace) in any mode, or prog_id 0.
// `ifname` is for messages. Name and link are best effort: the id alone says it is taken.
Result<AttachedXdp> attached_xdp(int ifindex, const std::string &ifname);

// "XDP program id 17 (name foo)".
std::string prog_desc(uint32_t id, const std::string &name);

// The programs a libxdp dispatcher on `ifindex` runs, "name (id N)" each, in run order;
// empty when the attached program is not a libxdp dispatcher.
std::vector<std::string> dispatcher_programs(int ifindex);

// Who holds what is attached, for busy_error(): a pid (0: unknown) and whether that
// process attached it in place of another program (--replace), which it puts back.
struct Holder {
	pid_t pid = 0;
	bool replaced = false;
};
// Errc::busy: "IFNAME already has XDP program id N (name X), attached through a bpf_link
// held by comm (pid P)", with the programs of a libxdp dispatcher, and how to free it.
Error busy_error(const std::string &ifname, int ifindex, const AttachedXdp &cur, Holder holder = {});

} // namespace xdphints::edge
