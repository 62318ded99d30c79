// xdp-hints dump IFNAME: attach the hook, receive with AF_XDP (one socket and one thread per
// queue, on one umem), print every packet's hints; statistics on stderr every interval and
// at exit. Ctrl-C (or --count) stops the threads; the sockets, umem and hook go in that
// order.
#include "commands.hpp"
#include "guardian.hpp"
#include "output.hpp"
#include "print.hpp"
#include "session.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <net/if.h>
#include <optional>
#include <thread>
#include <unistd.h>

namespace xdphints::cli {

using namespace xdphints::hook;

namespace {

const char *mode_name(AttachMode m)
{
	switch (m) {
	case AttachMode::driver: return "driver";
	case AttachMode::skb: return "skb";
	default: return "auto";
	}
}

// How a run ended.
enum class End { running, count, signal, reader_gone, output_failed, interface_gone, rx_stopped };

// After a stop, what is still queued for stdout gets this long (a blocked reader must not
// hold up the exit: the whole stop takes well under a second).
constexpr auto kDrainAfterStop = std::chrono::milliseconds(250);

// The interface is no longer in this namespace (deleted, moved, its veth peer's namespace
// deleted). An ioctl by index: cheap enough every 100 ms.
bool interface_gone(int ifindex)
{
	char name[IF_NAMESIZE];
	return !if_indextoname(unsigned(ifindex), name) && (errno == ENXIO || errno == ENODEV);
}

// Said once at exit, on stderr: what the reader did not get.
void report_output(const OutputQueue &q, const FdWriter &w)
{
	auto c = q.counters();
	uint64_t unwritten = w.unwritten();
	if (c.dropped_records)
		std::fprintf(stderr,
			     "xdp-hints: stdout: %llu records dropped (%llu bytes): the reader did not keep up "
			     "and the %zu-byte queue was full (--buffer-size)\n",
			     (unsigned long long)c.dropped_records, (unsigned long long)c.dropped_bytes, q.capacity());
	if (unwritten)
		std::fprintf(stderr, "xdp-hints: stdout: %llu bytes queued were not written: %s\n",
			     (unsigned long long)unwritten,
			     w.state() == FdWriter::State::reader_gone ? "the reader is gone" : "stopped before the reader took them");
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

	// What a killed dump left here is put back first, and said, even if this run is then
	// refused (the interface has the user's program again: --replace is needed).
	if (auto left = restore_left_behind(a.ifname); !left) {
		std::fprintf(stderr, "xdp-hints dump: %s\n", left.error().message.c_str());
		return 1;
	} else {
		for (auto &line : *left)
			std::fprintf(stderr, "xdp-hints: %s\n", line.c_str());
	}
	// What outlives dump (a netlink-attached hook, the timestamping setting) gets a
	// guardian first, forked while this process has one thread.
	std::optional<Guardian> guardian;
	if (a.replace || a.hwtstamp) {
		auto g = Guardian::start(a.ifname);
		if (!g) {
			std::fprintf(stderr, "xdp-hints dump: %s\n", g.error().message.c_str());
			return 1;
		}
		guardian.emplace(std::move(*g));
	}
	std::optional<Session> s;
	auto opened = Session::open(so, [&](const Hook &h) {
		if (guardian && h.replaced_prog_fd() >= 0)
			if (auto st = guardian->hold(h.replaced_prog_fd()); !st)
				std::fprintf(stderr, "xdp-hints: warning: %s\n", st.error().message.c_str());
	});
	if (!opened) {
		std::fprintf(stderr, "xdp-hints dump: %s\n", opened.error().message.c_str());
		return 1;
	}
	s.emplace(std::move(*opened));
	for (auto &line : s->hook.restored())
		std::fprintf(stderr, "xdp-hints: %s\n", line.c_str());
	if (s->hook.replaced_prog_id())
		std::fprintf(stderr, "xdp-hints: replaced XDP program id %u on %s; it is put back when dump exits%s\n",
			     s->hook.replaced_prog_id(), a.ifname.c_str(),
			     guardian ? (", or by guardian pid " + std::to_string(guardian->pid()) + " if dump is killed").c_str() : "");
	else if (guardian)
		std::fprintf(stderr, "xdp-hints: guardian pid %d restores %s if dump is killed\n", int(guardian->pid()),
			     a.ifname.c_str());
	std::fprintf(stderr, "xdp-hints: hook '%s' (prog id %u, BTF id %u) on %s, driver '%s', %s mode\n",
		     s->hook.hook_name().c_str(), s->hook.prog_id(), s->hook.btf_obj_id(), a.ifname.c_str(),
		     s->hook.driver().c_str(), mode_name(s->hook.mode()));
	if (!s->hook.selection_reason().empty())
		std::fprintf(stderr, "xdp-hints: %s\n", s->hook.selection_reason().c_str());
	for (auto &w : s->warnings)
		std::fprintf(stderr, "xdp-hints: warning: %s\n", w.c_str());
	for (auto &l : s->decoder.layouts())
		std::fprintf(stderr, "xdp-hints: layout %s id %#llx size %u\n", l.name.c_str(),
			     (unsigned long long)l.id(), l.size);
	for (auto &sock : s->group.sockets())
		std::fprintf(stderr, "xdp-hints: AF_XDP socket on queue %u, %s mode%s%s\n", sock->queue(),
			     afxdp::xsk_mode_name(sock->mode()), sock->need_wakeup() ? ", need_wakeup" : "",
			     a.busy_poll ? ", busy poll" : "");

	// Receive threads only format and queue (never write): a stalled reader costs dropped,
	// counted records, never a stalled thread. This thread writes, prints statistics and
	// watches for the end: a signal, --count, the reader gone, the interface gone.
	OutputQueue out(a.buffer_size);
	FdWriter writer(STDOUT_FILENO, out);
	if (!a.json)
		out.push(packet_header() + "\n");
	std::atomic<bool> stop{false}, rx_done{false};
	std::atomic<uint64_t> seen{0};
	Status run_status;
	std::thread rx([&] {
		run_status = s->group.run_hints(stop, a.pin_cpus, s->decoder,
						[&](afxdp::XskSocket &sock, const afxdp::Frame &f, const Hints &h) {
			if (a.count && seen.fetch_add(1, std::memory_order_relaxed) >= a.count)
				return; // over the count: another thread got there first
			if (!a.count)
				seen.fetch_add(1, std::memory_order_relaxed);
			std::string line = a.json ? packet_json(sock.queue(), f, h).dump() : packet_row(sock.queue(), f, h);
			line += '\n';
			out.push(line);
		});
		rx_done.store(true);
	});

	using clock = std::chrono::steady_clock;
	const int ifindex = s->hook.ifindex();
	const std::string ifname = s->hook.ifname();
	auto next_stats = clock::now() + std::chrono::duration<double>(a.stats_interval);
	auto next_check = clock::now();
	// The hook's counters, every second: a hook whose writes fail is said within seconds.
	auto next_trouble = clock::now() + std::chrono::seconds(1);
	auto last_said = clock::time_point{};
	HookStats hook_before;
	if (auto hs = s->hook.stats())
		hook_before = *hs;
	End end = End::running;
	while (end == End::running) {
		auto st = writer.pump(10);
		if (g_stop.load(std::memory_order_relaxed))
			end = End::signal;
		else if (st == FdWriter::State::reader_gone)
			end = End::reader_gone;
		else if (st == FdWriter::State::failed)
			end = End::output_failed;
		else if (a.count && seen.load() >= a.count)
			end = End::count;
		else if (rx_done.load())
			end = End::rx_stopped;
		if (end != End::running)
			break;
		auto now = clock::now();
		if (now >= next_check) {
			if (interface_gone(ifindex))
				end = End::interface_gone;
			next_check = now + std::chrono::milliseconds(100);
		}
		if (now >= next_trouble) {
			if (auto hs = s->hook.stats()) {
				auto said = hook_trouble(hook_before, *hs, *s);
				if (!said.empty() && now - last_said >= std::chrono::seconds(10)) {
					std::fprintf(stderr, "xdp-hints: warning: %s\n", said.c_str());
					last_said = now;
				}
				hook_before = *hs;
			}
			next_trouble = now + std::chrono::seconds(1);
		}
		if (a.stats_interval > 0 && now >= next_stats) {
			std::fprintf(stderr, "%s\n", stats_line(s->group.sockets(), s->hook, seen.load()).c_str());
			next_stats = now + std::chrono::duration<double>(a.stats_interval);
		}
	}
	stop.store(true);
	rx.join(); // prompt: the threads never block on output
	if (end == End::rx_stopped && interface_gone(ifindex))
		end = End::interface_gone;
	// The threads are gone: every counter can be read now. Then the hook goes (traffic is
	// no longer redirected) before what is left of the output is written.
	std::string final_stats = stats_line(s->group.sockets(), s->hook);
	auto detached = s->hook.detach();
	s.reset();
	if (!detached)
		std::fprintf(stderr, "xdp-hints dump: %s\n", detached.error().message.c_str());
	else if (!detached->empty())
		std::fprintf(stderr, "xdp-hints: %s\n", detached->c_str());

	if (end == End::count || end == End::rx_stopped) {
		// Everything asked for is queued: write it all, unless a signal says stop.
		while (!g_stop.load() && writer.drain(clock::now() + std::chrono::milliseconds(100)) == FdWriter::State::open &&
		       writer.unwritten() > 0) {
		}
	}
	if (writer.state() == FdWriter::State::open)
		writer.drain(clock::now() + kDrainAfterStop);
	std::fprintf(stderr, "%s\n", final_stats.c_str());
	report_output(out, writer);

	switch (end) {
	case End::interface_gone:
		std::fprintf(stderr, "xdp-hints dump: %s is gone: the interface (ifindex %d) was deleted or moved out of "
				     "this network namespace (ip link del, its driver unloaded, or its veth peer's "
				     "namespace deleted); nothing left to receive from\n",
			     ifname.c_str(), ifindex);
		return 1;
	case End::rx_stopped:
		if (!run_status) {
			std::fprintf(stderr, "xdp-hints dump: %s\n", run_status.error().message.c_str());
			return 1;
		}
		return 0;
	case End::output_failed:
		std::fprintf(stderr, "xdp-hints dump: writing to stdout failed: %s\n", std::strerror(writer.error()));
		return 1;
	default:
		if (!run_status) {
			std::fprintf(stderr, "xdp-hints dump: %s\n", run_status.error().message.c_str());
			return 1;
		}
		return 0; // count, signal, reader gone (| head)
	}
}

int cmd_reset(const ResetArgs &a)
{
	if (a.ifname.empty() || a.ifname.size() >= IF_NAMESIZE || if_nametoindex(a.ifname.c_str()) == 0) {
		std::fprintf(stderr, "xdp-hints reset: no interface %s in this network namespace (ip link)\n", a.ifname.c_str());
		return 1;
	}
	auto r = restore_left_behind(a.ifname);
	if (!r) {
		std::fprintf(stderr, "xdp-hints reset: %s\n", r.error().message.c_str());
		return 1;
	}
	if (r->empty())
		std::fprintf(stderr, "xdp-hints: nothing left behind on %s\n", a.ifname.c_str());
	for (auto &line : *r)
		std::fprintf(stderr, "xdp-hints: %s\n", line.c_str());
	return 0;
}

} // namespace xdphints::cli
