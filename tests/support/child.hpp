#pragma once
// Runs a program (e.g. the xdp-hints CLI) as a child with its stdout and stderr captured,
// for tests that check what a user would see. The child is killed if still running when
// the Child is destroyed. A test may hand the child its own stdin or stdout (a pipe the
// test holds, another child's pipe end): `Child(argv, {.in = fd, .out = fd})`.
#include <xdphints/edge/fd.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace xdphints::test {

struct ChildFds {
	int in = -1;  // the child's stdin (-1: inherited)
	int out = -1; // the child's stdout (-1: captured in out())
};

class Child {
public:
	explicit Child(std::vector<std::string> argv, ChildFds fds = {})
	{
		int out[2], err[2];
		if (pipe2(out, O_CLOEXEC))
			return;
		out_fd_.reset(out[0]);
		edge::UniqueFd out_w(out[1]);
		if (pipe2(err, O_CLOEXEC))
			return;
		err_fd_.reset(err[0]);
		edge::UniqueFd err_w(err[1]);
		pid_ = fork();
		if (pid_ == 0) {
			if (fds.in >= 0)
				dup2(fds.in, 0);
			dup2(fds.out >= 0 ? fds.out : out[1], 1);
			dup2(err[1], 2);
			std::vector<char *> a;
			for (auto &s : argv)
				a.push_back(s.data());
			a.push_back(nullptr);
			execvp(a[0], a.data());
			_exit(127);
		}
	}
	~Child()
	{
		if (pid_ > 0 && !reaped_) {
			kill(pid_, SIGKILL);
			reap(0);
		}
	}
	Child(const Child &) = delete;
	Child &operator=(const Child &) = delete;

	// Reads output until stderr contains `needle` or the timeout passes.
	bool wait_stderr(const std::string &needle, int timeout_ms) { return wait_for(err_, needle, timeout_ms); }
	// The same for stdout (when captured).
	bool wait_stdout(const std::string &needle, int timeout_ms) { return wait_for(out_, needle, timeout_ms); }

	// Waits for exit (killing the child after timeout_ms) and returns its exit code.
	int wait(int timeout_ms)
	{
		auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
		for (;;) {
			int p = pump(50);
			if (reap(WNOHANG))
				break;
			if (std::chrono::steady_clock::now() > end) {
				kill(pid_, SIGKILL);
				reap(0);
				break;
			}
			if (p < 0)
				usleep(10000);
		}
		while (pump(0) > 0) {
		}
		status_ = WIFEXITED(raw_) ? WEXITSTATUS(raw_) : 128 + WTERMSIG(raw_);
		return status_;
	}
	void signal(int sig) { kill(pid_, sig); }
	pid_t pid() const { return pid_; }
	bool running() { return !reap(WNOHANG); }

	const std::string &out() const { return out_; }
	const std::string &err() const { return err_; }

private:
	bool wait_for(const std::string &buf, const std::string &needle, int timeout_ms)
	{
		auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
		while (buf.find(needle) == std::string::npos) {
			auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count();
			if (left <= 0 || pump(int(left)) < 0)
				return buf.find(needle) != std::string::npos;
		}
		return true;
	}
	bool reap(int flags)
	{
		if (!reaped_ && pid_ > 0 && waitpid(pid_, &raw_, flags) == pid_)
			reaped_ = true;
		return reaped_;
	}
	// Reads what is available within timeout_ms: 1 read something, 0 nothing yet,
	// -1 both pipes at EOF.
	int pump(int timeout_ms)
	{
		pollfd p[2] = {{out_fd_.get(), POLLIN, 0}, {err_fd_.get(), POLLIN, 0}};
		if (!out_fd_ && !err_fd_)
			return -1;
		if (poll(p, 2, timeout_ms) <= 0)
			return 0;
		for (int i = 0; i < 2; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			char buf[4096];
			ssize_t r = read(p[i].fd, buf, sizeof(buf));
			if (r > 0) {
				(i ? err_ : out_).append(buf, size_t(r));
			} else {
				(i ? err_fd_ : out_fd_).reset();
			}
		}
		return 1;
	}
	pid_t pid_ = -1;
	edge::UniqueFd out_fd_, err_fd_;
	int raw_ = 0, status_ = -1;
	bool reaped_ = false;
	std::string out_, err_;
};

} // namespace xdphints::test

// REQUIRE that a child prints `needle` on stderr within `ms`; on failure the test stops
// with everything the child printed there (its own error names the cause).
#define REQUIRE_STDERR(child, needle, ms)                                                    \
	do {                                                                                 \
		if (!(child).wait_stderr((needle), (ms)))                                    \
			FAIL("no \"" << (needle) << "\" on stderr; it printed:\n" << (child).err()); \
	} while (0)
