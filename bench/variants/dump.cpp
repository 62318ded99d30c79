// The dump variants: `xdp-hints dump`'s own per-packet step behind the veth hook (all
// groups, as hints_all): each frame rendered from the render plan (cli/record.hpp) into a
// record, pushed onto dump's output queue, and a writer thread (dump's main thread) moving
// the queue to a file on tmpfs in large writes, on the receive loop's CPU. dump_json: JSON lines (--json);
// dump_pcapng: pcapng blocks (-w FILE). A frame counts as verified when it had a known
// layout and its record was queued (not dropped for a writer that fell behind).
#include "afxdp.hpp"

#include "output.hpp"
#include "record.hpp"

#include <xdphints/edge/fd.hpp>

#include <fcntl.h>
#include <unistd.h>

namespace xdphints::bench {

namespace {

// The file is unnamed (O_TMPFILE) on tmpfs and cut back to empty whenever it passes this
// size, so rounds of millions of records do not fill memory.
constexpr off_t kFileLimit = 256 << 20;

struct DumpState {
	Decoder dec;
	render::RenderPlan plan;
	std::optional<render::Capture> capture;
	render::Recorder recorder;
	edge::UniqueFd fd;
	cli::OutputQueue queue{cli::kDefaultQueueBytes}; // dump's default --buffer-size
	std::optional<cli::FdWriter> writer;
	std::atomic<bool> stop{false};
	std::thread writer_thread;
	std::string rec;

	~DumpState()
	{
		stop.store(true);
		if (writer_thread.joinable())
			writer_thread.join();
	}

	// On the application's CPU with the receive loop: dump's whole work (receive, render,
	// write) is the application's; CPU 0 is the generator's and the veth's.
	void write_loop()
	{
		(void)afxdp::pin_thread(kAppCpu);
		while (!stop.load(std::memory_order_relaxed)) {
			if (writer->pump(10) != cli::FdWriter::State::open)
				return;
			if (lseek(fd.get(), 0, SEEK_CUR) > kFileLimit) {
				(void)!ftruncate(fd.get(), 0);
				lseek(fd.get(), 0, SEEK_SET);
			}
		}
	}
};

struct DumpReader {
	std::unique_ptr<DumpState> st; // the plan points into the decoder: neither moves

	uint32_t poll(afxdp::XskSocket &s, uint64_t &ok)
	{
		DumpState &d = *st;
		uint64_t good = 0;
		const unsigned q = s.queue();
		uint32_t n = s.poll_hints(
			d.dec,
			[&](const afxdp::Frame &f, const Hints &h) {
				d.rec.clear();
				d.recorder.append(d.rec, q, f.bytes(), h);
				good += d.queue.push(d.rec) && h.known();
			},
			kBatch);
		ok += good;
		return n;
	}
};

Result<DumpReader> make_dump(const Hook *hook, render::Format format)
{
	Query q; // dump's decoder: every layout of the hook, no field asked for by name
	auto dec = decoder_for(*hook, q);
	if (!dec)
		return dec.error();
	std::unique_ptr<DumpState> st(new DumpState{std::move(*dec)});
	auto plan = render::RenderPlan::build(st->dec.layouts());
	if (!plan)
		return plan.error();
	st->plan = std::move(*plan);
	if (format == render::Format::pcapng) {
		render::CaptureOptions co;
		co.ifname = "bench";
		co.clock.tai_offset_ns = render::kernel_tai_offset_ns();
		auto c = render::Capture::create(st->plan, co);
		if (!c)
			return c.error();
		st->capture.emplace(std::move(*c));
	}
	st->recorder = {format, &st->plan, st->capture ? &*st->capture : nullptr};
	st->rec.reserve(st->recorder.max_record());
	st->fd.reset(open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
	if (!st->fd)
		return Error::from_errno(errno, "open an unnamed file on /dev/shm", "mount tmpfs on /dev/shm");
	st->writer.emplace(st->fd.get(), st->queue);
	if (st->capture)
		st->queue.push(st->capture->header());
	DumpState *raw = st.get();
	st->writer_thread = std::thread([raw] { raw->write_loop(); });
	return DumpReader{std::move(st)};
}

} // namespace

VariantPtr make_dump_json()
{
	return XskVariant<DumpReader>::create(
		"dump_json", "veth hook, all groups; dump --json's step: JSON line rendered, queued, written to tmpfs",
		{.tag = "bdj", .side = XdpSide::hook}, [](const Hook *h) { return make_dump(h, render::Format::json); });
}

VariantPtr make_dump_pcapng()
{
	return XskVariant<DumpReader>::create(
		"dump_pcapng", "veth hook, all groups; dump -w's step: pcapng block rendered, queued, written to tmpfs",
		{.tag = "bdp", .side = XdpSide::hook}, [](const Hook *h) { return make_dump(h, render::Format::pcapng); });
}

} // namespace xdphints::bench
