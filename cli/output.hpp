#pragma once
// Output that never blocks the receive path: receive threads append whole records (a JSON
// line, a table row, later pcapng blocks: the queue only moves bytes) to a bounded queue,
// dropping and counting a record that does not fit; one writer moves the bytes to the fd
// in large writes, but only as much as the fd takes without blocking. So a reader that
// is slow, never reads, or is gone can neither stall reception nor delay a stop.
//
//   OutputQueue q(4 << 20);
//   rx threads:   q.push(line);                       // false (counted) when full
//   main thread:  FdWriter w(1, q);
//                 while (running) w.pump(10);           // reader_gone ends the run
//                 w.drain(deadline);                    // then report w.unwritten()
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace xdphints::cli {

struct OutputCounters {
	uint64_t records = 0;         // queued
	uint64_t bytes = 0;
	uint64_t dropped_records = 0; // did not fit: the queue was full
	uint64_t dropped_bytes = 0;
};

// dump's --buffer-size by default: 100 ms of pcapng records at a million packets a second,
// so a writer kept off the CPU for a few scheduler slices loses nothing.
inline constexpr size_t kDefaultQueueBytes = 32u << 20;

// The most bytes one FdWriter::pump() call writes, whatever the fd and however much is
// queued: the caller's loop (signals, statistics, the interface going) comes round at
// least every MiB of output, a few milliseconds even at a million records a second, and
// the writer still keeps up with that rate in large writes (a page-cache copy of 1 MiB is
// well under a millisecond).
inline constexpr size_t kPumpBytes = 1u << 20;

// Bounded: at most `capacity` bytes wait here (the writer holds at most as much again,
// being written). Any thread may push; one writer takes.
class OutputQueue {
public:
	explicit OutputQueue(size_t capacity) : capacity_(capacity), batch_(capacity / 8 ? capacity / 8 : 1) {}
	OutputQueue(const OutputQueue &) = delete;
	OutputQueue &operator=(const OutputQueue &) = delete;

	// Appends the record whole, or drops it whole (counted) when it does not fit.
	bool push(std::string_view record);
	// Swaps the queued bytes into `out` (which must be empty); false when none.
	bool take(std::string &out);
	// Waits until an eighth of the capacity is queued (a large write's worth), at most
	// `timeout`; true when anything is queued then. The writer sleeps here, not on a
	// timer: at a million records a second a fixed 10 ms sleep lets the queue overflow.
	bool wait_for_batch(std::chrono::milliseconds timeout);
	OutputCounters counters() const;
	size_t capacity() const noexcept { return capacity_; }

private:
	mutable std::mutex mu_;
	std::condition_variable batch_ready_;
	std::string buf_;
	size_t capacity_;
	size_t batch_;           // bytes that wake the writer
	bool woken_ = false;     // the writer was woken for what is queued now (one wake per take)
	OutputCounters c_;
};

// Writes a queue's bytes to a file descriptor it does not own (stdout), without ever
// blocking for long: regular files take any write; pipes, FIFOs and terminals get at most
// PIPE_BUF bytes per write and only after poll() says POLLOUT (so the write cannot block;
// the shared file description is never made O_NONBLOCK); sockets get send(MSG_DONTWAIT).
// Every call does bounded work: at most kPumpBytes written, at most one wait; what is
// left waits for the next call, which does not sleep while there is something to write.
class FdWriter {
public:
	enum class State {
		open,        // more can be written
		reader_gone, // EPIPE / POLLERR / POLLHUP: nobody reads any more
		failed,      // another write error (error() says which)
	};

	FdWriter(int fd, OutputQueue &q);

	// Writes what the fd takes, at most kPumpBytes, waiting at most timeout_ms for it to
	// take more (or, with nothing to write, for records to come or for the reader to go
	// away: POLLERR needs no POLLOUT). A signal cuts the wait short. Records that keep
	// coming do not keep a call going: they are the next call's.
	State pump(int timeout_ms);
	// Writes until everything queued so far is out or `deadline`; the state then.
	State drain(std::chrono::steady_clock::time_point deadline);

	State state() const noexcept { return state_; }
	int error() const noexcept { return err_; }
	// Bytes queued or taken but not written (after a drain: what was lost at exit).
	uint64_t unwritten() const;
	uint64_t written() const noexcept { return written_; }

private:
	// One write of what is pending, at most `most` bytes; false when the fd took nothing.
	bool write_some(size_t most);
	// Something to write: pending bytes, or the queue's taken.
	bool have_pending() { return !pending_.empty() || q_.take(pending_); }
	int fd_;
	OutputQueue &q_;
	bool nonblocking_ok_; // regular file: every write completes without waiting for a reader
	bool socket_;
	std::string pending_; // taken from the queue, written from off_
	size_t off_ = 0;
	uint64_t written_ = 0;
	State state_ = State::open;
	int err_ = 0;
};

} // namespace xdphints::cli
