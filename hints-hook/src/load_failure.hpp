#pragma once
// Internal to the hook's sources: what libbpf prints while a hook loads or attaches, kept
// for the error instead of printed, and the errors made of it (load_error.hpp classifies).
#include <xdphints/hook/load_error.hpp>
#include <xdphints/result.hpp>

#include <string>
#include <utility>
#include <vector>

namespace xdphints::hook::detail {

// While it lives, what libbpf prints on this thread at its warning and info levels (a
// failed load's verifier log among it) is kept here; its debug lines, and other threads'
// lines, go to libbpf's print function as before. Destroyed without take(), it hands the
// lines on to that function, in order: a load that succeeds prints what it printed before.
// libbpf's print function is process-wide: the first capture puts a router in front of the
// one installed (libbpf's own, stderr, or the application's), and puts it back in front of
// whatever the application installs later, at the next capture.
class LibbpfCapture {
public:
	LibbpfCapture();
	~LibbpfCapture();
	LibbpfCapture(const LibbpfCapture &) = delete;
	LibbpfCapture &operator=(const LibbpfCapture &) = delete;

	// Everything kept, as libbpf printed it; it is not handed on any more.
	std::string take();

	// The router's entry (libbpf_print_fn_t's shape, without including libbpf here).
	void keep(int level, std::string line);

private:
	std::vector<std::pair<int, std::string>> lines_;
	LibbpfCapture *outer_ = nullptr;
	bool taken_ = false;
};

// The Error of a failed load (diagnose_load, load_error). The libbpf lines, with the
// context, go to the file named by $XDP_HINTS_VERIFIER_LOG when it is set (the message
// says so): the verifier's full log for whoever asks, never on stderr unasked.
Error load_failure(int err, const std::string &libbpf_lines, const FailureContext &ctx);

// The Error of a failed attach (diagnose_attach, attach_error): `libbpf_lines` hold the
// kernel's extended ack of a netlink attach, "" for a bpf_link.
Error attach_failure(int err, const std::string &libbpf_lines, const FailureContext &ctx);

} // namespace xdphints::hook::detail
