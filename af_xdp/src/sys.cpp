#include <xdphints/af_xdp/sys.hpp>

#include <bpf/bpf.h>

#include <cerrno>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace xdphints::afxdp {

namespace {

// libbpf returns -errno (and sets errno); the seam's contract is libc's: -1 + errno.
int xskmap_set_real(int map_fd, uint32_t key, int xsk_fd)
{
	int err = bpf_map_update_elem(map_fd, &key, &xsk_fd, 0);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

int xskmap_clear_real(int map_fd, uint32_t key)
{
	int err = bpf_map_delete_elem(map_fd, &key);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

int ioctl_real(int fd, unsigned long req, void *arg) { return ::ioctl(fd, req, arg); }

const Sys kReal{
	::socket, ::close, ::setsockopt, ::getsockopt, ::bind, ::mmap, ::munmap, ioctl_real, xskmap_set_real, xskmap_clear_real,
};

const Sys *g_sys = &kReal;

} // namespace

const Sys &sys() noexcept { return *g_sys; }
const Sys &real_sys() noexcept { return kReal; }

SysOverride::SysOverride(const Sys &s) noexcept : saved_(g_sys) { g_sys = &s; }
SysOverride::~SysOverride() { g_sys = saved_; }

} // namespace xdphints::afxdp
