// xdp-hints dump IFNAME: attach the hook, receive with AF_XDP (one socket and one thread per
// queue, on one umem), print every packet's hints; statistics on stderr every interval and
// at exit. Ctrl-C (or --count) stops the threads; the sockets, umem and hook go in that
// order.
#include "commands.hpp"
#include "print.hpp"
#include "session.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

namespace xdphints::cli {

namespace {

const char *mode_name(AttachMode m)
{
	switch (m) {
	case AttachMode::driver: return "driver";
	case AttachMode::skb: return "skb";
	default: return "auto";
	}
}

} // namespace

int cmd_dump(const DumpArgs &a)
{
	SessionOptions so;
	so.ifname = a.ifname;
	so.queues = a.queues;
	so.hook.hook = a.hook;
	so.hook.replace = a.replace;
	so.hook.hwtstamp = a.hwtstamp;
	so.hook.object_path = a.hook_object;
	so.hook.layout = a.layout;
	so.hook.ptp_split = a.ptp_split;
	so.hook.user_object = a.user_object;
	so.busy_poll.enabled = a.busy_poll;
	if (a.zero_copy)
		so.bind = *a.zero_copy ? afxdp::BindMode::zero_copy : afxdp::BindMode::copy;
	if (!a.fields.empty()) {
		auto h = hints_from_fields(a.fields);
		if (!h) {
			std::fprintf(stderr, "xdp-hints dump: %s\n", h.error().message.c_str());
			return 2;
		}
		so.hook.hints = *h;
	}

	auto s = Session::open(so);
	if (!s) {
		std::fprintf(stderr, "xdp-hints dump: %s\n", s.error().message.c_str());
		return 1;
	}
	std::fprintf(stderr, "xdp-hints: hook '%s' (prog id %u, BTF id %u) on %s, driver '%s', %s mode\n",
		     s->hook.hook_name().c_str(), s->hook.prog_id(), s->hook.btf_obj_id(), a.ifname.c_str(),
		     s->hook.driver().c_str(), mode_name(s->hook.mode()));
	for (auto &l : s->decoder.layouts())
		std::fprintf(stderr, "xdp-hints: layout %s id %#llx size %u\n", l.name.c_str(),
			     (unsigned long long)l.id(), l.size);
	for (auto &sock : s->group.sockets())
		std::fprintf(stderr, "xdp-hints: AF_XDP socket on queue %u, %s mode%s%s\n", sock->queue(),
			     afxdp::xsk_mode_name(sock->mode()), sock->need_wakeup() ? ", need_wakeup" : "",
			     a.busy_poll ? ", busy poll" : "");
	if (!a.json)
		std::printf("%s\n", packet_header().c_str());
	std::fflush(stdout);

	// Receive threads print whole lines (stdio locks each call) and count; this thread
	// stops them on Ctrl-C or when --count packets have been printed.
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> seen{0};
	Status run_status;
	std::thread rx([&] {
		run_status = s->group.run_hints(stop, a.pin_cpus, s->decoder,
						[&](afxdp::XskSocket &sock, const afxdp::Frame &f, const Hints &h) {
			if (a.count && seen.fetch_add(1, std::memory_order_relaxed) >= a.count)
				return; // over the count: another thread got there first
			if (!a.count)
				seen.fetch_add(1, std::memory_order_relaxed);
			if (a.json)
				std::printf("%s\n", packet_json(sock.queue(), f, h).dump().c_str());
			else
				std::printf("%s\n", packet_row(sock.queue(), f, h).c_str());
			std::fflush(stdout);
		});
	});

	using clock = std::chrono::steady_clock;
	auto next_stats = clock::now() + std::chrono::duration<double>(a.stats_interval);
	while (!g_stop.load(std::memory_order_relaxed) && (a.count == 0 || seen.load() < a.count)) {
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
		if (a.stats_interval > 0 && clock::now() >= next_stats) {
			std::fprintf(stderr, "%s\n", stats_line(s->group.sockets(), s->hook, seen.load()).c_str());
			next_stats = clock::now() + std::chrono::duration<double>(a.stats_interval);
		}
	}
	stop.store(true);
	rx.join();
	// The threads are gone: every counter can be read now.
	std::fprintf(stderr, "%s\n", stats_line(s->group.sockets(), s->hook).c_str());
	if (!run_status) {
		std::fprintf(stderr, "xdp-hints dump: %s\n", run_status.error().message.c_str());
		return 1;
	}
	return 0;
}

} // namespace xdphints::cli
