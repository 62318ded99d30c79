#include "output.hpp"

#include <cerrno>
#include <climits>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xdphints::cli {

bool OutputQueue::push(std::string_view record)
{
	std::lock_guard lk(mu_);
	if (buf_.size() + record.size() > capacity_) {
		c_.dropped_records++;
		c_.dropped_bytes += record.size();
		return false;
	}
	if (buf_.capacity() == 0)
		buf_.reserve(capacity_ < (1u << 20) ? capacity_ : (1u << 20));
	buf_.append(record);
	c_.records++;
	c_.bytes += record.size();
	if (!woken_ && buf_.size() >= batch_) {
		woken_ = true;
		batch_ready_.notify_one();
	}
	return true;
}

bool OutputQueue::take(std::string &out)
{
	std::lock_guard lk(mu_);
	if (buf_.empty())
		return false;
	out.swap(buf_); // out was empty: its capacity is reused for the next records
	woken_ = false;
	return true;
}

bool OutputQueue::wait_for_batch(std::chrono::milliseconds timeout)
{
	std::unique_lock lk(mu_);
	batch_ready_.wait_for(lk, timeout, [&] { return buf_.size() >= batch_; });
	return !buf_.empty();
}

OutputCounters OutputQueue::counters() const
{
	std::lock_guard lk(mu_);
	return c_;
}

FdWriter::FdWriter(int fd, OutputQueue &q) : fd_(fd), q_(q)
{
	struct stat st {};
	bool ok = fstat(fd, &st) == 0;
	nonblocking_ok_ = ok && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
	socket_ = ok && S_ISSOCK(st.st_mode);
	if (!ok) {
		state_ = State::failed;
		err_ = errno;
	}
}

bool FdWriter::write_some(size_t most)
{
	size_t left = pending_.size() - off_;
	if (left > most)
		left = most;
	ssize_t n;
	if (nonblocking_ok_)
		n = ::write(fd_, pending_.data() + off_, left);
	else if (socket_)
		n = ::send(fd_, pending_.data() + off_, left, MSG_DONTWAIT | MSG_NOSIGNAL);
	else // only after POLLOUT: at most PIPE_BUF then fits without blocking
		n = ::write(fd_, pending_.data() + off_, left < PIPE_BUF ? left : PIPE_BUF);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false;
		err_ = errno;
		state_ = (errno == EPIPE || errno == ECONNRESET) ? State::reader_gone : State::failed;
		return false;
	}
	off_ += size_t(n);
	written_ += uint64_t(n);
	if (off_ == pending_.size()) {
		pending_.clear();
		off_ = 0;
	}
	return n > 0;
}

// One call: at most one wait (for records when there is nothing to write, or for the fd
// to take more), then writes until kPumpBytes are out, the fd takes no more or nothing is
// left. Records that came meanwhile are the next call's: at a million records a second
// the queue is never empty, and a call that went on until it was did not return for
// seconds (no Ctrl-C, no statistics, no interface check in dump's loop).
FdWriter::State FdWriter::pump(int timeout_ms)
{
	if (state_ != State::open)
		return state_;
	size_t budget = kPumpBytes;
	// Nothing to write: sleep until a batch of records comes (or the timeout), not on a
	// timer: at a million records a second a fixed 10 ms sleep lets the queue overflow.
	bool waited = false;
	if (timeout_ms > 0 && !have_pending()) {
		q_.wait_for_batch(std::chrono::milliseconds(timeout_ms));
		waited = true;
	}
	// Regular files never make a writer wait for a reader.
	if (nonblocking_ok_) {
		while (budget > 0 && state_ == State::open && have_pending()) {
			uint64_t before = written_;
			if (!write_some(budget))
				break;
			budget -= size_t(written_ - before);
		}
		return state_;
	}
	for (int wait = waited ? 0 : timeout_ms; budget > 0; wait = 0) {
		// With nothing to write, poll for nothing: POLLERR/POLLHUP (reader gone) still come.
		bool any = have_pending();
		pollfd p{fd_, short(any ? POLLOUT : 0), 0};
		int r = poll(&p, 1, wait);
		if (r <= 0)
			return state_; // timeout, or a signal: the caller looks at its flags
		if (p.revents & POLLNVAL) {
			state_ = State::failed;
			err_ = EBADF;
			return state_;
		}
		if ((p.revents & (POLLERR | POLLHUP)) && !(p.revents & POLLOUT)) {
			state_ = State::reader_gone;
			err_ = EPIPE;
			return state_;
		}
		if (!(p.revents & POLLOUT) || !any)
			return state_;
		uint64_t before = written_;
		if (!write_some(budget))
			return state_;
		budget -= size_t(written_ - before);
	}
	return state_;
}

FdWriter::State FdWriter::drain(std::chrono::steady_clock::time_point deadline)
{
	using namespace std::chrono;
	while (state_ == State::open) {
		if (pending_.empty() && !q_.take(pending_))
			break;
		auto left = duration_cast<milliseconds>(deadline - steady_clock::now()).count();
		if (left <= 0)
			break;
		pump(int(left < 10 ? left : 10));
	}
	return state_;
}

uint64_t FdWriter::unwritten() const
{
	auto c = q_.counters();
	return c.bytes - written_;
}

} // namespace xdphints::cli
