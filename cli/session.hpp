#pragma once
// What `dump` and `demo` share: the hints hook on an interface, one AF_XDP socket per
// queue on one umem, and a decoder for every layout the loaded hook describes; opened by
// xdphints::Receiver (receiver/) and kept as its parts.
#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/receiver.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace xdphints::cli {

// The Receiver's options (receiver.hpp), on queue 0 unless asked.
struct SessionOptions : ReceiverOptions {
	SessionOptions() { queues = "0"; }
};

// Standard hint fields every command asks for; resolved once per layout.
struct StdFields {
	Field<uint64_t> rx_timestamp;
	Field<uint32_t> rx_hash;
	Field<uint32_t> rx_hash_type;
	Field<uint16_t> rx_vlan_tci;
	Field<uint16_t> rx_vlan_proto;
};

// Members are destroyed in reverse order: the sockets (in `group`) leave the XSKMAP and
// close before the umem is unmapped, and the hook detaches last.
struct Session {
	xdphints::hook::Hook hook;
	std::shared_ptr<afxdp::Umem> umem;
	afxdp::RxGroup group; // one socket per queue on `umem`
	Decoder decoder;
	StdFields fields;
	// What the user should know before the first packet, one line each (receive hashing
	// off: every rx_hash would be no_data).
	std::vector<std::string> warnings;

	// Every step that can fail (hook load and verifier, hardware timestamping, queues,
	// umem, sockets and their bind) runs before the hook is attached; with --replace the
	// user's program is untouched until then, and swapped atomically. `before_commit`
	// runs just before that (dump hands the replaced program to its guardian).
	static Result<Session> open(const SessionOptions &opt,
				    const std::function<void(const xdphints::hook::Hook &)> &before_commit = {});
};

// What the hook's counters (hook_stats) say went wrong between two reads, in one line; ""
// when nothing did: metadata writes that failed (the frames went to the stack without
// hints), or frames the hook saw of which none was redirected. dump says it within seconds
// instead of counting `frames 0` forever.
std::string hook_trouble(const xdphints::hook::HookStats &before, const xdphints::hook::HookStats &now,
			 const Session &s);

} // namespace xdphints::cli
