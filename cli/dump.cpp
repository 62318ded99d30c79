// xdp-hints dump IFNAME: attach the hook, receive with AF_XDP (one socket and one thread per
// queue, on one umem), print every packet's hints (table, --json) or write them as pcapng
// (-w FILE); statistics on stderr every interval and at exit. Ctrl-C (or --count) stops the
// threads; the sockets, umem and hook go in that order.
#include "capture.hpp"
#include "commands.hpp"
#include "guardian.hpp"
#include "output.hpp"
#include "phc_time.hpp"
#include "print.hpp"
#include "record.hpp"
#include "render.hpp"
#include "session.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
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
void report_output(const OutputQueue &q, const FdWriter &w, const std::string &name)
{
	auto c = q.counters();
	uint64_t unwritten = w.unwritten();
	if (c.dropped_records)
		std::fprintf(stderr,
			     "xdp-hints: %s: %llu records dropped (%llu bytes): the reader did not keep up "
			     "and the %zu-byte queue was full (--buffer-size)\n",
			     name.c_str(), (unsigned long long)c.dropped_records, (unsigned long long)c.dropped_bytes,
			     q.capacity());
	if (unwritten)
		std::fprintf(stderr, "xdp-hints: %s: %llu bytes queued were not written: %s\n", name.c_str(),
			     (unsigned long long)unwritten,
			     w.state() == FdWriter::State::reader_gone ? "the reader is gone" : "stopped before the reader took them");
}

// The file of -w, closed when dump returns.
struct OutputFile {
	int fd = -1;
	OutputFile() = default;
	OutputFile(const OutputFile &) = delete;
	OutputFile &operator=(const OutputFile &) = delete;
	~OutputFile()
	{
		if (fd >= 0)
			close(fd);
	}
};

} // namespace

int cmd_dump(const DumpArgs &a)
{
	SessionOptions so;
	so.ifname = a.ifname;
	so.queues = a.queues;
	so.hook.hook = a.hook;
	so.hook.replace = a.replace;
	so.hook.hwtstamp = a.hwtstamp;
	// A hook that reads the driver's timestamps gets hardware ones only with RX
	// timestamping on: turned on for the run when it is off, restored at exit.
	so.hook.hwtstamp_if_off = !a.hwtstamp && !a.leave_hwtstamp;
	so.hook.object_path = a.hook_object;
	so.hook.layout = a.layout;
	so.hook.layout_btf = a.layout_btf;
	so.hook.ptp_split = a.ptp_split;
	so.hook.user_object = a.user_object;
	so.hook.transport = a.transport;
	so.busy_poll.enabled = a.busy_poll;
	so.ring_size = a.ring_size;
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

	using render::Format;
	const Format format = !a.write_file.empty() ? Format::pcapng : a.json ? Format::json : Format::table;
	// The output file first: a path that cannot be written is said before anything is attached.
	OutputFile file;
	int out_fd = STDOUT_FILENO;
	const std::string out_name = a.write_file.empty() || a.write_file == "-" ? "stdout" : a.write_file;
	if (format == Format::pcapng && a.write_file != "-") {
		file.fd = open(a.write_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (file.fd < 0) {
			std::fprintf(stderr, "xdp-hints dump: cannot write %s: %s; fix: name a file in a writable directory, "
					     "or -w - for stdout\n",
				     a.write_file.c_str(), std::strerror(errno));
			return 1;
		}
		out_fd = file.fd;
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
	// Timestamping is turned on only where it is off (ethtool -T: rx_filter none); whether
	// the hook reads timestamps is known only after load, by then this process has threads.
	bool may_enable_ts = false;
	if (so.hook.hwtstamp_if_off)
		if (auto rt = rx_timestamping(a.ifname); rt && rt->state == HwRxState::off)
			may_enable_ts = true;
	if (a.replace || a.hwtstamp || may_enable_ts) {
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
	std::fprintf(stderr, "xdp-hints: %s\n", s->hook.transport_reason().c_str());
	if (const auto &rt = s->hook.rx_timestamping())
		std::fprintf(stderr, "xdp-hints: hardware timestamps on %s: %s\n", a.ifname.c_str(), rt->describe().c_str());
	for (auto &w : s->warnings)
		std::fprintf(stderr, "xdp-hints: warning: %s\n", w.c_str());
	for (auto &l : s->decoder.layouts())
		std::fprintf(stderr, "xdp-hints: layout %s id %#llx size %u\n", l.name.c_str(),
			     (unsigned long long)l.id(), l.size);

	// Everything found by name is found now: each layout's render plan (and the capture's
	// interface and clock), so that per packet nothing is looked up, built or allocated.
	auto plan = render::RenderPlan::build(s->decoder.layouts());
	if (!plan) {
		std::fprintf(stderr, "xdp-hints dump: %s\n", plan.error().message.c_str());
		return 1;
	}
	// The interface's PHC, when a layout has a timestamp the NIC may have written: measured
	// against the system clock now and once a second after (off the packet path), so that
	// hardware rx_timestamps are shown in --clock and pcapng times are UTC.
	std::optional<PhcClock> phc;
	std::optional<PhcRefresher> phc_refresher;
	std::optional<render::PhcTime> phc_time;
	const bool reads_ts = std::any_of(plan->layouts().begin(), plan->layouts().end(), [](const render::LayoutPlan &p) {
		return p.leaf(render::Role::rx_timestamp) != nullptr;
	});
	if (reads_ts) {
		if (auto c = PhcClock::open(a.ifname)) {
			phc.emplace(std::move(*c));
			phc_refresher.emplace(*phc);
			phc_time.emplace(*phc);
			std::fprintf(stderr, "xdp-hints: PHC %s\n", phc->status().describe().c_str());
		} else if (c.error().code != Errc::not_found) {
			std::fprintf(stderr, "xdp-hints: warning: hardware rx_timestamps are shown unconverted (phc): %s\n",
				     c.error().message.c_str());
		}
	}
	render::ClockView clock_view;
	clock_view.clock = a.clock;
	clock_view.tai_offset_ns = render::kernel_tai_offset_ns();
	clock_view.hardware = phc_time ? &*phc_time : nullptr;
	plan->set_clock(clock_view);
	if (reads_ts && format != Format::pcapng)
		std::fprintf(stderr, "xdp-hints: %s\n", clock_view.describe().c_str());
	std::optional<render::Capture> capture;
	if (format == Format::pcapng) {
		render::CaptureOptions co;
		co.ifname = a.ifname;
		co.snaplen = a.snaplen ? a.snaplen : pcapng::max_snaplen;
		co.clock.tai_offset_ns = clock_view.tai_offset_ns;
		co.clock.hardware = clock_view.hardware;
		auto c = render::Capture::create(*plan, co);
		if (!c) {
			std::fprintf(stderr, "xdp-hints dump: %s\n", c.error().message.c_str());
			return 1;
		}
		capture.emplace(std::move(*c));
		std::fprintf(stderr, "xdp-hints: writing pcapng to %s, snaplen %u; packet times: %s\n", out_name.c_str(),
			     co.snaplen, co.clock.describe().c_str());
		if (reads_ts)
			std::fprintf(stderr, "xdp-hints: in the comments, %s\n", clock_view.describe().c_str());
	}
	const render::Recorder recorder{format, &*plan, capture ? &*capture : nullptr};
	const size_t max_record = recorder.max_record();

	// The hook's counters before anyone is told to send: a baseline read after the line
	// below could already hold the failed writes it is there to catch (and never say them).
	HookStats hook_before;
	if (auto hs = s->hook.stats())
		hook_before = *hs;

	// Said last, when nothing is left to do before receiving: until the receive threads run,
	// the rings fill (8192 frames are 40 ms at 200,000/s), and BTF work under load can take
	// longer than that.
	for (auto &sock : s->group.sockets())
		std::fprintf(stderr, "xdp-hints: AF_XDP socket on queue %u, %s mode%s%s\n", sock->queue(),
			     afxdp::xsk_mode_name(sock->mode()), sock->need_wakeup() ? ", need_wakeup" : "",
			     a.busy_poll ? ", busy poll" : "");

	// Receive threads only format and queue (never write): a stalled reader costs dropped,
	// counted records, never a stalled thread. This thread writes, prints statistics and
	// watches for the end: a signal, --count, the reader gone, the interface gone.
	OutputQueue out(a.buffer_size);
	FdWriter writer(out_fd, out);
	if (format == Format::table)
		out.push(std::string(render::table_header()) + "\n");
	else if (format == Format::pcapng)
		out.push(capture->header());
	const uint64_t header_records = out.counters().records;
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
			// Each receive thread's buffers, reserved once: rendering appends within them.
			thread_local std::string rec;
			if (rec.capacity() < max_record)
				rec.reserve(max_record);
			rec.clear();
			recorder.append(rec, sock.queue(), f.bytes(), h);
			out.push(rec);
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
	if (capture) {
		// The capture ends with what was received and lost (isb_ifrecv: packets the hook
		// saw; isb_osdrop: dropped by the AF_XDP rings, or by dump's queue for a slow reader).
		RunStats r = run_stats(s->group.sockets(), s->hook);
		auto oc = out.counters();
		pcapng::InterfaceStats is;
		if (r.hook)
			is.ifrecv = r.hook->rx;
		is.osdrop = r.kernel.rx_dropped + r.kernel.rx_ring_full + oc.dropped_records;
		is.usrdeliv = oc.records - header_records;
		out.push(capture->statistics(render::realtime_ns(), is));
	}
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
	if (phc)
		std::fprintf(stderr, "xdp-hints: PHC at exit: %s\n", phc->status().describe().c_str());
	report_output(out, writer, out_name);

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
		std::fprintf(stderr, "xdp-hints dump: writing to %s failed: %s\n", out_name.c_str(), std::strerror(writer.error()));
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
