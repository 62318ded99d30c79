#pragma once
// The common case in one object: receive packets with their typed hints on every queue of
// an interface.
//
//   xdphints::Query q;
//   auto ts = q.add<uint64_t>("rx_timestamp");
//   XDPHINTS_TRY(rx, xdphints::Receiver::open({.ifname = "eth1"}, q));
//   return rx.run(stop, [&](const xdphints::afxdp::Frame &f, const xdphints::Hints &h) {
//       if (auto t = h.get(ts)) record(*t, h.software(ts), f.bytes());
//   });
//
// open() does what an application otherwise wires by hand: loads the hints hook for the
// interface's driver (hints-hook/), reads the layouts it writes from the kernel's BTF,
// builds the Decoder for the Query's fields (refusing layouts beyond this kernel's
// metadata limit), opens a umem and one AF_XDP socket per queue entered in the hook's
// XSKMAP (af_xdp/), and only then attaches the hook. The lower layers stay available
// (hook(), umem(), queues(), decoder()) for what this does not cover: TX, several
// devices on one umem, your own threads.
//
// Ownership (the same rule for every factory of xdp-hints): a factory returns Result<T>
// with T held by value and movable — Hook, RxGroup, Decoder, Receiver — except objects
// that others point at, which come in a smart pointer so their address never changes:
// Umem as Result<std::shared_ptr<Umem>> (each socket keeps its umem alive), XskSocket as
// Result<std::unique_ptr<XskSocket>> (its umem keeps a pointer to it).
#include <xdphints/af_xdp/queues.hpp>
#include <xdphints/af_xdp/socket.hpp>
#include <xdphints/af_xdp/umem.hpp>
#include <xdphints/export.hpp>
#include <xdphints/hook/hook.hpp>
#include <xdphints/query.hpp>
#include <xdphints/result.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace xdphints {

struct ReceiverOptions {
	std::string ifname;         // the interface, in the calling thread's network namespace
	std::string queues = "all"; // "N", "a,b,c" or "all" (every RX queue of the device)
	// Which hook and how (specialisation, hardware timestamping, replace, bring your own);
	// its ifname/ifindex are taken from above.
	hook::HookOptions hook;
	afxdp::BindMode bind = afxdp::BindMode::automatic;
	afxdp::BusyPoll busy_poll{};
	// RX and fill ring descriptors per socket; 0: by queue count (8192 up to 4 queues, 4096
	// up to 8, else 2048), so the rings hold 40 ms at 200,000 packets/s on few queues.
	uint32_t ring_size = 0;
	uint32_t frames_per_queue = 0; // umem frames (4 KiB each) per socket; 0: ring + 2048
	bool check_ownership = false;     // the umem's per-frame ledger (debugging)
};

class XDPHINTS_API Receiver {
public:
	// Every step that can fail runs before the hook is attached (with hook.replace the
	// program already on the interface is untouched until then and swapped atomically).
	// `before_commit` runs just before the attach.
	static Result<Receiver> open(const ReceiverOptions &opt, const Query &q,
				     const std::function<void(const hook::Hook &)> &before_commit = {});

	Receiver(Receiver &&) noexcept;
	Receiver &operator=(Receiver &&) noexcept;
	Receiver(const Receiver &) = delete;
	Receiver &operator=(const Receiver &) = delete;
	~Receiver();

	// One receive thread per queue until `stop` (or the device goes: Errc::device_gone),
	// thread i pinned to cpus[i % cpus.size()] when cpus is not empty. fn is either
	// fn(const afxdp::Frame &, const Hints &) or fn(afxdp::XskSocket &, const afxdp::Frame &,
	// const Hints &); it runs on the queue's own thread, so it is called concurrently when
	// there are several queues. The frame is released when fn returns (or fn returns
	// afxdp::Disposition::keep and releases it later).
	template <class Fn> Status run(const std::atomic<bool> &stop, Fn &&fn, const std::vector<int> &cpus = {})
	{
		return group_.run_hints(stop, cpus, decoder_, [&](afxdp::XskSocket &s, const afxdp::Frame &f, const Hints &h) {
			if constexpr (std::is_invocable_v<Fn &, const afxdp::Frame &, const Hints &>)
				return fn(f, h);
			else
				return fn(s, f, h);
		});
	}

	// One pass on the calling thread: up to `max` frames from each queue. Returns how many.
	template <class Fn> uint32_t poll(Fn &&fn, uint32_t max = 64)
	{
		uint32_t n = 0;
		for (auto &s : group_.sockets())
			n += s->poll_hints(decoder_, [&](const afxdp::Frame &f, const Hints &h) {
				if constexpr (std::is_invocable_v<Fn &, const afxdp::Frame &, const Hints &>)
					return fn(f, h);
				else
					return fn(*s, f, h);
			}, max);
		return n;
	}

	hook::Hook &hook() noexcept { return hook_; }
	afxdp::Umem &umem() noexcept { return *umem_; }
	afxdp::RxGroup &queues() noexcept { return group_; }
	const Decoder &decoder() const noexcept { return decoder_; }

	// The pieces, for a program that outgrows the Receiver (the CLI's dump keeps them in
	// its own session). Members in the order they must be built; destroyed in reverse.
	struct Parts {
		hook::Hook hook;
		std::shared_ptr<afxdp::Umem> umem;
		afxdp::RxGroup group;
		Decoder decoder;
	};
	Parts release() &&;

private:
	Receiver(hook::Hook hook, std::shared_ptr<afxdp::Umem> umem, afxdp::RxGroup group, Decoder dec);

	// Destroyed in reverse order: the sockets leave the XSKMAP and close before the umem
	// is unmapped, and the hook detaches last.
	hook::Hook hook_;
	std::shared_ptr<afxdp::Umem> umem_;
	afxdp::RxGroup group_;
	Decoder decoder_;
};

} // namespace xdphints
