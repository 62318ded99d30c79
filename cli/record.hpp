#pragma once
// One received packet as one record of dump's output: a JSON line, a table row or a pcapng
// block, from the render plan (and the capture) built once. Shared by `dump`, `demo -w` and
// the benchmark's dump_json / dump_pcapng variants, so the benchmark measures dump's own
// per-packet step.
//
//   render::Recorder r{render::Format::json, &plan, nullptr};
//   std::string rec;                           // per receive thread
//   rec.reserve(r.max_record());
//   per packet:
//     rec.clear();
//     r.append(rec, queue, frame, hints);        // no allocation within the reserve
//     queue.push(rec);
#include "capture.hpp"
#include "render.hpp"

#include <span>
#include <string>

namespace xdphints::render {

enum class Format { table, json, pcapng };

struct Recorder {
	Format format = Format::table;
	const RenderPlan *plan = nullptr;
	const Capture *capture = nullptr; // Format::pcapng only

	// The most bytes one record takes.
	size_t max_record() const noexcept { return capture ? capture->max_record() : plan->max_record() + 1; }

	// Appends the packet's record to `rec`.
	void append(std::string &rec, unsigned queue, std::span<const uint8_t> frame,
		    const Hints &h) const
	{
		switch (format) {
		case Format::json:
			append_json(rec, *plan, queue, uint32_t(frame.size()), h);
			rec += '\n';
			break;
		case Format::table:
			append_row(rec, *plan, queue, frame, h);
			rec += '\n';
			break;
		case Format::pcapng:
			capture->append_packet(rec, queue, frame, h);
			break;
		}
	}
};

} // namespace xdphints::render
