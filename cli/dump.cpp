// xdp-hints dump IFNAME: attach the hook, receive with AF_XDP, print every packet's hints.
#include "commands.hpp"
#include "print.hpp"
#include "session.hpp"

#include <poll.h>

#include <chrono>
#include <cstdio>

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
	so.all_queues = a.all_queues;
	so.hook.hook = a.hook;
	so.hook.replace = a.replace;
	so.hook.hwtstamp = a.hwtstamp;
	so.hook.object_path = a.hook_object;
	so.hook.layout = a.layout;
	so.hook.ptp_split = a.ptp_split;
	so.hook.user_object = a.user_object;
	if (!a.fields.empty()) {
		auto h = hints_from_fields(a.fields);
		if (!h) {
			std::fprintf(stderr, "xdp-hints dump: %s\n", h.error().message.c_str());
			return 2;
		}
		so.hook.hints = *h;
	}
	if (a.zero_copy)
		so.bind = *a.zero_copy ? afxdp::BindMode::zero_copy : afxdp::BindMode::copy;

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
	for (auto &sock : s->sockets)
		std::fprintf(stderr, "xdp-hints: AF_XDP socket on queue %u, %s mode%s\n", sock->queue(),
			     afxdp::xsk_mode_name(sock->mode()), sock->need_wakeup() ? ", need_wakeup" : "");
	if (!a.json)
		std::printf("%s\n", packet_header().c_str());
	std::fflush(stdout);

	std::vector<pollfd> pfds;
	for (auto &sock : s->sockets)
		pfds.push_back({sock->fd(), POLLIN, 0});

	using clock = std::chrono::steady_clock;
	auto next_stats = clock::now() + std::chrono::duration<double>(a.stats_interval);
	uint64_t seen = 0;
	while (!g_stop.load(std::memory_order_relaxed) && (a.count == 0 || seen < a.count)) {
		uint32_t got = 0;
		for (auto &sock : s->sockets) {
			uint64_t left = a.count ? a.count - seen : 64;
			uint32_t max = uint32_t(left < 64 ? left : 64);
			if (max == 0)
				break;
			unsigned q = sock->queue();
			uint32_t n = sock->poll_hints(s->decoder, [&](const afxdp::Frame &f, const Hints &h) {
				if (a.json)
					std::printf("%s\n", packet_json(q, f, h).dump().c_str());
				else
					std::printf("%s\n", packet_row(q, f, h).c_str());
			}, max);
			got += n;
			seen += n;
		}
		if (got)
			std::fflush(stdout);
		else
			(void)::poll(pfds.data(), pfds.size(), 100);
		if (a.stats_interval > 0 && clock::now() >= next_stats) {
			std::fprintf(stderr, "%s\n", stats_line(s->sockets, s->hook).c_str());
			next_stats = clock::now() + std::chrono::duration<double>(a.stats_interval);
		}
	}
	std::fprintf(stderr, "%s\n", stats_line(s->sockets, s->hook).c_str());
	return 0;
}

} // namespace xdphints::cli
