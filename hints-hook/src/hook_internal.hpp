#pragma once
// Internal to the hook's sources (hook.cpp, iface.cpp, restore.cpp, object_vars.cpp):
// what the lifecycle in hook.cpp uses from the files split out of it.
#include <xdphints/hook/hook.hpp>
#include <xdphints/edge/error.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/edge/xdp_query.hpp>

#include "state_record.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct btf;

namespace xdphints::hook {

// The edge names the hook's sources use unqualified.
using edge::ErrContext;
using edge::Op;
using edge::UniqueFd;
using edge::sys_error;
using edge::prog_desc;
using edge::xdp_mode_word;

} // namespace xdphints::hook

namespace xdphints::hook::detail {

// The program --replace swaps out: kept open (so it outlives its detachment) and
// described, to be put back. Once commit() swapped the hook in through netlink, this is
// that attachment: destroying it swaps the program back (swap_back()).
struct Replaced {
	edge::UniqueFd fd;
	uint32_t id = 0;
	uint32_t mode = 0; // XDP_FLAGS_DRV_MODE / XDP_FLAGS_SKB_MODE
	std::string name;
	std::string pin; // bpffs path, "" when not pinned
	StateKey key;
	// Set by commit(): the hook's program (a dup: independent of the bpf_object), its mode
	// and where it is attached.
	edge::UniqueFd hook_fd;
	uint32_t hook_mode = 0;
	int ifindex = 0;
	std::string ifname;
	bool swapped() const noexcept { return hook_fd.valid(); }
	// Puts the replaced program back and says so; nothing when not swapped.
	Result<std::string> swap_back();
	Replaced() = default;
	Replaced(const Replaced &) = delete;
	Replaced &operator=(const Replaced &) = delete;
	~Replaced() { (void)swap_back(); }
};

// iface.cpp: the interface and what is attached to it.
struct Iface {
	std::string name;
	int index = 0;
};
Result<Iface> resolve_iface(const HookOptions &opt);
Result<edge::AttachedXdp> attached_program(const Iface &ifc);
Error busy(const Iface &ifc, const edge::AttachedXdp &cur, const StateKey &key);

// restore.cpp: a replaced program's pin and the XDP swap.
std::string pin_path(const StateKey &k);
int swap_xdp(int ifindex, int from_fd, uint32_t from_mode, int to_fd, uint32_t to_mode);

// object_vars.cpp: the object's variables and what it calls.
struct Specialisation {
	unsigned hints = 0; // xdp_hints_want
	bool ptp_split = false;
	bool user_logic = false;
	Transport transport = Transport::meta;
};
// Sets the specialisation constants in .rodata before load; returns the hook's prefix
// length (xdp_hints_prefix_len), what the prefix transport writes in front of a packet.
Result<uint32_t> set_rodata(bpf_object *obj, const Specialisation &s);
// A brought-in hook that carries both transports (xdp_hints/transport.bpf.h: .rodata
// xdp_hints_transport and xdp_hints_prefix_len): its prefix length; nullopt for one that
// writes the metadata area only.
Result<std::optional<uint32_t>> dual_transport(bpf_object *obj);
Status set_transport(bpf_object *obj, Transport t);
// The program calls BPF helper `id` (a plain helper call instruction in its code).
bool calls_helper(bpf_program *prog, int id);
Status write_obj_id(bpf_object *obj, uint32_t obj_id, const edge::ErrContext &ctx);
Status layouts_fit(const HookOptions &opt, const std::string &hook, const std::vector<std::string> &written);
bool uses_metadata_kfuncs(const struct btf *btf);

} // namespace xdphints::hook::detail
