#pragma once
// Why the kernel refused to load or attach an XDP program, from what it said: at load the
// errno, libbpf's lines and the verifier's log between them; at attach the errno and, over
// netlink, the kernel's extended ack. Each cause has its own fix: a refused helper is not a
// missing kfunc, a device-bound refusal is not a size limit. A cause the text does not name
// is quoted as the kernel wrote it, never guessed.
//
//   auto d = xdphints::hook::diagnose_load(EINVAL, libbpf_lines, ctx);
//   // d.cause == LoadCause::refused_helper, d.name == "bpf_xdp_adjust_meta", d.helper_id == 54
//   Error e = xdphints::hook::load_error(EINVAL, d, ctx);
//
// Pure: no system call. The hook captures libbpf's lines while it loads (Hook::load) and
// writes them, with this context, to $XDP_HINTS_VERIFIER_LOG when that names a file.
#include <xdphints/export.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace xdphints::hook {

// What was being loaded or attached, for the message and the fix.
struct FailureContext {
	std::string what;    // what failed: "load hook veth bound to eth1 (driver veth)"
	std::string hook;    // a built-in hook's name; "" for a brought-in object
	std::string object;  // a brought-in hook object's path; "" for a built-in hook
	std::string user_object; // XDP logic linked into a built-in hook (HookOptions::user_object)
	std::string ifname;
	std::string driver;  // "" when unknown
	bool dev_bound = false; // loaded bound to ifname (BPF_F_XDP_DEV_BOUND_ONLY)
	AttachMode mode = AttachMode::driver; // where it is (to be) attached: driver or skb
	// The hint groups (hint::*) whose XDP RX metadata kfunc the kernel's BTF has, when
	// known: none before Linux 6.3, the release that also brought device-bound programs.
	std::optional<unsigned> kernel_kfuncs;
};

enum class LoadCause {
	refused_helper,    // verifier: "program of this type cannot use helper NAME#N" ("unknown func
	                   // NAME#N" before Linux 6.3): not given to this program type
	unknown_helper,    // verifier: "invalid func NAME#N": a helper number newer than the kernel
	missing_kfunc,     // libbpf: "extern (func ksym) 'NAME': not found in kernel or module BTFs"
	kfunc_mismatch,    // libbpf: "extern (func ksym) 'NAME': func_proto [..] incompatible with .."
	kfunc_not_allowed, // verifier: "calling kernel function NAME is not allowed"
	needs_dev_bound,   // verifier: "metadata kfuncs require device-bound program"
	no_dev_bound,      // device-bound, refused with EINVAL before verification by a kernel without
	                   // the metadata kfuncs: device-bound programs are Linux >= 6.3
	no_xdp_driver,     // device-bound, refused with EOPNOTSUPP before verification: no XDP in the driver
	too_complex,       // verifier: "BPF program is too large. Processed N insn", "... jumps is too complex"
	too_large,         // E2BIG before verification: more instructions than the kernel takes
	stack_limit,       // verifier: "combined stack size of N calls is M. Too large"
	no_kernel_btf,     // libbpf: the kernel has no BTF (CONFIG_DEBUG_INFO_BTF)
	permission,        // EPERM / EACCES without a verifier log
	verifier,          // any other verifier rejection: its complaint quoted
	other,             // anything else: libbpf's most specific line quoted
};

XDPHINTS_API const char *load_cause_name(LoadCause c) noexcept;

struct LoadDiagnosis {
	LoadCause cause = LoadCause::other;
	std::string name;   // the helper or kfunc ("bpf_xdp_adjust_meta"), else ""
	int helper_id = -1; // the helper's number (54), else -1
	std::string since;  // an XDP RX metadata kfunc: the first Linux release with it ("6.8")
	std::string said;   // the line(s) that say so, as the verifier or libbpf wrote them
	std::string where;  // verifier: the instruction it stopped at and its source line, else ""
	std::string suggestion; // the verifier's own "Suggestion:" (Linux 7.x's report), else ""
};

// `libbpf_output`: what libbpf printed while loading (its "libbpf: " lines; the verifier
// log as libbpf prints it, between "-- BEGIN PROG LOAD LOG --" and "-- END PROG LOAD LOG --").
// `err`: the errno of the failed load (either sign).
XDPHINTS_API LoadDiagnosis diagnose_load(int err, std::string_view libbpf_output, const FailureContext &ctx);

// "WHAT: CAUSE (SOURCE: "SAID"[, at WHERE]; STRERROR) (FIX)".
XDPHINTS_API Error load_error(int err, const LoadDiagnosis &d, const FailureContext &ctx);

enum class AttachCause {
	busy,               // another program or link holds the interface (or the other mode)
	no_native_xdp,      // driver mode on a driver without XDP
	dev_bound_skb,      // a device-bound program in generic (SKB) mode
	dev_bound_elsewhere, // a device-bound program on another device
	mtu,                // the (peer's) MTU is too large for a program without XDP fragments
	peer_detached,      // veth: the peer is gone
	queue_count,        // veth: fewer RX queues than the peer has TX queues
	permission,         // EPERM / EACCES
	other,              // the kernel's words quoted, or no reason given (bpf_link)
};

XDPHINTS_API const char *attach_cause_name(AttachCause c) noexcept;

struct AttachDiagnosis {
	AttachCause cause = AttachCause::other;
	std::string said; // the kernel's extended ack, "" when none came (bpf_link gives none)
};

// `kernel_said`: the extack of a netlink attach, as the kernel wrote it or as libbpf prints
// it among its lines ("libbpf: Kernel error message: TEXT"); "" (or libbpf lines without
// it) for a bpf_link, which returns only the errno.
XDPHINTS_API AttachDiagnosis diagnose_attach(int err, std::string_view kernel_said, const FailureContext &ctx);
XDPHINTS_API Error attach_error(int err, const AttachDiagnosis &d, const FailureContext &ctx);

} // namespace xdphints::hook
