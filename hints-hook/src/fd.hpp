#pragma once
// An owned file descriptor for the short-lived fds of queries (prog/map/link/BTF by id).
#include <unistd.h>

namespace xdphints::detail {

struct Fd {
	int fd = -1;
	explicit Fd(int f) noexcept : fd(f) {}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	~Fd()
	{
		if (fd >= 0)
			close(fd);
	}
};

} // namespace xdphints::detail
