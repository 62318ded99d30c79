#pragma once
// A hints hook on one interface: the per-driver XDP program that turns the driver's RX
// metadata (kfuncs) into a BTF-described hint struct in front of each packet, and
// redirects packets to the AF_XDP socket of their RX queue.
//
//   auto hook = xdphints::hook::Hook::attach({.ifname = "eth1"});
//   if (!hook) { print(hook.error().message); return 1; }
//   auto layouts = hook->layouts();        // from the kernel's BTF of the loaded program
//   bpf_map_update_elem(hook->xsks_map_fd(), &queue, &xsk_fd, 0);
//
// Safety: a program already attached to the interface is never replaced unless asked
// (`replace`); the hook is attached through a bpf_link, so it goes away with the process.
// With `replace` the swap is all-or-nothing: prepare() does everything that can fail
// (load, verifier, hardware timestamping) and the caller its own steps (queues, umem,
// sockets) before commit() swaps atomically (netlink, XDP_FLAGS_REPLACE with the expected
// program); the replaced program is put back when the hook goes, and by the next attach or
// `xdp-hints reset` if the process was killed (restore_left_behind()).
// Kernel: device-bound XDP and the timestamp/hash kfuncs need Linux >= 6.3, the VLAN kfunc
// >= 6.8; the generic hook (no kfuncs, SKB mode) works on any kernel with BPF links (5.9).
#include <xdphints/btf.hpp>
#include <xdphints/edge/fd.hpp>
#include <xdphints/export.hpp>
#include <xdphints/hook/hwtstamp.hpp>
#include <xdphints/hook/transport.hpp>
#include <xdphints/layout.hpp>
#include <xdphints/result.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct bpf_object;
struct bpf_program;

namespace xdphints::edge {
struct ErrContext;
} // namespace xdphints::edge

namespace xdphints::hook {

namespace detail {
struct Replaced;
} // namespace detail

// Hint groups: one XDP RX metadata kfunc each, named by the hint-struct members it fills.
namespace hint {
inline constexpr unsigned timestamp = 1u << 0; // rx_timestamp (bpf_xdp_metadata_rx_timestamp)
inline constexpr unsigned hash = 1u << 1;      // rx_hash, rx_hash_type (_rx_hash)
inline constexpr unsigned vlan = 1u << 2;      // rx_vlan_tci, rx_vlan_proto (_rx_vlan_tag)
inline constexpr unsigned all = timestamp | hash | vlan;
} // namespace hint

// "rx_timestamp", "rx_hash", "rx_hash_type", "rx_vlan_tci", "rx_vlan_proto" -> hint bits.
XDPHINTS_API Result<unsigned> hints_from_fields(std::span<const std::string> fields);
// The member names of the hint groups in `hints`, in struct order.
XDPHINTS_API std::vector<std::string> fields_of_hints(unsigned hints);

enum class AttachMode {
	automatic, // driver (native) mode for kfunc hooks, generic (SKB) mode for the generic hook
	driver,
	skb,
};

struct HookOptions {
	std::string ifname;     // the interface, in the calling thread's network namespace
	int ifindex = 0;        // used when ifname is empty
	std::string hook;       // "" selects by driver (ethtool GDRVINFO); else a hook name
	bool replace = false;   // swap out a program attached through netlink; put it back when done
	AttachMode mode = AttachMode::automatic;
	// Specialisation: the hint groups to write (hint::*); 0 = all the driver provides.
	// Set as read-only constants before load: the verifier drops the other kfunc calls
	// and the hook writes the smaller layout for just these groups.
	unsigned hints = 0;
	// Several layouts: PTP event packets (UDP 319, ethertype 0x88F7) get the timestamp
	// layout, all other packets the hash layout.
	bool ptp_split = false;
	// Enable hardware RX timestamping (SIOCSHWTSTAMP) while the hook is attached and
	// restore the previous setting afterwards; without it the setting is left alone.
	bool hwtstamp = false;
	// For tools and applications that read hardware timestamps: when the hook reads
	// rx_timestamp through the kfuncs (device-bound) and the interface's RX filter is
	// HWTSTAMP_FILTER_NONE, turn it on for as long as the hook is attached and restore it
	// after (recorded first like hwtstamp: `xdp-hints reset` or the next attach undo a
	// SIGKILL; a guardian process, as dump's, undoes it at once). A filter set by someone
	// else (ptp4l) is left. Either way Hook::rx_timestamping() says what the run gets.
	bool hwtstamp_if_off = false;
	// XDP logic of your own, run inside the hook after the hints are written: a BPF object
	// defining `int xdp_hints_user(struct xdp_md *ctx)` against the stable struct
	// xdp_hints (bpf/include/xdp_hints/helpers.bpf.h). It is linked into the hook and its
	// hint accesses are relocated against the layout the hook writes. Needs one layout
	// (no ptp_split). Its maps: Hook::map_fd().
	std::string user_object;
	// Bring your own hook: a BPF object file used instead of the built-in hooks. It must
	// keep the contract (check_hook_object); hints/ptp_split do not apply.
	std::string object_path;
	// Fixed-layout hook (no id member, e.g. the selftest xdp_hw_metadata's struct
	// xdp_meta): every packet is decoded with this struct. Taken from the object's BTF,
	// else from `layout_btf`, else from the object's DWARF (byo_layouts in byo.hpp).
	std::string layout;
	// Where `layout` is described when the object's .BTF lacks it and it has no DWARF
	// (stripped, or built without -g): raw BTF, or an object built with -g.
	std::string layout_btf;
	// How the hints reach AF_XDP (transport.hpp): automatic = the metadata area where the
	// kernel allows it, else a prefix in front of each redirected packet (the environment
	// variable XDP_HINTS_TRANSPORT=meta|prefix chooses instead). Built-in hooks only: a
	// brought-in hook writes what it writes (the metadata area).
	Transport transport = Transport::automatic;
};

struct HookStats {
	uint64_t rx = 0;          // packets the hook saw
	uint64_t meta_failed = 0; // no room for the metadata: passed to the stack without hints
	uint64_t redirected = 0;  // handed to an AF_XDP socket
	uint64_t ptp = 0;         // PTP event packets (ptp_split)
	uint64_t user_verdict = 0; // the user's xdp_hints_user() returned an XDP action
};

class XDPHINTS_API Hook {
public:
	// Loads the hook for the interface's driver (device-bound when it uses kfuncs), writes
	// the BTF object id into the program's .bss, and attaches it through a bpf_link.
	static Result<Hook> attach(const HookOptions &opt);

	// attach() in two steps. prepare() restores what a killed process left on the
	// interface (restored()), refuses a taken interface, loads the hook and turns on
	// hardware timestamping; nothing on the interface's XDP changes. commit() attaches:
	// through a bpf_link, or with `replace` by an atomic netlink swap (a bpf_link cannot be
	// created while a netlink program is attached), recorded first so a kill is undone.
	// Between the two the caller runs its own fallible steps (XSKMAP entries may be added).
	static Result<Hook> prepare(const HookOptions &opt);
	Status commit();
	// Detaches now, putting a replaced program back and the timestamping setting it
	// changed (each only if still as it left it: HwTimestamping::restore()), and says what
	// was done ("" when nothing needs saying). The destructor does the same silently.
	Result<std::string> detach();

	// Loads (and verifies) the hook like attach() but does not attach it. For checks,
	// `probe` and tests: every hook's program must pass the verifier on any interface
	// whose driver implements the kfuncs.
	static Result<Hook> load(const HookOptions &opt);

	// All = default (in hook.cpp, where detail::Replaced is complete). Members go in
	// reverse order: the link closes (or the replaced program is swapped back), then
	// hardware timestamping is restored, then the object is unloaded.
	Hook(Hook &&) noexcept;
	Hook &operator=(Hook &&) noexcept;
	Hook(const Hook &) = delete;
	Hook &operator=(const Hook &) = delete;
	~Hook();

	bool attached() const noexcept;
	int xsks_map_fd() const noexcept { return xsks_map_fd_; }
	int prog_fd() const noexcept { return prog_fd_; }
	uint32_t prog_id() const noexcept { return prog_id_; }
	uint32_t btf_obj_id() const noexcept { return btf_obj_id_; }
	int ifindex() const noexcept { return ifindex_; }
	const std::string &ifname() const noexcept { return ifname_; }
	const std::string &driver() const noexcept { return driver_; }  // "" if unknown
	const std::string &hook_name() const noexcept { return hook_name_; } // or the object's path
	// Why this hook, in one line (select_hook(): "hook generic (...): this kernel has none
	// of the XDP RX metadata kfuncs ..."); "" for a brought-in hook object.
	const std::string &selection_reason() const noexcept { return reason_; }
	AttachMode mode() const noexcept { return mode_; }
	unsigned hints() const noexcept { return hints_; }       // groups written (hint::*)
	unsigned driver_hints() const noexcept { return driver_hints_; } // groups the hook can give
	bool ptp_split() const noexcept { return ptp_split_; }
	// Transport::meta or Transport::prefix, and why, in one line ("transport prefix: ...").
	Transport transport() const noexcept { return transport_; }
	const std::string &transport_reason() const noexcept { return transport_reason_; }
	// Bytes the hook writes in front of each frame it redirects with the prefix transport
	// (its largest layout, a multiple of 8), 0 with meta: what every AF_XDP socket that
	// receives from this hook strips (afxdp::SocketConfig::hints_prefix).
	uint32_t hints_prefix() const noexcept { return hints_prefix_; }
	// The largest hint struct a frame from this hook can carry, for
	// DecoderOptions::metadata_limit: the prefix with the prefix transport, else this
	// kernel's XDP metadata limit (metadata_limit(), probed once).
	uint32_t max_layout_size() const;
	bool user_logic() const noexcept { return user_logic_; }
	// Hardware timestamping this hook turned on (HookOptions::hwtstamp), else nullptr.
	const HwTimestamping *hw_timestamping() const noexcept { return hwts_.get(); }
	// With hwtstamp_if_off: what hardware RX timestamping this run gets (RxTimestamping::
	// describe() says it in a line), else nullopt.
	const std::optional<RxTimestamping> &rx_timestamping() const noexcept { return rx_ts_; }
	// A map of the loaded object (the hook's, or a linked user object's) by name; -1 if none.
	int map_fd(const std::string &name) const noexcept;
	// The program `replace` swaps out (0/-1 when none): id, and an fd that keeps it alive.
	uint32_t replaced_prog_id() const noexcept;
	int replaced_prog_fd() const noexcept;
	// What prepare() restored first (left changed by a killed process), one line each.
	const std::vector<std::string> &restored() const noexcept { return restored_; }
	// Names of the structs this hook writes as configured (two with ptp_split).
	const std::vector<std::string> &written_layouts() const noexcept { return written_; }

	// The program's BTF as the kernel holds it (by bpf_prog_info.btf_id).
	const Btf &btf() const noexcept { return *btf_; }
	// Hint layouts in that BTF (lib's discovery rule); ids carry btf_obj_id() << 32.
	Result<std::vector<Layout>> layouts() const;
	// Sum over CPUs of the hook_stats map.
	Result<HookStats> stats() const;

private:
	Hook();
	Result<bpf_program *> open_builtin(const HookOptions &opt, const edge::ErrContext &ctx);
	Result<bpf_program *> open_object(const HookOptions &opt, const edge::ErrContext &ctx);

	edge::ObjectPtr obj_;
	std::unique_ptr<Btf> btf_;
	std::unique_ptr<HwTimestamping> hwts_; // restored after the link is closed
	std::optional<RxTimestamping> rx_ts_;
	// --replace: the program to put back; once swapped, the netlink attachment itself.
	std::unique_ptr<detail::Replaced> replaced_;
	edge::UniqueFd link_;  // the bpf_link (without --replace)
	std::vector<std::string> restored_;
	int prog_fd_ = -1;     // owned by obj_
	int xsks_map_fd_ = -1; // owned by obj_
	int stats_map_fd_ = -1; // owned by obj_
	uint32_t prog_id_ = 0;
	uint32_t btf_obj_id_ = 0;
	int ifindex_ = 0;
	std::string ifname_;
	std::string driver_;
	std::string hook_name_;
	std::string reason_;
	std::string layout_; // fixed layout struct (BYO), "" = discovery
	std::string layout_btf_; // where layout_ is described if not in the object's BTF
	AttachMode mode_ = AttachMode::automatic;
	Transport transport_ = Transport::meta;
	std::string transport_reason_;
	uint32_t hints_prefix_ = 0;
	unsigned hints_ = 0;
	unsigned driver_hints_ = 0;
	bool ptp_split_ = false;
	bool user_logic_ = false;
	std::vector<std::string> written_;
	std::vector<edge::UniqueFd> load_fds_; // memfds libbpf reads until load (linked user logic)
};

// The bring-your-own hook contract, checked on an opened (not loaded) object; the error
// names the rule broken:
//   1. exactly one program, an XDP program whatever its section (byo_xdp_program);
//   2. exactly one BPF_MAP_TYPE_XSKMAP (the library inserts its AF_XDP sockets, key = queue);
//   3. hint structs described by BTF and found by the discovery rule (xdp_hints* name or
//      btf_decl_tag("xdp_hints")), or the struct named by `layout` (fixed layout), found
//      as byo_layouts() says (.BTF, `layout_btf`, DWARF);
//   4. a hint struct's id (btf_id u32 local type id, or btf_full_id u64) is its last member.
// Optional: `__u32 xdp_hints_btf_obj_id` (filled before attach), `hook_stats` per-CPU array,
// and both transports: `.rodata` xdp_hints_transport and xdp_hints_prefix_len, hints written
// with xdp_hints_write() (bpf/include/xdp_hints/transport.bpf.h); the loader then chooses
// the transport as for the built-in hooks. Without them a hook writes the metadata area.
XDPHINTS_API Status check_contract(bpf_object *obj, const std::string &path, const std::string &layout = "",
				    const std::string &layout_btf = "");

// Puts back what a process that no longer runs left changed on `ifname` (calling thread's
// network namespace), from its state record (/run/xdp-hints/netns-<cookie>-<ifindex>, or
// $XDP_HINTS_RUN_DIR; the record names the boot, the namespace's cookie and the ifindex,
// none of which another interface ever gets): the hardware timestamping setting, the XDP
// program that --replace swapped out (from its bpffs pin or while something still holds
// it; else the hook left attached is removed and the loss is said). Each only if it is
// still as that process left it (the hook still attached, the setting still the one it
// set); else it is left alone and said. Records nothing can be restored from (from an
// earlier boot, of a namespace or an interface that is gone, of an older xdp-hints'
// format) are removed with their pins and said, never applied. One line per action; empty
// when nothing was left. `gone`: a pid known to have ended even if /proc still shows it
// (a guardian watching its parent die). A record of a process that still runs is left alone.
XDPHINTS_API Result<std::vector<std::string>> restore_left_behind(std::string_view ifname, int gone = 0);
// The same for the interface with `ifindex` in the calling thread's network namespace,
// whatever it is named now (dump's guardian: a rename must not lose the restore).
XDPHINTS_API Result<std::vector<std::string>> restore_left_behind_at(int ifindex, int gone = 0);

// Driver name of `ifname` (ethtool GDRVINFO) in the calling thread's network namespace.
XDPHINTS_API Result<std::string> driver_of(std::string_view ifname);

// The hook of a driver: its own when it implements the XDP RX metadata kfuncs, else
// "generic". Pure; what the running kernel can run is select_hook()'s job (select.hpp).
XDPHINTS_API std::string_view hook_for_driver(std::string_view driver) noexcept;

// Names of the built-in hooks ("veth", ..., "generic").
XDPHINTS_API std::vector<std::string_view> hook_names();

} // namespace xdphints::hook
