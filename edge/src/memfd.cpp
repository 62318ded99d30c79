#include <xdphints/edge/error.hpp>
#include <xdphints/edge/memfd.hpp>
#include <xdphints/edge/sys.hpp>

#include <cerrno>
#include <sys/mman.h>

namespace xdphints::edge {

Result<UniqueFd> memfd(const char *name)
{
	UniqueFd fd(sys().memfd_create(name, MFD_CLOEXEC));
	if (!fd)
		return sys_error(errno, Op::memfd, std::string("create memfd ") + name);
	return fd;
}

Result<UniqueFd> memfd_with(const char *name, const void *data, size_t size)
{
	auto fd = memfd(name);
	if (!fd)
		return fd;
	const char *p = static_cast<const char *>(data);
	for (size_t done = 0; done < size;) {
		ssize_t n = sys().write(fd->get(), p + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_error(errno, Op::memfd, std::string("write memfd ") + name);
		if (n == 0)
			return Error::detected(Errc::io, std::string("memfd ") + name + " took no more bytes after " +
								 std::to_string(done) + " of " + std::to_string(size),
					       advice(ENOSPC, Op::memfd));
		done += size_t(n);
	}
	return fd;
}

std::string fd_path(int fd)
{
	return "/proc/self/fd/" + std::to_string(fd);
}

} // namespace xdphints::edge
