#include "memfd.hpp"

#include <cerrno>
#include <sys/mman.h>
#include <unistd.h>

namespace xdphints::detail {

Result<int> memfd_with(const char *name, const void *data, size_t size, Op op)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return sys_error(errno, op, std::string("create memfd ") + name);
	const char *p = static_cast<const char *>(data);
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, p + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return sys_error(e, op, std::string("write memfd ") + name);
		}
		done += size_t(n);
	}
	return fd;
}

std::string fd_path(int fd)
{
	return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace xdphints::detail
